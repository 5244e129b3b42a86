"""`backprop-viz serve`: run the app under uvicorn with settings from the environment and the command line."""

from __future__ import annotations

import contextlib
import logging
import re
import sys

import uvicorn
from pydantic import ValidationError

from app import affinity
from app.config import Settings
from app.httpprotocol import uvicorn_options
from app.main import create_app
from app.store import StoreError

ENV_PREFIX = "BACKPROP_VIZ_"


def settings_problem(error: ValidationError) -> str:
    """One line per bad setting, named as the environment variable a person sets."""
    lines = []
    for item in error.errors():
        name = ENV_PREFIX + "_".join(str(part) for part in item["loc"]).upper()
        lines.append(f"{name}={item.get('input')!r}: {item['msg']}")
    return "; ".join(lines)


def serve(host: str | None = None, port: int | None = None, workers: int | str | None = None) -> int:
    """Serve until interrupted; command-line values win over BACKPROP_VIZ_HOST / _PORT / _WORKERS. A bad
    setting or an unusable data directory ends it at once with one clear line and exit status 2. With more than
    one worker the public port is served by the router and the app runs in the workers (app/cluster/)."""
    overrides = {k: v for k, v in (("host", host), ("port", port), ("workers", workers)) if v is not None}
    try:
        settings = Settings(**overrides)
        if settings.workers > 1:
            return serve_workers(settings)
        affinity.pin_server_process(settings, 0)
        app = create_app(settings)
    except ValidationError as exc:
        print(f"backprop-viz: a setting is wrong: {settings_problem(exc)}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(
            f"backprop-viz: {exc}. Point BACKPROP_VIZ_DATA_DIR at a writable directory, "
            "or set BACKPROP_VIZ_PERSIST=false to keep sessions in memory only",
            file=sys.stderr,
        )
        return 2
    print(f"backprop-viz: serving on http://{settings.host}:{settings.port}", flush=True)
    raise_open_files_limit(settings.max_connections + 256)
    # Training threads (play, jobs) run Python most of the time; every socket call of the event loop lets the GIL go
    # and must then wait for it up to the switch interval (5 ms by default). A shorter one keeps the loop — health
    # checks, every WebSocket — answering promptly while a session plays at full speed.
    sys.setswitchinterval(SWITCH_INTERVAL)
    logging.getLogger("uvicorn.access").addFilter(RedactToken())
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", **uvicorn_options(settings))
    return 0


SWITCH_INTERVAL = 0.0005  # seconds


def serve_workers(settings: Settings) -> int:
    """The router on the public port and `settings.workers` worker processes behind it (app/cluster/). The store
    is opened (checked, made, a damaged file moved aside) once here, before the workers share it."""
    import shutil

    from app.cluster.paths import make_cluster_dir
    from app.cluster.router import Router
    from app.cluster.supervisor import Supervisor
    from app.middleware import Guard
    from app.store import Store

    if settings.persist:
        Store(settings.data_dir).close()  # StoreError: the caller's one clear line
    cluster_dir = make_cluster_dir()  # mode 0700: the workers' sockets (stale ones of killed routers removed)
    try:
        # The same gate as one server's (Host, token, cross-site writes, bodies): what it refuses before a body is
        # read must be refused here, since a worker's early answer waits behind the body the router is forwarding.
        router = Guard(Router(Supervisor(settings, cluster_dir)), settings=settings)
        print(
            f"backprop-viz: serving on http://{settings.host}:{settings.port} with {settings.workers} worker processes",
            flush=True,
        )
        raise_open_files_limit(settings.max_connections + 256)
        logging.getLogger("uvicorn.access").addFilter(RedactToken())
        uvicorn.run(router, host=settings.host, port=settings.port, log_level="info", **uvicorn_options(settings))
    finally:
        shutil.rmtree(cluster_dir, ignore_errors=True)
    return 0


class RedactToken(logging.Filter):
    """Keep the access token out of the access log: `?token=…` in a logged path becomes `?token=[redacted]`
    (the page moves it out of its address at once; a first load or a script may still send it so)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                TOKEN_IN_QUERY.sub(r"\1[redacted]", a) if isinstance(a, str) else a for a in record.args
            )
        return True


TOKEN_IN_QUERY = re.compile(r"([?&]token=)[^&\s\"]*")


def raise_open_files_limit(wanted: int) -> None:
    """Every WebSocket and connection is a file descriptor: raise the soft limit (often 1,024) toward `wanted`,
    within the hard limit, so BACKPROP_VIZ_MAX_CONNECTIONS can actually be reached."""
    try:
        import resource
    except ImportError:  # not on this platform
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
