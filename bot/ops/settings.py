"""Settings from the environment or a .env file (every one is explained in .env.example)."""
from __future__ import annotations

import os
from functools import lru_cache

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from flows.cadence import DAY_CODES
from flows.dates import known_zone


class Settings(BaseSettings):
    # Empty values (as in a copied .env.example) mean "not set", never "set to the empty string".
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    database_url: str = Field("sqlite:///./coachbot.db", alias="DATABASE_URL")
    coachbot_encryption_key: SecretStr | None = Field(None, alias="COACHBOT_ENCRYPTION_KEY")
    coachbot_previous_keys: SecretStr | None = Field(None, alias="COACHBOT_PREVIOUS_KEYS")
    default_timezone: str = Field("UTC", alias="DEFAULT_TIMEZONE")
    work_start: str = Field("09:00", alias="WORK_START")
    work_end: str = Field("17:30", alias="WORK_END")
    work_days: str = Field("mon,tue,wed,thu,fri", alias="WORK_DAYS")

    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_client_id: str | None = Field(None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(None, alias="SLACK_CLIENT_SECRET")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")

    teams_app_id: str | None = Field(None, alias="TEAMS_APP_ID")
    teams_app_password: SecretStr | None = Field(None, alias="TEAMS_APP_PASSWORD")
    teams_tenant_id: str | None = Field(None, alias="TEAMS_TENANT_ID")
    # Hosts an activity's serviceUrl may name (suffix match): Teams' public cloud and GCC.
    # (GCC High and DoD are not listed: their tokens come from the US Government Bot Framework, which
    # this deployment does not validate.)
    teams_service_hosts: str = Field("smba.trafficmanager.net,smba.infra.gcc.teams.microsoft.com",
                                     alias="TEAMS_SERVICE_HOSTS")
    teams_tenant_issuer: bool = Field(False, alias="TEAMS_TENANT_ISSUER")
    teams_test_identity_url: str | None = Field(None, alias="TEAMS_TEST_IDENTITY_URL")
    # Who may set reporting lines directly in Teams (Teams tells a bot nobody's admin role): AAD object
    # ids or UPNs, comma-separated.
    teams_admins: str = Field("", alias="COACHBOT_TEAMS_ADMINS", max_length=20000)

    retention_months: int = Field(24, alias="COACHBOT_RETENTION_MONTHS", ge=0, le=600)
    log_format: str = Field("json", alias="COACHBOT_LOG_FORMAT", pattern="^(json|text)$")

    tick_seconds: float = Field(10, alias="COACHBOT_TICK_SECONDS", gt=0)
    nudge_batch: int = Field(200, alias="COACHBOT_NUDGE_BATCH", gt=0, le=5000)
    lease_seconds: float = Field(120, alias="COACHBOT_LEASE_SECONDS", gt=0)
    # One scheduled message per person per half-day, merged (off only for load tests that seed many due
    # nudges for one person and count each as its own message).
    message_budget: bool = Field(True, alias="COACHBOT_MESSAGE_BUDGET")
    key_check_seconds: float = Field(60, alias="COACHBOT_KEY_CHECK_SECONDS", gt=0)

    crm_webhook_secret: SecretStr | None = Field(None, alias="CRM_WEBHOOK_SECRET")
    crm_deal_channel: str | None = Field(None, alias="CRM_DEAL_CHANNEL")
    hubspot_client_secret: SecretStr | None = Field(None, alias="HUBSPOT_CLIENT_SECRET")
    public_url: str | None = Field(None, alias="COACHBOT_PUBLIC_URL")

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @property
    def slack_oauth(self) -> bool:
        """Multi-workspace mode: installs through OAuth are stored in the database."""
        return bool(self.slack_client_id and self.slack_client_secret)

    def slack_problem(self) -> str | None:
        """Why the Slack settings can't work together, or None if Slack is off or usable."""
        if not (self.slack_bot_token or self.slack_oauth or self.slack_app_token):
            return None
        if not self.slack_signing_secret and not self.slack_app_token:
            return ("SLACK_SIGNING_SECRET is required to verify requests from Slack (App settings → Basic "
                    "Information), unless SLACK_APP_TOKEN is set for Socket Mode.")
        if not (self.slack_bot_token or self.slack_oauth):
            return "Set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth installs)."
        return None

    @property
    def slack_enabled(self) -> bool:
        """Whether the Slack endpoints are served."""
        has_channel = bool(self.slack_signing_secret or self.slack_app_token)
        return has_channel and bool(self.slack_bot_token or self.slack_oauth)

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if known_zone(value) is None:
            raise ValueError(f"DEFAULT_TIMEZONE {value!r} is not an IANA time zone (e.g. Europe/Berlin)")
        return value

    @field_validator("work_days")
    @classmethod
    def _days(cls, value: str) -> str:
        days = [d.strip().lower()[:3] for d in value.split(",") if d.strip()]
        if not days or any(d not in DAY_CODES for d in days):
            raise ValueError(f"{value!r}: list working days like mon,tue,wed,thu,fri")
        return ",".join(d for d in DAY_CODES if d in days)

    @field_validator("work_start", "work_end")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        hh, _, mm = value.partition(":")
        digits = hh.isascii() and mm.isascii() and hh.isdigit() and mm.isdigit()
        if not (digits and 0 <= int(hh) < 24 and 0 <= int(mm) < 60):
            raise ValueError(f"{value!r} is not a time like 09:00")
        return f"{int(hh):02d}:{int(mm):02d}"


    @field_validator("teams_test_identity_url")
    @classmethod
    def _only_on_this_machine(cls, value: str | None) -> str | None:
        from urllib.parse import urlparse

        if value and urlparse(value).hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("TEAMS_TEST_IDENTITY_URL is for the test suite's Teams double only and must point at "
                             "this machine (127.0.0.1); leave it empty anywhere else")
        if value and os.environ.get("COACHBOT_TEST_SUITE") != "1":
            raise ValueError("TEAMS_TEST_IDENTITY_URL is for the test suite only (which says so with "
                             "COACHBOT_TEST_SUITE=1); leave it empty")
        return value

    @property
    def teams_admin_ids(self) -> frozenset[str]:
        """COACHBOT_TEAMS_ADMINS as a set of lower-cased ids and UPNs."""
        return frozenset(a.strip().lower() for a in self.teams_admins.split(",") if a.strip())

    @property
    def teams_hosts(self) -> tuple[str, ...]:
        """The allowed service URL hosts, lower-cased (the test identity adds this machine)."""
        hosts = [h.strip().lower() for h in self.teams_service_hosts.split(",") if h.strip()]
        return tuple(hosts + (["127.0.0.1", "localhost"] if self.teams_test_identity_url else []))


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
