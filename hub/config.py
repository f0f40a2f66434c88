"""Settings: defaults, then a TOML file (``HUB_CONFIG``), then ``HUB_*`` environment variables.

Every setting is documented in ``config/hub.example.toml``.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .timezones import is_time_zone
from .webhooks.destinations import networks

#: the per-user folder's name (platformdirs): the hub's home when no config file is given
APP_NAME = "ovop-exchange-hub"
#: settings naming a folder or file: a relative value is relative to the config file that
#: sets it (or, from the environment, to the working directory), never to where a later
#: command happens to run
PATH_SETTINGS = ("instance_path", "sources_dir", "data_dir", "webhook_ca_file")
#: defaults of the folders inside the hub's home (:func:`home`)
HOME_FOLDERS = {"instance_path": "instance", "sources_dir": "sources", "data_dir": "data"}
ASEAN = ("BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN")


@dataclass(frozen=True)
class Settings:
    """The hub's configuration; one instance per process, built by :func:`load`."""

    database_url: str = ""
    database_pool_size: int = 5
    database_max_overflow: int = 10
    secret_key: str = ""
    instance_path: str = ""
    members: tuple[str, ...] = ASEAN + ("JP", "KR")
    default_review_policy: str = "required"
    review_job_stale_after: int = 120
    batch_max_records: int = 1000
    batch_max_bytes: int = 10 * 1024 * 1024
    write_slots: int = 1
    write_queue: int = 5
    write_wait_ms: int = 10_000
    read_yield_ms: int = 100
    write_processes: bool = True
    token_lifetime: int = 3600
    secret_rotation_grace: int = 86400
    public_url: str = ""
    rate_limit: str = "1200/minute"
    rate_limit_storage: str = ""
    oauth_rate_limit_client: str = "30/minute"
    oauth_rate_limit_address: str = "120/minute"
    refused_rate_limit: str = "60/minute"
    data_dir: str = ""
    sources_dir: str = ""
    sync_timeout: int = 30
    sync_retries: int = 5
    sync_retry_budget: int = 50
    sync_backoff_ms: int = 500
    sync_backoff_max_ms: int = 60_000
    sync_retry_after_max: int = 600
    sync_lock_ttl: int = 900
    sync_batch_size: int = 500
    sync_abandoned_max: int = 3
    webhook_attempts: int = 8
    webhook_backoff_ms: int = 30_000
    webhook_backoff_max_ms: int = 3_600_000
    webhook_timeout: int = 10
    webhook_batch: int = 100
    webhook_allow_http: bool = False
    webhook_allowed_networks: tuple[str, ...] = ()
    webhook_ca_file: str = ""
    scheduler_tick: int = 15
    jobs: str = "embedded"
    celery_broker_url: str = ""
    celery_result_backend: str = ""
    celery_queue: str = "hub"
    celery_visibility_timeout: int = 3600
    log_format: str = "text"
    log_level: str = "INFO"
    metrics_token: str = ""
    readiness_timeout: int = 3
    pg_bin_dir: str = ""
    console_cookie_name: str = "hub_console"
    console_session_lifetime: int = 36_000
    console_idle_timeout: int = 1_800
    console_time_zone: str = "UTC"
    console_login_limit_per_address: str = "5/minute;30/hour"
    console_login_limit_global: str = "30/minute"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def base_url(self) -> str:
        """The hub's absolute base URL (OAuth issuer, token audience, links), never taken
        from a request's Host header: ``public_url``, which ``hub serve`` fills in with
        the bound address on loopback; :data:`LOCAL_URL` for an app built without it
        (tests, a development shell)."""
        return (self.public_url or LOCAL_URL).rstrip("/")


#: The base URL of an app built without ``public_url`` and outside ``hub serve``.
LOCAL_URL = "http://localhost"


def _coerce(current: Any, value: str) -> Any:
    if isinstance(current, bool):
        return value.lower() in ("1", "true", "yes", "on")
    if isinstance(current, int):
        return int(value)
    if isinstance(current, tuple):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return value


