"""The app in a background thread of this process: `serve()` starts a `uvicorn.Server` in a daemon thread (a
notebook's kernel already runs an event loop, in which `uvicorn.run` cannot start) on a free port unless told,
and answers a `Server` with `.url`, `.client` and `.stop()`. A second `serve()` reuses the running one.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import warnings
from typing import Any

import uvicorn

from app.config import Settings
from app.main import create_app
from backprop_viz.client import Client
from backprop_viz.display import browser_url, notebook_frame_ancestors

STARTUP_SECONDS = 60.0
STOP_SECONDS = 15.0
WS_MAX_SIZE = 4 * 1024 * 1024  # as `backprop-viz serve`

_lock = threading.Lock()
_running: Server | None = None


class Server:
    """The app served from a daemon thread of this process.

    `url` is where this process reaches it (http://127.0.0.1:<port>/); `page_url` where a browser does, which
    differs behind Jupyter's proxy (BACKPROP_VIZ_PROXY_URL) — sessions' `.url` use it.
    """

    def __init__(self, settings: Settings, sock: socket.socket) -> None:
        self.settings = settings
        self.host = settings.host
        self.port: int = sock.getsockname()[1]
        self._socket = sock
        config = uvicorn.Config(create_app(settings), log_level="warning", ws_max_size=WS_MAX_SIZE, lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"backprop-viz:{self.port}", daemon=True
        )
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        self.url = f"http://{host if ':' not in host else f'[{host}]'}:{self.port}/"
        self.page_url = browser_url(self.port, self.url)
        self.client = Client(self.url, settings.token, page_url=self.page_url)

    def __repr__(self) -> str:
        return f"<backprop_viz.Server {self.url} ({'running' if self.running else 'stopped'})>"

    def start(self) -> Server:
        """Start serving and wait until the app answers (RuntimeError with the reason if it does not)."""
        self._thread.start()
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"backprop-viz could not start on {self.url} (the server log above says why)")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"backprop-viz did not start on {self.url} within {STARTUP_SECONDS:.0f} s")
            time.sleep(0.01)
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and self._server.started and not self._server.should_exit

    def stop(self) -> None:
        """Stop serving (running training jobs end as `interrupted`; with persistence on, sessions are saved)."""
        global _running
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(STOP_SECONDS)
        self._socket.close()
        self.client.close()
        with _lock:
            if _running is self:
                _running = None


def serve(port: int | None = None, host: str = "127.0.0.1", **settings: Any) -> Server:
    """Serve backprop-viz from this process (a daemon thread) and answer the `Server`; a second call answers
    the running one. `port=None` picks a free port. `settings` are `app.config.Settings` fields (`token`,
    `persist`, `max_sessions`, …); the environment's BACKPROP_VIZ_… variables apply as for `backprop-viz serve`.
    Sessions are kept in memory only unless `persist=True` (or BACKPROP_VIZ_PERSIST) says otherwise.

    >>> import backprop_viz as bv
    >>> server = bv.serve()          # doctest: +SKIP
    >>> server.url                   # doctest: +SKIP
    'http://127.0.0.1:40123/'
    """
    global _running
    with _lock:
        if _running is not None and _running.running:
            wanted_port = port is None or port == _running.port
            if wanted_port and host == _running.host:
                if settings:
                    warnings.warn(
                        f"backprop-viz is already serving on {_running.url}; its settings stay as they are "
                        "(call .stop() on it first to start one with others)",
                        stacklevel=2,
                    )
                return _running
        if "persist" not in settings and "BACKPROP_VIZ_PERSIST" not in os.environ:
            settings["persist"] = False
        if "frame_ancestors" not in settings and "BACKPROP_VIZ_FRAME_ANCESTORS" not in os.environ:
            settings["frame_ancestors"] = notebook_frame_ancestors()
        sock = _bind(host, port or 0)
        resolved = Settings(host=host, port=sock.getsockname()[1], **settings)
        server = Server(resolved, sock).start()
        _running = server
        return server


def running_server() -> Server | None:
    """The server `serve()` started in this process, if it still runs."""
    with _lock:
        return _running if _running is not None and _running.running else None


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one chosen by the system), handed to uvicorn, so the
    port cannot be taken between choosing it and serving on it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise RuntimeError(f"cannot serve on {host}:{port}: {exc}; pick another port, or port=None for any") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock
