"""The hardened page in Chromium: it works under its Content-Security-Policy (no violation in the console), the
token leaves the address bar (kept in session storage, out of every link and of the access log), names from an
uploaded CSV show as written and never as Plotly markup, the column picker reads a quoted header, and /docs and
/redoc render from the app's own assets with no CDN."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import LiveServer
from pagekit import click_on_diagram, open_page, shot, watched

pytestmark = pytest.mark.browser

TOKEN = "tok-3f9a-secret"


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("token") / "data", persist=False, BACKPROP_VIZ_TOKEN=TOKEN)
    live.start()
    try:
        yield live
    finally:
        live.stop()


def test_the_token_leaves_the_address_bar_and_every_link(
    context: Any, token_server: LiveServer, request: pytest.FixtureRequest
) -> None:
    page = watched(context.new_page())
    open_page(page, token_server.base, f"?token={TOKEN}&data=circles")
    assert TOKEN not in page.url and "data=circles" in page.url  # the set-up stays, the token goes
    assert page.evaluate("sessionStorage.getItem('backprop-viz-token')") == TOKEN
    page.get_by_role("button", name="Next pass", exact=True).click()
    page.wait_for_function("() => window.__bpv.store.state.counters.pass === 1")  # REST and the socket work
    assert TOKEN not in page.url
    page.reload()  # the address has no token now: this tab's session storage still has it
    page.wait_for_selector("body[data-ready='1'][data-conn='open']")
    assert TOKEN not in page.url
    shot(page, request, "after-reload")
    assert page.problems.errors == []
    log = token_server.log()
    assert "GET /?token=[redacted]" in log and TOKEN not in log  # the first load's address, redacted; no socket URL
    page.close()


def test_the_page_runs_under_its_content_security_policy(page: Any, server: str) -> None:
    csp = httpx.get(f"{server}/").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'self'" in csp
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    open_page(page, server)
    page.get_by_role("button", name="Next phase", exact=True).click()
    page.wait_for_function("() => document.body.dataset.shown === 'F1'")
    click_on_diagram(page, {"kind": "neuron", "layer": 1, "index": 0})
    page.wait_for_function("() => document.querySelectorAll('#math-body math').length > 0")  # the server's MathML
    assert violations == [] and page.problems.errors == []


def test_names_from_a_csv_are_shown_as_written_not_as_plotly_markup(
    page: Any, server: str, api: httpx.Client, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    link = '<a href="https://evil.example/phish">click here</a>'
    big = '<span style="font-size:60px;color:red">BIG</span>'
    rows = [f"{(i % 7) / 7:.3f},{(i % 5) / 5:.3f},{'a' if i % 2 else 'b'}" for i in range(40)]
    csv = "\n".join([f'"{link.replace(chr(34), chr(34) * 2)}","{big.replace(chr(34), chr(34) * 2)}",label', *rows])
    uploaded = api.post(
        "/api/datasets",
        files={"file": ("names.csv", csv.encode(), "text/csv")},
        headers={"X-Backprop-Viz-Request": "1"},
    )
    assert uploaded.status_code == 201, uploaded.text
    dataset = uploaded.json()
    assert dataset["features"] == [link, big]
    open_page(page, server, f"?data=upload&dataset={dataset['id']}&hidden=4&acts=tanh")
    page.wait_for_selector("#data-view .xtitle")
    assert page.locator("#data-view .xtitle").text_content() == link
    assert page.locator("#data-view .ytitle").text_content() == big
    assert page.locator("#data-view a").count() == 0  # no live link
    height = page.evaluate("document.querySelector('#data-view .ytitle').getBoundingClientRect().width")
    assert height < 40  # a rotated title of 12 px text, not 60 px
    shot(page, request, "names")
    assert page.problems.errors == []


def test_the_column_picker_reads_a_quoted_header(
    page: Any, server: str, api: httpx.Client, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    open_page(page, server)
    path = tmp_path / "quoted.csv"
    rows = [f"{(i % 7) / 7:.3f},{(i % 5) / 5:.3f},{'yes' if i % 3 else 'no'}" for i in range(60)]
    path.write_text('"x,1","say ""hi""",label\n' + "\n".join(rows) + "\n")
    page.get_by_text("Upload a CSV…").click()
    page.get_by_label("CSV file").set_input_files(str(path))
    page.wait_for_function("() => document.getElementById('csv-target').options.length === 3")
    options = page.eval_on_selector_all("#csv-target option", "(os) => os.map((o) => o.textContent)")
    assert options == ["x,1", 'say "hi"', "label"]
    before = page.evaluate("window.__bpv.store.state.id")
    page.get_by_role("button", name="Upload the CSV and train on it", exact=True).click()
    page.wait_for_function("(old) => window.__bpv.store.state && window.__bpv.store.state.id !== old", arg=before)
    state = api.get(f"/api/sessions/{page.evaluate('window.__bpv.store.state.id')}").json()
    assert state["dataset"]["features"] == ["x,1", 'say "hi"'] and state["dataset"]["classes"] == ["no", "yes"]
    shot(page, request, "uploaded")
    assert page.problems.errors == []


