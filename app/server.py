"""`backprop-viz serve`: run the app under uvicorn with settings from the environment and the command line."""

from __future__ import annotations

import uvicorn

from app.config import Settings
from app.main import create_app


def serve(host: str | None = None, port: int | None = None) -> int:
    """Serve until interrupted; command-line values win over BACKPROP_VIZ_HOST / BACKPROP_VIZ_PORT."""
    overrides = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = Settings(**overrides)
    app = create_app(settings)
    print(f"backprop-viz: serving on http://{settings.host}:{settings.port}", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", ws_max_size=4 * 1024 * 1024)
    return 0
