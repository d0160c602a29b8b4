import pytest

from crm_finance.adapters.admin_tokens import token_digest
from crm_finance.domain.auth import authenticate_admin
from crm_finance.errors import Unauthorized


class _Tokens:
    def __init__(self, tokens: dict[str, int]) -> None:
        self._by_digest = {token_digest(t): org for t, org in tokens.items()}

    def org_for(self, token: str) -> int | None:
        return self._by_digest.get(token_digest(token))


TOKENS = _Tokens({"alpha-token": 1, "beta-token": 2})


def test_a_token_resolves_to_its_org() -> None:
    assert authenticate_admin("Bearer alpha-token", tokens=TOKENS) == 1
    assert authenticate_admin("bearer beta-token", tokens=TOKENS) == 2


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic alpha-token",
        "alpha-token",
        "Bearer wrong",
        "Bearer " + "x" * 600,
    ],
)
def test_anything_else_is_unauthorized(header: str | None) -> None:
    with pytest.raises(Unauthorized):
        authenticate_admin(header, tokens=TOKENS)
