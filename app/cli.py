"""The `backprop-viz` console script: `serve` runs the web app, `--version` prints the version."""

from __future__ import annotations

import argparse
import sys

from app import __version__


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface: one sub-command per job."""
    parser = argparse.ArgumentParser(prog="backprop-viz", description="Watch backpropagation happen.")
    parser.add_argument("--version", action="version", version=f"backprop-viz {__version__}")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="serve the page, REST API and WebSocket")
    serve.add_argument("--host", default=None, help="address to bind (default 127.0.0.1, or BACKPROP_VIZ_HOST)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8000, or BACKPROP_VIZ_PORT)")
    serve.add_argument(
        "--workers",
        default=None,
        metavar="N",
        help="app processes behind a router, each keeping its own sessions: a number, or 'auto' for one per CPU "
        "(default 1, or BACKPROP_VIZ_WORKERS)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        from app.server import serve

        return serve(host=args.host, port=args.port, workers=args.workers)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
