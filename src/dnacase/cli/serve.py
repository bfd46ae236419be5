"""``dnacase serve``: migrate, then serve the web app with uvicorn."""

from __future__ import annotations

import click

from dnacase.settings import Settings


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--dev",
    is_flag=True,
    help="Development mode: cookies without the Secure flag (plain http://127.0.0.1).",
)
@click.option("--no-migrate", is_flag=True, help="Do not run migrations first.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes (sessions, CSRF secret and login throttling are in the database or "
    "the var dir, so any process can serve any request).",
)
def command(host: str, port: int, dev: bool, no_migrate: bool, workers: int) -> None:
    """Run the web application (migrations are applied first)."""
    import os

    import uvicorn

    from dnacase import i18n
    from dnacase.db import migrate

    overrides = {"environment": "development", "cookie_secure": False} if dev else {}
    settings = Settings.from_env(**overrides)
    i18n.ensure_compiled()
    if not no_migrate:
        migrate(settings.database_url, "heads")
    click.echo(f"dnacase on http://{host}:{port} ({settings.environment}, {workers} worker(s))")
    common: dict[str, object] = {
        "host": host,
        "port": port,
        "log_level": "info",
        # client_ip() reads X-Forwarded-For, from DNACASE_TRUSTED_PROXIES only
        "proxy_headers": False,
    }
    if workers == 1:
        from dnacase.web.app import create_app

        uvicorn.run(create_app(settings), **common)  # type: ignore[arg-type]
        return
    # Each worker process builds its own app from the environment: pass --dev and the secret
    # (created above in the var dir if it was not set) down to them.
    os.environ["DNACASE_SECRET_KEY"] = settings.secret_key
    if dev:
        os.environ["DNACASE_ENV"] = "development"
        os.environ["DNACASE_COOKIE_SECURE"] = "0"
    uvicorn.run(
        "dnacase.web.app:create_app_from_env",
        factory=True,
        workers=workers,
        **common,  # type: ignore[arg-type]
    )
