"""Ids are unguessable: 128 random bits, URL-safe, never repeated; a worker's carry its shard as a prefix."""

from __future__ import annotations

import re

from app.ids import new_id


def test_ids_are_url_safe_128_bit_and_distinct():
    ids = [new_id() for _ in range(1000)]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", i) for i in ids)  # 16 bytes in URL-safe base64, unpadded
    assert len(set(ids)) == len(ids)


def test_a_workers_ids_start_with_its_shard():
    ids = [new_id(5) for _ in range(100)]
    assert all(re.fullmatch(r"5\.[A-Za-z0-9_-]{22}", i) for i in ids)
    assert len(set(ids)) == len(ids)
