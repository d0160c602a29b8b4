"""``python -m crm_finance.devstack.qbo_emulator`` runs standalone and stops on signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest
import requests


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_module_prints_connection_info_and_stops_on_signal(signum) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crm_finance.devstack.qbo_emulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert info["base_url"].startswith("http://127.0.0.1:")
        assert info["base_url"].endswith("/v3")
        assert info["realm_id"].isdigit()
        response = requests.get(
            f"{info['base_url']}/company/{info['realm_id']}/query",
            params={"query": "select * from Item"},
            headers={"Authorization": f"Bearer {info['access_token']}"},
            timeout=5,
        )
        assert response.json()["QueryResponse"]["Item"][0]["Name"] == "Services"
        proc.send_signal(signum)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
