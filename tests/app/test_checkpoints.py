"""Checkpoints of large sessions do not grow the database by their size each time (the log is folded in and freed
pages given back), and are rate-limited by BACKPROP_VIZ_CHECKPOINT_BYTES_PER_SECOND; small ones are written
whenever they are due. A command never writes its checkpoint on its answer path: the flusher writes it, once per
burst of commands."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

from app import persistence as persistence_module
from app.config import Settings
from app.persistence import Persistence, put_history_back
from app.registry import SessionRegistry
from app.store import SeriesWrite, Store


def files_size(data_dir: Path) -> int:
    return sum(os.path.getsize(p) for p in data_dir.glob("backprop-viz.db*"))


def test_rewriting_a_large_session_does_not_grow_the_database(tmp_path):
    store = Store(tmp_path)
    rng = random.Random(0)
    state = {"weights": [rng.random() for _ in range(400_000)]}  # about 8 MB of JSON
    size = store.save_session("big", state, [], 0.0, {"rows": []})
    assert size >= len(json.dumps(state, separators=(",", ":")))
    for i in range(6):
        state["weights"][0] = i
        store.save_session("big", state, [], 0.0, None)
    assert files_size(tmp_path) < 1.3 * size, f"{files_size(tmp_path):,} bytes of files for a {size:,}-byte session"
    assert store.load_session("big").state["weights"][0] == 5


def kept_session(make_session, tmp_path, **settings_changes):
    """A session added to a registry whose Persistence saves it (once, with its data, as it is added)."""
    settings = Settings(data_dir=tmp_path / "data", **settings_changes)
    registry = SessionRegistry(settings)
    saver = Persistence(settings, registry)
    session = make_session()
    registry.add(session)
    return settings, saver, session


def test_a_large_session_is_saved_at_most_once_per_its_size_over_the_rate(make_session, tmp_path, monkeypatch):
    monkeypatch.setattr(persistence_module, "SMALL_CHECKPOINT_BYTES", 0)  # treat every checkpoint as large
    _, saver, session = kept_session(make_session, tmp_path, checkpoint_bytes_per_second=1024)  # saved once
    assert saver.saves == 1
    written = saver._saved[session.id][2]
    session.step("pass", 1)  # due at once, were its last checkpoint not `written` bytes ago
    now = time.monotonic()
    assert not saver.due(session, now)
    assert saver.due(session, now + written / 1024 + 0.01)
    saver.store.close()


def test_a_command_does_not_save_and_the_flusher_writes_a_burst_once(make_session, tmp_path):
    # a new session is written before it is answered (with its data set)
    _, saver, session = kept_session(make_session, tmp_path, checkpoint_bytes_per_second=1024)
    assert saver.saves == 1
    for _ in range(3):
        session.step("pass", 1)
    assert saver.saves == 1, "a stepping command wrote its checkpoint on its answer path"
    assert saver.due(session, time.monotonic())
    assert saver.flush() == 1  # three commands, one checkpoint
    row = saver.store.load_session(session.id)
    put_history_back(row.state, row.series)
    assert row.state == session.export(include_dataset=False)
    assert saver.flush() == 0  # nothing changed since
    saver.store.close()


def trained(session, passes: int) -> None:
    with session.lock:
        session.train_chunk(passes)


def restored(settings: Settings, session_id: str):
    registry = SessionRegistry(settings)
    saver = Persistence(settings, registry)
    saver.restore()
    return registry.get(session_id), saver


def test_a_checkpoint_writes_the_new_loss_points_not_the_whole_history(make_session, tmp_path):
    settings, saver, session = kept_session(make_session, tmp_path)
    trained(session, 20_000)
    assert saver.save(session)
    whole = saver._saved[session.id][2]
    trained(session, 100)
    assert saver.save(session)
    appended = saver._saved[session.id][2]
    assert appended < whole / 20, f"a checkpoint after 100 more passes wrote {appended:,} bytes (whole: {whole:,})"
    saver.store.close()

    back, again = restored(settings, session.id)
    assert back.metrics_history() == session.metrics_history()  # every point, as the live session has it
    assert back.export() == session.export()
    trained(back, 10)  # and it goes on appending where the store's copy ends
    assert again.save(back) and again._saved[back.id][2] < whole / 20
    back.back("pass", 3)  # stepping back cuts the history: only the block the cut fell in is written again
    assert again.save(back) and again._saved[back.id][2] < whole / 20
    again.store.close()
    assert restored(settings, session.id)[0].metrics_history() == back.metrics_history()


def test_a_session_that_went_back_or_reset_is_restored_with_its_history_as_it_is(make_session, tmp_path):
    settings, saver, session = kept_session(make_session, tmp_path)
    trained(session, 300)
    saver.save(session)
    session.back("pass", 5)
    trained(session, 2)
    saver.save(session)
    saver.store.close()
    back, again = restored(settings, session.id)
    assert back.metrics_history() == session.metrics_history()
    assert back.metrics_history().per_pass["pass"][-1] == 297
    back.reset()
    again.save(back)
    again.store.close()
    assert restored(settings, session.id)[0].metrics_history().per_pass["pass"] == []


def test_a_row_written_with_its_history_inline_still_restores_and_then_keeps_it_apart(make_session, tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    session = make_session()
    trained(session, 500)
    store = Store(settings.data_dir)  # as a server before this version wrote it: the history inside the document
    state = session.export()
    dataset = state.pop("dataset")
    store.save_session(session.id, state, [], 1.0, dataset)
    store.close()
    back, saver = restored(settings, session.id)
    assert back.metrics_history() == session.metrics_history()
    trained(back, 1)
    saver.save(back)  # the next checkpoint writes the history apart
    saver.store.close()
    assert restored(settings, session.id)[0].metrics_history() == back.metrics_history()


def test_blocks_left_beside_an_inline_history_are_ignored_and_then_replaced(make_session, tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    session = make_session()
    trained(session, 50)
    store = Store(settings.data_dir)  # a row an older server rewrote inline over the blocks a newer one had left
    state = session.export()
    dataset = state.pop("dataset")
    stale = {"batch_loss": SeriesWrite(0, [1, 2, 3], [9.0, 9.0, 9.0], replace=True)}
    store.save_session(session.id, state, [], 1.0, dataset, stale)
    store.close()
    back, saver = restored(settings, session.id)
    assert back.metrics_history() == session.metrics_history()
    trained(back, 1)
    saver.save(back)
    saver.store.close()
    assert restored(settings, session.id)[0].metrics_history() == back.metrics_history()
