from crm_finance.adapters.qbo.books import quote, request_id


def test_query_literals_escape_quotes_and_backslashes() -> None:
    assert quote("O'Brien") == r"'O\'Brien'"
    assert quote("a\\'b") == r"'a\\\'b'"


def test_request_ids_are_deterministic_and_distinct() -> None:
    assert request_id("invoice", 1, 2) == request_id("invoice", 1, 2)
    assert request_id("invoice", 1, 2) != request_id("invoice", 1, 3)
    assert len(request_id("payment", 1, "pi_x")) <= 50
