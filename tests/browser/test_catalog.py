"""The page's names and formulas are the engine's: its menus list what GET /api/catalog lists, the layer titles
use the catalog's short names, and the math panel shows the catalog's MathML for f and f′ and its closed-form
δ^L pairings. Nothing here names an activation: whatever the engine adds, the same checks hold."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pagekit import layout_problems, open_page, pick, shot, wait_shown

pytestmark = pytest.mark.browser

SHOWS_MATHML = """([mathml]) => {
  const t = document.createElement('template');
  t.innerHTML = mathml;
  const want = t.content.firstElementChild;
  return [...document.querySelectorAll('#math-body math')].some((m) => m.isEqualNode(want));
}"""


def menu(page: Any, label: str) -> list[list[str]]:
    """A select's [value, text] pairs."""
    return page.get_by_label(label, exact=True).evaluate("(el) => [...el.options].map((o) => [o.value, o.text])")


def pairs(entries: list[dict[str, Any]]) -> list[list[str]]:
    return [[e["name"], e["label"]] for e in entries]


def test_the_menus_list_exactly_what_the_catalog_lists(
    page: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    catalog = api.get("/api/catalog").json()
    hidden = [a for a in catalog["activations"] if a["hidden"]]
    chosen = hidden[-1]["name"]
    open_page(page, server, f"?hidden=3,3&acts={chosen},{catalog['defaults']['hidden_activation']}")
    assert menu(page, "Activation of layer 1") == pairs(hidden)
    assert menu(page, "Activation of layer 2") == pairs(hidden)
    assert page.get_by_label("Activation of layer 1", exact=True).input_value() == chosen
    assert menu(page, "Output activation") == [["auto", "auto"], *pairs(catalog["activations"])]
    assert menu(page, "Loss") == [["auto", "auto"], *pairs(catalog["losses"])]
    assert menu(page, "Optimizer") == pairs(catalog["optimizers"])
    assert menu(page, "Regularization") == pairs(catalog["regularizations"])
    assert menu(page, "Initialization") == pairs(catalog["initializers"])
    shot(page, request, "menus")
    assert layout_problems(page) == []  # every label fits its menu
    assert page.problems.errors == []


def test_each_activation_shows_the_catalogs_formula_and_derivative(
    page: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    """One hidden layer per activation the catalog offers for hidden layers (a network per five of them, so the
    layer titles fit side by side): each neuron's equations show that activation's f(z) and f′ as the server's
    MathML and its label, as the layer titles do (or its short name)."""
    catalog = api.get("/api/catalog").json()
    hidden = [a for a in catalog["activations"] if a["hidden"]]
    for first in range(0, len(hidden), 5):
        group = hidden[first : first + 5]
        names = ",".join(a["name"] for a in group)
        open_page(page, server, f"?hidden={','.join(['2'] * len(group))}&acts={names}")
        page.get_by_role("button", name="Jump to phase B1", exact=True).click()
        wait_shown(page, "B1", 0)
        for layer, activation in enumerate(group, start=1):
            pick(page, "neuron", layer, 1)
            assert f"Layer {layer}, neuron 2" in page.locator("#math-body h3").inner_text()
            assert activation["label"] in page.locator("#math-body h3").inner_text()
            assert page.evaluate(SHOWS_MATHML, [activation["formula"]["mathml"]]), f"f of {activation['name']}"
            assert page.evaluate(SHOWS_MATHML, [activation["derivative"]["mathml"]]), f"f′ of {activation['name']}"
            shot(page, request, f"layer-{layer}-{activation['name']}")
        compact = page.evaluate("window.__bpv.diagram.compact")
        titles = page.locator("#diagram .annotation-text").all_text_contents()
        for layer, activation in enumerate(group, start=1):
            shown = activation["short"] if compact else f"· {activation['label']}"
            assert any(t.startswith(f"layer {layer}") and t.endswith(shown) for t in titles), (layer, titles)
        assert layout_problems(page) == []  # the formulas' scripts are never smaller than 12 px
    assert page.problems.errors == []


def test_the_output_error_is_in_closed_form_exactly_for_the_catalogs_pairings(
    page: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    catalog = api.get("/api/catalog").json()
    closed = {(p["activation"], p["loss"]) for p in catalog["closed_form_deltas"]}
    session_id = open_page(page, server)
    config = api.get(f"/api/sessions/{session_id}").json()["config"]
    assert (config["activations"][-1], config["loss"]) in closed  # circles: the default output and loss
    output = len(config["layers"]) - 1
    pick(page, "neuron", output, 0)
    page.get_by_role("button", name="Jump to phase J", exact=True).click()
    wait_shown(page, "J", 0)
    delta = page.locator("#math-body [data-testid='math-delta-out']").locator("xpath=..").inner_text()
    assert "− y" in delta.replace("\n", "") and page.locator("[data-testid='math-fprime-out']").count() == 0

    open_page(page, server, "?loss=mse")  # sigmoid with mse: the chain rule, with f′(z^L)
    assert (catalog["defaults"]["output_activation"]["binary"], "mse") not in closed
    pick(page, "neuron", output, 0)
    page.get_by_role("button", name="Jump to phase J", exact=True).click()
    wait_shown(page, "J", 0)
    assert page.locator("#math-body [data-testid='math-fprime-out']").count() == 1
    # δ^L = ∂J/∂a^L · f′(z^L), both factors the server's numbers: their product is the δ^L shown
    factors = [
        float(page.locator(f"#math-body [data-testid='{t}']").get_attribute("data-value"))
        for t in ("math-grad-a", "math-fprime-out", "math-delta-out")
    ]
    assert factors[0] * factors[1] == pytest.approx(factors[2], rel=1e-12)
    shot(page, request, "mse-chain-rule")
    assert page.problems.errors == []
