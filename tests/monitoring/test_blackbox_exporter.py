"""A real prometheus-blackbox-exporter with monitoring/blackbox.yml probes local TCP ports."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import requests


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def exporter(mon: SimpleNamespace, blackbox_exporter_bin: str) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            blackbox_exporter_bin,
            f"--config.file={mon.BLACKBOX_CONFIG}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # Bounded readiness polling of the exporter's HTTP port (it offers no other signal).
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                pytest.fail(f"blackbox exporter exited: {process.stderr.read()}")  # type: ignore[union-attr]
            try:
                if requests.get(f"{url}/-/healthy", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("blackbox exporter did not answer on its port within 15s")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _probe(exporter: str, target: str) -> dict[str, float]:
    response = requests.get(
        f"{exporter}/probe", params={"module": "tcp_connect", "target": target}, timeout=10
    )
    response.raise_for_status()
    samples = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def test_port_that_listens_is_up(exporter: str) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()  # the kernel completes the handshake; no accept() needed
        samples = _probe(exporter, f"127.0.0.1:{server.getsockname()[1]}")
    assert samples["probe_success"] == 1
    assert samples["probe_ip_protocol"] == 4  # preferred_ip_protocol: ip4
    assert 0 < samples["probe_duration_seconds"] < 0.25  # below TcpLatencyHigh


def test_port_that_does_not_listen_is_down(exporter: str) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # held, so nobody else takes it, but not listening
        samples = _probe(exporter, f"127.0.0.1:{closed.getsockname()[1]}")
    assert samples["probe_success"] == 0


def test_unknown_module_is_refused(exporter: str) -> None:
    response = requests.get(
        f"{exporter}/probe", params={"module": "http_2xx", "target": "127.0.0.1:1"}, timeout=10
    )
    assert response.status_code == 400  # only tcp_connect is configured
