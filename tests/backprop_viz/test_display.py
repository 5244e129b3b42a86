"""show() and where the browser finds the page: an IFrame in a notebook, Colab's port proxy, a link without a
notebook, BACKPROP_VIZ_PROXY_URL, and the framing sources serve() gives the app."""

from __future__ import annotations

import sys
import types
from typing import Any

import httpx
import pytest
from bv_bodies import SEED

import backprop_viz as bv
from backprop_viz import display


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What display() was given, as if this ran in a notebook kernel."""
    import IPython.display

    outputs: list[Any] = []
    monkeypatch.setattr(display, "in_notebook", lambda: True)
    monkeypatch.setattr(IPython.display, "display", lambda obj: outputs.append(obj))
    return outputs


def test_outside_a_notebook_show_prints_the_link(server: bv.Server, capsys: pytest.CaptureFixture) -> None:
    s = bv.show(**SEED)
    assert capsys.readouterr().out.strip() == f"backprop-viz: open {s.url}"
    assert isinstance(s, bv.Session) and s.state().config.layers == [2, 2, 1]


def test_in_a_notebook_show_displays_an_iframe_of_the_page(server: bv.Server, shown: list[Any]) -> None:
    s = bv.show(height=640, **SEED)
    (frame,) = shown
    markup = frame._repr_html_().strip()
    assert markup.startswith("<iframe") and 'width="100%"' in markup and 'height="640"' in markup
    assert 'title="backprop-viz"' in markup
    src = f"{server.url}?session={s.id}"
    assert f'src="{src}"' in markup
    assert httpx.get(src).status_code == 200
    s.show()
    assert 'height="820"' in shown[1]._repr_html_()  # the default height fits the page at 1280 px


def test_in_colab_the_cells_script_asks_colab_for_the_proxied_port(
    server: bv.Server, shown: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    s = bv.show(**SEED)
    (script,) = shown
    assert f"google.colab.kernel.proxyPort({server.port}, {{cache: false}})" in script.data
    assert f'new URL("./?session={s.id}", base)' in script.data
    assert "https://colab.research.google.com" in display.notebook_frame_ancestors()


def test_behind_a_proxy_the_page_address_is_the_proxys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(display.PROXY_ENV, "/user/ada/proxy/%PORT%")
    assert display.browser_url(8123, "http://127.0.0.1:8123/") == "/user/ada/proxy/8123/"
    client = bv.Client("http://127.0.0.1:8123/", page_url=display.browser_url(8123, "x"))
    assert client.page("abc") == "/user/ada/proxy/8123/?session=abc"
    client.close()
    monkeypatch.setenv(display.PROXY_ENV, "https://hub.example.org/user/ada/proxy/%PORT%/")
    assert display.browser_url(8123, "x") == "https://hub.example.org/user/ada/proxy/8123/"
    assert "https://hub.example.org" in display.notebook_frame_ancestors()
    monkeypatch.delenv(display.PROXY_ENV)
    assert display.browser_url(8123, "http://127.0.0.1:8123/") == "http://127.0.0.1:8123/"


def test_serve_lets_notebook_pages_frame_the_page_and_nothing_else(server: bv.Server) -> None:
    csp = httpx.get(server.url).headers["content-security-policy"]
    assert csp.startswith("frame-ancestors 'self' http://localhost:* http://127.0.0.1:*")
    assert "vscode-webview:" in csp and "*.example" not in csp and " * " not in csp + " "


def test_the_iframe_markup_escapes_its_address() -> None:
    assert 'src="/p/?a=1&amp;b=&quot;x&quot;"' in display.iframe('/p/?a=1&b="x"', 300)._repr_html_()


def test_show_starts_a_lesson(server: bv.Server, capsys: pytest.CaptureFixture) -> None:
    s = bv.show(lesson="01-seed-by-hand")
    state = s.state()
    assert state.lesson is not None and state.lesson.id == "01-seed-by-hand"
    assert s.url in capsys.readouterr().out
