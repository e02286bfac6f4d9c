"""Every setting of the project, read from the environment at call time with safe defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import List

from reissue.addresses import is_loopback

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Every development default of a token or key starts with this; the variable that replaces it, where its name is
# not the setting's name in capitals.
DEVELOPMENT_PREFIX = "dev-"
_VARIABLE_OF = {"backend_token": "REISSUE_BACKEND_TOKEN", "staff_token": "BACKEND_STAFF_TOKEN"}


def _env(name: str, default: str) -> str:
    """Return the environment variable `name`, or `default` when unset or empty."""
    value = os.environ.get(name, "")
    return value if value.strip() else default


def _int(name: str, default: int) -> int:
    """Return an integer setting, falling back to `default` when unset or malformed."""
    try:
        return int(_env(name, str(default)))
    except ValueError:
        return default


def _float(name: str, default: float) -> float:
    """Return a float setting, falling back to `default` when unset or malformed."""
    try:
        return float(_env(name, str(default)))
    except ValueError:
        return default


@dataclass(frozen=True)
class Settings:
    """A snapshot of the environment; call `get_settings()` for a fresh one."""

    host: str
    rasa_port: int
    action_port: int
    backend_port: int
    web_port: int
    backend_url: str
    backend_token: str
    staff_token: str
    rasa_auth_token: str
    database_url: str
    outbox_url: str
    backend_timeout_s: float
    backend_max_attempts: int
    backend_max_total_s: float
    outbox_retry_base_s: float
    outbox_worker_interval_s: float
    cors_origins: str
    upload_dir: Path
    var_dir: Path
    wechat_token: str
    wechat_aes_key: str
    wechat_aes_key_previous: str
    wechat_appid: str
    wechat_secret: str
    wechat_api_base: str
    public_rasa_url: str
    public_backend_url: str
    web_embed_origins: str
    backend_id_hmac_key: str = "dev-id-hmac-key"
    backend_id_secret: str = "dev-id-encryption-secret"
    retention_interval_s: float = 3600.0
    unanswered_retention_days: float = 90.0
    feedback_retention_days: float = 180.0
    orphan_photo_hours: float = 96.0
    application_retention_days: float = 365.0
    trusted_proxies: str = "127.0.0.1,::1"
    photo_uploads_per_hour: int = 30
    feedback_per_hour: int = 30
    upload_min_free_mb: int = 100
    lookup_port: int = 8090
    rest_rate_limit: int = 30
    rest_rate_window_s: float = 60.0
    rest_max_body_bytes: int = 32768
    rest_max_message_chars: int = 1000
    rate_limit_redis_url: str = ""
    tracker_store_url: str = "postgresql://postgres@127.0.0.1:5432/test"
    redis_host: str = "127.0.0.1"
    redis_port: int = 6379
    redis_lock_db: int = 1
    lock_key_prefix: str = "reissue"
    rest_intent_payloads: str = "greet,deny,affirm"
    action_keep_alive_s: float = 60.0
    wechat_state_redis_url: str = ""
    tracker_store_key: str = "dev-tracker-store-key"
    tracker_store_key_previous: str = ""
    tracker_store_timeout_s: float = 1.5
    tracker_memory_max_conversations: int = 10000
    tracker_retention_days: float = 30.0
    redis_timeout_s: float = 0.5
    rest_address_rate_limit: int = 120
    rest_global_rate_limit: int = 3000
    wechat_send_max_attempts: int = 5
    wechat_send_max_total_s: float = 120.0
    outbox_key: str = "dev-outbox-key"
    outbox_key_previous: str = ""
    outbox_dead_after_s: float = 72 * 3600.0
    outbox_dead_retention_s: float = 30 * 86400.0
    handoff_hours: str = "hall"
    handoff_wait_s: float = 180.0
    wechat_handoff: str = "console"
    handoff_retention_days: float = 30.0
    analytics_url: str = "http://127.0.0.1:8000"
    analytics_key: str = "dev-analytics-key"
    analytics_retention_days: float = 400.0
    callback_retention_days: float = 7.0


def get_settings() -> Settings:
    """Read every setting from the environment now."""
    var_dir = Path(_env("REISSUE_VAR_DIR", str(PROJECT_ROOT / "var")))
    backend_port = _int("BACKEND_PORT", 8000)
    host = _env("REISSUE_HOST", "127.0.0.1")
    return Settings(
        host=host,
        rasa_port=_int("RASA_PORT", 5005),
        action_port=_int("ACTION_PORT", 5055),
        backend_port=backend_port,
        web_port=_int("WEB_PORT", 8080),
        backend_url=_env("REISSUE_BACKEND_URL", f"http://127.0.0.1:{backend_port}").rstrip("/"),
        backend_token=_env("REISSUE_BACKEND_TOKEN", "dev-bot-token"),
        staff_token=_env("BACKEND_STAFF_TOKEN", "dev-staff-token"),
        rasa_auth_token=_env("RASA_AUTH_TOKEN", "dev-rasa-token"),
        database_url=_env("DATABASE_URL", f"sqlite:///{var_dir / 'backend.sqlite'}"),
        outbox_url=_env("OUTBOX_URL", f"sqlite:///{var_dir / 'outbox.sqlite'}"),
        backend_timeout_s=_float("REISSUE_BACKEND_TIMEOUT", 5.0),
        backend_max_attempts=_int("REISSUE_BACKEND_MAX_ATTEMPTS", 3),
        backend_max_total_s=_float("REISSUE_BACKEND_MAX_TOTAL", 20.0),
        outbox_retry_base_s=_float("OUTBOX_RETRY_BASE", 30.0),
        outbox_worker_interval_s=_float("OUTBOX_WORKER_INTERVAL", 5.0),
        outbox_key=_env("OUTBOX_KEY", "dev-outbox-key"),
        outbox_key_previous=_env("OUTBOX_KEY_PREVIOUS", ""),
        outbox_dead_after_s=_float("OUTBOX_DEAD_AFTER_HOURS", 72.0) * 3600.0,
        outbox_dead_retention_s=_float("OUTBOX_DEAD_RETENTION_DAYS", 30.0) * 86400.0,
        cors_origins=_env("CORS_ORIGINS", "http://127.0.0.1:8080,http://localhost:8080"),
        upload_dir=Path(_env("UPLOAD_DIR", str(var_dir / "uploads"))),
        var_dir=var_dir,
        wechat_token=_env("WECHAT_TOKEN", ""),
        wechat_aes_key=_env("WECHAT_AES_KEY", ""),
        wechat_aes_key_previous=_env("WECHAT_AES_KEY_PREVIOUS", ""),
        wechat_appid=_env("WECHAT_APPID", ""),
        wechat_secret=_env("WECHAT_SECRET", ""),
        wechat_api_base=_env("WECHAT_API_BASE", "https://api.weixin.qq.com").rstrip("/"),
        public_rasa_url=_env("PUBLIC_RASA_URL", f"http://127.0.0.1:{_int('RASA_PORT', 5005)}").rstrip("/"),
        public_backend_url=_env("PUBLIC_BACKEND_URL", f"http://127.0.0.1:{backend_port}").rstrip("/"),
        web_embed_origins=_env("WEB_EMBED_ORIGINS", "'self' http://127.0.0.1:* http://localhost:*"),
        backend_id_hmac_key=_env("BACKEND_ID_HMAC_KEY", "dev-id-hmac-key"),
        backend_id_secret=_env("BACKEND_ID_SECRET", "dev-id-encryption-secret"),
        retention_interval_s=_float("RETENTION_INTERVAL", 3600.0),
        unanswered_retention_days=_float("UNANSWERED_RETENTION_DAYS", 90.0),
        feedback_retention_days=_float("FEEDBACK_RETENTION_DAYS", 180.0),
        orphan_photo_hours=_float("ORPHAN_PHOTO_HOURS", 96.0),
        application_retention_days=_float("APPLICATION_RETENTION_DAYS", 365.0),
        trusted_proxies=_env("TRUSTED_PROXIES", "127.0.0.1,::1"),
        photo_uploads_per_hour=_int("PHOTO_UPLOADS_PER_HOUR", 30),
        feedback_per_hour=_int("FEEDBACK_PER_HOUR", 30),
        upload_min_free_mb=_int("UPLOAD_MIN_FREE_MB", 100),
        lookup_port=_int("LOOKUP_PORT", 8090),
        rest_rate_limit=_int("REST_RATE_LIMIT", 30),
        rest_rate_window_s=_float("REST_RATE_WINDOW", 60.0),
        rest_max_body_bytes=_int("REST_MAX_BODY_BYTES", 32768),
        rest_max_message_chars=_int("REST_MAX_MESSAGE_CHARS", 1000),
        rate_limit_redis_url=_env("RATE_LIMIT_REDIS_URL", ""),
        tracker_store_url=_env("TRACKER_STORE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
        redis_host=_env("REDIS_HOST", "127.0.0.1"),
        redis_port=_int("REDIS_PORT", 6379),
        redis_lock_db=_int("REDIS_LOCK_DB", 1),
        lock_key_prefix=_env("LOCK_KEY_PREFIX", "reissue"),
        rest_intent_payloads=_env("REST_INTENT_PAYLOADS", "greet,deny,affirm"),
        action_keep_alive_s=_float("ACTION_KEEP_ALIVE", 60.0),
        wechat_state_redis_url=_env("WECHAT_STATE_REDIS_URL", ""),
        tracker_store_key=_env("TRACKER_STORE_KEY", "dev-tracker-store-key"),
        tracker_store_key_previous=_env("TRACKER_STORE_KEY_PREVIOUS", ""),
        tracker_store_timeout_s=_float("TRACKER_STORE_TIMEOUT", 1.5),
        tracker_memory_max_conversations=_int("TRACKER_MEMORY_MAX_CONVERSATIONS", 10000),
        tracker_retention_days=_float("TRACKER_RETENTION_DAYS", 30.0),
        redis_timeout_s=_float("REDIS_TIMEOUT", 0.5),
        rest_address_rate_limit=_int("REST_ADDRESS_RATE_LIMIT", 120),
        rest_global_rate_limit=_int("REST_GLOBAL_RATE_LIMIT", 3000),
        wechat_send_max_attempts=_int("WECHAT_SEND_MAX_ATTEMPTS", 5),
        wechat_send_max_total_s=_float("WECHAT_SEND_MAX_TOTAL", 120.0),
        handoff_hours=_env("HANDOFF_HOURS", "hall").strip().lower() or "hall",
        handoff_wait_s=_float("HANDOFF_WAIT", 180.0),
        wechat_handoff=_env("WECHAT_HANDOFF", "console").strip().lower() or "console",
        handoff_retention_days=_float("HANDOFF_RETENTION_DAYS", 30.0),
        analytics_url=_env("ANALYTICS_URL", f"http://127.0.0.1:{backend_port}").rstrip("/"),
        analytics_key=_env("ANALYTICS_KEY", "dev-analytics-key"),
        analytics_retention_days=_float("ANALYTICS_RETENTION_DAYS", 400.0),
        callback_retention_days=_float("CALLBACK_RETENTION_DAYS", 7.0),
    )


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1."""
    return host.strip().lower() == "localhost" or is_loopback(host)


def development_defaults(settings: Settings) -> List[str]:
    """The variables still holding a development token or key."""
    return [
        _VARIABLE_OF.get(item.name, item.name.upper()) for item in fields(settings)
        if isinstance(getattr(settings, item.name), str) and getattr(settings, item.name).startswith(DEVELOPMENT_PREFIX)
    ]


def require_safe_defaults(settings: Settings) -> None:
    """Refuse to start (SystemExit naming the variables) when a development token or key would serve beyond
    this machine, i.e. REISSUE_HOST is not a loopback address; every service calls this first."""
    if is_loopback_host(settings.host):
        return
    unsafe = development_defaults(settings)
    if unsafe:
        raise SystemExit(
            f"refusing to start: REISSUE_HOST={settings.host} is not a loopback address, but "
            f"{', '.join(unsafe)} still hold the development default; set each to a secret of its own"
        )
