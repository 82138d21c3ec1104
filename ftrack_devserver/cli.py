"""``python -m ftrack_devserver serve ...``: start the dev server (see docs/ftrack-devserver.md)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from . import seed
from .faults import FAIL_MODES
from .server import App, make_server


def _user(text: str) -> tuple[str, str]:
    name, sep, key = text.partition(":")
    if not sep or not name or not key:
        raise argparse.ArgumentTypeError("--user takes NAME:KEY")
    return name, key


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ftrack_devserver", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8010, help="0 picks a free port")
    serve.add_argument("--data", required=True, help="state directory (SQLite + files)")
    serve.add_argument("--seed", help="'demo' or a JSON seed file")
    serve.add_argument("--user", action="append", type=_user, default=[], metavar="NAME:KEY")
    serve.add_argument("--latency-ms", type=int, default=0)
    serve.add_argument("--fail-rate", type=float, default=0.0)
    serve.add_argument("--fail-mode", choices=FAIL_MODES, default="500")
    serve.add_argument("--put-bandwidth", type=int, default=0, help="bytes/s for upload PUTs (0 = unlimited)")
    return parser


def serve(args) -> int:
    app = App(args.data)
    app.faults.configure(
        {
            "latency_ms": args.latency_ms,
            "fail_rate": args.fail_rate,
            "fail_mode": args.fail_mode,
            "put_bandwidth": args.put_bandwidth,
        }
    )
    if args.seed == "demo":
        seed.seed_demo(app)
    elif args.seed:
        seed.seed_json(app, args.seed)
    for name, key in args.user:
        seed.add_user(app, name, key)
    server = make_server(app, args.host, args.port)

    def stop(signum, frame):
        # shutdown() waits for serve_forever to return, so it must not run on the serving thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    out = sys.stdout
    out.write(f"ftrack_devserver listening on {app.server_url}\n")
    for name, key in app.store.api_keys.items():
        out.write(f"user {name} api-key {key}\n")
    out.write("ready\n")
    out.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        app.stopping.set()
        server.server_close()
        app.close()
    return 0


def main(argv=None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2
