from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from app.db import Base
from app.migrate import upgrade
from app.search.index import is_index_table


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """As alembic/env.py: the FTS5 search index is managed by hand, not by the models."""
    return not (type_ == "table" and is_index_table(name))


def test_upgrade_head_matches_the_models(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    upgrade(f"sqlite+aiosqlite:///{db}")
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as connection:
        opts = {"compare_type": True, "include_name": include_name}
        context = MigrationContext.configure(connection, opts=opts)
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []
