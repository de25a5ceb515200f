"""ranked search on PostgreSQL: a stored tsvector per file (GIN), pg_trgm on names; no-op on SQLite

Revision ID: scale01
Revises: previews01
Create Date: 2026-12-01 05:10:00

`file_search` holds one weighted tsvector per file (A: name and title, B: tags, C: camera and
description, D: the first MiB of text), kept in step by triggers on file, file_tag, image_meta
and file_text, like the FTS5 index of search01 on SQLite. Text is unaccented, lowercased and cut
at ASCII punctuation before the `simple` configuration (no stemming), which is what FTS5's
unicode61 tokenizer does. pg_trgm indexes the lowercased names. SQLite keeps its FTS5 index and
gets nothing here. The SQL is frozen here on purpose.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "scale01"
down_revision: str | None = "previews01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WORDS = r"""
CREATE FUNCTION atrium_search_words(t text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT regexp_replace(lower(unaccent(coalesce(t, ''))), '[\s!-/:-@\[-`{-~]+', ' ', 'g')
$$
"""

DOCUMENT = """
    setweight(to_tsvector('simple', atrium_search_words(f.name)), 'A')
    || setweight(to_tsvector('simple', atrium_search_words(f.title)), 'A')
    || setweight(to_tsvector('simple', atrium_search_words(
           (SELECT string_agg(t.name, ' ') FROM file_tag t WHERE t.file_id = f.id))), 'B')
    || setweight(to_tsvector('simple', atrium_search_words(
           (SELECT concat_ws(' ', m.camera_make, m.camera_model, m.lens)
            FROM image_meta m WHERE m.file_id = f.id))), 'C')
    || setweight(to_tsvector('simple', atrium_search_words(f.description)), 'C')
    || setweight(to_tsvector('simple', atrium_search_words(
           (SELECT left(x.content, {body}) FROM file_text x WHERE x.file_id = f.id))), 'D')
"""

# A body whose distinct words overflow a tsvector (1 MiB) is indexed by its beginning only.
REFRESH = f"""
CREATE FUNCTION atrium_search_refresh(fid uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        INSERT INTO file_search (file_id, doc)
        SELECT f.id, {DOCUMENT.format(body=1048576)} FROM file f WHERE f.id = fid
        ON CONFLICT (file_id) DO UPDATE SET doc = EXCLUDED.doc;
    EXCEPTION WHEN program_limit_exceeded THEN
        INSERT INTO file_search (file_id, doc)
        SELECT f.id, {DOCUMENT.format(body=65536)} FROM file f WHERE f.id = fid
        ON CONFLICT (file_id) DO UPDATE SET doc = EXCLUDED.doc;
    END;
END
$$
"""

TRIGGER_FUNCTIONS = {
    "atrium_search_file": "PERFORM atrium_search_refresh(NEW.id); RETURN NULL;",
    "atrium_search_part": (
        "IF TG_OP <> 'INSERT' THEN PERFORM atrium_search_refresh(OLD.file_id); END IF; "
        "IF TG_OP <> 'DELETE' THEN PERFORM atrium_search_refresh(NEW.file_id); END IF; RETURN NULL;"
    ),
}
TRIGGERS = {
    "search_file_write": ("file", "AFTER INSERT OR UPDATE OF name, title, description", "atrium_search_file"),
    **{
        f"search_{table}_write": (table, "AFTER INSERT OR UPDATE OR DELETE", "atrium_search_part")
        for table in ("file_tag", "image_meta", "file_text")
    },
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite searches its FTS5 index (search01)
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE TABLE file_search (file_id uuid PRIMARY KEY REFERENCES file (id) ON DELETE CASCADE, "
        "doc tsvector NOT NULL)"
    )
    op.execute("CREATE INDEX ix_file_search_doc ON file_search USING gin (doc)")
    op.execute("CREATE INDEX ix_file_name_trgm ON file USING gin (lower(name) gin_trgm_ops)")
    op.execute(WORDS)
    op.execute(REFRESH)
    for name, body in TRIGGER_FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} END $$")
    for name, (table, when, function) in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()")
    op.execute("SELECT atrium_search_refresh(id) FROM file")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (table, _, _) in TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for name in TRIGGER_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.execute("DROP FUNCTION IF EXISTS atrium_search_refresh(uuid)")
    op.execute("DROP FUNCTION IF EXISTS atrium_search_words(text)")
    op.execute("DROP INDEX IF EXISTS ix_file_name_trgm")
    op.execute("DROP TABLE IF EXISTS file_search")
