"""Access control: the optional token (as Jupyter does it) and the WebSocket Origin check.

The token may come as `Authorization: Bearer <token>`, the `X-Backprop-Viz-Token` header, or `?token=<token>`;
it is compared in constant time. A browser page may open the WebSocket only from this server's own origin or
one listed in BACKPROP_VIZ_ALLOWED_ORIGINS (cross-site WebSocket hijacking); clients that send no Origin
header (scripts, not browsers) are allowed.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from app.config import Settings
from app.errors import AppError

TOKEN_HEADER = "X-Backprop-Viz-Token"
TOKEN_QUERY = "token"
TOKEN_HELP = (
    "send it as the header 'Authorization: Bearer <token>', as the header 'X-Backprop-Viz-Token: <token>', "
    "or as the query parameter '?token=<token>' (the token is the value of BACKPROP_VIZ_TOKEN)"
)
_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}


class Unauthorized(AppError):
    status = 401


def presented_token(conn: HTTPConnection) -> str | None:
    """The token a request or WebSocket presents, from the headers or the query string (first found)."""
    authorization = conn.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    header = conn.headers.get(TOKEN_HEADER)
    if header:
        return header
    return conn.query_params.get(TOKEN_QUERY) or None


def token_matches(presented: str | None, expected: str) -> bool:
    """Constant-time comparison (as bytes, so any characters are fine)."""
    if presented is None:
        return False
    return secrets.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


def token_refusal(conn: HTTPConnection, settings: Settings) -> str | None:
    """Why this connection may not proceed for lack of the token, or None if no token is needed or it matches."""
    if not settings.token:
        return None
    presented = presented_token(conn)
    if presented is None:
        return f"this server needs an access token: {TOKEN_HELP}"
    if not token_matches(presented, settings.token):
        return f"the access token is wrong: {TOKEN_HELP}"
    return None


def check_token(conn: HTTPConnection, settings: Settings) -> None:
    """Raise a 401 AppError when the token is needed and missing or wrong."""
    reason = token_refusal(conn, settings)
    if reason is not None:
        raise Unauthorized(reason, field="token")


def _host_port(netloc: str, default_port: int | None) -> tuple[str, int | None]:
    """('example.org', 8000) from 'Example.org:8000'; IPv6 brackets kept off; port defaulted by scheme."""
    parsed = urlsplit(f"//{netloc}")
    try:
        port = parsed.port
    except ValueError:
        port = None
    return (parsed.hostname or "").lower(), port if port is not None else default_port


def normalize_origin(origin: str) -> str:
    """'HTTP://Example.org:80/' → 'http://example.org' (scheme and host lower-case, default port dropped)."""
    parts = urlsplit(origin.strip())
    scheme = parts.scheme.lower()
    host, port = _host_port(parts.netloc, None)
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def same_origin(origin: str, host_header: str | None) -> bool:
    """Whether a page at `origin` is served by the host the connection was made to (the Host header).

    Scheme-agnostic: http/https pages open ws/wss sockets, so only host and port are compared; a port left
    out on either side is the default port of the origin's scheme.
    """
    if not host_header:
        return False
    parts = urlsplit(origin.strip())
    default = _DEFAULT_PORTS.get(parts.scheme.lower())
    if default is None or not parts.netloc:
        return False
    origin_host, origin_port = _host_port(parts.netloc, default)
    host, port = _host_port(host_header.strip(), default)
    return bool(origin_host) and (origin_host, origin_port) == (host, port)


def origin_refusal(conn: HTTPConnection, settings: Settings) -> str | None:
    """Why this connection's Origin is refused, or None if it is allowed (no Origin header: allowed)."""
    origin = conn.headers.get("origin")
    if origin is None:
        return None
    if same_origin(origin, conn.headers.get("host")):
        return None
    allowed = {normalize_origin(o) for o in settings.allowed_origins if o != "*"}
    if "*" in settings.allowed_origins or (origin != "null" and normalize_origin(origin) in allowed):
        return None
    return (
        f"connections from pages at {origin!r} are refused: open the page from this server, or add that origin "
        "to BACKPROP_VIZ_ALLOWED_ORIGINS (a JSON list, e.g. '[\"http://localhost:3000\"]')"
    )


def websocket_allowed(websocket: HTTPConnection, settings: Settings) -> str | None:
    """For the WebSocket endpoint, before accepting: None if allowed, else the reason to refuse (send it as
    the close reason, code 1008). Checks the Origin first, then the token (header or ?token=)."""
    return origin_refusal(websocket, settings) or token_refusal(websocket, settings)
