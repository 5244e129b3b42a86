"""A real server for a benchmark: `python -m app.cli serve` on a free port of 127.0.0.1, with a throw-away data
directory (and no token), started and stopped around a `with` block. Shared by the benchmarks that drive the page
or the REST API from outside (images_bench, page_bench)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def real_server(**env: str) -> Iterator[tuple[str, int]]:
    """Yields (base URL, pid); `env` adds settings (BACKPROP_VIZ_…) to the server's environment."""
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as data_dir:
        environment = {**os.environ, "BACKPROP_VIZ_DATA_DIR": data_dir, **env}
        environment.pop("BACKPROP_VIZ_TOKEN", None)
        log = open(Path(data_dir) / "server.log", "wb")  # noqa: SIM115 (closed below)
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                        break
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the server did not start:\n{(Path(data_dir) / 'server.log').read_text()}")
                time.sleep(0.1)
            yield base, process.pid
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()
