"""The `atrium` command line."""

import typer
import uvicorn

from app.config import ConfigError, Settings, get_settings

cli = typer.Typer(help="Atrium: files, photo galleries and artist portfolios.", no_args_is_help=True)


def _settings() -> Settings:
    try:
        settings = get_settings()
        settings.signing_key  # noqa: B018 - fail now, with one line, not inside the server
    except (ConfigError, ValueError) as exc:
        typer.echo(f"atrium: {exc}".splitlines()[0], err=True)
        raise typer.Exit(2) from exc
    return settings


@cli.command()
def migrate() -> None:
    """Apply every pending database migration."""
    from app.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    typer.echo("database is up to date")


@cli.command()
def serve(
    workers: int = typer.Option(1, min=1, help="uvicorn worker processes"),
    migrate_first: bool = typer.Option(True, "--migrate/--no-migrate", help="apply migrations first"),
) -> None:
    """Serve the API on HOST:PORT."""
    settings = _settings()
    if migrate_first:
        from app.migrate import upgrade

        upgrade(settings.database_url)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        proxy_headers=True,
    )


def main() -> None:
    cli()
