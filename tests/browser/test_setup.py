"""The set-up panel: a new architecture is a new session (and a new link); a hyperparameter applies from the
next pass; a CSV uploaded through the page becomes the data set; a wide input layer stays readable
(export and import: test_share.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from pagekit import layout_problems, math_value, open_page, pick, shot, wait_shown, watched

pytestmark = pytest.mark.browser


def wait_new_session(page: Any, old_id: str) -> str:
    page.wait_for_function(
        "(old) => window.__bpv.store.state && window.__bpv.store.state.id !== old && "
        "document.body.dataset.conn === 'open'",
        arg=old_id,
    )
    page.wait_for_function("() => window.__bpv.diagram.ready")
    return page.evaluate("window.__bpv.store.state.id")


def test_changing_the_architecture_starts_a_new_session(
    page: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    first = open_page(page, server)
    page.get_by_role("button", name="More neurons in layer 1", exact=True).click()
    second = wait_new_session(page, first)
    assert api.get(f"/api/sessions/{second}").json()["config"]["layers"] == [2, 5, 4, 1]
    assert f"session={second}" in page.url and "hidden=5,4" in page.url
    assert page.evaluate("window.__bpv.diagram.geometry.layers") == [2, 5, 4, 1]

    page.get_by_role("button", name="Add a hidden layer", exact=True).click()
    third = wait_new_session(page, second)
    page.get_by_label("Activation of layer 3").select_option("relu")
    fourth = wait_new_session(page, third)
    config = api.get(f"/api/sessions/{fourth}").json()["config"]
    assert config["layers"] == [2, 5, 4, 4, 1]
    assert config["activations"] == ["tanh", "tanh", "relu", "sigmoid"]
    assert page.locator("#timeline button").count() == 2 * 4 + 2
    shot(page, request, "five-layers")

    # The link reproduces the set-up: opened without the session id, it builds the same network afresh.
    link = page.url.replace(f"&session={fourth}", "")
    other = watched(page.context.new_page())
    other.goto(link)
    other.wait_for_selector("body[data-ready='1'][data-conn='open']")
    fifth = other.evaluate("window.__bpv.store.state.id")
    assert fifth != fourth
    again = api.get(f"/api/sessions/{fifth}").json()
    assert (
        again["config"]["layers"] == config["layers"]
        and again["weights"] == api.get(f"/api/sessions/{fourth}").json()["weights"]
    )
    assert page.problems.errors == [] and other.problems.errors == []


def test_a_hyperparameter_applies_from_the_next_pass(
    page: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    session_id = open_page(page, server)
    pick(page, "neuron", 2, 0)
    page.get_by_role("button", name="Jump to phase J", exact=True).click()
    wait_shown(page, "J", 0)
    rate = page.get_by_label("Learning rate", exact=True)
    rate.fill("0.05")
    rate.press("Enter")
    rate.blur()
    pending = page.get_by_test_id("pending")
    pending.wait_for()
    assert "applies from next pass" in pending.inner_text()
    state = api.get(f"/api/sessions/{session_id}").json()
    assert state["id"] == session_id and state["pending_config"]
    assert state["config"]["optimizer"]["learning_rate"] == 0.05
    assert "lr=0.05" in page.url
    shot(page, request, "pending")

    page.get_by_role("button", name="Jump to phase U", exact=True).click()
    wait_shown(page, "U", 1)
    assert math_value(page, "math-eta") == 0.1  # this pass still used the old η
    pending.wait_for(state="hidden")
    page.get_by_role("button", name="Next pass", exact=True).click()
    wait_shown(page, "U", 2)
    assert math_value(page, "math-eta") == 0.05
    assert page.evaluate("window.__bpv.store.state.id") == session_id
    assert page.problems.errors == []


def write_csv(path: Path, rows: int, features: int) -> Path:
    """A classification CSV: `features` columns f0…, and a 'label' column (yes when f0 + f1 > 0)."""
    lines = [",".join([*(f"f{i}" for i in range(features)), "label"])]
    for r in range(rows):
        values = [((r * 7 + i * 13) % 23 - 11) / 7 for i in range(features)]
        label = "yes" if values[0] + values[1 % features] > 0 else "no"
        lines.append(",".join([*(f"{v:.4f}" for v in values), label]))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_uploading_a_csv_through_the_page_and_training_on_it(
    page: Any, server: str, api: httpx.Client, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    first = open_page(page, server)
    csv = write_csv(tmp_path / "three.csv", 120, 3)
    page.get_by_text("Upload a CSV…").click()
    page.get_by_label("CSV file").set_input_files(str(csv))
    page.wait_for_function("() => document.getElementById('csv-target').options.length === 4")
    page.get_by_label("Target column").select_option("label")
    page.get_by_role("button", name="Upload the CSV and train on it", exact=True).click()
    session_id = wait_new_session(page, first)
    state = api.get(f"/api/sessions/{session_id}").json()
    assert state["config"]["layers"] == [3, 4, 4, 1]
    assert state["dataset"]["features"] == ["f0", "f1", "f2"] and state["dataset"]["classes"] == ["no", "yes"]
    assert "data=upload" in page.url
    assert "3 features" in page.get_by_test_id("data-view").inner_text()
    assert page.get_by_test_id("width-input").inner_text() == "3"

    page.get_by_label("Epochs to train").fill("300")
    page.get_by_role("button", name="Train in the background", exact=True).click()
    page.wait_for_function("() => document.getElementById('job-text').dataset.status === 'done'", timeout=60_000)
    assert api.get(f"/api/sessions/{session_id}").json()["counters"]["epoch"] == 300
    page.wait_for_function("() => window.__bpv.lossChart.perEpoch.epoch.length >= 300")
    shot(page, request, "trained")
    assert layout_problems(page) == []
    assert page.problems.errors == []


def test_a_wide_input_layer_is_summarized(
    page: Any, server: str, api: httpx.Client, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    csv = write_csv(tmp_path / "wide.csv", 80, 64)
    with csv.open("rb") as handle:
        uploaded = api.post(
            "/api/datasets",
            files={"file": ("wide.csv", handle, "text/csv")},
            data={"target": "label"},
            headers={"X-Backprop-Viz-Request": "1"},
        )
    assert uploaded.status_code == 201, uploaded.text
    dataset_id = uploaded.json()["id"]
    session_id = open_page(page, server, f"?data=upload&dataset={dataset_id}&hidden=16,8&acts=tanh,tanh")
    assert api.get(f"/api/sessions/{session_id}").json()["config"]["layers"] == [64, 16, 8, 1]
    columns = page.evaluate("window.__bpv.diagram.geometry.columns.map((c) => [c.indices.length, c.hidden])")
    assert columns[0] == [10, 55] and columns[1] == [16, 0]  # 6 first + marker + 3 last of 64; 16 all shown
    page.wait_for_function(
        "() => [...document.querySelectorAll('#diagram .annotation-text')].some((t) => t.textContent === '⋮ 55 more')"
    )
    pick(page, "neuron", 1, 0)
    page.get_by_role("button", name="Next phase", exact=True).click()
    wait_shown(page, "F1", 0)
    body = page.locator("#math-body").inner_text()
    assert "… 56 more terms …" in body
    assert math_value(page, "math-term-w-63") == api.get(f"/api/sessions/{session_id}").json()["weights"][0][0][63]
    # Readable: neurons of a fair size and apart, the marker clear of them, nothing cut off or too small.
    assert page.evaluate("window.__bpv.diagram.nodeSize()") >= 12
    shot(page, request, "wide")
    assert layout_problems(page) == []
    assert page.problems.errors == []
