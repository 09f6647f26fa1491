"""app/db.py (connection + schema), app/crud.py (shared SQL) and app/tables.py."""

from __future__ import annotations

from apiforge.engine.render._text import quoted, tuple_literal
from apiforge.engine.spec import ApiSpec, ResourceSpec

_DB_TEMPLATE = '''"""SQLite persistence with the standard library: one connection per request."""

import os
import sqlite3
from collections.abc import Iterator

SCHEMA = """
{schema}
"""


def database_path() -> str:
    """Where the data lives; set DATABASE_PATH to move it (the tests use a temporary file)."""
    return os.environ.get("DATABASE_PATH", "app.sqlite3")


def connect() -> sqlite3.Connection:
    connection = sqlite3.connect(database_path(), timeout=30, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def init_db() -> None:
    """Create the tables that do not exist yet."""
    connection = connect()
    try:
        connection.executescript(SCHEMA)
    finally:
        connection.close()


def get_db() -> Iterator[sqlite3.Connection]:
    """FastAPI dependency: a connection for one request, closed afterwards."""
    connection = connect()
    try:
        yield connection
    finally:
        connection.close()
'''

_CRUD_TEMPLATE = '''"""Table helpers shared by the routers: all the SQL the API runs is here.

Table and column names come from the code (never from requests); values are always bound.
"""

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from fastapi import HTTPException

SOFT_DELETE = {soft_delete}  # deleted rows keep existing with deleted_at set, and are hidden
TIMESTAMPS = {timestamps}  # rows carry created_at and updated_at
LIVE = "deleted_at IS NULL" if SOFT_DELETE else "1 = 1"


@dataclass(frozen=True)
class Table:
    name: str
    label: str
    json_columns: tuple[str, ...] = ()
    search_columns: tuple[str, ...] = ()
    references: dict[str, str] = field(default_factory=dict)  # column -> parent table
    children: dict[str, str] = field(default_factory=dict)  # child table -> its column


def now() -> str:
    return datetime.now(UTC).isoformat()


def to_sql(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return json.dumps(value)
    return value


def decode(table: Table, row: sqlite3.Row) -> dict[str, Any]:
    item = dict(row)
    item.pop("deleted_at", None)
    for column in table.json_columns:
        item[column] = json.loads(item[column])
    return item


def fetch(db: sqlite3.Connection, table: Table, item_id: int) -> dict[str, Any]:
    query = f"SELECT * FROM {{table.name}} WHERE id = ? AND {{LIVE}}"
    row = db.execute(query, (item_id,)).fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail=f"{{table.label}} {{item_id}} not found")
    return decode(table, row)


def check_references(db: sqlite3.Connection, table: Table, values: dict[str, Any]) -> None:
    for column, parent in table.references.items():
        if values.get(column) is None:
            continue
        query = f"SELECT 1 FROM {{parent}} WHERE id = ? AND {{LIVE}}"
        if db.execute(query, (values[column],)).fetchone() is None:
            detail = f"{{column}}: there is no {{parent}} row with id {{values[column]}}"
            raise HTTPException(status_code=422, detail=detail)


def insert(db: sqlite3.Connection, table: Table, values: dict[str, Any]) -> dict[str, Any]:
    check_references(db, table, values)
    if TIMESTAMPS:
        values["created_at"] = values["updated_at"] = now()
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    params = [to_sql(value) for value in values.values()]
    cursor = db.execute(f"INSERT INTO {{table.name}} ({{columns}}) VALUES ({{marks}})", params)
    db.commit()
    return fetch(db, table, cursor.lastrowid or 0)


def update(
    db: sqlite3.Connection, table: Table, item_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    fetch(db, table, item_id)
    if not changes:
        return fetch(db, table, item_id)
    check_references(db, table, changes)
    if TIMESTAMPS:
        changes["updated_at"] = now()
    assignments = ", ".join(f"{{column}} = ?" for column in changes)
    params = [to_sql(value) for value in changes.values()] + [item_id]
    db.execute(f"UPDATE {{table.name}} SET {{assignments}} WHERE id = ?", params)
    db.commit()
    return fetch(db, table, item_id)


def delete(db: sqlite3.Connection, table: Table, item_id: int) -> None:
    fetch(db, table, item_id)
    for child, column in table.children.items():
        query = f"SELECT 1 FROM {{child}} WHERE {{column}} = ? AND {{LIVE}} LIMIT 1"
        if db.execute(query, (item_id,)).fetchone() is not None:
            detail = f"{{table.label}} {{item_id}} still has {{child}}; delete them first"
            raise HTTPException(status_code=409, detail=detail)
    if SOFT_DELETE:
        db.execute(f"UPDATE {{table.name}} SET deleted_at = ? WHERE id = ?", (now(), item_id))
    else:
        db.execute(f"DELETE FROM {{table.name}} WHERE id = ?", (item_id,))
    db.commit()


def list_rows(
    db: sqlite3.Connection,
    table: Table,
    filters: dict[str, Any],
    search: str | None = None,
    sort: str = "id",
    order: str = "asc",
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Matching rows (one page of them when limit is set) and how many match in all."""
    where, params = [LIVE], []
    for column, value in filters.items():
        if value is not None:
            where.append(f"{{column}} = ?")
            params.append(to_sql(value))
    if search and table.search_columns:
        matches = [f"instr(lower({{c}}), lower(?)) > 0" for c in table.search_columns]
        where.append("(" + " OR ".join(matches) + ")")
        params.extend([search] * len(table.search_columns))
    clause = " AND ".join(where)
    count = f"SELECT COUNT(*) FROM {{table.name}} WHERE {{clause}}"
    total = db.execute(count, params).fetchone()[0]
    direction = "DESC" if order == "desc" else "ASC"
    query = f"SELECT * FROM {{table.name}} WHERE {{clause}} ORDER BY {{sort}} {{direction}}, id"
    if limit is not None:
        query += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return [decode(table, row) for row in db.execute(query, params).fetchall()], total
'''


