"""Access control: the optional token (as Jupyter does it), the Host check, the cross-site write rule and the
WebSocket Origin check. app/middleware.py applies them before any route runs.

The token may come as `Authorization: Bearer <token>`, the `X-Backprop-Viz-Token` header, or `?token=<token>`
(and, from the page's WebSocket, which cannot send headers, as the subprotocol `backprop-viz-token.<base64url>`
so that it stays out of addresses and logs); it is compared in constant time. The `Host` header must name this
server — localhost names, loopback addresses, the bound address, BACKPROP_VIZ_ALLOWED_HOSTS — so a page that
reached it by DNS rebinding (its own domain name now pointing here) is refused. A POST must carry a JSON
content type or a custom header, which a foreign page cannot send without a CORS preflight this server never
grants. A browser page may open the WebSocket only from this server's own origin or one listed in
BACKPROP_VIZ_ALLOWED_ORIGINS (cross-site WebSocket hijacking); clients that send no Origin header (scripts, not
browsers) are allowed.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import secrets
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from app.config import Settings
from app.errors import AppError

TOKEN_HEADER = "X-Backprop-Viz-Token"
TOKEN_QUERY = "token"
REQUEST_HEADER = "X-Backprop-Viz-Request"  # any value: marks a request a foreign page cannot send unasked
WS_PROTOCOL = "backprop-viz"  # the subprotocol the page asks for (and the server answers with)
WS_TOKEN_PROTOCOL = "backprop-viz-token."  # + the token in base64url, no padding
HEALTH_PATH = "/api/health"
TOKEN_FREE_PATHS = {HEALTH_PATH, "/api/catalog", "/api/lessons"}  # reads that hold no secrets
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
    from_protocol = subprotocol_token(conn)
    if from_protocol is not None:
        return from_protocol
    return conn.query_params.get(TOKEN_QUERY) or None


def offered_subprotocols(conn: HTTPConnection) -> list[str]:
    """The WebSocket subprotocols a client offers (Sec-WebSocket-Protocol), in order."""
    header = conn.headers.get("sec-websocket-protocol", "")
    return [p.strip() for p in header.split(",") if p.strip()]


def subprotocol_token(conn: HTTPConnection) -> str | None:
    """The token a browser's WebSocket presents as the subprotocol `backprop-viz-token.<base64url>`."""
    for protocol in offered_subprotocols(conn):
        if protocol.startswith(WS_TOKEN_PROTOCOL):
            encoded = protocol[len(WS_TOKEN_PROTOCOL) :]
            try:
                return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return None
    return None


def needs_token(path: str) -> bool:
    """Whether a request for `path` must present the token (when one is set): the REST API but the health check,
    and the WebSocket. The page, its static files and the API documentation hold no secrets; neither do the
    engine's catalog and the shipped lessons. A watch link's paths (`/api/watch/{token}…`, `/ws/watch/{token}`)
    carry their own capability — the watch token, refused with a 404 when it is unknown or revoked — so a class
    given the link needs no access token to the server: it can only watch that one session."""
    if path.startswith(TOKEN_FREE_PREFIXES) or path.rstrip("/") in TOKEN_FREE_PATHS:
        return False
    return path.startswith(("/api/", "/ws/"))


TOKEN_FREE_PREFIXES = ("/api/watch/", "/ws/watch/")


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


# -- Host (DNS rebinding) -----------------------------------------------------------------------------------
_WILDCARD_BINDS = {"", "0.0.0.0", "::", "[::]"}


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def host_allowed(host: str, settings: Settings) -> bool:
    """Whether a Host name (without its port) names this server.

    Allowed: `localhost` and `*.localhost`; any loopback address; the address the server is bound to (when bound
    to all addresses, 0.0.0.0 or ::, any IP address: a page whose origin is an address was served by whoever
    answers there, so it is not a rebinding); the name it is bound to; and BACKPROP_VIZ_ALLOWED_HOSTS (exact
    names, `*.example.org` for subdomains, `*` for anything). DNS rebinding always arrives with the attacker's
    own domain name in Host, which none of these match."""
    host = host.strip().rstrip(".").lower()
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    bound = settings.host.strip().lower()
    address = _ip(host)
    if address is not None:
        if address.is_loopback or bound in _WILDCARD_BINDS:
            return True
        bound_address = _ip(bound)
        if bound_address is not None and bound_address == address:
            return True
    elif host == bound:
        return True
    for allowed in settings.allowed_hosts:
        allowed = allowed.strip().rstrip(".").lower()
        if allowed == "*" or allowed == host or (allowed.startswith("*.") and host.endswith(allowed[1:])):
            return True
    return False


def host_refusal(conn: HTTPConnection, settings: Settings) -> str | None:
    """Why this connection's Host header is refused, or None when it names this server."""
    header = conn.headers.get("host")
    if header is None:
        return "the request has no Host header; send one that names this server (e.g. Host: localhost:8000)"
    host, _ = _host_port(header.strip(), None)
    if host_allowed(host, settings):
        return None
    return (
        f"the Host {header!r} does not name this server (a page reached through DNS rebinding is refused): open "
        "it as http://localhost:<port>/ or by its address, or add that name to BACKPROP_VIZ_ALLOWED_HOSTS (a JSON "
        "list, e.g. '[\"myhost.example.org\"]')"
    )


# -- Cross-site writes ---------------------------------------------------------------------------------------
_PREFLIGHTED_HEADERS = ("x-backprop-viz-request", "x-backprop-viz-token", "authorization")


def is_json_media_type(content_type: str | None) -> bool:
    """application/json or any */*+json (never one of the three a form or a simple request may send)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    kind, _, subtype = media.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def csrf_refusal(conn: HTTPConnection) -> str | None:
    """Why a request may be a cross-site write, or None. Only POST needs the check: it is the one method that
    changes state which a foreign page can send without a CORS preflight (PATCH, PUT and DELETE always need
    one, and this server grants none). A POST passes with a JSON content type or a custom header."""
    if conn.scope.get("method") != "POST":
        return None
    if is_json_media_type(conn.headers.get("content-type")):
        return None
    if any(conn.headers.get(name) for name in _PREFLIGHTED_HEADERS):
        return None
    return (
        "a POST needs 'Content-Type: application/json' or the header 'X-Backprop-Viz-Request: 1' (a page from "
        "another site cannot send either, so it cannot change anything here); e.g. curl -H "
        "'X-Backprop-Viz-Request: 1' -F file=@data.csv …"
    )


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
    the close reason, code 1008). Checks the Origin first, then the token (header or ?token=) where the path needs
    it (a watch link's socket does not)."""
    refusal = origin_refusal(websocket, settings)
    if refusal is None and needs_token(websocket.url.path):
        refusal = token_refusal(websocket, settings)
    return refusal
