"""Share and keep: the address holds the whole set-up, so a link builds the same session (same data, same
weights, same batches) in another browser; a session exported as a JSON file through the page and imported
again continues exactly where it was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pagekit import math_value, open_page, pick, rest_step, shot, wait_shown, watched

pytestmark = pytest.mark.browser

# Every part of the set-up the address can hold, none of them at its default.
LINK = {
    "data": "spiral",
    "samples": "300",
    "noise": "0.2",
    "test": "0.3",
    "dseed": "2",
    "hidden": "5,3",
    "acts": "relu,sigmoid",
    "opt": "momentum",
    "lr": "0.03",
    "mom": "0.8",
    "batch": "7",
    "reg": "l2",
    "rate": "0.001",
    "init": "he",
    "iseed": "3",
    "seed": "5",
    "prec": "6",
    "speed": "30",
    "log": "1",
}


def query(params: dict[str, str]) -> str:
    return "?" + "&".join(f"{k}={v}" for k, v in params.items())


def wait_new_session(page: Any, old_id: str) -> str:
    page.wait_for_function(
        "(old) => window.__bpv.store.state && window.__bpv.store.state.id !== old && "
        "document.body.dataset.conn === 'open'",
        arg=old_id,
    )
    page.wait_for_function("() => window.__bpv.diagram.ready")
    return page.evaluate("window.__bpv.store.state.id")


def test_a_link_with_a_set_up_builds_that_session(
    page: Any, browser: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    session_id = open_page(page, server, query(LINK))
    state = api.get(f"/api/sessions/{session_id}").json()
    config = state["config"]
    assert config["layers"] == [2, 5, 3, 1]
    assert config["activations"] == ["relu", "sigmoid", "sigmoid"]
    assert config["loss"] == "bce"
    assert (config["optimizer"]["name"], config["optimizer"]["learning_rate"], config["optimizer"]["momentum"]) == (
        "momentum",
        0.03,
        0.8,
    )
    assert config["batch_size"] == 7
    assert config["regularization"] == {"kind": "l2", "rate": 0.001}
    assert (config["init"]["scheme"], config["init"]["seed"]) == ("he", 3)
    assert config["seed"] == 5
    assert config["dataset"] == {
        "builtin": "spiral",
        "samples": 300,
        "noise": 0.2,
        "test_fraction": 0.3,
        "seed": 2,
        "classes": None,
    }
    assert state["dataset"]["train_rows"] + state["dataset"]["test_rows"] == 300
    assert state["dataset"]["test_rows"] == 90

    # The page shows that set-up: the set-up panel, the digits, the speed and the log scale.
    assert page.get_by_label("Data set", exact=True).input_value() == "spiral"
    assert float(page.get_by_label("Noise", exact=True).input_value()) == 0.2
    assert float(page.get_by_label("Test share", exact=True).input_value()) == 0.3
    assert page.get_by_label("Activation of layer 2", exact=True).input_value() == "sigmoid"
    assert page.get_by_test_id("width-1").inner_text() == "5"
    assert float(page.get_by_label("Learning rate", exact=True).input_value()) == 0.03
    assert float(page.get_by_label("Momentum", exact=True).input_value()) == 0.8
    assert page.get_by_label("Batch size", exact=True).input_value() == "7"
    assert page.get_by_label("Regularization", exact=True).input_value() == "l2"
    assert float(page.get_by_label("Regularization rate", exact=True).input_value()) == 0.001
    assert page.get_by_label("Initialization", exact=True).input_value() == "he"
    assert page.get_by_label("Initialization seed", exact=True).input_value() == "3"
    assert page.get_by_label("Precision of the numbers shown").input_value() == "6"
    assert page.locator("#speed-out").inner_text() == "30/s"
    assert page.get_by_label("Log scale").is_checked()
    page.wait_for_function("() => document.getElementById('loss-chart')._fullLayout.yaxis.type === 'log'")

    # The address now holds all of it, and the session.
    held = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    assert held.pop("session") == session_id
    for key, value in LINK.items():
        assert held.get(key) == value, (key, held.get(key), value)
    shot(page, request, "from-link")

    # Someone else opens the link without the session: a new session, built the same way, to the last number —
    # and it trains the same (same batches): one pass on each gives the same weights.
    other_context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        other = watched(other_context.new_page())
        other_id = open_page(other, server, query(LINK))
        assert other_id != session_id
        copy = api.get(f"/api/sessions/{other_id}").json()
        assert copy["config"] == config
        assert copy["weights"] == state["weights"] and copy["biases"] == state["biases"]
        assert copy["focus"] == state["focus"] and copy["dataset"] == state["dataset"]
        assert rest_step(api, other_id, "pass") == rest_step(api, session_id, "pass")
        assert other.problems.errors == []
    finally:
        other_context.close()
    assert page.problems.errors == []


def test_export_and_import_continue_a_session(
    page: Any, server: str, api: httpx.Client, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    session_id = open_page(page, server)
    pick(page, "neuron", 2, 1)
    page.get_by_role("button", name="Next pass", exact=True).click()
    wait_shown(page, "U", 1)
    page.get_by_role("button", name="Jump to phase F2", exact=True).click()  # an open pass is exported too
    wait_shown(page, "F2", 1)
    at_f2 = math_value(page, "math-z")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export the session as a JSON file", exact=True).click()
    saved = tmp_path / "session.json"
    download_info.value.save_as(saved)
    assert download_info.value.suggested_filename.endswith(".json")
    document = json.loads(saved.read_text())
    assert document["format"] == "backprop-viz-session"
    original = api.get(f"/api/sessions/{session_id}").json()

    # Import: the button opens the file chooser (a person's way), and a new session continues from the file.
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Import a session from a JSON file", exact=True).click()
    chooser.value.set_files(str(saved))
    imported = wait_new_session(page, session_id)
    copy = api.get(f"/api/sessions/{imported}").json()
    assert copy["config"] == original["config"]
    assert copy["weights"] == original["weights"] and copy["biases"] == original["biases"]
    assert copy["counters"] == original["counters"] and copy["counters"]["pass"] == 1
    assert f"session={imported}" in page.url
    wait_shown(page, "F2", 1)  # the open pass came along: the page shows it where it was
    pick(page, "neuron", 2, 1)
    assert math_value(page, "math-z") == at_f2

    # …and goes on exactly as the original would: finish the pass in the page, and the original over REST.
    page.get_by_role("button", name="Next pass", exact=True).click()
    wait_shown(page, "U", 2)
    rest_step(api, session_id, "pass")
    original = api.get(f"/api/sessions/{session_id}").json()
    assert api.get(f"/api/sessions/{imported}").json()["weights"] == original["weights"]
    assert math_value(page, "math-after") == api.get(f"/api/sessions/{session_id}").json()["biases"][1][1]
    shot(page, request, "imported")

    # A file that is not a session: the page says why, and stays on its session.
    bad = tmp_path / "not-a-session.json"
    bad.write_text('{"format": "something else"}')
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Import a session from a JSON file", exact=True).click()
    chooser.value.set_files(str(bad))
    notice = page.locator("#notice[data-kind='error']")
    notice.wait_for()
    assert notice.inner_text().strip()
    assert page.evaluate("window.__bpv.store.state.id") == imported
    # (Chromium itself logs the refused request; the page has no error of its own.)
    assert [e for e in page.problems.errors if "status of 422" not in e] == []
