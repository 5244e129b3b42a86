"""Sessions and data sets survive a real server process being killed (`kill -9`) mid-play and mid-job, and a
clean restart: they come back at their last checkpoint, consistent, and go on from there."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import LiveServer
from websockets.sync.client import connect

pytestmark = pytest.mark.slow

SESSION = {
    "layers": [2, 8, 8, 1],
    "dataset": {"builtin": "circles", "samples": 400, "noise": 0.1, "seed": 3},
    "optimizer": {"name": "adam", "learning_rate": 0.01},
    "batch_size": 10,
}
CSV = b"x1,x2,label\n" + b"".join(f"{i % 7},{(i * 3) % 11},{'yes' if i % 2 else 'no'}\n".encode() for i in range(60))
CHECKPOINT_MARGIN = 3.0  # seconds: the checkpoint interval is 1 s; the rest is room for a busy machine


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path / "data")
    live.start()
    yield live
    live.stop()


def _api(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.base, timeout=30)


def _assert_consistent(api: httpx.Client, session_id: str) -> dict[str, Any]:
    """The restored session works: finite weights, back one pass and forward again reproduce it exactly."""
    state = api.get(f"/api/sessions/{session_id}").json()
    weights = state["weights"]
    assert all(all(isinstance(v, float) for row in W for v in row) for W in weights)
    back = api.post(f"/api/sessions/{session_id}/back", json={"unit": "pass", "count": 1})
    assert back.status_code == 200, back.text
    assert back.json()["moved"] == 1, "the history to step back one pass was not kept"
    assert back.json()["state"]["counters"]["pass"] == state["counters"]["pass"] - 1
    again = api.post(f"/api/sessions/{session_id}/step", json={"unit": "pass", "count": 1})
    assert again.status_code == 200, again.text
    assert again.json()["state"]["weights"] == weights, "replaying the last pass did not give the kept weights"
    return state


def _play(server: LiveServer, session_id: str, seconds: float) -> list[tuple[float, int]]:
    """Play at full speed for `seconds` over the WebSocket; (time, pass) of every state frame seen."""
    seen: list[tuple[float, int]] = []
    with connect(f"{server.ws_base}/ws/sessions/{session_id}", open_timeout=30, max_size=None) as ws:
        snapshot = json.loads(ws.recv(timeout=30))
        assert snapshot["type"] == "snapshot"
        ws.send(json.dumps({"type": "play", "speed": "max"}))
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            event = json.loads(ws.recv(timeout=30))
            if event["type"] == "error":
                pytest.fail(f"play refused: {event['message']}")
            state = event.get("state")
            if isinstance(state, dict) and "counters" in state:
                seen.append((time.monotonic(), state["counters"]["pass"]))
        return seen


def test_kill_during_play_restores_the_last_checkpoint(server: LiveServer) -> None:
    with _api(server) as api:
        session_id = api.post("/api/sessions", json=SESSION).json()["id"]
        seen = _play(server, session_id, 4.0)
        killed_at = time.monotonic()
        server.kill()  # still playing: the socket is open and the play thread is training
        assert seen and seen[-1][1] > 0, "play mode sent no frames"
        # The pass reached CHECKPOINT_MARGIN seconds before the kill is certainly on disk.
        floor = max((p for t, p in seen if t <= killed_at - CHECKPOINT_MARGIN), default=0)

        server.start()
        state = _assert_consistent(api, session_id)
        restored = state["counters"]["pass"]
        assert restored >= floor, f"restored pass {restored} is older than the checkpoint at {floor}"
        assert restored > 0
        metrics = api.get(f"/api/sessions/{session_id}/metrics").json()
        assert metrics["train_loss"], "the loss history was not kept"
        passes = [int(p) for p in metrics["per_pass"]["pass"]]  # kept in blocks appended at every checkpoint
        assert passes == sorted(set(passes)) and passes[-1] <= restored
        if restored <= 100_000:  # not thinned yet: every pass's loss up to the restored one, none lost or doubled
            assert passes == list(range(1, restored + 1))

        # The page reconnects and carries on: a new socket gets a snapshot at the restored pass, and plays on.
        with connect(f"{server.ws_base}/ws/sessions/{session_id}", open_timeout=30, max_size=None) as ws:
            snapshot = json.loads(ws.recv(timeout=30))
            assert snapshot["type"] == "snapshot"
            assert snapshot["state"]["counters"]["pass"] == restored  # _assert_consistent went back and forth
            assert snapshot["state"]["playing"] is False
        assert _play(server, session_id, 1.0)[-1][1] > restored


def test_kill_during_a_job_reports_it_interrupted_with_its_progress(server: LiveServer) -> None:
    with _api(server) as api:
        uploaded = api.post(
            "/api/datasets",
            files={"file": ("points.csv", CSV)},
            data={"target": "label"},
            headers={"X-Backprop-Viz-Request": "1"},
        )
        assert uploaded.status_code == 201, uploaded.text
        dataset = uploaded.json()
        body = {**SESSION, "layers": [2, 6, 1], "dataset": {"id": dataset["id"]}}
        created = api.post("/api/sessions", json=body)
        assert created.status_code == 201, created.text
        session_id = created.json()["id"]
        api.post(f"/api/sessions/{session_id}/step", json={"unit": "pass", "count": 2})
        job = api.post(f"/api/sessions/{session_id}/train", json={"passes": 5_000_000}).json()
        progress: list[tuple[float, int]] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = api.get(f"/api/sessions/{session_id}/jobs/{job['id']}").json()["done"]
            progress.append((time.monotonic(), done))
            if done > 0 and progress[-1][0] - next(t for t, d in progress if d > 0) > 4.0:
                break
            time.sleep(0.1)
        killed_at = time.monotonic()
        server.kill()
        floor = max((d for t, d in progress if t <= killed_at - CHECKPOINT_MARGIN), default=0)
        assert floor > 0, "the job made no progress to check against"

        server.start()
        kept = api.get(f"/api/sessions/{session_id}/jobs/{job['id']}").json()
        assert kept["status"] == "interrupted"
        assert floor <= kept["done"] < kept["total"] == 5_000_000
        assert "stopped after" in kept["message"]
        state = _assert_consistent(api, session_id)
        assert state["counters"]["pass"] == 2 + kept["done"], "the weights and the job's progress disagree"
        assert api.get("/api/health").json()["jobs"] == 0

        again = api.get(f"/api/datasets/{dataset['id']}")
        assert again.status_code == 200
        assert again.json()["summary"] == dataset["summary"]
        assert again.json()["classes"] == dataset["classes"]
        # A new job starts on the restored session.
        restarted = api.post(f"/api/sessions/{session_id}/train", json={"passes": 10})
        assert restarted.status_code == 202, restarted.text


def test_clean_restart_keeps_stepping_state_and_forgets_deleted_sessions(server: LiveServer) -> None:
    with _api(server) as api:
        kept = api.post("/api/sessions", json=SESSION).json()["id"]
        gone = api.post("/api/sessions", json=SESSION).json()["id"]
        api.post(f"/api/sessions/{kept}/step", json={"unit": "pass", "count": 5})
        api.post(f"/api/sessions/{kept}/step", json={"unit": "phase", "count": 3})  # mid-pass: F1 F2 F3 shown, J next
        api.patch(f"/api/sessions/{kept}", json={"learning_rate": 0.005})
        before = api.get(f"/api/sessions/{kept}").json()
        assert api.delete(f"/api/sessions/{gone}").status_code == 204
        time.sleep(CHECKPOINT_MARGIN)  # the checkpoint follows the answer within the interval (1 s)
        server.kill()

        server.start()
        after = api.get(f"/api/sessions/{kept}").json()
        assert after["counters"] == before["counters"]
        assert after["weights"] == before["weights"] and after["biases"] == before["biases"]
        assert after["config"] == before["config"]
        assert api.get(f"/api/sessions/{gone}").status_code == 404
        # The open pass goes on from where it was, with the numbers it would have had.
        rest = api.post(f"/api/sessions/{kept}/step", json={"unit": "phase", "count": 5}).json()
        assert [r["label"] for r in rest["records"]] == ["J", "B3", "B2", "B1", "U"]

        server.stop()
        server.start()
        health = api.get("/api/health").json()
        assert health["storage"]["restored_sessions"] == 1
        assert api.get(f"/api/sessions/{kept}").json()["counters"]["pass"] == 6


def test_kill_right_after_an_answered_step_loses_at_most_the_last_second(server: LiveServer) -> None:
    """Stepping commands answer before their checkpoint is written; killed while stepping, the session comes back
    at a pass answered at most a checkpoint interval (plus room for a busy machine) before the kill, consistent."""
    with _api(server) as api:
        session_id = api.post("/api/sessions", json=SESSION).json()["id"]
        answered: list[tuple[float, int]] = []
        end = time.monotonic() + 4.0
        while time.monotonic() < end:
            step = api.post(f"/api/sessions/{session_id}/step", json={"unit": "pass", "count": 1})
            assert step.status_code == 200, step.text
            answered.append((time.monotonic(), step.json()["state"]["counters"]["pass"]))
        killed_at = time.monotonic()
        server.kill()  # right after an answered step
        floor = max(p for t, p in answered if t <= killed_at - CHECKPOINT_MARGIN)

        server.start()
        state = _assert_consistent(api, session_id)
        assert floor <= state["counters"]["pass"] <= answered[-1][1], (floor, state["counters"], answered[-1])


def test_a_broken_database_is_moved_aside_not_crashed_on(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "backprop-viz.db").write_bytes(b"this is not a database, it is a note\n" * 100)
    live = LiveServer(data_dir)
    live.start()
    try:
        health = httpx.get(f"{live.base}/api/health").json()
        assert health["storage"]["moved_aside"] is not None
        assert "not a backprop-viz database" in health["storage"]["problem"]
        assert str(tmp_path) not in str(health)  # whether the store works, not where it lives (no token given)
        (moved,) = data_dir.glob("backprop-viz.db.broken-*[0-9]")
        assert moved.read_bytes().startswith(b"this is not a database")
        assert "moved aside" in live.log()
        created = httpx.post(f"{live.base}/api/sessions", json={"layers": [2, 2, 1]})
        assert created.status_code == 201
    finally:
        live.stop()
