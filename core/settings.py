"""The one typed settings object: read once at start, then passed down.

Only `Settings.load` reads the environment. Each field maps to an environment
variable `SGP_<FIELD>` and, for the fields in `CLI_FLAGS`, to a
`run_server.py` flag; flags win over the environment, which wins over the
defaults. Every field is documented in README.md (tests/core/test_settings.py
checks that).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

__all__ = ["Settings", "SettingsError", "CLI_FLAGS", "ENV_PREFIX", "default_workers"]

ENV_PREFIX = "SGP_"


def default_workers() -> int:
    """Number of CPUs, at least 1 and at most 4."""
    return max(1, min(os.cpu_count() or 1, 4))


class SettingsError(ValueError):
    """A setting has a value the service cannot use; the message names it."""


Positive = Annotated[int, msgspec.Meta(ge=1)]
PositiveFloat = Annotated[float, msgspec.Meta(gt=0)]


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Every setting of the service, with its default."""

    # Serving
    bind: str = "127.0.0.1:8000"
    workers: Annotated[int, msgspec.Meta(ge=1, le=64)] = msgspec.field(default_factory=default_workers)
    data_dir: Path = Path("data")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = "text"
    cors_origins: str = ""

    # SQLite and the writer
    synchronous: Literal["full", "normal"] = "full"
    queue_capacity: Positive = 10_000
    max_batch: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 512
    write_deadline_s: PositiveFloat = 5.0
    ipc: Literal["tcp", "unix"] = "tcp"
    writer_connections: Annotated[int, msgspec.Meta(ge=1, le=16)] = 2
    idempotency_ttl_s: Positive = 86_400
    journal_size_limit_bytes: Positive = 64 * 1024 * 1024
    slow_batch_ms: PositiveFloat = 250.0
    wal_checkpoint_bytes: Positive = 16 * 1024 * 1024

    # Accounts. Secrets are never logged; keep them out of shared shell history.
    token_secret: str = ""
    # 8 days, as the old server: the desktop client never refreshes its token and keeps it for days.
    # Revocation (logout, password, role, deactivation) still ends a session at once on every worker.
    token_ttl_s: Positive = 8 * 24 * 3600
    login_max_bytes: Annotated[int, msgspec.Meta(ge=256, le=65536)] = 4096
    login_max_failures: Positive = 5
    login_max_failures_per_address: Positive = 30
    admin_password: str = ""
    open_reads: bool = False
    ops_token: str = ""

    # Order feed (WebSocket) and the event log
    ws_ping_interval_s: PositiveFloat = 25.0
    ws_timeout_s: PositiveFloat = 60.0
    ws_buffer_bytes: Positive = 1024 * 1024
    feed_ring_bytes: Positive = 16 * 1024 * 1024
    ws_broadcast_max_bytes: Positive = 8 * 1024
    ws_broadcast_per_s: PositiveFloat = 10.0
    ws_message_max_depth: Annotated[int, msgspec.Meta(ge=1, le=64)] = 8
    ws_replay_page: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 500
    event_retention_days: PositiveFloat = 7.0
    event_retention_min: Positive = 100_000
    export_dir: str = ""

    # Readers and HTTP limits
    reader_pool_size: Annotated[int, msgspec.Meta(ge=1, le=64)] = 4
    reader_acquire_timeout_s: PositiveFloat = 5.0
    max_body_bytes: Positive = 16 * 1024 * 1024
    max_page_size: Positive = 500
    # The desktop app asks up to limit=10001 (its "all" tab) and, with no limit, for every pedido.
    max_pedidos_page: Positive = 100_000
    # Per worker, bodies of recent pedido lists (docs/performance.md); 0 turns the cache off (ETags stay).
    list_cache_mb: Annotated[int, msgspec.Meta(ge=0, le=65536)] = 64
    # Lists at least this big are sent gzipped to clients that accept it; 0 turns it off.
    list_gzip_min_bytes: Annotated[int, msgspec.Meta(ge=0)] = 65536
    max_items: Positive = 200
    max_print_logs: Positive = 50_000
    max_notificacoes: Positive = 500
    long_poll_max_s: PositiveFloat = 25.0
    max_catalog_rows: Positive = 20_000
    # Hardening (docs/hardening.md): what an unauthenticated or slow client may cost us.
    anon_max_body_bytes: Positive = 64 * 1024
    body_timeout_s: PositiveFloat = 120.0
    anon_body_timeout_s: PositiveFloat = 10.0
    max_header_bytes: Annotated[int, msgspec.Meta(ge=1024, le=1024 * 1024)] = 16 * 1024
    max_headers: Annotated[int, msgspec.Meta(ge=8, le=1000)] = 100
    ipc_max_pending: Positive = 64
    ipc_handshake_timeout_s: PositiveFloat = 5.0
    ipc_client_buffer_bytes: Positive = 8 * 1024 * 1024

    # Media (item and ficha images)
    max_image_bytes: Positive = 10 * 1024 * 1024
    media_grace_s: PositiveFloat = 3600.0

    @property
    def db_path(self) -> Path:
        """The SQLite database file."""
        return self.data_dir / "sgp.sqlite3"

    @property
    def writer_address_file(self) -> Path:
        """Where the writer publishes its IPC address and the run's secret."""
        return self.data_dir / "writer.json"

    @property
    def media_dir(self) -> Path:
        """Root of the content-addressed media store."""
        return self.data_dir / "media"

    @property
    def token_secret_file(self) -> Path:
        """Where the generated token-signing secret is kept when `token_secret` is empty."""
        return self.data_dir / "token.key"

    @property
    def admin_password_file(self) -> Path:
        """Where a generated first-start admin password is written (owner-only)."""
        return self.data_dir / "admin-password.txt"

    @property
    def bind_host_port(self) -> tuple[str, int]:
        """`bind` split into host and port."""
        host, _, port = self.bind.rpartition(":")
        return host.strip("[]"), int(port)

    def __repr__(self) -> str:
        hidden = {"token_secret", "admin_password", "ops_token"}
        shown = ", ".join(
            f"{name}={'***' if name in hidden and getattr(self, name) else repr(getattr(self, name))}"
            for name in self.fields()
        )
        return f"Settings({shown})"

    def __post_init__(self) -> None:
        host, sep, port = self.bind.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"bind must be HOST:PORT, got {self.bind!r}")
        if self.token_secret and len(self.token_secret.encode()) < 32:
            raise ValueError("token_secret must be at least 32 bytes; leave it empty to generate one")
        if self.ipc == "unix" and os.name == "nt":
            raise ValueError("ipc=unix is POSIX only; use ipc=tcp on Windows")

    @classmethod
    def fields(cls) -> tuple[str, ...]:
        """Names of every setting."""
        return cls.__struct_fields__

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from defaults, then `SGP_*` variables, then `overrides`."""
        env = os.environ if environ is None else environ
        raw: dict[str, Any] = {}
        for name in cls.fields():
            value = env.get(ENV_PREFIX + name.upper())
            if value is not None and value != "":
                raw[name] = value
        for name, value in (overrides or {}).items():
            if value is not None:
                raw[name] = value
        try:
            # str_values: environment strings become ints, floats and paths.
            return msgspec.convert(raw, cls, strict=False, dec_hook=_dec_hook)
        except msgspec.ValidationError as exc:
            raise SettingsError(f"invalid setting: {exc}") from None


def _dec_hook(type_: type, value: Any) -> Any:
    if type_ is Path and isinstance(value, (str, os.PathLike)):
        return Path(value)
    raise NotImplementedError(f"unsupported setting type {type_!r}")


# run_server.py flags: flag -> field. Every other field is environment-only.
CLI_FLAGS: dict[str, str] = {
    "--bind": "bind",
    "--workers": "workers",
    "--data-dir": "data_dir",
    "--synchronous": "synchronous",
    "--log-level": "log_level",
}