def _columns_sql(spec: ApiSpec, resource: ResourceSpec) -> list[str]:
    lines = ["    id INTEGER PRIMARY KEY AUTOINCREMENT"]
    for field in resource.fields:
        null = " NOT NULL" if field.required or field.kind.default is not None else ""
        lines.append(f"    {field.name} {field.kind.sqlite}{null}")
    for relation in resource.relations:
        null = " NOT NULL" if relation.required else ""
        lines.append(f"    {relation.field} INTEGER{null} REFERENCES {relation.target} (id)")
    if spec.has("timestamps"):
        lines += ["    created_at TEXT NOT NULL", "    updated_at TEXT NOT NULL"]
    if spec.has("soft_delete"):
        lines.append("    deleted_at TEXT")
    return lines


def render_db(spec: ApiSpec) -> str:
    tables = []
    for resource in spec.resources:
        columns = ",\n".join(_columns_sql(spec, resource))
        tables.append(f"CREATE TABLE IF NOT EXISTS {resource.name} (\n{columns}\n);")
    return _DB_TEMPLATE.format(schema="\n".join(tables))


def render_crud(spec: ApiSpec) -> str:
    return _CRUD_TEMPLATE.format(
        soft_delete=spec.has("soft_delete"), timestamps=spec.has("timestamps")
    )


def table_constant(resource: ResourceSpec) -> str:
    return resource.name.upper()


def _table(spec: ApiSpec, resource: ResourceSpec) -> str:
    json_columns = [f.name for f in resource.fields if f.kind.stored_as_json]
    search = [f.name for f in resource.fields if f.kind.searchable] if spec.has("search") else []
    references = {r.field: r.target for r in resource.relations}
    children = {child.name: rel.field for child, rel in spec.children_of(resource.name)}
    lines = [f"{table_constant(resource)} = Table(", f"    name={quoted(resource.name)},"]
    lines.append(f"    label={quoted(resource.singular.replace('_', ' '))},")
    if json_columns:
        lines.append(f"    json_columns={tuple_literal(json_columns)},")
    if search:
        lines.append(f"    search_columns={tuple_literal(search)},")
    if references:
        lines.append(f"    references={_dict_literal(references)},")
    if children:
        lines.append(f"    children={_dict_literal(children)},")
    return "\n".join([*lines, ")"])


def _dict_literal(mapping: dict[str, str]) -> str:
    return "{" + ", ".join(f"{quoted(k)}: {quoted(v)}" for k, v in mapping.items()) + "}"


def render_tables(spec: ApiSpec) -> str:
    doc = '"""The tables of the API and how they link to each other."""'
    tables = "\n\n".join(_table(spec, resource) for resource in spec.resources)
    return f"{doc}\n\nfrom app.crud import Table\n\n{tables}\n"
