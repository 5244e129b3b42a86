"""Lessons in the page, as a learner meets them: lesson 1 (the seed's example by hand) from a teacher's link to
its end — every number typed in the answer box (the first one wrong twice, to get the hint, then right), the
network stepped with the Next phase button whenever a do step asks, the panel moving on by itself; the set-up
locked and play/train hidden meanwhile and everything back after Leave; the catalogue with its ✓; a link's
?hide=; and the panel readable at A+. Screenshots of each state go to test-artifacts/screenshots/."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from pagekit import layout_problems, shot, wait_shown, watched

pytestmark = pytest.mark.browser

LESSON = "01-seed-by-hand"

# The lesson's set-up (lessons/01-seed-by-hand.yaml), worked here independently of the engine.
X, Y, ETA = (1.0, 0.5), 1.0, 0.5
W1, B1 = ((0.5, -0.5), (0.25, 0.5)), (0.25, -0.5)
W2, B2 = (1.0, -0.5), 0.5


def sigma(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def seed_numbers() -> dict[int, float]:
    """The answer of each compute step of lesson 1, by step index, in full precision."""
    z1 = [W1[j][0] * X[0] + W1[j][1] * X[1] + B1[j] for j in range(2)]
    a1 = [sigma(z) for z in z1]
    z2 = W2[0] * a1[0] + W2[1] * a1[1] + B2
    yhat = sigma(z2)
    d2 = (yhat - Y) * yhat * (1 - yhat)
    d1 = [W2[j] * d2 * a1[j] * (1 - a1[j]) for j in range(2)]
    return {
        2: z1[0],
        3: z1[1],
        4: a1[0],
        5: a1[1],
        7: z2,
        8: yhat,
        10: 0.5 * (yhat - Y) ** 2,
        11: d2,
        13: d2 * a1[0],
        14: d2 * a1[1],
        15: d2,
        17: d1[0],
        18: d1[1],
        19: d1[0] * X[1],
        20: d1[1] * X[1],
        22: W2[0] - ETA * d2 * a1[0],
        23: W2[1] - ETA * d2 * a1[1],
    }


# The do steps: the phase the page must show after them, and the pass it counts (U ends pass 0: it counts 1).
DO_STEPS = {6: ("F1", 0), 9: ("F2", 0), 12: ("J", 0), 16: ("B2", 0), 21: ("B1", 0), 24: ("U", 1), 25: ("J", 1)}


def panel_step(page: Any) -> int:
    return int(page.locator("#lesson").get_attribute("data-step"))


def wait_step(page: Any, index: int) -> None:
    page.wait_for_function("(i) => document.getElementById('lesson').dataset.step === String(i)", arg=index)


def typed(value: float) -> str:
    """What a learner types: 4 significant digits."""
    return f"{value:.4g}"


def answer(page: Any, text: str) -> None:
    box = page.get_by_role("textbox", name="Your answer", exact=False)
    box.fill(text)
    box.press("Enter")


def test_lesson_one_done_by_hand_in_the_page(page: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest):
    page.goto(f"{server}/?lesson={LESSON}")
    page.wait_for_selector("body[data-ready='1'][data-conn='open']")
    page.wait_for_selector("#lesson:not([hidden])")
    page.wait_for_selector("#diagram .main-svg")  # Plotly.js has loaded: the screenshots show the charts too
    assert page.locator("#lesson-title").inner_text() == "The seed's example by hand"
    assert page.get_by_role("progressbar", name="Lesson progress").is_visible()
    # The lesson hides play and background training, and locks the whole set-up, saying why.
    assert page.locator("#play").is_hidden() and page.locator(".panel.train").is_hidden()
    assert page.locator("#import").is_hidden() and page.locator("#export").is_visible()
    assert page.locator("#lesson-note").inner_text().startswith("Locked: the whole set-up. Hidden: CSV upload")
    session_id = page.evaluate("window.__bpv.store.state.id")
    assert api.get(f"/api/sessions/{session_id}").json()["lesson"]["id"] == LESSON
    assert f"lesson={LESSON}" in page.url
    shot(page, request, "1-start")

    numbers = seed_numbers()
    next_button = page.get_by_role("button", name="Next step")
    next_button.click()
    wait_step(page, 1)
    learning_rate = page.get_by_label("Learning rate", exact=True)  # the set-up panel is folded: it is all locked
    assert learning_rate.is_disabled() and "locked by the lesson" in learning_rate.get_attribute("title")
    next_button.click()
    wait_step(page, 2)

    # z¹₁: wrong twice (the hint comes with the second), then right.
    answer(page, "0.75")
    page.wait_for_selector("#lesson-feedback[data-kind='wrong']")
    assert "1 try" in page.locator("#lesson-feedback").inner_text()
    assert page.locator("#lesson-hint").is_hidden()
    answer(page, "1")
    page.wait_for_selector("#lesson-hint:not([hidden])")
    assert "2 tries" in page.locator("#lesson-feedback").inner_text()
    hint = page.locator("#lesson-hint-math")
    assert hint.locator("math").count() == 2  # the equation, then its numbers: "= (0.5)(1) + (−0.5)(0.5) + 0.25 = ?"
    assert "0.25" in hint.inner_text() and "?" in hint.inner_text()
    assert page.get_by_role("button", name="Reveal the answer").is_visible()
    shot(page, request, "2-hint")
    answer(page, typed(numbers[2]))
    page.wait_for_selector("#lesson-feedback[data-kind='right']")
    assert "✓ Right" in page.locator("#lesson-feedback").inner_text()
    assert page.evaluate("document.activeElement.id") == "lesson-next"  # Enter again goes on
    shot(page, request, "3-right")
    page.keyboard.press("Enter")
    wait_step(page, 3)

    for index in range(3, 26):
        if index in DO_STEPS:
            label, pass_index = DO_STEPS[index]
            assert page.locator("#lesson-check").inner_text().count("not yet") >= 1
            if index == 12:
                shot(page, request, "4-do-step")
            presses = 3 if index == 25 else 1
            for _ in range(presses):
                page.get_by_role("button", name="Next phase", exact=True).click()
            wait_shown(page, label, pass_index)
            wait_step(page, index + 1)  # the server checked the condition; the panel moved on by itself
            continue
        assert page.locator("#lesson").get_attribute("data-kind") == "compute", index
        answer(page, typed(numbers[index]))
        page.wait_for_selector("#lesson-feedback[data-kind='right']")
        if index == 17:
            shot(page, request, "5-backward")
        page.get_by_role("button", name="Next step").click()
        wait_step(page, index + 1)

    assert page.locator("#lesson").get_attribute("data-kind") == "read"
    page.get_by_role("button", name="Finish the lesson").click()
    page.wait_for_selector("#lesson-finished:not([hidden])")
    assert "27 of 27 steps done" in page.locator("#lesson-finished").inner_text()
    progress = page.get_by_role("progressbar", name="Lesson progress: 27 of 27 steps done")
    assert progress.get_attribute("value") == "27"
    shot(page, request, "6-finished")
    state = api.get(f"/api/sessions/{session_id}").json()
    assert state["lesson"]["finished"] is True and state["lesson"]["skipped"] == []
    assert state["counters"]["pass"] == 1 and state["weights"][1][0][0] == pytest.approx(numbers[22])

    # The catalogue marks the lesson finished in this browser.
    page.get_by_role("button", name="Lessons: guided exercises").click()
    dialog = page.get_by_role("dialog", name="Lessons")
    dialog.wait_for()
    cards = dialog.locator(".lesson-card")
    assert cards.count() >= 9
    assert "✓ finished" in cards.first.inner_text() and "intro · 30 min · 27 steps" in cards.first.inner_text()
    assert "finished" not in cards.nth(1).inner_text()
    shot(page, request, "7-catalogue")
    page.keyboard.press("Escape")
    assert dialog.is_hidden()

    # Leaving restores every control; the session goes on as it was.
    page.get_by_role("button", name="Leave the lesson").click()
    page.wait_for_selector("#lesson", state="hidden")
    assert page.locator("#play").is_visible() and page.locator(".panel.train").is_visible()
    assert page.locator("#import").is_visible()
    page.wait_for_function("() => !new URL(location.href).searchParams.has('lesson')")
    assert page.get_by_label("Learning rate", exact=True).is_enabled()
    assert page.get_by_label("Learning rate", exact=True).get_attribute("title") is None
    assert page.problems.errors == []


def test_the_catalogue_opens_a_lesson_and_a_goal_shows_its_live_status(
    page: Any, server: str, request: pytest.FixtureRequest
):
    page.goto(server)
    page.wait_for_selector("body[data-ready='1'][data-conn='open']")
    page.wait_for_selector("#diagram .main-svg")
    page.get_by_role("button", name="Lessons: guided exercises").click()
    page.get_by_role("button", name="Open the lesson Why a hidden layer: XOR", exact=False).click()
    page.wait_for_selector("#lesson:not([hidden])")
    page.wait_for_function("() => document.body.dataset.lesson === '02-xor-hidden-layer'")
    for index in (1, 2):
        page.get_by_role("button", name="Next step").click()
        wait_step(page, index)
    checks = page.locator("#lesson-check")
    assert "passes 0 → target ≥ 1000" in checks.inner_text() and "not yet" in checks.inner_text()
    # Play is the learner's way to train here; the do step is met while it plays and the panel moves on.
    page.get_by_label("Speed in passes per second").press("End")  # max
    page.get_by_role("button", name="Play").click()
    wait_step(page, 3)
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Next step").click()
    wait_step(page, 4)
    assert page.locator("#lesson").get_attribute("data-kind") == "goal"
    assert "train accuracy" in checks.inner_text() and "→ target = 1" in checks.inner_text()
    assert page.get_by_role("button", name="Add a hidden layer").is_enabled()  # the goal needs the set-up
    shot(page, request, "goal")
    assert page.problems.errors == []


def test_the_panel_is_readable_at_a_plus(page: Any, server: str, request: pytest.FixtureRequest):
    page.goto(f"{server}/?lesson={LESSON}")
    page.wait_for_selector("#lesson:not([hidden])")
    page.wait_for_selector("#diagram .main-svg")
    page.get_by_role("button", name="Larger text for a projector").click()
    for index in (1, 2):
        page.get_by_role("button", name="Next step").click()
        wait_step(page, index)
    answer(page, "3")
    answer(page, "4")
    page.wait_for_selector("#lesson-hint:not([hidden])")
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#lesson-text')).fontSize)")
    assert size >= 17
    shot(page, request, "big")
    assert layout_problems(page, min_font=14) == []


def test_the_panel_fits_a_projector_with_larger_text(browser: Any, server: str, request: pytest.FixtureRequest):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        page = watched(context.new_page())
        page.goto(f"{server}/?lesson={LESSON}&big=1")
        page.wait_for_selector("#lesson:not([hidden])")
        page.wait_for_selector("#diagram .main-svg")
        for index in (1, 2):
            page.get_by_role("button", name="Next step").click()
            wait_step(page, index)
        answer(page, "3")
        page.wait_for_selector("#lesson-feedback[data-kind='wrong']")
        shot(page, request, "1024x768-large")
        assert layout_problems(page, min_font=14) == []
        assert page.problems.errors == []
    finally:
        context.close()


def test_a_link_hides_the_controls_it_names(page: Any, server: str, request: pytest.FixtureRequest):
    page.goto(f"{server}/?hide=dataset,layers,reset,export")
    page.wait_for_selector("body[data-ready='1'][data-conn='open']")
    page.wait_for_selector("#config [data-key='loss']")
    assert page.locator("#reset").is_hidden() and page.locator("#export").is_hidden()
    assert page.locator("#config [data-key='data']").is_hidden()
    assert page.locator("#config [data-act='add']").is_hidden()
    assert page.locator("#config [data-key='loss']").is_visible() and page.locator("#next-phase").is_visible()
    page.get_by_role("button", name="Next phase", exact=True).click()
    page.wait_for_function("() => document.body.dataset.shown === 'F1'")
    assert "hide=dataset,layers,reset,export" in page.url  # the link keeps it
    shot(page, request, "hidden")
