"""The SQLite store: documents round-trip, write-ahead logging is on, and a file that is not ours is moved aside
(never deleted, never crashed on)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.store import DB_NAME, SeriesWrite, Store, StoredDatasetRow, StoredSeries, StoreError

STATE = {"format": "backprop-viz-session", "weights": [[[0.1, -0.2]]], "pass": 3}
DATASET = {"inputs": [[0.0, 1.0]], "targets": [[1.0]]}


def test_sessions_and_data_sets_round_trip(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.save_session("s1", STATE, [{"id": "j1", "status": "done"}], created=12.5, dataset=DATASET)
    store.save_session("s1", {**STATE, "pass": 4}, [], created=12.5, dataset=None)  # a checkpoint: state only
    store.save_dataset(StoredDatasetRow("d1", "points.csv", 2, "classification", b"a,b,c\n1,2,x\n", 7.0))
    store.close()

    again = Store(tmp_path)
    row = again.load_session("s1")
    assert (row.state, row.dataset, row.jobs, row.created) == ({**STATE, "pass": 4}, DATASET, [], 12.5)
    assert again.datasets() == [StoredDatasetRow("d1", "points.csv", 2, "classification", b"a,b,c\n1,2,x\n", 7.0)]
    assert again.counts() == (1, 1)
    again.delete_session("s1")
    again.delete_dataset("d1")
    assert again.counts() == (0, 0) and again.session_ids() == []
    assert again.moved_aside is None
    again.close()


def test_write_ahead_logging_is_on(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.close()
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_another_programs_database_is_moved_aside(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        db.execute("INSERT INTO invoices VALUES (1, 9.5)")
    store = Store(tmp_path)
    assert store.problem == "belongs to another program (its tables are invoices)"
    assert store.moved_aside is not None and store.moved_aside.name.startswith(f"{DB_NAME}.broken-")
    with sqlite3.connect(store.moved_aside) as db:  # kept as it was
        assert db.execute("SELECT total FROM invoices").fetchone()[0] == 9.5
    assert store.counts() == (0, 0)  # and a fresh database took its place
    store.close()


def test_a_newer_schema_is_moved_aside_not_misread(tmp_path: Path) -> None:
    Store(tmp_path).close()
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    store = Store(tmp_path)
    assert store.problem == "has schema version '99'; this server reads version 1"
    store.close()


def test_a_file_that_is_not_a_database_is_moved_aside_with_its_side_files(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"notes, not SQLite\n" * 200)
    (tmp_path / f"{DB_NAME}-wal").write_bytes(b"stale")
    store = Store(tmp_path)
    assert store.problem is not None and "not a backprop-viz database" in store.problem
    assert store.moved_aside is not None and store.moved_aside.read_bytes().startswith(b"notes, not SQLite")
    assert Path(f"{store.moved_aside}-wal").read_bytes() == b"stale"
    store.close()


def test_an_empty_file_is_taken_as_a_new_database(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"")
    store = Store(tmp_path)
    assert store.moved_aside is None and store.counts() == (0, 0)
    store.close()


def test_an_image_data_set_keeps_its_shape(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.save_dataset(StoredDatasetRow("d1", "mnist.csv", None, "auto", b"label,p0\n1,0\n", 3.0, (28, 28)))
    store.close()
    again = Store(tmp_path)
    assert again.datasets()[0].image_shape == (28, 28)
    again.close()


def test_a_database_from_before_image_shapes_gains_the_column_and_keeps_its_rows(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('application', 'backprop-viz'), ('schema_version', '1');"
        "CREATE TABLE datasets (id TEXT PRIMARY KEY, filename TEXT NOT NULL, target TEXT, task TEXT NOT NULL,"
        " source BLOB NOT NULL, created REAL NOT NULL);"
        "INSERT INTO datasets VALUES ('d0', 'old.csv', NULL, 'auto', X'612C620A312C320A', 1.0);"
    )
    db.commit()
    db.close()
    store = Store(tmp_path)
    assert store.moved_aside is None
    assert store.datasets() == [StoredDatasetRow("d0", "old.csv", None, "auto", b"a,b\n1,2\n", 1.0, None)]
    store.close()


def test_watch_links_are_kept_and_go_with_their_session(tmp_path):
    from app.store import Store

    store = Store(tmp_path)
    store.save_watch_link("s1", "t1")
    store.save_watch_link("s2", "t2")
    store.save_watch_link("s1", "t1b")  # a session has one link: a new one replaces it
    assert sorted(store.watch_links()) == [("s1", "t1b"), ("s2", "t2")]
    store.delete_watch_link("s2")
    store.delete_session("s1")  # its link goes with it
    assert store.watch_links() == []
    store.close()


def test_a_sessions_loss_history_is_kept_in_blocks_appended_or_rewritten(tmp_path: Path) -> None:
    store = Store(tmp_path)
    first = {
        "batch_loss": SeriesWrite(0, [1, 2], [0.5, 0.4], replace=True),
        "epoch_index": SeriesWrite(0, [], [], True),
    }
    store.save_session("s1", STATE, [], created=1.0, dataset=DATASET, series=first)
    store.save_session("s1", STATE, [], created=1.0, dataset=None, series={"batch_loss": SeriesWrite(2, [3], [None])})
    store.close()
    again = Store(tmp_path)
    kept = again.load_session("s1").series
    assert kept == {"batch_loss": StoredSeries([1, 2, 3], [0.5, 0.4, None], [0, 2])}  # no points, no block
    again.save_session("s1", STATE, [], 1.0, None, {"batch_loss": SeriesWrite(0, [2], [0.4], replace=True)})
    assert again.load_session("s1").series == {"batch_loss": StoredSeries([2], [0.4], [0])}
    again.delete_session("s1")
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        assert db.execute("SELECT COUNT(*) FROM metrics_blocks").fetchone()[0] == 0
    again.close()


def test_a_failed_save_writes_none_of_its_history(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with pytest.raises(StoreError, match="not in the database yet"):  # a checkpoint of a session never saved
        store.save_session("nobody", STATE, [], 1.0, None, {"batch_loss": SeriesWrite(0, [1], [0.5], replace=True)})
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        assert db.execute("SELECT COUNT(*) FROM metrics_blocks").fetchone()[0] == 0
    store.close()


def test_a_history_with_a_gap_is_refused_with_the_reason(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.save_session("s1", STATE, [], 1.0, DATASET, {"batch_loss": SeriesWrite(0, [1], [0.5], replace=True)})
    store.save_session("s1", STATE, [], 1.0, None, {"batch_loss": SeriesWrite(5, [6], [0.1])})
    with pytest.raises(ValueError, match=r"batch_loss\) has a gap: points from 5 follow 1"):
        store.load_session("s1")
    store.close()


def test_blocks_from_a_point_on_are_replaced_by_one(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.save_session("s1", STATE, [], 1.0, DATASET, {"batch_loss": SeriesWrite(0, [1, 2], [0.5, 0.4], replace=True)})
    for start in (2, 3):
        store.save_session("s1", STATE, [], 1.0, None, {"batch_loss": SeriesWrite(start, [start + 1], [0.1])})
    merged = {"batch_loss": SeriesWrite(2, [3, 4, 5], [0.1, 0.1, 0.05], replace=True)}
    store.save_session("s1", STATE, [], 1.0, None, merged)
    assert store.load_session("s1").series == {
        "batch_loss": StoredSeries([1, 2, 3, 4, 5], [0.5, 0.4, 0.1, 0.1, 0.05], [0, 2])
    }
    store.close()
