"""app/routers/<resource>.py: the CRUD routes of one resource, plus its nested list routes."""

from __future__ import annotations

from apiforge.engine.render._text import from_import, join_blocks, quoted
from apiforge.engine.render.db import table_constant
from apiforge.engine.render.schemas import annotation
from apiforge.engine.spec import ApiSpec, FieldSpec, RelationSpec, ResourceSpec

_QUERY_BOUNDS = {"int": "Query(None, ge=-MAX_INT, le=MAX_INT)"}


def filter_fields(spec: ApiSpec, resource: ResourceSpec) -> list[FieldSpec]:
    if not spec.has("filtering"):
        return []
    return [field for field in resource.fields if field.kind.query]


def sort_columns(resource: ResourceSpec) -> list[str]:
    return ["id"] + [f.name for f in resource.fields if f.kind.sortable]


def _filter_param(field: FieldSpec) -> str:
    kind = annotation(field) if field.type == "enum" else field.kind.query
    default = _QUERY_BOUNDS.get(kind, "None")
    return f"    {field.name}: {kind} | None = {default},"


def link_filters(resource: ResourceSpec, nested: str = "") -> list[str]:
    """Every link's key filters its list route (?author_id=), except the nested route's own."""
    return [r.field for r in resource.relations if r.field != nested]


def _list_params(spec: ApiSpec, resource: ResourceSpec, nested: str = "") -> list[str]:
    """Query parameters of a list route, after the path parameters and db."""
    params = [_filter_param(field) for field in filter_fields(spec, resource)]
    params += [
        f"    {key}: int | None = Query(None, ge=1, le=MAX_INT),"
        for key in link_filters(resource, nested)
    ]
    if spec.has("search") and any(f.kind.searchable for f in resource.fields):
        params.append('    q: str | None = Query(None, description="Text to search for"),')
    if spec.has("sorting"):
        choices = ", ".join(quoted(column) for column in sort_columns(resource))
        params.append(f'    sort: Literal[{choices}] = "id",')
        params.append('    order: Literal["asc", "desc"] = "asc",')
    if spec.has("pagination"):
        params.append("    limit: int = Query(20, ge=1, le=100),")
        params.append("    offset: int = Query(0, ge=0, le=MAX_INT),")
    return params


def _list_call(spec: ApiSpec, resource: ResourceSpec, extra_filter: str = "") -> list[str]:
    filters = [f"{quoted(f.name)}: {f.name}" for f in filter_fields(spec, resource)]
    filters += [f"{quoted(key)}: {key}" for key in link_filters(resource, extra_filter)]
    if extra_filter:
        filters.append(f"{quoted(extra_filter)}: {extra_filter}")
    args = [f"db, {table_constant(resource)}", "{" + ", ".join(filters) + "}"]
    if spec.has("search") and any(f.kind.searchable for f in resource.fields):
        args.append("search=q")
    if spec.has("sorting"):
        args += ["sort=sort", "order=order"]
    if spec.has("pagination"):
        args += ["limit=limit", "offset=offset"]
    target = "items, total" if spec.has("pagination") else "items, _"
    lines = [f"    {target} = crud.list_rows(", *[f"        {a}," for a in args], "    )"]
    if spec.has("pagination"):
        return [
            *lines,
            '    return {"items": items, "total": total, "limit": limit, "offset": offset}',
        ]
    return [*lines, "    return items"]


def _list_route(spec: ApiSpec, resource: ResourceSpec) -> str:
    model = _list_model(spec, resource)
    lines = [
        f'@router.get("/{resource.name}", response_model={model})',
        f"def list_{resource.name}(",
        "    db: Db,",
        *_list_params(spec, resource),
        ") -> Any:",
        *_list_call(spec, resource),
    ]
    return "\n".join(lines)


def _list_model(spec: ApiSpec, resource: ResourceSpec) -> str:
    name = resource.class_name
    return f"{name}Page" if spec.has("pagination") else f"list[{name}Read]"


def _nested_route(spec: ApiSpec, resource: ResourceSpec, relation: RelationSpec) -> str:
    parent = spec.resource(relation.target)
    assert parent is not None
    lines = [
        f'@router.get("/{parent.name}/{{{relation.field}}}/{resource.name}", '
        f"response_model={_list_model(spec, resource)})",
        f"def list_{resource.name}_of_{parent.singular}(",
        f"    {relation.field}: ItemId,",
        "    db: Db,",
        *_list_params(spec, resource, nested=relation.field),
        ") -> Any:",
        f"    crud.fetch(db, {table_constant(parent)}, {relation.field})  # 404 when missing",
        *_list_call(spec, resource, extra_filter=relation.field),
    ]
    return "\n".join(lines)


