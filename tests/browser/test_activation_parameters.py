"""An activation's parameter in the page: leaky ReLU's slope beside the layer's menu, kept in the link, sent as
activation_options, shown beside the formula with the slope the engine used; a session made from Python with
a slope (from_torch's LeakyReLU) is adopted with it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pagekit import math_value, open_page, pick, shot, wait_shown

pytestmark = pytest.mark.browser


def session_config(api: httpx.Client, session_id: str) -> dict[str, Any]:
    return api.get(f"/api/sessions/{session_id}").json()["config"]


def test_the_slope_is_set_in_the_page_and_used_by_the_engine(
    page: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    first = open_page(page, server, "?data=xor&hidden=3&acts=leaky_relu&aparams=0.3")
    assert session_config(api, first)["activation_options"] == [{"slope": 0.3}, None]
    slope = page.get_by_label("slope α for z ≤ 0 of layer 1")
    assert slope.input_value() == "0.3"
    assert page.get_by_label("slope α for z ≤ 0 of the output layer").count() == 0  # sigmoid has no parameter

    slope.fill("0.25")
    slope.press("Enter")
    page.wait_for_function("(old) => window.__bpv.store.state && window.__bpv.store.state.id !== old", arg=first)
    page.wait_for_function("() => document.body.dataset.conn === 'open' && window.__bpv.diagram.ready")
    second = page.evaluate("window.__bpv.store.state.id")
    assert session_config(api, second)["activation_options"] == [{"slope": 0.25}, None]
    assert "aparams=0.25" in page.url

    page.get_by_role("button", name="Next phase").click()
    wait_shown(page, "F1")
    pick(page, "neuron", 1, 1)
    assert math_value(page, "math-param-slope") == 0.25
    f1 = page.evaluate("window.__bpv.store.records[0]")
    assert f1["label"] == "F1" and any(z < 0 for z in f1["z"])
    assert f1["a"] == [z if z > 0 else 0.25 * z for z in f1["z"]]  # the engine used the page's slope
    shot(page, request, "slope")
    assert page.problems.errors == []


def test_a_session_with_a_slope_made_elsewhere_is_adopted_with_it(page: Any, server: str, api: httpx.Client) -> None:
    made = api.post(
        "/api/sessions",
        json={
            "layers": [2, 3, 1],
            "activations": ["elu", "leaky_relu"],
            "activation_options": [{"alpha": 0.5}, {"slope": 0.1}],
            "loss": "mse",
        },
    ).json()
    open_page(page, server, f"?session={made['id']}")
    assert page.get_by_label("α (a → −α as z → −∞) of layer 1").input_value() == "0.5"
    assert page.get_by_label("slope α for z ≤ 0 of the output layer").input_value() == "0.1"
    assert "aparams=0.5" in page.url and "oparam=0.1" in page.url
    assert page.problems.errors == []
