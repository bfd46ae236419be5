"""Application settings: one frozen dataclass, read from the environment in one place.

Nothing in dnacase reads ``os.environ`` except :func:`Settings.from_env`; ``create_app`` and the CLI
receive a :class:`Settings` instance explicitly. Environment variables (all optional):

``DATABASE_URL``            SQLAlchemy async URL (default ``sqlite+aiosqlite:///./dnacase.sqlite3``;
                            ``postgresql+asyncpg://user@host:5432/db`` selects PostgreSQL).
``DNACASE_ENV``             ``production`` (default), ``development`` or ``test``.
``DNACASE_SECRET_KEY``      secret for CSRF tokens; if unset, generated once and kept in
                            ``<var dir>/secret_key`` (mode 0600). Never a hard-coded default.
``DNACASE_VAR_DIR``         directory for runtime files (default ``./var``).
``DNACASE_DEFAULT_LOCALE``  ``vi`` (default) or ``en``.
``DNACASE_COOKIE_SECURE``   ``1``/``0``; default: secure, except in ``development``/``test``
                            (plain http://127.0.0.1 needs non-secure cookies).
``DNACASE_SESSION_MAX_AGE`` session lifetime in seconds (default 8 hours).
``DNACASE_TEMPLATES_DIR``   override the location of the top-level ``templates/`` directory.
``DNACASE_DASK_SCHEDULER``  address of a Dask scheduler (``tcp://host:8786``): search blocks run
                            there; unset = in-process.
``DNACASE_REASSOCIATION_MIN_LOG10``  identity log10 LR from which two remains profiles are queued
                            as a re-association candidate (default 6).
``DNACASE_LOGIN_MAX_FAILURES`` / ``DNACASE_LOGIN_LOCKOUT_SECONDS``  throttling (5 failures,
                            900 s lockout per username + client IP).
``DNACASE_TRUSTED_PROXIES``  comma-separated addresses or networks (``10.0.0.5,192.168.0.0/24``)
                            of reverse proxies whose ``X-Forwarded-For`` is believed; default
                            none: the client address is the socket's peer.
``DNACASE_KINSHIP_MAX_CLIQUE`` complexity limit of the exact kinship likelihood: the largest
                            elimination step, in genotype combinations per locus (default
                            600,000,000 = ``dnacase.kinship.MAX_CLIQUE``); a locus beyond it is
                            refused, naming the locus and the size.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import dnacase

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./dnacase.sqlite3"
SUPPORTED_LOCALES: tuple[str, ...] = ("vi", "en")
ENVIRONMENTS = ("production", "development", "test")
#: Default kinship complexity limit (equal to ``dnacase.kinship.MAX_CLIQUE``, checked by a test).
DEFAULT_KINSHIP_MAX_CLIQUE = 600_000_000


def package_dir() -> Path:
    """Directory of the installed ``dnacase`` package (``src/dnacase`` in an editable install)."""
    return Path(dnacase.__file__).resolve().parent


def project_root() -> Path:
    """The repository root holding ``templates/``, ``migrations/`` and ``alembic.ini``.

    Looked up from the package location (src layout: ``<root>/src/dnacase``), then from the current
    directory upwards. Raises ``FileNotFoundError`` naming the places searched.
    """
    candidates: list[Path] = [package_dir().parents[1]]
    cwd = Path.cwd().resolve()
    candidates += [cwd, *cwd.parents]
    for cand in candidates:
        if (cand / "migrations" / "env.py").is_file() and (cand / "templates").is_dir():
            return cand
    raise FileNotFoundError(
        "cannot find the dnacase project root (a directory with migrations/env.py and templates/); "
        f"searched: {', '.join(str(c) for c in candidates)}"
    )


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    v = value.strip().lower()
    if v in {"1", "true", "yes", "on"}:
        return True
    if v in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected a boolean (1/0/true/false), got {value!r}")


def load_or_create_secret(var_dir: Path) -> str:
    """Return the secret kept in ``var_dir/secret_key``, creating it (0600) on first use."""
    path = var_dir / "secret_key"
    if path.is_file():
        secret = path.read_text(encoding="utf-8").strip()
        if len(secret) >= 32:
            return secret
    var_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secret + "\n")
    return secret


def kinship_max_clique(environ: Mapping[str, str] | None = None) -> int:
    """The kinship complexity limit from ``DNACASE_KINSHIP_MAX_CLIQUE`` (default 600,000,000;
    also read by ``dnacase kinship lr``, which needs no other setting)."""
    env = os.environ if environ is None else environ
    raw = (env.get("DNACASE_KINSHIP_MAX_CLIQUE") or "").strip().replace("_", "")
    if not raw:
        return DEFAULT_KINSHIP_MAX_CLIQUE
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"DNACASE_KINSHIP_MAX_CLIQUE must be a positive integer, got {raw!r}")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    """Explicit configuration for the app, the CLI and the tests."""

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = field(default="", repr=False)
    environment: str = "production"
    default_locale: str = "vi"
    cookie_secure: bool = True
    session_max_age: int = 8 * 3600
    var_dir: Path = Path("var")
    templates_dir: Path | None = None
    login_max_failures: int = 5
    login_lockout_seconds: int = 15 * 60
    # argon2id cost parameters (argon2-cffi defaults: 3 passes, 64 MiB, 4 lanes). Tests lower them.
    argon2_time_cost: int = 3
    argon2_memory_cost_kib: int = 65536
    argon2_parallelism: int = 4
    echo_sql: bool = False
    dask_scheduler: str | None = None  # DNACASE_DASK_SCHEDULER: search blocks on a Dask cluster
    kinship_max_clique: int = DEFAULT_KINSHIP_MAX_CLIQUE  # DNACASE_KINSHIP_MAX_CLIQUE
    reassociation_min_log10: float = 6.0  # DNACASE_REASSOCIATION_MIN_LOG10
    trusted_proxies: tuple[str, ...] = ()  # DNACASE_TRUSTED_PROXIES (addresses or CIDR networks)

    def __post_init__(self) -> None:
        if self.environment not in ENVIRONMENTS:
            raise ValueError(f"DNACASE_ENV must be one of {ENVIRONMENTS}, got {self.environment!r}")
        if self.default_locale not in SUPPORTED_LOCALES:
            raise ValueError(
                f"default locale must be one of {SUPPORTED_LOCALES}, got {self.default_locale!r}"
            )
        if self.kinship_max_clique < 1:
            raise ValueError("DNACASE_KINSHIP_MAX_CLIQUE must be a positive integer")
        for net in self.trusted_proxies:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(
                    f"DNACASE_TRUSTED_PROXIES: {net!r} is not an IP address or network"
                ) from None
        if len(self.secret_key) < 32:
            raise ValueError("secret key must be at least 32 characters (set DNACASE_SECRET_KEY)")

    @property
    def debug(self) -> bool:
        return self.environment != "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolved_templates_dir(self) -> Path:
        """The top-level ``templates/`` directory (setting, else next to the package)."""
        if self.templates_dir is not None:
            return Path(self.templates_dir)
        return project_root() / "templates"

    def with_(self, **changes: Any) -> Settings:
        """Copy with some fields changed (``dataclasses.replace``)."""
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read settings from ``environ`` (default ``os.environ``); keyword overrides win."""
        env = os.environ if environ is None else environ
        environment = overrides.pop("environment", None) or env.get("DNACASE_ENV", "production")
        var_dir = Path(overrides.pop("var_dir", None) or env.get("DNACASE_VAR_DIR", "var"))
        secret = overrides.pop("secret_key", None) or env.get("DNACASE_SECRET_KEY") or ""
        if not secret:
            secret = load_or_create_secret(var_dir)
        default_secure = environment == "production"
        values: dict[str, Any] = {
            "database_url": env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            "secret_key": secret,
            "environment": environment,
            "default_locale": env.get("DNACASE_DEFAULT_LOCALE", "vi"),
            "cookie_secure": _flag(env.get("DNACASE_COOKIE_SECURE"), default_secure),
            "session_max_age": int(env.get("DNACASE_SESSION_MAX_AGE", 8 * 3600)),
            "var_dir": var_dir,
            "templates_dir": Path(env["DNACASE_TEMPLATES_DIR"])
            if env.get("DNACASE_TEMPLATES_DIR")
            else None,
            "login_max_failures": int(env.get("DNACASE_LOGIN_MAX_FAILURES", 5)),
            "login_lockout_seconds": int(env.get("DNACASE_LOGIN_LOCKOUT_SECONDS", 900)),
            "echo_sql": _flag(env.get("DNACASE_ECHO_SQL"), False),
            "dask_scheduler": env.get("DNACASE_DASK_SCHEDULER") or None,
            "kinship_max_clique": kinship_max_clique(env),
            "reassociation_min_log10": float(env.get("DNACASE_REASSOCIATION_MIN_LOG10", 6.0)),
            "trusted_proxies": tuple(
                p.strip() for p in env.get("DNACASE_TRUSTED_PROXIES", "").split(",") if p.strip()
            ),
        }
        values.update(overrides)
        return cls(**values)
