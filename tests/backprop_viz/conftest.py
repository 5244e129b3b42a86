"""Fixtures for the Python API's tests: the in-process server `bv.serve()` starts (one for the whole run, as a
notebook would have), a client of it, and the seed's worked example as a session body."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import backprop_viz as bv


@pytest.fixture(scope="session")
def server() -> Iterator[bv.Server]:
    """The server `bv.serve()` runs in this process (memory only), stopped at the end of the run."""
    server = bv.serve()
    yield server
    server.stop()


@pytest.fixture
def client(server: bv.Server) -> bv.Client:
    return server.client
