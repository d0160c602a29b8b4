"""Where the repository is: functions/, events/ and template.yaml live there."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    override = os.environ.get("CRM_FINANCE_ROOT")
    if override:
        return Path(override)
    # layers/crm_finance/python/crm_finance/devstack/paths.py -> repository root
    candidate = Path(__file__).resolve().parents[5]
    if (candidate / "template.yaml").exists():
        return candidate
    return Path.cwd()
