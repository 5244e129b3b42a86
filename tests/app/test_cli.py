"""The `backprop-viz` command: `--version`, and `serve` running a real uvicorn whose health check answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app import __version__
from app.cli import build_parser

SCRIPT = Path(sys.executable).parent / "backprop-viz"


def command() -> list[str]:
    """The installed console script if there is one, else the same entry point through the interpreter."""
    return [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "app.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_version_is_printed():
    result = subprocess.run([*command(), "--version"], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0
    assert result.stdout.strip() == f"backprop-viz {__version__}"


def test_serve_defaults_to_loopback():
    args = build_parser().parse_args(["serve"])
    assert args.command == "serve" and args.host is None and args.port is None
    args = build_parser().parse_args(["serve", "--host", "0.0.0.0", "--port", "9000"])
    assert (args.host, args.port) == ("0.0.0.0", 9000)
    assert args.workers is None, "one process unless asked (or BACKPROP_VIZ_WORKERS)"
    assert build_parser().parse_args(["serve", "--workers", "auto"]).workers == "auto"


def test_serve_starts_a_real_server(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "BACKPROP_VIZ_DATA_DIR": str(tmp_path),
        "BACKPROP_VIZ_PERSIST": "false",
        "BACKPROP_VIZ_TOKEN": "",
        "BACKPROP_VIZ_HOST": "0.0.0.0",  # the command line wins over the environment
    }
    process = subprocess.Popen(
        [*command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        health = None
        while health is None:
            assert process.poll() is None, f"the server exited: {process.stdout.read()}"
            assert time.monotonic() < deadline, "the server did not answer within 30 s"
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1.0)
            except httpx.TransportError:
                time.sleep(0.05)
        assert health.status_code == 200
        assert health.json()["status"] == "ok" and health.json()["version"] == __version__
        created = httpx.post(f"http://127.0.0.1:{port}/api/sessions", json={"layers": [2, 3, 1]}, timeout=5.0)
        assert created.status_code == 201
        cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        if len(cpus) > 1:  # its event loop (the main thread) and its training threads share one CPU: app/affinity.py
            assert os.sched_getaffinity(process.pid) == {cpus[0]}
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate(timeout=10)
    assert f"serving on http://127.0.0.1:{port}" in output


def _serve_refused(env_changes: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BACKPROP_VIZ_TOKEN": "", **env_changes}
    return subprocess.run(
        [*command(), "serve", "--port", str(free_port()), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_bad_setting_ends_serve_with_one_line_naming_the_variable(tmp_path):
    result = _serve_refused({"BACKPROP_VIZ_DATA_DIR": str(tmp_path), "BACKPROP_VIZ_MAX_SESSIONS": "0"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "backprop-viz: a setting is wrong: BACKPROP_VIZ_MAX_SESSIONS='0': Input should be greater than or equal to 1"
    ]
    assert "Traceback" not in result.stdout + result.stderr


def test_an_unusable_data_directory_ends_serve_saying_what_to_do(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = _serve_refused({"BACKPROP_VIZ_DATA_DIR": str(blocker / "data"), "BACKPROP_VIZ_PERSIST": "true"})
    assert result.returncode == 2
    assert f"cannot create the data directory {blocker / 'data'}" in result.stderr
    assert "BACKPROP_VIZ_PERSIST=false" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_a_bad_worker_count_ends_serve_with_one_line(tmp_path):
    result = _serve_refused({"BACKPROP_VIZ_DATA_DIR": str(tmp_path)}, "--workers", "0")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "backprop-viz: a setting is wrong: BACKPROP_VIZ_WORKERS='0': Input should be greater than or equal to 1"
    ]


def test_workers_with_an_unusable_data_directory_end_before_any_worker_starts(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    env = {"BACKPROP_VIZ_DATA_DIR": str(blocker / "data"), "BACKPROP_VIZ_PERSIST": "true"}
    result = _serve_refused(env, "--workers", "2")
    assert result.returncode == 2
    assert f"cannot create the data directory {blocker / 'data'}" in result.stderr
    assert "worker" not in result.stdout