def _item_routes(resource: ResourceSpec) -> list[str]:
    name, table, item_id = resource.class_name, table_constant(resource), f"{resource.singular}_id"
    path = f"/{resource.name}/{{{item_id}}}"
    create = (
        f'@router.post("/{resource.name}", status_code=201, response_model={name}Read)\n'
        f"def create_{resource.singular}(payload: {name}Create, db: Db) -> Any:\n"
        f'    return crud.insert(db, {table}, payload.model_dump(mode="json"))'
    )
    read = (
        f'@router.get("{path}", response_model={name}Read)\n'
        f"def read_{resource.singular}({item_id}: ItemId, db: Db) -> Any:\n"
        f"    return crud.fetch(db, {table}, {item_id})"
    )
    update = (
        f'@router.patch("{path}", response_model={name}Read)\n'
        f"def update_{resource.singular}(\n"
        f"    {item_id}: ItemId, payload: {name}Update, db: Db\n"
        ") -> Any:\n"
        f'    changes = payload.model_dump(mode="json", exclude_unset=True)\n'
        f"    return crud.update(db, {table}, {item_id}, changes)"
    )
    delete = (
        f'@router.delete("{path}", status_code=204)\n'
        f"def delete_{resource.singular}({item_id}: ItemId, db: Db) -> Response:\n"
        f"    crud.delete(db, {table}, {item_id})\n"
        "    return Response(status_code=204)"
    )
    return [create, read, update, delete]


def _imports(spec: ApiSpec, resource: ResourceSpec) -> str:
    name = resource.class_name
    models = [f"{name}Create", f"{name}Read", f"{name}Update"]
    if spec.has("pagination"):
        models.insert(1, f"{name}Page")
    tables = sorted({table_constant(resource)} | _parent_tables(spec, resource))
    uses_literal = spec.has("sorting") or any(
        f.type == "enum" for f in filter_fields(spec, resource)
    )
    uses_date = any(f.type == "date" for f in filter_fields(spec, resource))
    typing_names = ["Annotated", "Any"] + (["Literal"] if uses_literal else [])
    fastapi_names = ["APIRouter", "Depends", "Path", "Query", "Response"]
    if not any("Query(" in param for param in _list_params(spec, resource)):
        fastapi_names.remove("Query")
    lines = ["import sqlite3"]
    if uses_date:
        lines.append("from datetime import date")
    lines += [
        f"from typing import {', '.join(typing_names)}",
        "",
        f"from fastapi import {', '.join(fastapi_names)}",
        "",
        "from app import crud",
        "from app.db import get_db",
        from_import("app.schemas", ["MAX_INT", *models]),
        from_import("app.tables", tables),
    ]
    return "\n".join(lines)


def _parent_tables(spec: ApiSpec, resource: ResourceSpec) -> set[str]:
    parents = (spec.resource(relation.target) for relation in resource.relations)
    return {table_constant(parent) for parent in parents if parent is not None}


def render_router(spec: ApiSpec, resource: ResourceSpec) -> str:
    doc = f'"""{resource.label.capitalize()}: create, list, read, update and delete."""'
    errors = {404: "Not found", 409: "Still referenced", 422: "Invalid input"}
    if spec.auth:
        errors[401] = "Missing or invalid credentials"
    responses = "".join(
        f'    {code}: {{"description": "{text}"}},\n' for code, text in errors.items()
    )
    setup = (
        f"ERRORS: dict[int | str, dict[str, Any]] = {{\n{responses}}}\n"
        f"router = APIRouter(tags=[{quoted(resource.name)}], responses=ERRORS)\n"
        "Db = Annotated[sqlite3.Connection, Depends(get_db)]\n"
        "ItemId = Annotated[int, Path(ge=1, le=MAX_INT)]"
    )
    nested = [_nested_route(spec, resource, relation) for relation in resource.relations]
    items = _item_routes(resource)
    routes = [items[0], _list_route(spec, resource), *nested, *items[1:]]
    return join_blocks(f"{doc}\n\n{_imports(spec, resource)}\n\n{setup}", *routes)