@pytest.mark.parametrize(
    ("path", "ready"), [("/docs", ".swagger-ui .info .title"), ("/redoc", "h1")], ids=["swagger-ui", "redoc"]
)
def test_the_api_documentation_renders_from_packaged_assets(
    page: Any, server: str, path: str, ready: str, request: pytest.FixtureRequest
) -> None:
    fetched: list[str] = []
    page.on("requestfinished", lambda r: fetched.append(r.url))
    page.goto(f"{server}{path}")
    page.wait_for_selector(ready)
    assert "backprop-viz" in page.locator(ready).first.inner_text()
    assert [url for url in fetched if not url.startswith((server, "data:", "blob:"))] == []  # no CDN, no fonts
    shot(page, request, path.strip("/"))
    # ReDoc's footer always asks Redocly's CDN for its logo: the Content-Security-Policy refuses it (nothing leaves
    # the machine, and ReDoc hides the image); that refusal is the one console message allowed here.
    assert [e for e in page.problems.errors if "cdn.redoc.ly" not in e] == []


def test_a_class_watches_through_the_link_alone_on_a_server_with_a_token(
    context: Any, token_server: LiveServer, request: pytest.FixtureRequest
) -> None:
    """BACKPROP_VIZ_TOKEN set: a watcher given only the watch link (a fresh browser, no token anywhere) sees the
    session live, and the page says nothing is wrong."""
    owner = {"Authorization": f"Bearer {TOKEN}", "X-Backprop-Viz-Request": "1"}
    with httpx.Client(base_url=token_server.base, timeout=30) as api:
        body = {"layers": [2, 3, 1], "dataset": {"builtin": "xor"}}
        session_id = api.post("/api/sessions", json=body, headers=owner).json()["id"]
        link = api.post(f"/api/sessions/{session_id}/watch", headers=owner).json()
        watcher = watched(context.new_page())
        watcher.goto(f"{token_server.base}{link['url']}")
        watcher.wait_for_selector("body[data-ready='1'][data-conn='open']")
        watcher.wait_for_function("() => window.__bpv.diagram.ready")
        assert watcher.locator("[data-testid='watching-badge']").is_visible()
        assert watcher.evaluate("sessionStorage.getItem('backprop-viz-token')") is None
        watcher.wait_for_function("() => /Waiting for the owner/.test(document.getElementById('diagram').textContent)")
        text = watcher.inner_text("body")  # hints say what the owner does, not what to press
        assert "the owner steps to" in text
        assert "press Next pass" not in text and "step to start a pass" not in text and "by hand" not in text
        api.post(f"/api/sessions/{session_id}/step", json={"unit": "pass", "count": 1}, headers=owner)
        watcher.wait_for_function("() => window.__bpv.store.state && window.__bpv.store.state.counters.pass === 1")
        shot(watcher, request, "watching-with-token")
        # While the owner trains, the gradient chart says so without telling the watcher to pause.
        job = api.post(f"/api/sessions/{session_id}/train", json={"epochs": 100_000}, headers=owner).json()
        watcher.wait_for_function("() => /No gradients while training/.test(document.body.textContent)")
        assert "step a pass afterwards" not in watcher.inner_text("body")
        api.delete(f"/api/sessions/{session_id}/jobs/{job['id']}", headers=owner)
        watcher.wait_for_function(
            "() => !window.__bpv.store.state.job || window.__bpv.store.state.job.status !== 'running'"
        )
        assert not watcher.problems.errors, watcher.problems.errors
        watcher.close()
