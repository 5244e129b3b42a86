"""BACKPROP_VIZ_WORKERS=auto: one worker per CPU the process may use — its affinity, capped by a container's quota."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.cluster.cpus import cgroup_quota, usable_cpus
from app.config import Settings


def affinity() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def test_cgroup_v2_quota(tmp_path: Path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cgroup_quota(tmp_path) == 1.5
    assert usable_cpus(tmp_path) == min(affinity(), 2), "a part of a CPU counts as one"


def test_no_quota(tmp_path: Path):
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_quota(tmp_path) is None
    assert usable_cpus(tmp_path) == affinity()
    assert cgroup_quota(tmp_path / "absent") is None


def test_cgroup_v1_quota(tmp_path: Path):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_quota(tmp_path) == 1.0
    assert usable_cpus(tmp_path) == 1


def test_workers_auto_is_the_usable_cpus(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BACKPROP_VIZ_WORKERS", "auto")
    assert Settings().workers == usable_cpus() >= 1
    monkeypatch.setenv("BACKPROP_VIZ_WORKERS", "3")
    assert Settings().workers == 3
    monkeypatch.delenv("BACKPROP_VIZ_WORKERS")
    assert Settings().workers == 1, "one process unless asked"
