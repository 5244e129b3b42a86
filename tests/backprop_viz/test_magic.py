"""%load_ext backprop_viz and %backprop_viz in a real IPython shell: the arguments become the session's body,
the session lands in the namespace, a CSV is uploaded, an existing session is shown, bad lines print usage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import backprop_viz as bv
from backprop_viz.magic import NAMESPACE_NAME, parser, session_body

IPython = pytest.importorskip("IPython", reason="IPython comes with ipykernel (the test extra)")


@pytest.fixture
def shell(server: bv.Server) -> Iterator[object]:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "backprop_viz")
    yield shell
    InteractiveShell.clear_instance()


def test_the_magic_creates_the_session_and_shows_its_link(shell, server: bv.Server, capsys) -> None:
    shell.run_line_magic(
        "backprop_viz", "2 3 1 --activations leaky_relu sigmoid --slope 0.2 --lr 0.3 --batch-size 4 --dataset xor"
    )
    session = shell.user_ns[NAMESPACE_NAME]
    assert isinstance(session, bv.Session)
    config = session.config
    assert config.layers == [2, 3, 1] and config.activations == ["leaky_relu", "sigmoid"]
    assert config.activation_options == [{"slope": 0.2}, None]
    assert config.optimizer.learning_rate == 0.3 and config.batch_size == 4
    assert config.dataset.builtin == "xor"
    assert f"open {server.url}?session={session.id}" in capsys.readouterr().out


def test_the_magic_uploads_a_csv_and_shows_an_existing_session(shell, tmp_path: Path) -> None:
    csv = tmp_path / "points.csv"
    csv.write_text("a,b,label\n" + "".join(f"{i},{i % 3},{'yes' if i % 2 else 'no'}\n" for i in range(20)))
    shell.run_line_magic("backprop_viz", f"2 4 1 --csv {csv} --target label --test-fraction 0.25")
    session = shell.user_ns[NAMESPACE_NAME]
    assert session.state().dataset.name == "points.csv" and session.state().dataset.test_rows == 5
    shell.run_line_magic("backprop_viz", f"--session {session.id}")
    assert shell.user_ns[NAMESPACE_NAME].id == session.id


def test_a_bad_line_prints_the_usage(shell, capsys) -> None:
    shell.run_line_magic("backprop_viz", "2 x 1")
    out = capsys.readouterr().out
    assert "invalid int value: 'x'" in out and "usage: %backprop_viz" in out


def test_the_arguments_map_to_the_request_body() -> None:
    args = parser().parse_args(["--lesson", "01-seed-by-hand", "--port", "8123"])
    assert session_body(args) == {"lesson": "01-seed-by-hand"} and args.port == 8123
    args = parser().parse_args(["--optimizer", "adam", "--samples", "50", "--noise", "0.1", "--config", '{"seed": 4}'])
    assert session_body(args) == {
        "seed": 4,
        "layers": [2, 4, 1],
        "optimizer": {"name": "adam"},
        "dataset": {"builtin": "xor", "samples": 50, "noise": 0.1},
    }
    assert session_body(parser().parse_args(["--dataset", "abc123"]))["dataset"] == {"id": "abc123"}


def test_the_magic_starts_a_lesson(shell) -> None:
    shell.run_line_magic("backprop_viz", "--lesson 01-seed-by-hand")
    lesson = shell.user_ns[NAMESPACE_NAME].state().lesson
    assert lesson is not None and lesson.id == "01-seed-by-hand"
