"""The notebook magic, as TensorBoard's: `%load_ext backprop_viz`, then

    %backprop_viz                                   the default network on xor
    %backprop_viz 2 8 8 1 --dataset circles --activations tanh tanh sigmoid --lr 0.1
    %backprop_viz --lesson 01-seed-by-hand
    %backprop_viz --port 8123 --session <id>        a session that exists already

It serves the app in this kernel (on --port, or a free one), creates the session and shows its page in the
cell. The session is left in the notebook's namespace as `backprop_viz_session`.
"""

from __future__ import annotations

import argparse
import json
import shlex
from typing import Any

from backprop_viz.display import display_session

NAMESPACE_NAME = "backprop_viz_session"


class MagicError(ValueError):
    """A magic line that cannot be read: the message says what and shows the usage."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise MagicError(f"%backprop_viz: {message}\n{self.format_usage()}")


def parser() -> argparse.ArgumentParser:
    """The magic's arguments: the layer sizes, then options named as POST /api/sessions's fields."""
    p = _Parser(prog="%backprop_viz", add_help=False, description="Show backprop-viz for a new session.")
    p.add_argument("layers", nargs="*", type=int, help="layer sizes, input to output, e.g. 2 8 8 1")
    p.add_argument("--port", type=int, help="serve on this port (default: a free one)")
    p.add_argument("--lesson", help="start a lesson by its id")
    p.add_argument("--session", help="show this existing session instead of creating one")
    p.add_argument("--activations", nargs="+", help="one per non-input layer")
    p.add_argument("--slope", type=float, help="leaky ReLU's slope for every leaky_relu layer")
    p.add_argument("--loss", help="half_sse, mse, bce or cross_entropy")
    p.add_argument("--optimizer", help="sgd, momentum or adam")
    p.add_argument("--lr", "--learning-rate", dest="lr", type=float, help="learning rate η")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--dataset", help="a built-in data set (xor, circles, …) or an uploaded data set's id")
    p.add_argument("--csv", help="a CSV file to upload and train on")
    p.add_argument("--target", help="the CSV's target column (default: the last)")
    p.add_argument("--samples", type=int)
    p.add_argument("--noise", type=float)
    p.add_argument("--test-fraction", type=float)
    p.add_argument("--init", help="initialization scheme")
    p.add_argument("--seed", type=int)
    p.add_argument("--height", type=int, help="the frame's height in pixels")
    p.add_argument("--config", help='more of the session body as JSON, e.g. \'{"dtype": "float32"}\'')
    return p


def session_body(args: argparse.Namespace, upload: Any = None) -> dict[str, Any]:
    """POST /api/sessions's body from the magic's arguments (`upload`: the client, to upload --csv)."""
    body: dict[str, Any] = json.loads(args.config) if args.config else {}
    if args.lesson:
        body["lesson"] = args.lesson
    if args.layers:
        body["layers"] = args.layers
    elif not args.lesson:
        body.setdefault("layers", [2, 4, 1])
    if args.activations:
        body["activations"] = args.activations
        if args.slope is not None:
            slope = {"slope": args.slope}
            body["activation_options"] = [slope if a == "leaky_relu" else None for a in args.activations]
    if args.loss:
        body["loss"] = args.loss
    if args.optimizer or args.lr is not None:
        optimizer = dict(body.get("optimizer", {}))
        if args.optimizer:
            optimizer["name"] = args.optimizer
        if args.lr is not None:
            optimizer["learning_rate"] = args.lr
        body["optimizer"] = optimizer
    for key in ("batch_size", "seed"):
        if getattr(args, key) is not None:
            body[key] = getattr(args, key)
    if args.init:
        body["init"] = {"scheme": args.init}
    dataset = _dataset(args, upload)
    if dataset is not None:
        body["dataset"] = dataset
    return body


def _dataset(args: argparse.Namespace, upload: Any) -> dict[str, Any] | None:
    extras = {k: getattr(args, k) for k in ("samples", "noise", "test_fraction") if getattr(args, k) is not None}
    if args.csv:
        if upload is None:
            raise MagicError("%backprop_viz: --csv needs a server to upload to")
        info = upload.upload(args.csv, target=args.target)
        return {"id": info.id, **({"test_fraction": args.test_fraction} if args.test_fraction is not None else {})}
    if args.dataset:
        from engine.datasets import BUILTINS

        if args.dataset in BUILTINS:
            return {"builtin": args.dataset, **extras}
        return {"id": args.dataset, **({"test_fraction": args.test_fraction} if args.test_fraction is not None else {})}
    return {"builtin": "xor", **extras} if extras else None


def backprop_viz_magic(line: str, shell: Any = None) -> None:
    """%backprop_viz [layers …] [--port N] [--lesson ID] [--session ID] [options]: serve, create, show."""
    from backprop_viz.server import serve

    try:
        args = parser().parse_args(shlex.split(line))
    except MagicError as exc:
        print(exc)
        return
    client = serve(args.port).client
    session = client.session(args.session) if args.session else client.create(**session_body(args, client))
    if shell is not None:
        shell.user_ns[NAMESPACE_NAME] = session
    display_session(session, height=args.height)


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext backprop_viz` registers the `%backprop_viz` line magic."""
    ipython.register_magic_function(
        lambda line: backprop_viz_magic(line, ipython), magic_kind="line", magic_name="backprop_viz"
    )