def home(config_file: str | Path | None) -> Path:
    """The folder unset locations default to: the config file's folder, else the per-user
    data folder (``~/.local/share/ovop-exchange-hub`` on Linux), so every command finds the
    same database whatever the working directory."""
    if config_file:
        return Path(config_file).resolve().parent
    return platformdirs.user_data_path(APP_NAME)


def _anchored(settings: Settings, names: set[str], base: Path) -> Settings:
    """Relative paths among ``names`` (and a relative SQLite file) made absolute against ``base``."""
    changed: dict[str, Any] = {}
    for name in names & set(PATH_SETTINGS):
        value = getattr(settings, name)
        if value and not Path(value).expanduser().is_absolute():
            changed[name] = str(base / value)
        elif value:
            changed[name] = str(Path(value).expanduser())
    if "database_url" in names and settings.database_url:
        changed["database_url"] = _anchored_sqlite(settings.database_url, base)
    return replace(settings, **changed)


def _anchored_sqlite(url: str, base: Path) -> str:
    try:
        file = sqlite_file(url)
    except ArgumentError:
        raise ConfigError(f"database_url {url!r} is not a database URL such as sqlite:///hub.sqlite3") from None
    if file is None or file.is_absolute():
        return url
    return make_url(url).set(database=str(base / file)).render_as_string(hide_password=False)


def load(overrides: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> Settings:
    """Build settings: defaults < TOML file < environment < explicit ``overrides``.

    Relative paths in the TOML file are relative to the file's folder; relative paths from
    the environment to the working directory at load (both made absolute here). Unset
    folders are inside :func:`home`.
    """
    env = dict(os.environ if env is None else env)
    settings = Settings()
    names = {f.name for f in fields(Settings)}
    config_file = env.get("HUB_CONFIG")
    if config_file:
        try:
            data = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read HUB_CONFIG {config_file}: {exc}") from None
        hub = data.get("hub", data)
        known: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in hub.items() if k in names}
        settings = _anchored(replace(settings, **known), set(known), home(config_file))
    from_env: set[str] = set()
    for name in names:
        value = env.get(f"HUB_{name.upper()}")
        if value is not None:
            try:
                settings = replace(settings, **{name: _coerce(getattr(settings, name), value)})
            except ValueError:
                raise ConfigError(f"HUB_{name.upper()}={value!r} is not valid") from None
            from_env.add(name)
    settings = _anchored(settings, from_env, Path.cwd())
    if overrides:
        settings = replace(settings, **overrides)
    where = home(config_file)
    unset: dict[str, Any] = {n: str(where / folder) for n, folder in HOME_FOLDERS.items() if not getattr(settings, n)}
    settings = replace(settings, **unset)
    if not settings.database_url:
        path = Path(settings.instance_path).resolve() / "hub.sqlite3"
        settings = replace(settings, database_url=f"sqlite:///{path}")
    if not settings.rate_limit_storage:  # shared by this machine's workers (hub/web/limitstore.py)
        path = Path(settings.instance_path).resolve() / "ratelimits.sqlite3"
        settings = replace(settings, rate_limit_storage=f"machine://{path}")
    if not settings.secret_key:
        settings = replace(settings, secret_key=_instance_secret(Path(settings.instance_path)))
    if settings.default_review_policy not in ("required", "auto"):
        raise ConfigError("default_review_policy must be 'required' or 'auto'")
    if settings.review_job_stale_after < 10:
        raise ConfigError("review_job_stale_after must be at least 10 (seconds)")
    _check_jobs(settings)
    _check_console(settings)
    _check_security(settings)
    _check_webhooks(settings)
    if settings.readiness_timeout < 1:
        raise ConfigError("readiness_timeout must be at least 1 (seconds)")
    if settings.log_format not in ("text", "json"):
        raise ConfigError("log_format must be 'text' or 'json'")
    if not isinstance(logging.getLevelName(settings.log_level.upper()), int):
        raise ConfigError("log_level must be DEBUG, INFO, WARNING or ERROR")
    return settings


JOBS = ("embedded", "celery")
BROKER_SCHEMES = ("redis://", "rediss://")


