"""Run Alembic from code (the CLI, `make run`, tests) without an alembic.ini."""

from pathlib import Path

from alembic.config import Config

from alembic import command
from app.library.search_text import is_index_table

ALEMBIC_DIR = Path(__file__).resolve().parent.parent / "alembic"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Blocking; alembic's env.py runs its own event loop."""
    command.upgrade(alembic_config(database_url), revision)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate filter: the search index (FTS5 table, shadow tables, rowid map) is hand-made."""
    if type_ == "index" and name == "ix_file_name_trgm":  # PostgreSQL's pg_trgm index (scale01)
        return False
    return not (type_ == "table" and is_index_table(name))
