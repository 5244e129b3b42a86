"""jupyter-server-proxy's launcher entry (`jupyter_serverproxy_servers` in pyproject.toml): when
jupyter-server-proxy is installed, JupyterLab's launcher and the notebook's New menu offer "backprop-viz",
which starts `backprop-viz serve` on a port of its choosing and shows the page under `<base>/backprop-viz/`
(the page's addresses are relative, so it works under that prefix). jupyter-server-proxy is not a dependency.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

ICON = Path(__file__).resolve().parent / "icon.svg"


def setup_backprop_viz() -> dict[str, Any]:
    """The server process jupyter-server-proxy launches: this Python's `backprop-viz serve` on {port}, with
    sessions kept in ~/.backprop-viz unless BACKPROP_VIZ_DATA_DIR says where."""
    data_dir = os.environ.get("BACKPROP_VIZ_DATA_DIR") or str(Path.home() / ".backprop-viz")
    return {
        "command": [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", "{port}"],
        "environment": {"BACKPROP_VIZ_DATA_DIR": data_dir},
        "timeout": 60,
        "absolute_url": False,  # the proxy strips its prefix; the page's relative addresses keep it
        "new_browser_tab": True,
        "launcher_entry": {"title": "backprop-viz", "icon_path": str(ICON)},
    }
