"""Data set routes: the built-ins, CSV uploads (parsed, summarized, limited while streaming), and sessions on them."""

from __future__ import annotations

import asyncio
import json

import pytest

from app.config import Settings
from app.main import create_app

WRITE = {"X-Backprop-Viz-Request": "1"}  # a POST without a JSON body needs it (no cross-site writes)

IRIS_LIKE = (
    "sepal length,sepal width,species\n"
    "5.1,3.5,setosa\n"
    "4.9,3.0,setosa\n"
    "6.2,2.9,versicolor\n"
    "5.9,3.0,versicolor\n"
    "6.3,3.3,virginica\n"
    "6.5,3.0,virginica\n"
    "5.0,3.4,setosa\n"
    "6.0,2.2,versicolor\n"
    "7.1,3.0,virginica\n"
)


def upload(client, text: str | bytes, filename: str = "flowers.csv", **fields: str):
    data = text.encode() if isinstance(text, str) else text
    return client.post("/api/datasets", files={"file": (filename, data, "text/csv")}, data=fields, headers=WRITE)


def test_builtins_are_listed_with_their_parameters(api_with):
    with api_with(max_builtin_samples=1000) as api:
        listing = api.client.get("/api/datasets").json()
    names = [b["name"] for b in listing["builtin"]]
    assert set(names) == {"xor", "circles", "spiral", "gaussian", "moons", "plane", "sine", "multi_gaussian", "digits"}
    xor = next(b for b in listing["builtin"] if b["name"] == "xor")
    assert xor["image_shape"] is None
    assert xor["task"] == "classification" and xor["features"] == ["x1", "x2"]
    assert set(xor["parameters"]) >= {"samples", "noise", "test_fraction", "seed"}
    assert xor["parameters"]["samples"]["max"] == 1000  # this server's BACKPROP_VIZ_MAX_BUILTIN_SAMPLES
    assert next(b for b in listing["builtin"] if b["name"] == "sine")["task"] == "regression"
    assert listing["uploaded"] == []


def test_upload_answers_id_and_summary(api):
    response = upload(api.client, IRIS_LIKE, target="species", task="auto")
    assert response.status_code == 201, response.text
    info = response.json()
    assert response.headers["location"] == f"/api/datasets/{info['id']}"
    assert info["name"] == "flowers.csv" and info["task"] == "classification"
    assert info["rows"] == 9 and info["features"] == ["sepal length", "sepal width"]
    assert info["target"] == "species" and info["classes"] == ["setosa", "versicolor", "virginica"]
    summary = info["summary"]
    assert [c["count"] for c in summary["classes"]] == [3, 3, 3]
    length = summary["columns"][0]
    assert length["name"] == "sepal length" and length["min"] == 4.9 and length["max"] == 7.1
    assert length["mean"] == pytest.approx(sum([5.1, 4.9, 6.2, 5.9, 6.3, 6.5, 5.0, 6.0, 7.1]) / 9)

    assert api.client.get(f"/api/datasets/{info['id']}").json() == info
    assert api.client.get("/api/datasets").json()["uploaded"] == [info]


def test_a_session_trains_on_an_uploaded_set(api):
    info = upload(api.client, IRIS_LIKE).json()  # target defaults to the last column
    assert info["target"] == "species"
    state = api.create(
        {"layers": [2, 5, 3], "dataset": {"id": info["id"], "test_fraction": 0.34, "seed": 2}, "batch_size": 3}
    )
    dataset = state["dataset"]
    assert dataset["name"] == "flowers.csv" and dataset["classes"] == ["setosa", "versicolor", "virginica"]
    assert dataset["train_rows"] + dataset["test_rows"] == 9 and dataset["test_rows"] == 3
    assert state["config"]["activations"][-1] == "softmax" and state["config"]["loss"] == "cross_entropy"
    assert api.step(state["id"], "epoch", 2)["state"]["counters"]["epoch"] == 2
    # predict takes raw values: the session standardizes them itself
    predicted = api.client.post(f"/api/sessions/{state['id']}/predict", json={"inputs": [[5.0, 3.4]]}).json()
    assert predicted["classes"] == ["setosa", "versicolor", "virginica"]
    assert sum(predicted["probabilities"][0]) == pytest.approx(1.0)


def test_target_by_index_and_regression(api):
    info = upload(api.client, "y,a,b\n1.5,1,2\n2.5,2,3\n3.25,3,4\n4.0,4,5\n", target="0", task="regression").json()
    assert info["target"] == "y" and info["features"] == ["a", "b"] and info["task"] == "regression"
    assert info["classes"] is None
    last = upload(api.client, "a,b,c\n1,2,3\n4,5,6\n7,8,9\n", target="-1", task="regression").json()
    assert last["target"] == "c"


def test_a_bad_cell_is_422_naming_row_and_column(api):
    text = "x1,x2,label\n1,2,a\n3,oops,b\n5,6,a\n"
    error = api.error(upload(api.client, text), 422, "oops", "row 3", "x2")
    assert error["field"] == "file"
    assert api.client.get("/api/datasets").json()["uploaded"] == []


