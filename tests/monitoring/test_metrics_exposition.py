"""The /metrics exposition passes ``promtool check metrics`` (names, types, HELP, units)."""

from __future__ import annotations

import shutil
import subprocess

import pytest


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_promtool_accepts_the_exposition(api, stack) -> None:
    stack.add_org("Linted Org")
    response = api.get("/metrics", headers={"authorization": f"Bearer {api.info['metrics_token']}"})
    assert response.status_code == 200
    checked = subprocess.run(
        ["promtool", "check", "metrics"],
        input=response.text,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip() == "" and checked.stderr.strip() == "", checked.stderr
