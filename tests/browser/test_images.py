"""Images in the page, as a person uses them: on the built-in digits, draw a digit on the pad with the mouse,
see the network's prediction, teach it the label and step through that pass — the input drawn as the drawing,
the gallery turning from the weights W¹ⱼ to the gradients ∂J/∂W¹ⱼ at B1 (the very numbers of the same pass
over REST) and to ΔW¹ⱼ at the update — then step back over it exactly; the grid of test images (click one to
focus it) and the confusion matrix; and nothing cut off at 1280×800, with larger text or keyboard-only.
Screenshots of each state go to test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest
from pagekit import layout_problems, open_page, shot, wait_shown

pytestmark = pytest.mark.browser

DIGITS = "?data=digits&hidden=32&acts=relu&opt=adam&lr=0.01&batch=32"
SEVEN = [(0.22, 0.18), (0.78, 0.18), (0.62, 0.45), (0.42, 0.86)]  # a 7: the bar, then the stem


def draw(page: Any, points: list[tuple[float, float]]) -> None:
    """One stroke through `points` (fractions of the pad), with the mouse, as a person draws."""
    box = page.get_by_test_id("draw-pad").bounding_box()
    at = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=15)
    page.mouse.up()


def gallery_pixels(page: Any) -> str:
    return page.evaluate("() => document.querySelector('[data-testid=gallery-canvas]').toDataURL()")


def wait_gallery(page: Any, content: str) -> None:
    page.wait_for_function(
        "(c) => document.getElementById('gallery').dataset.content === c && !window.__bpv.gallery.tweening", arg=content
    )


def test_draw_a_digit_see_a_prediction_teach_it_and_step_through_the_gradients(
    page: Any, server: str, api: Any, request: pytest.FixtureRequest
) -> None:
    sid = open_page(page, server, DIGITS)
    before = api.get(f"/api/sessions/{sid}").json()
    assert before["dataset"]["image_shape"] == [8, 8]
    assert page.locator("#gallery").is_visible() and page.locator("#image-view").is_visible()
    page.get_by_role("tab", name="Draw").click()
    draw(page, SEVEN)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=pad-probabilities] li').length === 10")
    pad = page.evaluate("() => window.__bpv.imageView.pad.pixels")
    assert len(pad) == 64 and max(pad) == 16 and min(pad) == 0 and sum(pad) > 100  # 0 … 16, as the digits are
    predicted = page.locator("#image-view [data-predicted]").get_attribute("data-predicted")
    rest = api.post(f"/api/sessions/{sid}/predict", json={"inputs": [pad]}).json()
    assert predicted == rest["predicted"][0]  # what the page shows is what the network says of that drawing
    shot(page, request, "drawn")

    page.get_by_label("What the drawing is").select_option("7")
    teach = page.get_by_test_id("teach")
    assert teach.inner_text() == "Teach it: this is a 7"
    teach.click()
    wait_shown(page, "F1", 0)
    example = page.evaluate("() => window.__bpv.store.state.example")
    assert example["label"] == "7" and example["x_raw"] == pytest.approx(pad, abs=1e-9)
    assert page.evaluate("() => window.__bpv.store.records[0].focus") == -1
    wait_gallery(page, "weight")
    weights = gallery_pixels(page)

    for label in ("F2", "J", "B2"):
        page.keyboard.press("ArrowRight")
        wait_shown(page, label, 0)
    wait_gallery(page, "weight")  # before B1 there is no ∂J/∂W¹ yet: the weights, dimmed
    assert page.locator("#gallery [data-part='note']").inner_text() == "∂J/∂W¹ comes at B1"
    page.keyboard.press("ArrowRight")
    wait_shown(page, "B1", 0)
    wait_gallery(page, "grad")
    gradients = gallery_pixels(page)
    assert gradients != weights
    shot(page, request, "gradient-gallery")

    # The gallery draws the pass's own numbers: the same drawing taught over REST to a twin session gives them.
    twin = api.post("/api/sessions", json={**before["config"], "focus": 0}).json()["id"]
    records = api.post(f"/api/sessions/{twin}/teach", json={"input": pad, "label": "7"}).json()["records"]
    shown = page.evaluate("() => window.__bpv.gallery.last.view.bwd[1].grad_W")
    assert shown == records[4]["grad_W"] and records[4]["label"] == "B1"
    page.get_by_role("button", name="this sample").click()
    assert page.evaluate("() => window.__bpv.gallery.gradient") == "sample"

    page.keyboard.press("ArrowRight")
    wait_shown(page, "U", 1)
    wait_gallery(page, "step")
    assert gallery_pixels(page) not in (weights, gradients)
    assert page.evaluate("() => window.__bpv.store.state.weights") == records[-1]["W"]
    shot(page, request, "update-gallery")

    # Back over the whole taught pass: the session is exactly as before it, the drawing not in the data.
    page.get_by_role("button", name="Back one pass", exact=True).click()
    page.wait_for_function("() => document.body.dataset.pass === '0' && !window.__bpv.store.state.example")
    after = api.get(f"/api/sessions/{sid}").json()
    assert after["weights"] == before["weights"] and after["counters"] == before["counters"]
    assert after["dataset"]["train_rows"] == 1438

    # Asked to, the drawing joins the training data (this session's).
    page.get_by_test_id("add-example").click()
    page.wait_for_function("() => window.__bpv.store.state.dataset.train_rows === 1439")
    assert "training set has 1,439 images" in page.locator("#notice").inner_text()
    assert page.problems.errors == []


def test_the_grid_of_test_images_focuses_one_and_the_confusion_matrix_counts_them(
    page: Any, server: str, api: Any, request: pytest.FixtureRequest
) -> None:
    sid = open_page(page, server, DIGITS)
    api.post(f"/api/sessions/{sid}/train", json={"epochs": 10})
    page.wait_for_function("() => document.getElementById('job-text').dataset.status === 'done'")
    page.wait_for_function("() => Number(document.querySelector('#image-view').dataset.pass) === 450")
    cells = page.locator("#image-view .img-cell")
    assert cells.count() == 40
    accuracy = api.get(f"/api/sessions/{sid}/metrics").json()["test_accuracy"][-1]
    assert accuracy >= 0.9
    caption = page.locator("#image-view [data-part='caption']").inner_text()
    assert f"{100 * accuracy:.3g}%" in caption
    page.get_by_label("Only the mistakes").check()
    page.wait_for_function("() => document.querySelectorAll('#image-view .img-cell:not(.mistake)').length === 0")
    mistake = page.locator("#image-view .img-cell.mistake").first
    index = int(mistake.get_attribute("data-index"))
    mistake.click()
    page.wait_for_function(
        "(i) => window.__bpv.store.state.focus_split === 'test' && window.__bpv.store.state.focus === i", arg=index
    )
    page.wait_for_function("() => document.querySelector('#image-view .img-cell.focus') !== null")
    assert "of the test set" in page.locator("#math-body .focus-line").inner_text()
    focus = page.evaluate("() => window.__bpv.store.focus")
    assert focus["split"] == "test" and focus["index"] == index
    shot(page, request, "test-focus")

    page.get_by_role("tab", name="Confusion").click()
    table = page.locator("#image-view .confusion table")
    counts = table.locator("tbody td").all_inner_texts()
    assert len(counts) == 100 and sum(int(c or 0) for c in counts) == 359
    shot(page, request, "confusion")
    assert page.problems.errors == []


def test_image_views_are_readable_at_1280_by_800_and_with_larger_text_and_reachable_by_keyboard(
    page: Any, server: str, request: pytest.FixtureRequest
) -> None:
    open_page(page, server, DIGITS)
    page.keyboard.press("ArrowRight")
    wait_shown(page, "F1", 0)
    for tab in ("Test images", "Confusion", "Draw"):
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(100)
        assert layout_problems(page) == [], tab
    page.get_by_role("button", name="Larger text for a projector").click()
    page.wait_for_function("() => document.documentElement.classList.contains('big')")
    for tab in ("Draw", "Confusion", "Test images"):
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(100)
        assert layout_problems(page) == [], f"A+ {tab}"
    shot(page, request, "larger-text")

    # The keyboard alone: to the gallery, move to a picture and open its neuron's equations.
    gallery = page.get_by_test_id("gallery-canvas")
    gallery.focus()
    for key in ("ArrowRight", "ArrowRight", "ArrowDown", "Enter"):
        page.keyboard.press(key)
    columns = page.evaluate("() => window.__bpv.gallery.grid.cols")
    page.wait_for_function(
        "(j) => JSON.stringify(window.__bpv.store.selection) === JSON.stringify({kind: 'neuron', layer: 1, index: j})",
        arg=2 + columns,
    )
    assert document_shown(page) == "F1"  # the arrows moved between pictures, not through the pass
    # Tabs by arrow keys, the grid by Tab and Enter.
    page.get_by_role("tab", name="Test images").focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("() => document.activeElement.textContent") == "Confusion"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Tab")  # the "only mistakes" box, the page buttons, then the grid
    first = page.locator("#image-view .img-cell").first
    first.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    second = int(page.locator("#image-view .img-cell").nth(1).get_attribute("data-index"))
    page.wait_for_function(
        "(i) => window.__bpv.store.state.focus_split === 'test' && window.__bpv.store.state.focus === i", arg=second
    )
    assert page.problems.errors == []


def document_shown(page: Any) -> str:
    return page.evaluate("() => document.body.dataset.shown")


def test_a_csv_of_28_by_28_images_uploaded_through_the_page_is_shown_as_images(
    page: Any, server: str, api: Any, tmp_path: Any, request: pytest.FixtureRequest
) -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    rows = ["label," + ",".join(f"pixel{k}" for k in range(784))]
    for i in range(60):
        pixels = np.zeros((28, 28), dtype=int)
        pixels[6:22, 10 + i % 3 : 14 + i % 3] = rng.integers(120, 256, (16, 4))  # a "1", more or less
        rows.append(",".join([str(i % 2), *map(str, pixels.ravel())]))
    csv = tmp_path / "ones.csv"
    csv.write_text("\n".join(rows) + "\n")
    first = open_page(page, server)
    page.get_by_text("Upload a CSV…").click()
    page.get_by_label("CSV file").set_input_files(str(csv))
    page.get_by_label("Image shape: height,width of each row's picture (empty: not images)").fill("28,28")
    page.get_by_role("button", name="Upload the CSV and train on it", exact=True).click()
    page.wait_for_function("(old) => window.__bpv.store.state && window.__bpv.store.state.id !== old", arg=first)
    page.wait_for_function("() => window.__bpv.diagram.ready && window.__bpv.gallery.grid")
    state = page.evaluate("() => window.__bpv.store.state")
    assert state["dataset"]["image_shape"] == [28, 28] and state["config"]["layers"][0] == 784
    assert state["dataset"]["classes"] == ["0", "1"] and state["dataset"]["targets"] == ["label"]
    assert page.evaluate("() => window.__bpv.gallery.count") == state["config"]["layers"][1]
    page.wait_for_function("() => document.querySelectorAll('#image-view .img-cell').length === 12")
    page.keyboard.press("ArrowRight")
    wait_shown(page, "F1", 0)
    box = page.evaluate("() => { const d = window.__bpv.diagram; return d.imageBox(d.transform()); }")
    assert box["side"] > 80  # the picture, not a column of 784 circles
    shot(page, request, "mnist-shaped")
    assert layout_problems(page) == []
    assert page.problems.errors == []