def test_upload_refusals(api):
    client = api.client
    assert api.error(upload(client, IRIS_LIKE, target="petal"), 422, "petal")["field"] == "target"
    assert api.error(upload(client, IRIS_LIKE, task="clustering"), 422, "task")["field"] == "task"
    missing = client.post("/api/datasets", files={"other": ("a.csv", b"a,b\n1,2\n")}, headers=WRITE)
    assert api.error(missing, 422, "file")["field"] == "file"
    not_multipart = client.post("/api/datasets", json={"file": "a,b\n1,2\n"})
    api.error(not_multipart, 415, "multipart/form-data")
    api.error(upload(client, b"\xff\xfe\x00garbage"), 422)
    api.error(upload(client, ""), 422)
    assert client.get("/api/datasets").json()["uploaded"] == []


def test_get_and_delete(api):
    info = upload(api.client, IRIS_LIKE).json()
    assert api.client.delete(f"/api/datasets/{info['id']}").status_code == 204
    api.error(api.client.get(f"/api/datasets/{info['id']}"), 404, "no data set")
    api.error(api.client.delete(f"/api/datasets/{info['id']}"), 404, "no data set")
    error = api.client.post("/api/sessions", json={"layers": [2, 3], "dataset": {"id": info["id"]}})
    assert api.error(error, 404)["field"] == "dataset.id"


def test_declared_size_over_the_limit_is_413(api_with):
    with api_with(max_upload_bytes=1000) as api:
        big = "a,b\n" + "1,2\n" * 2000
        error = api.error(upload(api.client, big), 413, "BACKPROP_VIZ_MAX_UPLOAD_BYTES")
        assert "1,000 bytes" in error["detail"]
        assert upload(api.client, "a,b\n1,2\n3,4\n5,6\n").status_code == 201  # small files still pass


def test_undeclared_size_is_refused_while_streaming_before_the_rest_is_read(tmp_path):
    """Straight through ASGI: a chunked upload with no Content-Length; the app must answer 413 after reading
    little more than the limit, not the whole 2 MB."""
    app = create_app(Settings(data_dir=tmp_path, persist=False, max_upload_bytes=10_000))
    boundary = "XyZ"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\na,b\r\n'.encode()
    chunk = b"1,2\r\n" * 200  # 1 kB
    total_chunks = 2000
    sent = 0
    messages: list[dict] = []

    async def receive() -> dict:
        nonlocal sent
        if sent == 0:
            sent += 1
            return {"type": "http.request", "body": head, "more_body": True}
        sent += 1
        return {"type": "http.request", "body": chunk, "more_body": sent <= total_chunks}

    async def send(message: dict) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/datasets",
        "raw_path": b"/api/datasets",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
            (b"x-backprop-viz-request", b"1"),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in messages if m["type"] == "http.response.start")
    assert start["status"] == 413
    body = json.loads(b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body"))
    assert "BACKPROP_VIZ_MAX_UPLOAD_BYTES" in body["detail"]
    assert sent < 100, f"the app read {sent} of {total_chunks} chunks before refusing"


def test_row_and_column_limits(api_with):
    with api_with(max_upload_rows=3, max_upload_columns=2) as api:
        rows = api.error(upload(api.client, "a,b\n1,2\n3,4\n5,6\n7,8\n"), 422, "BACKPROP_VIZ_MAX_UPLOAD_ROWS")
        assert rows["field"] == "file"
        api.error(upload(api.client, "a,b,c\n1,2,3\n4,5,6\n"), 422, "BACKPROP_VIZ_MAX_UPLOAD_COLUMNS")
        assert upload(api.client, "a,b\n1,2\n3,4\n5,6\n").status_code == 201


def test_the_oldest_upload_is_dropped_at_the_data_set_cap(api_with):
    with api_with(max_datasets=2) as api:
        ids = [
            api.client.post(
                "/api/datasets", files={"file": (f"{i}.csv", b"a,b\n1,2\n3,4\n5,6\n")}, headers=WRITE
            ).json()["id"]
            for i in range(3)
        ]
        api.error(api.client.get(f"/api/datasets/{ids[0]}"), 404)
        assert [d["id"] for d in api.client.get("/api/datasets").json()["uploaded"]] == ids[1:]


def test_a_large_upload_waits_on_disk_not_in_memory(monkeypatch):
    """The file part goes to a temporary file past SPOOL_BYTES, so an upload that stalls half-way (until it is
    dropped) holds disk, not memory."""
    from app.api import streaming

    collector = streaming._FormCollector("file", 10_000_000, "BACKPROP_VIZ_MAX_UPLOAD_BYTES")
    parser = streaming.MultipartParser(b"XyZ", collector.callbacks())
    parser.write(b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\na,b\r\n')
    for _ in range(3 * streaming.SPOOL_BYTES // 4096):
        parser.write(b"1,2\r\n" * 819)
    spool = collector._spool
    assert spool is not None and spool._rolled  # on disk now
    assert len(collector._buffer) == 0  # nothing of the file in memory
    collector.close()
    assert spool.closed
