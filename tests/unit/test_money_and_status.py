from decimal import Decimal

import pytest

from crm_finance.domain.models import QboStatus, derive_invoice_status
from crm_finance.money import cents_to_decimal, decimal_to_cents


@pytest.mark.parametrize("cents", [1, 99, 100, 125_000, 10_000_000_001])
def test_cents_round_trip_exactly(cents: int) -> None:
    assert decimal_to_cents(cents_to_decimal(cents)) == cents


def test_decimal_from_qbo_json_is_exact() -> None:
    assert decimal_to_cents(Decimal("1234.56")) == 123_456
    assert decimal_to_cents("0.1") == 10


def test_sub_cent_amounts_are_refused_not_rounded() -> None:
    with pytest.raises(ValueError, match="fractions of a cent"):
        decimal_to_cents(Decimal("10.005"))


@pytest.mark.parametrize(
    ("total", "balance", "voided", "expected"),
    [
        (1000, 1000, False, QboStatus.OPEN),
        (1000, 400, False, QboStatus.PARTIAL),
        (1000, 0, False, QboStatus.PAID),
        (0, 0, True, QboStatus.VOIDED),
    ],
)
def test_invoice_status_follows_total_and_balance(total, balance, voided, expected) -> None:
    assert (
        derive_invoice_status(total_cents=total, balance_cents=balance, voided=voided) is expected
    )
