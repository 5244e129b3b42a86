"""A connection to a backprop-viz server over REST (httpx): `connect(url, token)` gives a `Client`, whose
`session(id)` and `create(**config)` give `Session`s.

The server's answers are read into the app's own wire schema (`app.schemas`), so what Python sees is typed
exactly as the REST API documents it. An error answer becomes a `BackpropVizError` carrying the server's
`detail` (what is wrong and what to do) and `field`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin

import httpx

from app import schemas

if TYPE_CHECKING:
    from backprop_viz.session import Session

TOKEN_HEADER = "X-Backprop-Viz-Token"
# Marks a request as the app's own, not one a foreign web page could send unasked (servers that refuse
# cross-site writes accept a POST with it, whatever its content type: uploads, reset).
REQUEST_HEADER = "X-Backprop-Viz-Request"
DEFAULT_TIMEOUT = 60.0  # seconds: an epoch step of a large network can take a while


class BackpropVizError(RuntimeError):
    """The server refused a request (4xx) or could not answer it: `detail` says what and how to fix it,
    `field` names the request field it is about, `status` is the HTTP status (None if never answered)."""

    def __init__(self, detail: str, field: str | None = None, status: int | None = None) -> None:
        super().__init__(detail if field is None else f"{detail} (field: {field})")
        self.detail = detail
        self.field = field
        self.status = status


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


class Client:
    """A backprop-viz server at `url` (the address the page is served from, e.g. http://127.0.0.1:8000/).

    `page_url` is where a browser reaches the same server, when that differs (behind Jupyter's proxy:
    "/proxy/8000/"); `Session.url` is built from it.

    >>> client = connect("http://127.0.0.1:8000")                     # doctest: +SKIP
    >>> session = client.create(layers=[2, 4, 1], dataset={"builtin": "xor"})  # doctest: +SKIP
    """

    def __init__(
        self, url: str, token: str | None = None, *, page_url: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.url = _with_slash(url)
        self.token = token
        self.page_url = _with_slash(page_url) if page_url is not None else self.url
        headers = {REQUEST_HEADER: "1", **({TOKEN_HEADER: token} if token else {})}
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def __repr__(self) -> str:
        return f"backprop_viz.Client({self.url!r})"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections (sessions stay on the server)."""
        self.http.close()

    # -- REST -----------------------------------------------------------------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One REST call (`path` relative to the server, e.g. "api/health"); an error answer raises
        BackpropVizError with the server's detail and field."""
        try:
            response = self.http.request(method, path.lstrip("/"), **kwargs)
        except httpx.HTTPError as exc:
            raise BackpropVizError(f"cannot reach the backprop-viz server at {self.url}: {exc}") from exc
        if response.is_error:
            try:
                body = response.json()
                detail, field = str(body.get("detail")), body.get("field")
            except (ValueError, AttributeError):
                detail, field = f"{response.status_code} {response.reason_phrase}: {response.text[:200]}", None
            raise BackpropVizError(detail, field, response.status_code)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """A REST call's JSON answer (None for 204)."""
        response = self.request(method, path, **kwargs)
        return None if response.status_code == 204 else response.json()

    def health(self) -> schemas.Health:
        """GET /api/health: the server's version and how many sessions and jobs it holds."""
        return schemas.Health.model_validate(self.json("GET", "api/health"))

    def catalog(self) -> schemas.Catalog:
        """GET /api/catalog: every activation, loss, optimizer, … the engine offers, with formulas."""
        return schemas.Catalog.model_validate(self.json("GET", "api/catalog"))

    # -- sessions -------------------------------------------------------------------------------------------
    def create(self, **config: Any) -> Session:
        """A new session: the keyword arguments are POST /api/sessions's body (`layers`, `activations`,
        `activation_options`, `loss`, `optimizer`, `batch_size`, `dataset`, `init`, `seed`, … or `lesson`).

        >>> s = client.create(layers=[2, 2, 1], activations=["sigmoid", "sigmoid"])  # doctest: +SKIP
        """
        from backprop_viz.session import Session

        body = {k: v for k, v in config.items() if v is not None}
        return Session(self, schemas.SessionState.model_validate(self.json("POST", "api/sessions", json=body)))

    def session(self, session_id: str) -> Session:
        """The session with this id (BackpropVizError 404 if the server has none)."""
        from backprop_viz.session import Session

        return Session(self, self.state(session_id))

    def state(self, session_id: str) -> schemas.SessionState:
        return schemas.SessionState.model_validate(self.json("GET", f"api/sessions/{session_id}"))

    def import_(self, document: Mapping[str, Any]) -> Session:
        """A new session continuing an exported one (`Session.export()` or the page's Export file)."""
        from backprop_viz.session import Session

        state = self.json("POST", "api/sessions/import", json=dict(document))
        return Session(self, schemas.SessionState.model_validate(state))

    def upload(
        self, csv: str | Path | bytes, target: str | int | None = None, task: str = "auto", name: str | None = None
    ) -> schemas.DatasetInfo:
        """Upload a CSV file (a path, or its bytes) as POST /api/datasets; use the answer's id in a session's
        `dataset={"id": …}`. `target` is the target column (name or 0-based index; default the last)."""
        if isinstance(csv, bytes):
            content, filename = csv, name or "data.csv"
        else:
            path = Path(csv)
            content, filename = path.read_bytes(), name or path.name
        data = {"task": task}
        if target is not None:
            data["target"] = str(target)
        answer = self.json("POST", "api/datasets", files={"file": (filename, content, "text/csv")}, data=data)
        return schemas.DatasetInfo.model_validate(answer)

    def page(self, session_id: str) -> str:
        """The address of the page showing this session, for a browser (with the token when one is needed)."""
        query = {"session": session_id}
        if self.token:
            query["token"] = self.token
        return urljoin(self.page_url, "?" + urlencode(query))


def connect(url: str, token: str | None = None, *, page_url: str | None = None) -> Client:
    """A Client for the backprop-viz server at `url` (started elsewhere: `backprop-viz serve`, Docker, …).

    >>> import backprop_viz as bv
    >>> client = bv.connect("http://127.0.0.1:8000", token=None)    # doctest: +SKIP
    >>> s = client.create(layers=[2, 8, 1], dataset={"builtin": "circles"})  # doctest: +SKIP
    >>> s.train(epochs=50)                                           # doctest: +SKIP
    """
    client = Client(url, token, page_url=page_url)
    client.health()  # fails at once, with the reason, if nothing answers there
    return client
