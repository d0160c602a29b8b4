"""``crm-finance``: run the system locally, invoke functions, migrate the database."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from crm_finance.errors import ConfigurationError

STACK_FILE = Path(".local/stack.json")


def _serve(args: argparse.Namespace) -> int:
    from crm_finance.devstack.stack import LocalStack, StackOptions

    options = StackOptions(
        host=args.host,
        api_port=args.port,
        poll_interval_seconds=args.poll_interval * 60,
        stripe_webhook_secret=args.stripe_webhook_secret,
    )
    stack = LocalStack(options).start()
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    info = stack.info
    print(f"crm-finance local stack ready: {info['api_url']}  (org {info['org_id']})")
    print(f"  QBO emulator {info['qbo']['api_url']}  realm {info['qbo']['realm_id']}")
    print(f"  Starting invoice status poller (interval: {args.poll_interval:g}min)")
    print(f"  details in {STACK_FILE}; stop with Ctrl-C", flush=True)
    stopped.wait()
    print("stopping...", flush=True)
    stack.stop()
    return 0


def _resolve_function(name: str) -> str:
    from crm_finance.devstack.template import functions

    specs = functions()
    for logical_id, spec in specs.items():
        if name in (logical_id, spec.code_dir.name):
            return logical_id
    known = ", ".join(sorted(s.code_dir.name for s in specs.values()))
    raise SystemExit(f"crm-finance invoke: unknown function {name!r} (known: {known})")


def _invoke(args: argparse.Namespace) -> int:
    from crm_finance.devstack.event_files import prepare_event
    from crm_finance.devstack.lambda_runtime import invoke

    function = _resolve_function(args.function)
    try:
        event = json.loads(Path(args.event).read_text())
    except (OSError, ValueError) as exc:
        raise SystemExit(f"crm-finance invoke: cannot read event {args.event}: {exc}") from None
    stack_file = Path(args.stack)
    if stack_file.exists():
        stack = json.loads(stack_file.read_text())
        os.environ.update(stack.get("env", {}))
        event = prepare_event(event, stack)
    try:
        result = invoke(function, event)
    except ConfigurationError as exc:
        raise SystemExit(
            f"crm-finance invoke: {exc.message}. Start `crm-finance serve` (it writes "
            f"{STACK_FILE}) or export the variables yourself."
        ) from None
    text = json.dumps(result, indent=2, default=str)
    if args.out:
        Path(args.out).write_text(text + "\n")
    else:
        print(text)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from crm_finance.adapters.postgres.migrate import apply_migrations

    url = args.database_url or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("crm-finance migrate: set DATABASE_URL or pass --database-url")
    applied = apply_migrations(url)
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none pending'}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from crm_finance.devstack.demo import run_demo

    return run_demo(port=args.port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crm-finance",
        description="crm-finance: Stripe -> QuickBooks finance pipeline (local tools)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the whole system locally (API on :8089)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8089)
    serve.add_argument(
        "--poll-interval",
        type=float,
        default=30,
        metavar="MINUTES",
        help="invoice poller schedule in minutes (default: %(default)s)",
    )
    serve.add_argument(
        "--stripe-webhook-secret",
        metavar="WHSEC",
        help="Stripe signing secret to accept (e.g. from `stripe listen`); random by default",
    )
    serve.set_defaults(run=_serve)

    inv = commands.add_parser(
        "invoke",
        help="run one function in-process with an events/*.json event (like sam local invoke)",
    )
    inv.add_argument("function", help="function logical id or folder name, e.g. stripe_webhook")
    inv.add_argument("--event", "-e", required=True, help="path to the event JSON")
    inv.add_argument(
        "--stack", default=str(STACK_FILE), help="local stack file (default: %(default)s)"
    )
    inv.add_argument("--out", help="write the function's result here instead of stdout")
    inv.set_defaults(run=_invoke)

    mig = commands.add_parser("migrate", help="apply database migrations (safe to repeat)")
    mig.add_argument("--database-url", help="defaults to $DATABASE_URL")
    mig.set_defaults(run=_migrate)

    demo = commands.add_parser("demo", help="start the stack and run a scripted payment scenario")
    demo.add_argument("--port", type=int, default=8089)
    demo.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
