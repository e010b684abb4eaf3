"""`localinfra token` prints bearer tokens the services accept, and refuses bad roles."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from eventing.http.auth import Authenticator, Caller, Role
from eventing.settings import DEVELOPMENT_AUTH_SECRET
from localinfra.cli import app

runner = CliRunner()


def test_a_seller_token_names_the_shop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTH_SECRET", raising=False)
    result = runner.invoke(app, ["token", "seller", "clerk-1", "--shop", "shop-1"])
    assert result.exit_code == 0
    caller = Authenticator(DEVELOPMENT_AUTH_SECRET).caller(result.stdout.strip())
    assert caller == Caller(Role.SELLER, "clerk-1", "shop-1")


def test_the_token_is_signed_with_auth_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "a-production-like-secret-of-enough-length"
    monkeypatch.setenv("AUTH_SECRET", secret)
    result = runner.invoke(app, ["token", "platform", "judge-1"])
    assert Authenticator(secret).caller(result.stdout.strip()).role is Role.PLATFORM


@pytest.mark.parametrize(
    ("arguments", "message"),
    [(["token", "king", "x"], "unknown role"), (["token", "seller", "c"], "needs --shop")],
)
def test_bad_arguments_are_one_line_errors(arguments: list[str], message: str) -> None:
    result = runner.invoke(app, arguments)
    assert result.exit_code == 1
    assert message in result.output
