"""examples/quickstart.ipynb run in a real kernel (nbclient + ipykernel): every cell runs, show()'s output is
an IFrame of the page whose address answers while the kernel serves it, the seed's numbers come out, and the
notebook is kept in the repository without outputs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat and nbclient come with the test extra")
nbclient = pytest.importorskip("nbclient", reason="nbformat and nbclient come with the test extra")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOTEBOOK = EXAMPLES / "quickstart.ipynb"
IFRAME_SRC = re.compile(r'<iframe[^>]*\ssrc="([^"]+)"', re.S)


def outputs(cell: Any) -> Iterator[dict[str, Any]]:
    yield from (o for o in cell.get("outputs", []))


@pytest.fixture(scope="module")
def run() -> Iterator[tuple[Any, list[str]]]:
    """The notebook executed cell by cell; yields it with the addresses of its IFrames, the kernel (and the
    server inside it) still running."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    )
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        sources = [
            m for c in nb.cells for o in outputs(c) for m in IFRAME_SRC.findall(o.get("data", {}).get("text/html", ""))
        ]
        yield nb, sources


@pytest.mark.slow
def test_show_displays_an_iframe_whose_address_answers(run: tuple[Any, list[str]]) -> None:
    _, sources = run
    assert len(sources) == 3  # the seed, the woods and the magic's session
    for src in sources:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?session=[\w-]+", src), src
        page = httpx.get(src)
        assert page.status_code == 200 and "<title>backprop-viz" in page.text
        session_id = src.rsplit("=", 1)[1]
        assert httpx.get(src.split("?")[0] + f"api/sessions/{session_id}").status_code == 200


@pytest.mark.slow
def test_the_cells_compute_the_seeds_numbers_and_train(run: tuple[Any, list[str]]) -> None:
    nb, _ = run
    text = "\n".join(
        o.get("data", {}).get("text/plain", "") for c in nb.cells if c.cell_type == "code" for o in outputs(c)
    )
    assert "('F1', array([0.3775, 0.3925]), array([0.59326999, 0.59688438]))" in text
    assert "array([[0.35891648, 0.40866619]])" in text  # W² after the seed's update
    assert "('done', 480)" in text
    assert "['amber', 'birch', 'cedar']" in text
    errors = [o for c in nb.cells for o in outputs(c) if o.get("output_type") == "error"]
    assert errors == []


def test_the_notebook_is_kept_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
