"""The jupyter-server-proxy entry: registered under `jupyter_serverproxy_servers`, and the command it gives
serves the page on the port jupyter-server-proxy picks."""

from __future__ import annotations

import os
import subprocess
import time
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import pytest
from live_server import free_port

from backprop_viz.jupyter_proxy import ICON, setup_backprop_viz


def test_the_entry_point_names_the_setup_function() -> None:
    (entry,) = [e for e in entry_points(group="jupyter_serverproxy_servers") if e.name == "backprop-viz"]
    assert entry.load() is setup_backprop_viz


def test_the_launcher_entry_has_a_title_and_an_icon() -> None:
    spec = setup_backprop_viz()
    assert spec["launcher_entry"]["title"] == "backprop-viz"
    assert Path(spec["launcher_entry"]["icon_path"]) == ICON and ICON.read_text().startswith("<svg")
    assert spec["absolute_url"] is False  # the proxy strips its prefix; the page's addresses are relative


@pytest.mark.slow
def test_the_command_serves_the_page_on_the_port_given(tmp_path: Path) -> None:
    port = free_port()
    spec = setup_backprop_viz()
    command = [part.replace("{port}", str(port)) for part in spec["command"]]
    env = {**os.environ, **spec["environment"], "BACKPROP_VIZ_DATA_DIR": str(tmp_path / "data")}
    env.pop("BACKPROP_VIZ_TOKEN", None)
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the server exited"
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "no answer within 60 s"
                time.sleep(0.05)
        assert page.status_code == 200 and "<title>backprop-viz" in page.text
        assert (tmp_path / "data" / "backprop-viz.db").exists()  # sessions are kept where the spec says
    finally:
        process.terminate()
        process.wait(timeout=30)
