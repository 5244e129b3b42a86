"""A real `python -m app.cli serve` process on a loopback port, for tests that kill it (`kill -9`) and start it
again on the same port and data directory (crash recovery, the page reconnecting by itself)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 60.0


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """The app in a subprocess over one data directory; `start` again after `kill` or `stop` restarts it there,
    on the same port. `persist=False` keeps sessions in memory only (a restart loses them)."""

    def __init__(
        self,
        data_dir: Path,
        *,
        persist: bool = True,
        port: int | None = None,
        args: tuple[str, ...] = (),
        **env: str,
    ) -> None:
        self.data_dir = data_dir
        self.args = args  # more of `serve`'s options, e.g. ("--workers", "2")
        self.persist = persist
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"
        self.extra_env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> None:
        """Start the server and wait until /api/health answers; AssertionError (with the log) if it does not."""
        env = {k: v for k, v in os.environ.items() if k != "BACKPROP_VIZ_TOKEN"}  # a token only when asked for
        env.update(
            {
                "BACKPROP_VIZ_DATA_DIR": str(self.data_dir),
                "BACKPROP_VIZ_PERSIST": "true" if self.persist else "false",
                "PYTHONUNBUFFERED": "1",
                **self.extra_env,
            }
        )
        self.starts += 1
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start {self.starts} =====\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port), *self.args],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/api/health", timeout=1.0).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer from /api/health in {STARTUP_SECONDS:.0f} s:\n{self.log()[-3000:]}")
            time.sleep(0.05)

    def kill(self) -> None:
        """`kill -9`, as a crash: no shutdown code runs, sockets drop."""
        assert self.process is not None, "the server is not running"
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        """A clean stop (SIGTERM: uvicorn runs the app's shutdown); harmless when it is not running."""
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
