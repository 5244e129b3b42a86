"""Page benchmark: Debian's Chromium (Playwright) against a real server on 127.0.0.1; prints figures.

  1. first load: navigation start → the diagram drawn (cold browser cache, a fresh context each time);
  2. frame update time of diagram + math panel (the page's performance.measure "frame") while stepping phase
     by phase through a 2-16×6-1 network (6 hidden layers × 16 neurons), and while it plays;
  3. responsiveness in play mode: event → handler latency of clicks on neurons (and click → equations drawn)
     while the server streams frames at full speed;
  4. the frame with the weight gallery while playing: the digits (64-32-10: 32 pictures of 8 × 8) and an
     MNIST-shaped upload (784-128-10: 128 pictures of 28 × 28).

Targets (issue 4): frame median ≤ 16 ms, input handled within 100 ms, first load ≤ 1.5 s; (the images issue) the
frame with the gallery ≤ 16 ms median while playing.

    .venv/bin/python bench/page_bench.py [--loads 5] [--passes 3] [--play-seconds 6]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from live_server import real_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}
WIDE = "?hidden=16,16,16,16,16,16&acts=tanh,tanh,tanh,tanh,tanh,tanh&data=circles&speed=max"


def summary(values: list[float]) -> str:
    if not values:
        return "no samples"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    median = statistics.median(ordered)
    return f"median {median:7.1f} ms   p95 {p95:7.1f} ms   max {ordered[-1]:7.1f} ms   (n={len(ordered)})"


def wait_ready(page: Any) -> None:
    page.wait_for_selector("body[data-ready='1'][data-conn='open']", timeout=30_000)
    page.wait_for_function("() => window.__bpv.diagram.ready")


def first_loads(browser: Any, base: str, loads: int) -> dict[str, list[float]]:
    """In a fresh (cold) context each time, from navigation start: the diagram drawn; the first click on
    "Next phase" (made as soon as the diagram shows) answered on screen; every chart drawn."""
    out: dict[str, list[float]] = {"diagram": [], "click": [], "complete": []}
    for _ in range(loads):
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(f"{base}/", wait_until="commit")
        page.wait_for_selector("body[data-ready='1'][data-conn='open']", timeout=30_000)
        page.get_by_role("button", name="Next phase", exact=True).click()
        page.wait_for_function("() => document.body.dataset.shown === 'F1'")
        out["click"].append(page.evaluate("performance.now()"))
        page.wait_for_function(
            "() => document.querySelector('#loss-chart .main-svg') && document.querySelector('#data-view .main-svg')"
        )
        out["diagram"].append(page.evaluate("window.__bpv.perf.firstFrameAt"))
        out["complete"].append(page.evaluate("performance.now()"))
        context.close()
    return out


def reset_perf(page: Any) -> None:
    page.evaluate(
        "() => { const p = window.__bpv.perf; p.frames.length = 0; p.diagram.length = 0; "
        "p.input.length = 0; p.select.length = 0; }"
    )


def stepping(page: Any, passes: int) -> tuple[list[float], list[float]]:
    """Press → once per phase for `passes` passes; the frames each phase drew (diagram + math panel)."""
    reset_perf(page)
    phases = page.evaluate("window.__bpv.store.state.counters.timeline.length")
    for i in range(passes * phases):
        before = page.evaluate("document.body.dataset.shown + '/' + document.body.dataset.pass")
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "(before) => document.body.dataset.shown + '/' + document.body.dataset.pass !== before", arg=before
        )
        if i % phases == phases - 1:
            page.wait_for_timeout(500)  # let the update's animation finish
    return page.evaluate("window.__bpv.perf.frames.slice()"), page.evaluate("window.__bpv.perf.diagram.slice()")


def playing(page: Any, seconds: float) -> dict[str, list[float]]:
    """Play at full speed; click neurons every 150 ms; frames, input latency and click → equations."""
    reset_perf(page)
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => window.__bpv.store.state.playing")
    targets = page.evaluate("""() => { const g = window.__bpv.diagram.geometry; const out = [];
        for (let l = 1; l <= g.L; l++) for (const j of [0, 3, 7])
            if (j < g.layers[l]) out.push({kind: 'neuron', layer: l, index: j});
        return out; }""")
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        point = page.evaluate("(s) => window.__bpv.diagram.pointOf(s)", targets[i % len(targets)])
        page.mouse.click(point["x"], point["y"])
        i += 1
        page.wait_for_timeout(150)
    passes = page.evaluate("window.__bpv.store.state.counters.pass")
    page.get_by_role("button", name="Pause", exact=True).click()
    page.wait_for_function("() => !window.__bpv.store.state.playing")
    result = page.evaluate(
        "({frames: window.__bpv.perf.frames.slice(), diagram: window.__bpv.perf.diagram.slice(), "
        "input: window.__bpv.perf.input.slice(), select: window.__bpv.perf.select.slice()})"
    )
    result["passes"] = passes
    result["clicks"] = i
    return result


DIGITS = "?data=digits&hidden=32&acts=relu&opt=adam&lr=0.01&batch=32&speed=max"


def mnist_shaped_upload(base: str, rows: int = 2_000) -> str:
    """Upload rows of random MNIST-shaped pixels (784 of 0 … 255, a digit first) with image_shape 28,28."""
    import numpy as np

    rng = np.random.default_rng(0)
    pixels = np.where(rng.random((rows, 784)) < 0.19, rng.integers(1, 256, (rows, 784)), 0)
    table = np.column_stack([rng.integers(0, 10, rows), pixels])
    text = "label," + ",".join(f"pixel{k}" for k in range(784)) + "\n"
    text += "\n".join(",".join(map(str, row)) for row in table) + "\n"
    files = {"file": ("mnist-shaped.csv", text.encode(), "text/csv")}
    answer = httpx.post(f"{base}/api/datasets", files=files, data={"image_shape": "28,28"}, timeout=120)
    answer.raise_for_status()
    return answer.json()["id"]


def gallery_playing(browser: Any, base: str, query: str, seconds: float) -> dict[str, Any]:
    """Open `query`, play at full speed for `seconds`: the frames drawn (diagram, gallery, equations)."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{base}/{query}")
    wait_ready(page)
    page.wait_for_selector("#loss-chart .main-svg", timeout=30_000)
    page.wait_for_function("() => window.__bpv.gallery.visible && window.__bpv.gallery.grid")
    reset_perf(page)
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => window.__bpv.store.state.playing")
    page.wait_for_timeout(int(seconds * 1000))
    page.get_by_role("button", name="Pause", exact=True).click()
    page.wait_for_function("() => !window.__bpv.store.state.playing")
    result = page.evaluate(
        "({frames: window.__bpv.perf.frames.slice(), pictures: window.__bpv.gallery.count, "
        "shape: window.__bpv.gallery.shape, passes: window.__bpv.store.state.counters.pass})"
    )
    context.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loads", type=int, default=5, help="cold first loads to time")
    parser.add_argument("--passes", type=int, default=3, help="passes to step phase by phase")
    parser.add_argument("--play-seconds", type=float, default=6.0)
    parser.add_argument("--only", default="load,step,play,gallery", help="sections to run")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: run scripts/ensure-chromium", file=sys.stderr)
        return 2
    with real_server(BACKPROP_VIZ_PERSIST="false") as (base, _), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        print(
            f"backprop-viz page benchmark · Chromium {browser.version} · {os.cpu_count()} CPUs · "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        only = set(args.only.split(","))
        if "load" in only:
            loads = first_loads(browser, base, args.loads)
            print("\nfirst load on loopback (cold cache; target: an interactive diagram ≤ 1500 ms)")
            print(f"  navigation → diagram drawn              {summary(loads['diagram'])}")
            print(f"  navigation → first click answered       {summary(loads['click'])}")
            print(f"  navigation → every chart drawn          {summary(loads['complete'])}")
        if "gallery" in only:
            mnist = mnist_shaped_upload(base)
            cases = [
                ("digits 64-32-10", DIGITS),
                ("MNIST-shaped 784-128-10", f"?data=upload&dataset={mnist}&hidden=128&acts=relu&batch=32&speed=max"),
            ]
            seconds = args.play_seconds
            print(f"\nthe weight gallery while playing at max for {seconds:.0f} s (target: frame median ≤ 16 ms)")
            for name, query in cases:
                got = gallery_playing(browser, base, query, args.play_seconds)
                h, w = got["shape"]
                print(f"  {name}: {got['pictures']} pictures of {h} × {w}, {got['passes']} passes")
                print(f"    frame (diagram + gallery + equations)   {summary(got['frames'])}")
        if not only & {"step", "play"}:
            browser.close()
            return 0

        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(f"{base}/{WIDE}")
        wait_ready(page)
        page.wait_for_selector("#loss-chart .main-svg", timeout=30_000)  # steady state: Plotly.js loaded too
        layers = page.evaluate("window.__bpv.store.state.config.layers")
        point = page.evaluate("window.__bpv.diagram.pointOf({kind: 'neuron', layer: 3, index: 5})")
        page.mouse.click(point["x"], point["y"])  # the math panel shows a hidden neuron: it redraws every phase
        frames, diagram_only = stepping(page, args.passes)
        print(f"\nstepping phase by phase, network {'-'.join(map(str, layers))} (target: frame median ≤ 16 ms)")
        print(f"  frame (diagram + math panel)    {summary(frames)}")
        print(f"  diagram redraw, incl. update animation frames   {summary(diagram_only)}")

        play = playing(page, args.play_seconds)
        print(
            f"\nplay at max speed for {args.play_seconds:.0f} s: {play['passes']} passes, "
            f"{len(play['frames'])} frames drawn, {play['clicks']} clicks on neurons"
        )
        print(f"  frame (diagram + math panel)    {summary(play['frames'])}")
        print(f"  input event → handler           {summary(play['input'])}   (target ≤ 100 ms)")
        print(f"  click → equations drawn         {summary(play['select'])}")
        context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
