"""The access token on REST calls (header or query, constant-time) and the WebSocket admission helper
(Origin check against cross-site WebSocket hijacking, plus the token)."""

from __future__ import annotations

import pytest
from starlette.requests import HTTPConnection

from app.config import Settings
from app.security import normalize_origin, same_origin, token_matches, websocket_allowed

TOKEN = "s3cret-token-9f2c"


def connection(headers: dict[str, str] | None = None, query: str = "", kind: str = "websocket") -> HTTPConnection:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    return HTTPConnection(
        {"type": kind, "path": "/ws/sessions/x", "headers": raw, "query_string": query.encode(), "scheme": "ws"}
    )


def test_every_rest_call_but_health_needs_the_token(api_with):
    with api_with(token=TOKEN) as api:
        client = api.client
        for response in (
            client.get("/api/sessions/nope"),  # 401 before 404: ids are not probed without the token
            client.post("/api/sessions", json={"layers": "not even valid"}),  # 401 before 422
            client.get("/api/datasets"),
            client.post("/api/datasets", files={"file": ("a.csv", b"a,b\n1,2\n")}),
            client.post("/api/sessions/import", json={}),
        ):
            error = api.error(response, 401, "Authorization: Bearer", "X-Backprop-Viz-Token", "?token=")
            assert error["field"] == "token"
            assert response.headers["www-authenticate"] == "Bearer"
        assert client.get("/api/health").status_code == 200  # Docker's HEALTHCHECK needs no secret


def test_the_token_may_come_three_ways(api_with):
    with api_with(token=TOKEN) as api:
        client = api.client
        body = {"layers": [2, 3, 1]}
        bearer = client.post("/api/sessions", json=body, headers={"Authorization": f"bearer {TOKEN}"})
        assert bearer.status_code == 201
        sid = bearer.json()["id"]
        assert client.get(f"/api/sessions/{sid}", headers={"X-Backprop-Viz-Token": TOKEN}).status_code == 200
        assert client.get(f"/api/sessions/{sid}", params={"token": TOKEN}).status_code == 200
        wrong = client.get(f"/api/sessions/{sid}", headers={"Authorization": "Bearer nope"})
        api.error(wrong, 401, "wrong")
        api.error(client.get(f"/api/sessions/{sid}", params={"token": TOKEN[:-1]}), 401, "wrong")


def test_without_a_token_setting_nothing_is_asked(api):
    assert api.client.get("/api/datasets").status_code == 200


def test_token_comparison_is_exact():
    assert token_matches(TOKEN, TOKEN)
    assert not token_matches(TOKEN + " ", TOKEN)
    assert not token_matches("", TOKEN)
    assert not token_matches(None, TOKEN)
    assert token_matches("tökén", "tökén") and not token_matches("token", "tökén")  # any characters


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000"),
        ("https://example.org", "example.org"),  # a wss:// socket from an https page, default port
        ("http://Example.org:80", "example.org"),
        ("http://[::1]:8000", "[::1]:8000"),
    ],
)
def test_same_origin_pages_may_open_the_websocket(origin, host):
    assert same_origin(origin, host)
    assert websocket_allowed(connection({"origin": origin, "host": host}), Settings()) is None


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("http://evil.example", "127.0.0.1:8000"),
        ("http://127.0.0.1:9999", "127.0.0.1:8000"),  # another port is another origin
        ("http://127.0.0.1:8000", "127.0.0.1"),
        ("null", "127.0.0.1:8000"),  # sandboxed frames and file:// pages
        ("file://", "127.0.0.1:8000"),
    ],
)
def test_cross_origin_pages_are_refused(origin, host):
    reason = websocket_allowed(connection({"origin": origin, "host": host}), Settings())
    assert reason is not None and "BACKPROP_VIZ_ALLOWED_ORIGINS" in reason and origin in reason


def test_allowed_origins_are_configurable():
    settings = Settings(allowed_origins=["http://localhost:3000"])
    conn = connection({"origin": "HTTP://LOCALHOST:3000", "host": "127.0.0.1:8000"})
    assert websocket_allowed(conn, settings) is None
    assert websocket_allowed(connection({"origin": "http://localhost:3001", "host": "x"}), settings) is not None
    anything = Settings(allowed_origins=["*"])
    assert websocket_allowed(connection({"origin": "http://evil.example", "host": "x"}), anything) is None
    assert normalize_origin("https://Example.org:443/") == "https://example.org"


def test_clients_without_an_origin_are_not_browsers_and_are_allowed():
    assert websocket_allowed(connection({"host": "127.0.0.1:8000"}), Settings()) is None


def test_the_websocket_needs_the_token_too():
    settings = Settings(token=TOKEN)
    same = {"origin": "http://127.0.0.1:8000", "host": "127.0.0.1:8000"}
    assert "token" in websocket_allowed(connection(same), settings)
    assert websocket_allowed(connection(same, query=f"token={TOKEN}"), settings) is None
    assert websocket_allowed(connection({**same, "x-backprop-viz-token": "wrong"}), settings) is not None
    # the Origin is checked whatever the token
    evil = {"origin": "http://evil.example", "host": "127.0.0.1:8000"}
    assert "ALLOWED_ORIGINS" in websocket_allowed(connection(evil, query="token=x"), settings)
