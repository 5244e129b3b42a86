"""Which worker owns an id: the shard prefix decides (mod the worker count), ids without one hash stably, and only
the paths that name a session, a data set or a watch link are routed by id."""

from __future__ import annotations

import pytest

from app.ids import new_id
from app.shards import owner, routed_id, shard_of


def test_a_prefixed_id_belongs_to_its_shard_modulo_the_workers():
    assert shard_of("3.AbC-_x") == 3
    assert owner("3.AbC-_x", 4) == 3
    assert owner("3.AbC-_x", 2) == 1, "a data directory kept by 4 workers is served by 2"
    assert owner("3.AbC-_x", 1) == 0


def test_an_id_without_a_prefix_has_a_stable_owner():
    plain = "E7vJjArvhVpKc4rz_ZKLgw"
    assert shard_of(plain) is None
    assert owner(plain, 3) == owner(plain, 3) and 0 <= owner(plain, 3) < 3
    owners = {owner(new_id(), 4) for _ in range(200)}
    assert owners == {0, 1, 2, 3}, "ids of a single-process server spread over the workers"


def test_ids_made_by_a_worker_name_it():
    for shard in (0, 1, 7):
        assert all(owner(new_id(shard), 8) == shard for _ in range(20))


def test_there_is_at_least_one_worker():
    with pytest.raises(ValueError):
        owner("0.x", 0)


@pytest.mark.parametrize(
    ("path", "routed"),
    [
        ("/api/sessions/1.abc", "1.abc"),
        ("/api/sessions/1.abc/step", "1.abc"),
        ("/api/sessions/1.abc/jobs/0.job", "1.abc"),
        ("/ws/sessions/0.abc", "0.abc"),
        ("/api/datasets/2.csv", "2.csv"),
        ("/watch/1.tok", "1.tok"),
        ("/ws/watch/1.tok", "1.tok"),
        ("/api/watch/1.tok/metrics", "1.tok"),
        ("/api/sessions", None),
        ("/api/sessions/", None),
        ("/api/sessions/import", None),
        ("/api/datasets", None),
        ("/api/catalog", None),
        ("/", None),
        ("/static/js/main.js", None),
    ],
)
def test_the_paths_routed_by_id(path: str, routed: str | None):
    assert routed_id(path) == routed
