"""What a checkpoint writes of a session's loss history: the whole series the first time, after the engine thinned
it, after stepping back or in a new log, or when it has too many blocks; else only the points since the last write
(appended where the store's copy ends), and nothing when it did not grow."""

from __future__ import annotations

from app import savedseries
from app.savedseries import SavedSeries
from engine.metrics import MetricsLog
from engine.serialization import METRICS_SERIES


def grown(log: MetricsLog, first: int, last: int) -> MetricsLog:
    """Passes first..last, an epoch every 4."""
    for p in range(first, last + 1):
        log.batch_loss.append(p, 1 / p)
        if p % 4 == 0:
            log.epoch_index.append(p // 4, p)
            for name in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
                getattr(log, name).append(p // 4, p / 100)
    return log


def test_the_first_checkpoint_writes_every_series_whole():
    saved, log = SavedSeries(), grown(MetricsLog(), 1, 10)
    writes = saved.writes("s", log)
    assert set(writes) == set(METRICS_SERIES)
    assert all(w.replace and w.start == 0 for w in writes.values())
    assert writes["batch_loss"].x == list(range(1, 11)) and writes["epoch_index"].y == [4, 8]


def test_later_checkpoints_append_only_the_new_points_and_nothing_when_nothing_grew():
    saved, log = SavedSeries(), grown(MetricsLog(), 1, 10)
    saved.written("s", log, saved.writes("s", log))
    assert saved.writes("s", log) == {}
    grown(log, 11, 13)
    writes = saved.writes("s", log)
    assert set(writes) == {"batch_loss", "epoch_index", "train_loss", "test_loss", "train_accuracy", "test_accuracy"}
    tail = writes["batch_loss"]
    assert (tail.replace, tail.start, tail.x, tail.y) == (False, 10, [11, 12, 13], [1 / 11, 1 / 12, 1 / 13])
    assert (writes["epoch_index"].start, writes["epoch_index"].x) == (2, [3])
    saved.written("s", log, writes)
    grown(log, 14, 14)  # no epoch ended: only the per-pass series grew
    assert set(saved.writes("s", log)) == {"batch_loss"}


def test_a_series_that_went_back_or_was_thinned_or_replaced_is_written_whole_again():
    saved, log = SavedSeries(), grown(MetricsLog(), 1, 10)
    saved.written("s", log, saved.writes("s", log))
    log.truncate_after(6, 1)  # stepped back to pass 6 (epoch 1)
    grown(log, 7, 12)  # and trained on, past where the store's copy ended
    writes = saved.writes("s", log)
    assert writes["batch_loss"].replace and writes["batch_loss"].x == list(range(1, 13))
    assert writes["epoch_index"].replace
    saved.written("s", log, writes)
    log.batch_loss.max_points = 12
    grown(log, 13, 13)  # 13 points > 12: the engine thins the series
    assert saved.writes("s", log)["batch_loss"].replace
    fresh = grown(MetricsLog(), 1, 12)  # a new log (a rebuilt session) with the same points
    assert all(w.replace for w in saved.writes("s", fresh).values())


def test_after_stepping_back_only_the_block_the_cut_fell_in_and_later_ones_are_rewritten():
    saved, log = SavedSeries(), grown(MetricsLog(), 1, 10)
    saved.written("s", log, saved.writes("s", log))  # block at 0: passes 1-10
    for last in (12, 14):
        grown(log, last - 1, last)
        saved.written("s", log, saved.writes("s", log))  # blocks at 10 (11-12) and 12 (13-14)
    log.truncate_after(12, 3)  # back to pass 12 (epoch 3)
    grown(log, 13, 15)  # and on, with other losses
    w = saved.writes("s", log)["batch_loss"]
    assert (w.start, w.replace, w.x) == (12, True, [13, 14, 15])  # passes 1-12 kept as they are
    saved.written("s", log, saved.writes("s", log))
    log.truncate_after(11, 2)  # into the block at 10
    w = saved.writes("s", log)["batch_loss"]
    assert (w.start, w.replace, w.x) == (10, True, [11])
    saved.written("s", log, saved.writes("s", log))
    log.truncate_after(3, 0)  # into the first block: all of it again
    w = saved.writes("s", log)["batch_loss"]
    assert (w.start, w.replace, w.x) == (0, True, [1, 2, 3])
    saved.written("s", log, saved.writes("s", log))
    assert saved.writes("s", log) == {}  # marked: nothing cut since


def test_small_blocks_are_merged_and_many_merged_blocks_make_a_whole_rewrite(monkeypatch):
    monkeypatch.setattr(savedseries, "MAX_BLOCKS", 3)
    monkeypatch.setattr(savedseries, "MAX_MERGED", 3)
    saved, log = SavedSeries(), grown(MetricsLog(), 1, 1)
    kinds = []
    for p in range(2, 12):
        writes = saved.writes("s", log)
        w = writes["batch_loss"]
        kinds.append((w.start, w.replace, w.x[0], w.x[-1]))
        saved.written("s", log, writes)
        grown(log, p, p)
    assert kinds == [
        (0, True, 1, 1),  # whole: one block
        (1, False, 2, 2),  # three small blocks, one per checkpoint
        (2, False, 3, 3),
        (3, False, 4, 4),
        (1, True, 2, 5),  # merged into one block from where they began, with the new point
        (5, False, 6, 6),
        (6, False, 7, 7),
        (7, False, 8, 8),
        (5, True, 6, 9),  # merged again: three blocks in all (the whole, two merged)
        (0, True, 1, 10),  # a third merged block would pass MAX_MERGED: written whole again
    ]


def test_sessions_are_apart_and_forgetting_a_session_forgets_its_store_copy():
    saved, log = SavedSeries(), grown(MetricsLog(), 1, 4)
    saved.written("s", log, saved.writes("s", log))
    assert saved.writes("s", log) == {}
    assert saved.writes("other", log)["batch_loss"].replace  # another session's store copy is its own
    saved.forget("s")
    assert all(w.replace for w in saved.writes("s", log).values())


def test_a_restored_session_appends_to_what_the_store_had():
    saved, log = SavedSeries(), grown(MetricsLog(), 1, 8)
    saved.read("s", log, {name: [0, 3, 6] for name in METRICS_SERIES})
    assert saved.writes("s", log) == {}
    grown(log, 9, 9)
    assert saved.writes("s", log)["batch_loss"].start == 8
