"""The crm-finance CLI: help everywhere, clear errors for bad arguments or configuration."""

from __future__ import annotations

import pytest

from crm_finance.devstack.cli import build_parser, main


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["serve", "--help"],
        ["invoke", "--help"],
        ["migrate", "--help"],
        ["demo", "--help"],
    ],
)
def test_every_command_has_help(argv, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 0
    assert "usage: crm-finance" in capsys.readouterr().out


def test_a_command_is_required(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert "required: COMMAND" in capsys.readouterr().err


def test_unknown_function_lists_the_known_ones() -> None:
    with pytest.raises(SystemExit, match=r"unknown function 'nope' \(known: .*stripe_webhook"):
        main(
            ["invoke", "nope", "--event", "events/admin_api/health.json", "--stack", "/nonexistent"]
        )


def test_unreadable_event_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(SystemExit, match="cannot read event"):
        main(
            [
                "invoke",
                "admin_api",
                "--event",
                str(tmp_path / "missing.json"),
                "--stack",
                "/nonexistent",
            ]
        )


def test_missing_configuration_names_the_variable_and_the_fix(monkeypatch) -> None:
    from crm_finance import wiring
    from crm_finance.devstack.lambda_runtime import unload_functions

    for name in ("DATABASE_URL", "DATABASE_SECRET_ID", "ADMIN_TOKENS_SECRET_ID"):
        monkeypatch.delenv(name, raising=False)
    wiring.reset()
    unload_functions()  # a cold start, even if another test loaded the function
    try:
        with pytest.raises(SystemExit, match=r"DATABASE_URL.*crm-finance serve"):
            main(
                [
                    "invoke",
                    "admin_api",
                    "--event",
                    "events/admin_api/health.json",
                    "--stack",
                    "/nonexistent",
                ]
            )
    finally:
        wiring.reset()
        unload_functions()


def test_migrate_without_a_database_says_how() -> None:
    args = build_parser().parse_args(["migrate"])
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DATABASE_URL", raising=False)
        with pytest.raises(SystemExit, match="set DATABASE_URL or pass --database-url"):
            args.run(args)


def test_the_repository_is_found_from_any_directory(monkeypatch, tmp_path) -> None:
    from crm_finance.devstack.paths import repo_root

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRM_FINANCE_ROOT", raising=False)
    assert (repo_root() / "template.yaml").exists()
