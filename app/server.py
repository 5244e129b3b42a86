"""`backprop-viz serve`: run the app under uvicorn with settings from the environment and the command line."""

from __future__ import annotations

import sys

import uvicorn
from pydantic import ValidationError

from app.config import Settings
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


def serve(host: str | None = None, port: int | None = None) -> int:
    """Serve until interrupted; command-line values win over BACKPROP_VIZ_HOST / BACKPROP_VIZ_PORT. A bad
    setting or an unusable data directory ends it at once with one clear line and exit status 2."""
    overrides = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    try:
        settings = Settings(**overrides)
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
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", ws_max_size=4 * 1024 * 1024)
    return 0
