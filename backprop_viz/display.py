"""The page in a notebook cell: `show(**config)` creates a session on the in-process server and displays the
page for it — an IFrame sized for a notebook, Colab's port proxy in Colab, or a link when there is no notebook.

Where the browser finds the server:
- by default at the address the kernel uses (http://127.0.0.1:<port>/: Jupyter, JupyterLab and VS Code on
  one machine);
- BACKPROP_VIZ_PROXY_URL, with %PORT% standing for the port, when the notebook's browser reaches the kernel's
  machine through a proxy (jupyter-server-proxy: "/proxy/%PORT%/"; on a JupyterHub
  "/user/<name>/proxy/%PORT%/", or a full https:// address);
- in Colab, through `google.colab.kernel.proxyPort`, which the cell's own script asks for.
The page is framed only by the pages named in the app's frame-ancestors setting; `serve()` names its own
origin, loopback pages (a local Jupyter), VS Code's notebook views, the proxy's origin and Colab's.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from backprop_viz.client import Client
    from backprop_viz.session import Session

PROXY_ENV = "BACKPROP_VIZ_PROXY_URL"
PORT_MARK = "%PORT%"
DEFAULT_HEIGHT = 820  # px: the page's diagram, controls and charts without a scroll bar at 1280 wide
# Pages that may frame the page served by `serve()`: a Jupyter server on this machine (any port), VS Code's
# notebook views, and Colab's output frames.
LOOPBACK_ANCESTORS = ("http://localhost:*", "http://127.0.0.1:*", "https://localhost:*", "https://127.0.0.1:*")
VSCODE_ANCESTORS = ("vscode-webview:",)
COLAB_ANCESTORS = ("https://colab.research.google.com", "https://*.googleusercontent.com")


def in_colab() -> bool:
    """Whether this kernel runs in Google Colab."""
    return "google.colab" in sys.modules


def in_notebook() -> bool:
    """Whether this code runs in a notebook kernel (Jupyter, JupyterLab, VS Code, Colab) that can show HTML."""
    shell = _ipython()
    return shell is not None and ("IPKernelApp" in getattr(shell, "config", {}) or in_colab())


def _ipython() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def browser_url(port: int, local_url: str) -> str:
    """Where a browser reaches the server on `port`: BACKPROP_VIZ_PROXY_URL with %PORT% replaced (it ends in
    a slash, so the page's relative addresses resolve under it), else `local_url`."""
    proxy = os.environ.get(PROXY_ENV, "").strip()
    if not proxy:
        return local_url
    url = proxy.replace(PORT_MARK, str(port))
    return url if url.endswith("/") else url + "/"


def notebook_frame_ancestors() -> list[str]:
    """The frame-ancestors `serve()` gives the app: its own origin, local notebook pages, VS Code's notebook
    views, an absolute BACKPROP_VIZ_PROXY_URL's origin and, in Colab, Colab's pages."""
    sources = ["'self'", *LOOPBACK_ANCESTORS, *VSCODE_ANCESTORS]
    proxy = urlsplit(os.environ.get(PROXY_ENV, "").replace(PORT_MARK, "0"))
    if proxy.scheme in ("http", "https") and proxy.netloc:
        sources.append(f"{proxy.scheme}://{proxy.netloc}")
    if in_colab():
        sources.extend(COLAB_ANCESTORS)
    return sources


def iframe(src: str, height: int) -> Any:
    """The IFrame a notebook shows (IPython escapes the address): the page at full cell width, named for
    screen readers."""
    from IPython.display import IFrame

    return IFrame(src, width="100%", height=int(height), extras=['title="backprop-viz"'])


def colab_script(port: int, path: str, height: int) -> str:
    """Colab's output frame reaches the kernel's ports only through `google.colab.kernel.proxyPort`; the
    script asks for the proxied address and builds the IFrame with it (as TensorBoard does)."""
    return f"""
(async () => {{
  const base = await google.colab.kernel.proxyPort({int(port)}, {{cache: false}});
  const frame = document.createElement("iframe");
  frame.src = new URL({json.dumps(path)}, base).href;
  frame.width = "100%";
  frame.height = "{int(height)}";
  frame.title = "backprop-viz";
  frame.style.border = "1px solid #ddd";
  document.body.appendChild(frame);  // each output has a frame of its own in Colab
}})();
"""


def display_session(session: Session, height: int | None = None) -> None:
    """Show the page for `session` where this code runs: an IFrame in a notebook (through Colab's proxy in
    Colab), else print its address."""
    height = height or DEFAULT_HEIGHT
    if not in_notebook():
        print(f"backprop-viz: open {session.url}")
        return
    from IPython.display import Javascript, display

    client = session.client
    local = urlsplit(client.url)
    if in_colab() and local.hostname in ("127.0.0.1", "localhost") and client.page_url == client.url:
        path = "./" + session.url[len(client.page_url) :]
        display(Javascript(colab_script(local.port or 80, path, height)))
        return
    display(iframe(session.url, height))


def show(*, height: int | None = None, client: Client | None = None, port: int | None = None, **config: Any) -> Session:
    """Create a session and show its page in the notebook cell; answers the `Session` to drive from code.

    The keyword arguments are POST /api/sessions's body (`layers`, `activations`, `activation_options`,
    `loss`, `optimizer`, `batch_size`, `dataset`, `init`, `seed`, … or `lesson="…"`). The session lives on
    `client`'s server, by default on `serve(port)`'s in this process.

    >>> import backprop_viz as bv
    >>> s = bv.show(layers=[2, 8, 8, 1], dataset={"builtin": "circles", "noise": 0.1})   # doctest: +SKIP
    >>> s.step("pass")                                                                     # doctest: +SKIP
    """
    if client is None:
        from backprop_viz.server import serve

        client = serve(port).client
    session = client.create(**config)
    display_session(session, height=height)
    return session
