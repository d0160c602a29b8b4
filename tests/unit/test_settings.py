import pytest

from crm_finance.errors import ConfigurationError
from crm_finance.settings import Settings, load_settings


def test_missing_required_values_are_named() -> None:
    settings = Settings.model_validate({"DATABASE_URL": "postgresql://x"})
    with pytest.raises(ConfigurationError, match="INVOICE_QUEUE_URL"):
        settings.require("database_url", "invoice_queue_url")


def test_invalid_values_fail_fast_with_the_variable_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QBO_TIMEOUT_SECONDS", "-1")
    load_settings.cache_clear()
    try:
        with pytest.raises(ConfigurationError, match="QBO_TIMEOUT_SECONDS"):
            load_settings()
    finally:
        load_settings.cache_clear()
