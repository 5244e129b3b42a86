"""GET /api/sessions/{id}/dataset.csv: the raw values as given, the target and the split, for every kind of
data set; exact for an upload, marked inexact when its upload is gone; refusals."""

from __future__ import annotations

import csv
import io

from conftest import Api

FLOWERS = b"length,width,species\n5.1,3.5,setosa\n4.9,3,setosa\n7,3.2,versicolor\n6.4,3.25,versicolor\n" + (
    b"0.001,2,setosa\n5.8,2.7,versicolor\n6.3,3.3,setosa\n6.9,3.1,versicolor\n"
)


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_an_uploaded_csv_comes_back_as_written_with_its_split(api: Api) -> None:
    upload = api.client.post(
        "/api/datasets", files={"file": ("f.csv", FLOWERS, "text/csv")}, data={"target": "species"}
    )
    dataset_id = upload.json()["id"]
    session = api.create({"layers": [2, 3, 1], "dataset": {"id": dataset_id, "test_fraction": 0.25, "seed": 2}})
    response = api.client.get(f"/api/sessions/{session['id']}/dataset.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.headers["x-backprop-viz-exact"] == "true"
    assert 'filename="backprop-viz-' in response.headers["content-disposition"]
    out = rows(response.text)
    assert out[0] == ["length", "width", "species", "split"]
    assert sorted(tuple(r[:3]) for r in out[1:]) == sorted(tuple(r) for r in rows(FLOWERS.decode())[1:])
    assert [r[3] for r in out[1:]].count("test") == session["dataset"]["test_rows"] == 2
    test_only = rows(api.client.get(f"/api/sessions/{session['id']}/dataset.csv?split=test").text)
    assert test_only[1:] == [r for r in out[1:] if r[3] == "test"]

    api.client.delete(f"/api/datasets/{dataset_id}")  # the upload is gone: un-standardized values
    again = api.client.get(f"/api/sessions/{session['id']}/dataset.csv")
    assert again.headers["x-backprop-viz-exact"] == "false"
    assert sorted(tuple(r[:3]) for r in rows(again.text)[1:]) == sorted(tuple(r[:3]) for r in out[1:])


def test_a_builtin_sets_rows_are_in_the_sessions_order(api: Api) -> None:
    session = api.create(api.xor)
    out = rows(api.client.get(f"/api/sessions/{session['id']}/dataset.csv?split=train").text)
    assert out[0] == ["x1", "x2", "label", "split"] and len(out) == 1 + session["dataset"]["train_rows"]
    focus = api.client.post(f"/api/sessions/{session['id']}/step", json={"unit": "phase"}).json()["records"][0]
    assert [float(v) for v in out[1 + session["focus"]][:2]] == focus["a_prev"]  # not standardized: as held
    assert {r[2] for r in out[1:]} == {"0", "1"}


def test_the_seeds_inline_sample(api: Api) -> None:
    session = api.create(api.seed)
    assert api.client.get(f"/api/sessions/{session['id']}/dataset.csv").text == "x1,x2,y,split\n0.05,0.1,0.01,train\n"


def test_refusals(api: Api) -> None:
    session = api.create(api.seed)
    api.error(api.client.get(f"/api/sessions/{session['id']}/dataset.csv?split=all"), 422, "train", "test")
    api.error(api.client.get("/api/sessions/nope/dataset.csv"), 404)
