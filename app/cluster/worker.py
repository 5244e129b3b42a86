"""One worker process of `backprop-viz serve --workers N`: the ordinary app (create_app), served by uvicorn on its
Unix socket in the router's private directory. The router starts it with BACKPROP_VIZ_SHARD and
BACKPROP_VIZ_CLUSTER_DIR set, and the rest of the environment as the router got it (host and port included, so
the Host check accepts what the public port accepts).

It restores the sessions and data sets it owns (app/persistence.py) before its socket exists, so the router sends
it nothing until it is whole. If the router goes away without stopping it (a `kill -9`), it stops itself.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time

import uvicorn

from app import affinity
from app.cluster.paths import socket_path
from app.config import Settings
from app.httpprotocol import uvicorn_options
from app.main import create_app
from app.server import SWITCH_INTERVAL, RedactToken

ORPHAN_CHECK_SECONDS = 1.0


def stop_when_orphaned(parent: int) -> None:
    """A daemon thread that ends this process gracefully (SIGTERM: checkpoints written) once `parent` is gone."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(ORPHAN_CHECK_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def main() -> int:
    settings = Settings()
    if settings.shard is None or settings.cluster_dir is None:
        print(
            "backprop-viz: a worker is started by `backprop-viz serve --workers N`, which sets BACKPROP_VIZ_SHARD and "
            "BACKPROP_VIZ_CLUSTER_DIR",
            file=sys.stderr,
        )
        return 2
    stop_when_orphaned(os.getppid())
    affinity.pin_server_process(settings, settings.shard)  # worker k on the k-th CPU
    app = create_app(settings)
    path = socket_path(settings.cluster_dir, settings.shard)
    path.unlink(missing_ok=True)  # left by a worker that was killed
    sys.setswitchinterval(SWITCH_INTERVAL)
    logging.getLogger("uvicorn.access").addFilter(RedactToken())
    print(f"backprop-viz: worker {settings.shard} (pid {os.getpid()}) serving on {path}", flush=True)
    # The router logs every request with the caller's address; a worker's own access log would repeat each one.
    uvicorn.run(app, uds=str(path), log_level="info", access_log=False, **uvicorn_options(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
