"""One typed settings object, read from EXAMHALL_* environment variables."""

from __future__ import annotations

import ipaddress
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Used only in development, so that `make run` works with no set-up; refused anywhere else.
DEVELOPMENT_SECRET = "development-only-secret-key-do-not-use-in-production"
PLACEHOLDER_SECRETS = {
    "",
    "changeme",
    "change-me",
    "changethis",
    "secret",
    "dev",
    "test",
    DEVELOPMENT_SECRET,
}
MIN_SECRET_LENGTH = 32
# EXAMHALL_MAX_CONCURRENT_REQUESTS at most: the hot paths' threads are bounded by it (app.deps).
MAX_REQUEST_CAP = 1000


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'examhall.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMHALL_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = Field(default_factory=_default_database_url)
    secret_key: SecretStr = SecretStr("")
    https: bool = False
    sweeper: bool = True  # submit timed-out attempts in the background
    # Requests working on the database at once per worker (0: chosen for the database).
    max_concurrent_requests: int = Field(default=0, ge=0, le=MAX_REQUEST_CAP)
    # Operations: a JSON access-log line per request; the bearer token /metrics asks of a
    # scraper that is not on this host (unset: only 127.0.0.1 and ::1 may read it).
    access_log: bool = True
    metrics_token: SecretStr = SecretStr("")

    # Every open exam page is sent its state this often, changed or not (a change goes at once):
    # it keeps each page's countdown true to the server's clock without a request.
    page_resync_seconds: int = Field(default=50, ge=1, le=300)
    # The garbage collector's youngest generation is collected after this many allocations
    # (0: Python's own 700). A worker allocates thousands of objects a request; at 700, live
    # requests' objects are promoted and then die old, which full collections pay for.
    gc_young_threshold: int = Field(default=50_000, ge=0, le=10_000_000)

    staff_session_minutes: int = Field(default=480, ge=5)
    # The console signs its staff out after this long without a request (the page warns two
    # minutes before and offers to stay signed in: WCAG 2.2.1); the sign-in lasts at most
    # staff_session_minutes whatever they do.
    console_idle_minutes: int = Field(default=30, ge=3, le=480)
    candidate_session_minutes: int = Field(default=720, ge=5)

    # Staff sign-in throttling: per account, and per address (high: staff may share one).
    login_account_failures: int = Field(default=5, ge=1)
    login_address_failures: int = Field(default=50, ge=1)
    login_window_seconds: int = Field(default=300, ge=1)
    login_lockout_seconds: int = Field(default=300, ge=1)
    # Candidates: never per account (a neighbour could lock the real candidate out); per
    # browser at an address, and per address as a circuit breaker far above what a room of
    # candidates mistyping their codes could reach.
    candidate_device_failures: int = Field(default=10, ge=1)
    candidate_address_failures: int = Field(default=300, ge=1)
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or CIDRs,
    # comma-separated); empty: none, the peer's address is the client's.
    trusted_proxies: str = ""
    # Seals the journal's chain heads. Kept out of the database; defaults to a key derived
    # from the secret key. Give it its own value (and keep it apart) in production.
    journal_key: SecretStr = SecretStr("")
    # A gap longer than this between the service's beats (every 5 s) was downtime, given back
    # to every running attempt (see sittings.downtime); 0 turns the credit off.
    downtime_after_seconds: int = Field(default=20, ge=0)
    # Request bodies: the most any route reads, and how long a body may take to arrive.
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    body_timeout_seconds: float = Field(default=10.0, gt=0)

    # Protects the private signing keys and webhook secrets stored in the database (AES-GCM
    # under a key derived from this). Unset: derived from secret_key. Set it to keep them
    # readable when the cookie secret is rotated; changing it makes them unreadable.
    key_encryption_key: SecretStr | None = None

    # Webhooks: receivers on loopback, private, link-local or reserved addresses are refused
    # unless allowed (a development or test receiver on 127.0.0.1).
    webhook_allow_private: bool = False
    webhook_worker: bool = True  # send deliveries from a background task in every worker
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_retry_hours: int = Field(default=72, ge=24)  # retried at least this long
    webhook_retry_base_seconds: float = Field(default=10.0, gt=0)  # the first backoff; doubles
    webhook_poll_seconds: float = Field(default=2.0, gt=0, le=60)

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        kek = self.key_encryption_key
        if kek is not None and len(kek.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"EXAMHALL_KEY_ENCRYPTION_KEY must be at least {MIN_SECRET_LENGTH} characters"
            )
        secret = self.secret_key.get_secret_value()
        if self.env == "development":
            if not secret:
                self.secret_key = SecretStr(DEVELOPMENT_SECRET)
            return self
        if secret.strip().lower() in PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"EXAMHALL_SECRET_KEY must be a random value of at least {MIN_SECRET_LENGTH} "
                f"characters when EXAMHALL_ENV={self.env} (try: python -c "
                "'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return self

    def proxy_options(self) -> dict[str, object]:
        """uvicorn's options for forwarded headers: believed only from the configured proxies;
        with none configured, X-Forwarded-For is ignored and the peer is the client."""
        trusted = [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]
        return {"proxy_headers": bool(trusted), "forwarded_allow_ips": ",".join(trusted) or None}

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, value: str) -> str:
        # uvicorn would take a word that is not an address as a host name to trust, and a
        # network with host bits set as such a word: it trusts neither, and says nothing.
        for entry in (p.strip() for p in value.split(",")):
            if not entry:
                continue
            if entry == "*":
                raise ValueError(
                    "'*' would believe every client's X-Forwarded-For (sign-in throttling and"
                    " the journal would see whatever address a client claims): list the proxies"
                )
            try:
                ipaddress.ip_network(entry)
            except ValueError:
                try:
                    network = ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise ValueError(
                        f"{entry!r} is not an IP address or a CIDR network: give the proxies'"
                        " addresses or networks, comma-separated (10.0.0.5, 192.0.2.0/24)"
                    ) from None
                raise ValueError(f"{entry!r} has host bits set: the network is {network}") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _a_database_this_service_uses(cls, url: str) -> str:
        if not url.startswith(
            ("sqlite:", "sqlite+pysqlite:", "postgresql:", "postgresql+psycopg:")
        ):
            raise ValueError(
                "give sqlite:////absolute/path.db or postgresql+psycopg://user@host/name"
                " (SQLite and PostgreSQL are the databases examhall runs on)"
            )
        return url

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def warn_if_unsafe(self) -> None:
        if self.env == "development" and self.secret_key.get_secret_value() == DEVELOPMENT_SECRET:
            warnings.warn("examhall: development secret key in use", stacklevel=2)


@lru_cache
def get_settings() -> Settings:
    return Settings()
