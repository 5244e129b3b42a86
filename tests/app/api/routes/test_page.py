"""The page's own routes (app/api/routes/page.py), without a browser: the shell, its modules, and Plotly.js
served from the installed plotly package — gzip-compressed, cached for a day, revalidated by ETag."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from app.api.routes import page


def test_root_renders_the_shell_with_every_module_preloaded(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<script type="module" src="static/js/main.js" async>' in html
    for module in page.MODULES:
        assert f'href="static/js/{module}"' in html
        assert (page.STATIC_DIR / "js" / module).is_file(), module
    plotly_url = re.search(r'data-plotly="([^"]+)"', html).group(1)
    assert plotly_url.startswith("vendor/plotly.min.js?v=")
    assert "cdn" not in html.lower()


def test_every_address_in_the_shell_is_relative_so_a_path_prefix_works(client: TestClient) -> None:
    html = client.get("/").text
    addresses = re.findall(r'(?:href|src|data-plotly)="([^"]+)"', html)
    assert len(addresses) > len(page.MODULES)
    assert [a for a in addresses if a.startswith("/")] == []


def test_the_catalog_and_data_sets_are_requested_with_the_shell(client: TestClient) -> None:
    html = client.get("/").text
    for url in page.STARTUP_REQUESTS:
        assert f'<link rel="preload" href="{url}" as="fetch" crossorigin>' in html
        assert client.get("/" + url).status_code == 200


def test_with_a_token_the_page_requests_them_itself(api_with: Callable[..., Any]) -> None:
    # A preload cannot present the token (the page sends it in a header): it would only earn a 401.
    with api_with(token="s3cret") as api:
        html = api.client.get("/").text
        assert 'as="fetch"' not in html
        assert 'rel="modulepreload" href="static/js/main.js"' in html


def test_every_module_is_preloaded_and_every_preloaded_module_is_imported(client: TestClient) -> None:
    imported_by_some = {"main.js"}
    for module in sorted((page.STATIC_DIR / "js").glob("*.js")):
        response = client.get(f"/static/js/{module.name}")
        assert response.status_code == 200, module.name
        assert "javascript" in response.headers["content-type"]
        for imported in re.findall(r'from "\./([\w.]+)"', response.text):
            assert imported in page.MODULES, f"{module.name} imports {imported}, which the template does not preload"
            imported_by_some.add(imported)
    assert set(page.MODULES) == imported_by_some  # no module preloaded in vain
    assert len(page.MODULES) == len(set(page.MODULES))
    assert client.get("/static/css/app.css").status_code == 200
    assert client.get("/static/../app/main.py").status_code == 404


def test_the_store_and_its_helpers_are_separate_modules_that_never_touch_the_page() -> None:
    # store.js, state.js and catalog.js run in Node too (tests/js/): no DOM, no browser globals.
    for name in ("store.js", "state.js", "catalog.js"):
        source = (page.STATIC_DIR / "js" / name).read_text(encoding="utf-8")
        code = re.sub(r"//.*|/\*[\s\S]*?\*/", "", source)
        assert not re.search(r"\b(document|window|location|history|requestAnimationFrame)\b", code), name


def test_plotly_is_served_gzipped_with_a_day_of_cache_and_an_etag(client: TestClient) -> None:
    plain = page.PLOTLY_JS.read_bytes()
    response = client.get("/vendor/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["cache-control"] == "public, max-age=86400"
    assert response.headers["vary"] == "Accept-Encoding"
    assert int(response.headers["content-length"]) < len(plain) // 2
    assert response.content == plain  # the client decoded the gzip body: the very file of the plotly package
    assert b"plotly.js v" in plain[:200]

    etag = response.headers["etag"]
    again = client.get("/vendor/plotly.min.js", headers={"If-None-Match": etag, "Accept-Encoding": "gzip"})
    assert again.status_code == 304
    assert again.content == b""


def test_plotly_without_gzip_is_sent_plain(client: TestClient) -> None:
    response = client.get("/vendor/plotly.min.js", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert response.content == page.PLOTLY_JS.read_bytes()
    assert gzip.decompress(page.plotly_js().compressed) == response.content


def test_only_the_pages_own_origin_may_frame_it_by_default(client: TestClient) -> None:
    assert client.get("/").headers["content-security-policy"] == "frame-ancestors 'self'"


def test_frame_ancestors_name_the_notebooks_that_may_frame_it(api_with: Callable[..., Any]) -> None:
    with api_with(frame_ancestors=["'self'", "http://localhost:8888"]) as api:
        assert api.client.get("/").headers["content-security-policy"] == "frame-ancestors 'self' http://localhost:8888"


def test_a_frame_ancestor_that_would_end_the_directive_is_refused() -> None:
    import pytest
    from pydantic import ValidationError

    from app.config import Settings

    with pytest.raises(ValidationError, match="not one CSP source"):
        Settings(frame_ancestors=["'self'; script-src *"])
