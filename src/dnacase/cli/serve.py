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
@click.option("--workers", default=1, show_default=True, type=int)
def command(host: str, port: int, dev: bool, no_migrate: bool, workers: int) -> None:
    """Run the web application (migrations are applied first)."""
    import uvicorn

    from dnacase import i18n
    from dnacase.db import migrate

    overrides = {"environment": "development", "cookie_secure": False} if dev else {}
    settings = Settings.from_env(**overrides)
    i18n.ensure_compiled()
    if not no_migrate:
        migrate(settings.database_url, "heads")
    if workers > 1:
        click.echo("several workers: set DNACASE_SECRET_KEY or keep ./var shared", err=True)
    from dnacase.web.app import create_app

    click.echo(f"dnacase on http://{host}:{port} ({settings.environment})")
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        proxy_headers=False,  # client_ip() reads X-Forwarded-For from DNACASE_TRUSTED_PROXIES only
    )
