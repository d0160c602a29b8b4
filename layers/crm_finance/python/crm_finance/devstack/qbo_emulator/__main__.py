"""Run standalone: ``python -m crm_finance.devstack.qbo_emulator --port 8090``.

Prints one JSON line (base URL, realm, fresh tokens) and serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from types import FrameType

from .emulator import QboEmulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crm_finance.devstack.qbo_emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--client-id", default="emu-client")
    parser.add_argument("--client-secret", default="emu-secret")
    parser.add_argument("--company", default="Demo Co")
    parser.add_argument("--enforce-rate-limits", action="store_true")
    args = parser.parse_args(argv)

    emu = QboEmulator(
        host=args.host,
        port=args.port,
        client_id=args.client_id,
        client_secret=args.client_secret,
        enforce_rate_limits=args.enforce_rate_limits,
    ).start()
    realm = emu.create_company(args.company)
    tokens = emu.issue_tokens(realm)
    info = {
        "base_url": emu.base_url,
        "root_url": emu.root_url,
        "discovery_url": emu.discovery_url,
        "realm_id": realm,
        "access_token": tokens["access_token"],
        "refresh_token": tokens["refresh_token"],
        "client_id": args.client_id,
        "client_secret": args.client_secret,
    }
    print(json.dumps(info), flush=True)

    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    while not done.wait(0.5):
        pass
    emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
