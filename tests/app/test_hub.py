"""The hub's hand-over to the event loop: from a worker thread through the loop's thread-safe queue (which wakes
the loop), from the loop's own thread — a small command run inline — without the wake-up write."""

from __future__ import annotations

import threading
import time

from ws_helpers import hub_of


def test_call_soon_wakes_the_loop_only_from_another_thread(client, api, monkeypatch):
    hub = hub_of(client, api.create()["id"])
    woken: list[str] = []
    ran: list[str] = []
    threadsafe = hub.loop.call_soon_threadsafe

    def counted(callback, *args, **options):
        if callback == ran.append:  # not the portal's own hand-overs into the loop
            woken.append(threading.current_thread().name)
        return threadsafe(callback, *args, **options)

    monkeypatch.setattr(hub.loop, "call_soon_threadsafe", counted)
    client.portal.call(lambda: hub.call_soon(ran.append, "from the loop"))
    assert woken == []
    hub.call_soon(ran.append, "from a thread")  # this test's thread is not the loop's
    deadline = time.monotonic() + 5
    while len(ran) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ran == ["from the loop", "from a thread"]
    assert woken == [threading.current_thread().name]


def test_a_playing_sessions_changes_do_not_wake_the_watcher(client, api, monkeypatch):
    """A play slice changes the session (its listener fires) and publishes the frame itself: waking the hub's
    watcher for it too would cost the event loop a wake-up per slice for nothing."""
    hub = hub_of(client, api.create()["id"])
    asked: list[object] = []
    monkeypatch.setattr(hub, "call_soon", lambda callback, *args: asked.append(callback))
    hub.player = object()  # playing (the watcher would skip the change anyway: play frames carry every change)
    try:
        hub._on_change()
        assert asked == []
    finally:
        hub.player = None
    hub._on_change()
    assert asked == [hub._dirty.set]  # not playing: woken once
    hub._on_change()
    assert asked == [hub._dirty.set]  # ... and not again until it has run
    hub._poked = False


def test_play_charges_a_frame_only_what_its_boundary_took(client, api, monkeypatch):
    """The boundary's share of training (app/play.py) pays for the boundary alone — made and serialized — not for
    the state and points every frame carries, which would make a class's boundaries rarer for nothing."""
    hub = hub_of(client, api.create()["id"])
    session = hub.session
    boundary, state = session.boundary, session.state

    def spinning(seconds, then):
        def spin():
            until = time.thread_time() + seconds  # CPU time, as play measures it
            while time.thread_time() < until:
                pass
            return then()

        return spin

    monkeypatch.setattr(session, "boundary", spinning(0.02, boundary))
    monkeypatch.setattr(session, "state", spinning(0.06, state))  # the rest of a frame: not the boundary's
    hub.publish_threadsafe = lambda items: None  # no clients: only what the chunk reports matters here
    hub.metrics_cursor = session.metrics_lengths()
    hub.published_generation = session.generation
    session.playing = True
    with_boundary = hub._play_chunk(5, boundary=True)
    without = hub._play_chunk(5, boundary=False)
    assert 0.02 <= with_boundary.boundary_seconds < 0.05
    assert without.boundary_seconds == 0.0
    frame = hub.collect(visible=True, boundary=True)[-1].payload
    assert frame.boundary == boundary().model_dump_json()
