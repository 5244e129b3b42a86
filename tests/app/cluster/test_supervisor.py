"""What a worker process is started with: its shard, and its share of the server-wide limits (not the whole of
each, which would make the server N times as large as its settings say)."""

from __future__ import annotations

from pathlib import Path

from app.cluster.supervisor import Supervisor
from app.config import Settings


def test_each_worker_gets_its_share_of_the_server_wide_limits(tmp_path: Path) -> None:
    settings = Settings(workers=3, max_sessions=100, max_ws_clients=1024, memory_budget_bytes=3 * 2**30 + 1)
    env = Supervisor(settings, tmp_path).environment(2)
    assert env["BACKPROP_VIZ_SHARD"] == "2" and env["BACKPROP_VIZ_WORKERS"] == "3"
    assert env["BACKPROP_VIZ_MAX_SESSIONS"] == "34"  # rounded up: 3 × 34 ≥ 100
    assert env["BACKPROP_VIZ_MAX_WS_CLIENTS"] == "342"
    assert env["BACKPROP_VIZ_MEMORY_BUDGET_BYTES"] == str(2**30 + 1)


def test_a_share_never_drops_below_what_a_worker_accepts(tmp_path: Path) -> None:
    env = Supervisor(Settings(workers=4, max_sessions=2, memory_budget_bytes=100 * 2**20), tmp_path).environment(0)
    assert env["BACKPROP_VIZ_MAX_SESSIONS"] == "1"
    assert env["BACKPROP_VIZ_MEMORY_BUDGET_BYTES"] == str(64 * 2**20)  # Settings' least
    Settings(max_sessions=int(env["BACKPROP_VIZ_MAX_SESSIONS"]), memory_budget_bytes=64 * 2**20)  # valid
