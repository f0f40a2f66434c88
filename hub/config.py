"""Settings: defaults, then a TOML file (``HUB_CONFIG``), then ``HUB_*`` environment variables.

Every setting is documented in ``config/hub.example.toml``.
"""
from __future__ import annotations

import logging
import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

ASEAN = ("BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN")


@dataclass(frozen=True)
class Settings:
    """The hub's configuration; one instance per process, built by :func:`load`."""

    database_url: str = ""
    secret_key: str = ""
    instance_path: str = "instance"
    members: tuple[str, ...] = ASEAN + ("JP", "KR")
    default_review_policy: str = "required"
    batch_max_records: int = 1000
    batch_max_bytes: int = 10 * 1024 * 1024
    token_lifetime: int = 3600
    secret_rotation_grace: int = 86400
    public_url: str = ""
    rate_limit: str = "1200/minute"
    rate_limit_storage: str = "memory://"
    data_dir: str = ""
    sources_dir: str = "config/sources"
    sync_timeout: int = 30
    sync_retries: int = 5
    sync_retry_budget: int = 50
    sync_backoff_ms: int = 500
    sync_backoff_max_ms: int = 60_000
    sync_retry_after_max: int = 600
    sync_lock_ttl: int = 900
    sync_batch_size: int = 500
    webhook_attempts: int = 8
    webhook_backoff_ms: int = 30_000
    webhook_backoff_max_ms: int = 3_600_000
    webhook_timeout: int = 10
    webhook_batch: int = 100
    scheduler_tick: int = 15
    log_format: str = "text"
    log_level: str = "INFO"
    metrics_token: str = ""
    readiness_timeout: int = 3
    pg_bin_dir: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _coerce(current: Any, value: str) -> Any:
    if isinstance(current, bool):
        return value.lower() in ("1", "true", "yes", "on")
    if isinstance(current, int):
        return int(value)
    if isinstance(current, tuple):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return value


def load(overrides: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> Settings:
    """Build settings: defaults < TOML file < environment < explicit ``overrides``."""
    env = dict(os.environ if env is None else env)
    settings = Settings()
    names = {f.name for f in fields(Settings)} - {"extra"}
    config_file = env.get("HUB_CONFIG")
    if config_file:
        try:
            data = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read HUB_CONFIG {config_file}: {exc}") from None
        hub = data.get("hub", data)
        known = {k: tuple(v) if isinstance(v, list) else v for k, v in hub.items() if k in names}
        settings = replace(settings, **known, extra={k: v for k, v in data.items() if k != "hub"})
    for name in names:
        value = env.get(f"HUB_{name.upper()}")
        if value is not None:
            try:
                settings = replace(settings, **{name: _coerce(getattr(settings, name), value)})
            except ValueError:
                raise ConfigError(f"HUB_{name.upper()}={value!r} is not valid") from None
    if overrides:
        settings = replace(settings, **overrides)
    if not settings.database_url:
        path = Path(settings.instance_path).resolve() / "hub.sqlite3"
        settings = replace(settings, database_url=f"sqlite:///{path}")
    if not settings.secret_key:
        settings = replace(settings, secret_key=_instance_secret(Path(settings.instance_path)))
    if not settings.data_dir:
        settings = replace(settings, data_dir=env.get("HUB_DATA_DIR", str(Path("..") / "shared" / "data")))
    if settings.default_review_policy not in ("required", "auto"):
        raise ConfigError("default_review_policy must be 'required' or 'auto'")
    if settings.log_format not in ("text", "json"):
        raise ConfigError("log_format must be 'text' or 'json'")
    if not isinstance(logging.getLevelName(settings.log_level.upper()), int):
        raise ConfigError("log_level must be DEBUG, INFO, WARNING or ERROR")
    return settings


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


class ConfigError(Exception):
    """A setting that cannot be used; reported as one line by the CLI."""