def _check_jobs(s: Settings) -> None:
    """Refuse a job setup that could only fail later, inside a worker, with a traceback."""
    if s.jobs not in JOBS:
        raise ConfigError(f"jobs must be 'embedded' or 'celery', not {s.jobs!r}")
    if s.jobs == "celery" and not s.celery_broker_url:
        raise ConfigError(
            'jobs = "celery" needs celery_broker_url (environment HUB_CELERY_BROKER_URL), e.g. redis://127.0.0.1:6379/0'
        )
    if s.celery_broker_url and not s.celery_broker_url.startswith(BROKER_SCHEMES):
        scheme = s.celery_broker_url.partition("://")[0] if "://" in s.celery_broker_url else "no scheme"
        raise ConfigError(f"celery_broker_url must be a Redis URL (redis:// or rediss://), not {scheme}")
    if s.celery_result_backend and "://" not in s.celery_result_backend:
        raise ConfigError(
            f"celery_result_backend must be a URL such as redis://127.0.0.1:6379/1, not {s.celery_result_backend!r}"
        )
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}", s.celery_queue):
        raise ConfigError(f"celery_queue must be letters, digits and . _ : - (not {s.celery_queue!r})")
    if s.celery_visibility_timeout < 60:
        raise ConfigError("celery_visibility_timeout must be at least 60 seconds")


def _check_console(s: Settings) -> None:
    """Console session and sign-in settings (docs/operations.md, "Security settings")."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", s.console_cookie_name):
        raise ConfigError("console_cookie_name must be 1 to 64 letters, digits, _ or -")
    if s.console_idle_timeout < 60 or s.console_session_lifetime < s.console_idle_timeout:
        raise ConfigError("console_idle_timeout must be at least 60 seconds and at most console_session_lifetime")
    if not is_time_zone(s.console_time_zone):
        raise ConfigError(
            f"console_time_zone must be an IANA time zone such as Asia/Ho_Chi_Minh, not {s.console_time_zone!r}"
        )
    from limits import parse_many

    for name in ("console_login_limit_per_address", "console_login_limit_global"):
        try:
            parse_many(getattr(s, name))
        except ValueError:
            raise ConfigError(f"{name} must be a rate limit such as '10/minute;60/hour'") from None


def _check_security(s: Settings) -> None:
    """A public URL and rate limits that can be used as they are, or a one-line refusal."""
    from urllib.parse import urlsplit

    if s.public_url:
        parts = urlsplit(s.public_url)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.query
            or parts.fragment
            or parts.username is not None
        ):
            raise ConfigError(
                f"public_url must be an http(s) URL such as https://hub.example.org "
                f"(no query, fragment or credentials), not {s.public_url!r}"
            )
    from limits import parse_many

    for name in ("rate_limit", "oauth_rate_limit_client", "oauth_rate_limit_address", "refused_rate_limit"):
        try:
            parse_many(getattr(s, name))
        except ValueError:
            raise ConfigError(f'{name} must be a limit such as "60/minute", not {getattr(s, name)!r}') from None


def _check_webhooks(s: Settings) -> None:
    try:
        networks(s.webhook_allowed_networks)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if s.webhook_ca_file and not Path(s.webhook_ca_file).is_file():
        raise ConfigError(f"webhook_ca_file {s.webhook_ca_file} is not a readable file (PEM certificates)")


def _instance_secret(instance: Path) -> str:
    """A per-installation random key kept in the instance folder, so sessions survive restarts."""
    path = instance / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        instance.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for another engine or an in-memory database)."""
    parsed = make_url(url)
    db = parsed.database
    if parsed.get_backend_name() != "sqlite" or not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


def require_database(settings: Settings) -> None:
    """Refuse to go on without the SQLite database: only ``hub init`` creates one, so a
    command run with other settings (another folder, another config file) cannot silently
    start an empty second database."""
    path = sqlite_file(settings.database_url)
    if path is not None and not path.is_file():
        raise ConfigError(
            f"no database at {path.resolve()}: run 'hub init' to create it "
            "(or point database_url or instance_path at the existing one)"
        )


class ConfigError(Exception):
    """A setting that cannot be used; reported as one line by the CLI."""
