from pathlib import Path

import pytest
from pydantic import ValidationError

from app.config import DEVELOPMENT_SECRET, Settings


def test_development_runs_without_a_secret_using_the_development_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("EXAMHALL_SECRET_KEY", raising=False)
    settings = Settings(env="development")
    assert settings.secret_key.get_secret_value() == DEVELOPMENT_SECRET


@pytest.mark.parametrize("secret", ["", "changeme", "short-but-not-empty", DEVELOPMENT_SECRET])
@pytest.mark.parametrize("env", ["production", "test"])
def test_outside_development_a_missing_or_placeholder_secret_is_refused(
    env: str, secret: str
) -> None:
    with pytest.raises(ValidationError, match="EXAMHALL_SECRET_KEY"):
        Settings(env=env, secret_key=secret)


def test_settings_come_from_examhall_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMHALL_ENV", "production")
    monkeypatch.setenv("EXAMHALL_SECRET_KEY", "x" * 48)
    monkeypatch.setenv("EXAMHALL_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("EXAMHALL_HTTPS", "true")
    settings = Settings()
    assert settings.env == "production"
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.https is True
    assert not settings.is_sqlite


def test_default_database_is_a_sqlite_file_in_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("EXAMHALL_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert Settings().database_url == f"sqlite:///{tmp_path / 'examhall.db'}"


@pytest.mark.parametrize(
    "proxies", ["", "127.0.0.1", "10.0.0.0/8, 192.0.2.7", "::1,2001:db8::/32", "10.0.0.1,"]
)
def test_trusted_proxies_are_addresses_or_networks(proxies: str) -> None:
    assert Settings(trusted_proxies=proxies).trusted_proxies == proxies


@pytest.mark.parametrize(
    ("proxies", "said"),
    [
        ("notanip", "'notanip' is not an IP address or a CIDR network"),
        ("10.0.0.5, lb.internal", "'lb.internal' is not an IP address"),
        ("10.0.0.1/8", "'10.0.0.1/8' has host bits set: the network is 10.0.0.0/8"),
        ("*", "'*' would believe every client's X-Forwarded-For"),
    ],
)
def test_trusted_proxies_that_are_not_addresses_are_refused(proxies: str, said: str) -> None:
    """uvicorn took each of these as a host name to trust, and trusted nothing, silently."""
    with pytest.raises(ValidationError, match="trusted_proxies") as refused:
        Settings(trusted_proxies=proxies)
    assert said in str(refused.value)
