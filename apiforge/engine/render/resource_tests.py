"""tests/test_<resource>.py: CRUD, 404, 422, relations and the requested features."""

from __future__ import annotations

from apiforge.engine.render._text import from_import, join_blocks
from apiforge.engine.render.router import filter_fields
from apiforge.engine.render.schemas import bounds_of
from apiforge.engine.render.test_support import payload_name, sample
from apiforge.engine.spec import ApiSpec, FieldSpec, RelationSpec, ResourceSpec


class _Names:
    """The names one resource's tests use, computed once."""

    def __init__(self, resource: ResourceSpec) -> None:
        self.path = f"/{resource.name}"
        self.one = resource.singular
        self.many = resource.name
        self.create = f"create_{resource.singular}"
        self.sample = payload_name(resource, 0)
        self.other = payload_name(resource, 1)


def _distinct(fields: list[FieldSpec]) -> FieldSpec | None:
    return next((f for f in fields if sample(f, 0) != sample(f, 1)), None)


def _crud_tests(resource: ResourceSpec, n: _Names) -> list[str]:
    tests = [
        f"def test_create_and_read_{n.one}(client):\n"
        f"    {n.one} = {n.create}(client)\n"
        f"    for name, value in {n.sample}.items():\n"
        f"        assert {n.one}[name] == value\n"
        f"    response = client.get(f\"{n.path}/{{{n.one}['id']}}\")\n"
        "    assert response.status_code == 200\n"
        f"    assert response.json() == {n.one}",
        f"def test_list_{n.many}(client):\n"
        f"    first, second = {n.create}(client), {n.create}(client)\n"
        f'    items = listed(client.get("{n.path}"))\n'
        '    assert [item["id"] for item in items] == [first["id"], second["id"]]',
        f"def test_delete_{n.one}(client):\n"
        f"    {n.one} = {n.create}(client)\n"
        f"    assert client.delete(f\"{n.path}/{{{n.one}['id']}}\").status_code == 204\n"
        f"    assert client.get(f\"{n.path}/{{{n.one}['id']}}\").status_code == 404\n"
        f'    assert {n.one}["id"] not in [item["id"] for item in listed(client.get("{n.path}"))]',
        f"def test_missing_{n.one}_is_404(client):\n"
        f'    assert client.get(f"{n.path}/{{MISSING_ID}}").status_code == 404\n'
        f'    assert client.patch(f"{n.path}/{{MISSING_ID}}", json={{}}).status_code == 404\n'
        f'    assert client.delete(f"{n.path}/{{MISSING_ID}}").status_code == 404',
    ]
    field = resource.fields[0]
    tests.insert(
        2,
        f"def test_update_{n.one}(client):\n"
        f"    {n.one} = {n.create}(client)\n"
        f'    change = {{"{field.name}": {n.other}["{field.name}"]}}\n'
        f"    response = client.patch(f\"{n.path}/{{{n.one}['id']}}\", json=change)\n"
        "    assert response.status_code == 200, response.text\n"
        f'    assert response.json()["{field.name}"] == change["{field.name}"]\n'
        f"    again = client.get(f\"{n.path}/{{{n.one}['id']}}\").json()\n"
        f'    assert again["{field.name}"] == change["{field.name}"]',
    )
    return tests


def _validation_test(resource: ResourceSpec, n: _Names) -> str:
    field = resource.fields[0]
    lines = [
        f"def test_invalid_{n.one}_is_422(client):",
        f'    bad = {{**{n.sample}, "{field.name}": {{"not": "valid"}}}}',
        f'    assert client.post("{n.path}", json=bad).status_code == 422',
    ]
    required = [f for f in resource.fields if f.required]
    if required:
        lines += [
            f'    assert client.post("{n.path}", json={{}}).status_code == 422',
            f"    {n.one} = {n.create}(client)",
            f'    null = {{"{required[0].name}": None}}',
            f"    response = client.patch(f\"{n.path}/{{{n.one}['id']}}\", json=null)",
            "    assert response.status_code == 422",
        ]
    return "\n".join(lines)


def _bound_tests(resource: ResourceSpec, n: _Names) -> list[str]:
    """A value just outside a bounded field's range ("rating 1-5": 0 and 6) is a 422."""
    tests = []
    for field in resource.fields:
        values = [v - 1 if key == "ge" else v + 1 for key, v in bounds_of(field).items()]
        if not values:
            continue
        checks = [
            f'    bad = {{**{n.sample}, "{field.name}": {value}}}\n'
            f'    assert client.post("{n.path}", json=bad).status_code == 422'
            for value in values
        ]
        tests.append(
            f"def test_{n.one}_{field.name}_out_of_range_is_422(client):\n" + "\n".join(checks)
        )
    return tests


def _relation_tests(
    spec: ApiSpec, resource: ResourceSpec, relation: RelationSpec, n: _Names
) -> list[str]:
    parent = spec.resource(relation.target)
    assert parent is not None
    parent_create, parent_path = f"create_{parent.singular}", f"/{parent.name}"
    fk = relation.field
    return [
        f"def test_{n.one}_with_missing_{parent.singular}_is_rejected(client):\n"
        f'    bad = {{**{n.sample}, "{fk}": MISSING_ID}}\n'
        f'    assert client.post("{n.path}", json=bad).status_code == 422\n'
        f"    {n.one} = {n.create}(client)\n"
        f'    change = {{"{fk}": MISSING_ID}}\n'
        f"    response = client.patch(f\"{n.path}/{{{n.one}['id']}}\", json=change)\n"
        "    assert response.status_code == 422",
        f"def test_list_{n.many}_of_{parent.singular}(client):\n"
        f"    {parent.singular} = {parent_create}(client)\n"
        f'    mine = {n.create}(client, {fk}={parent.singular}["id"])\n'
        f'    {n.create}(client, {fk}={parent_create}(client)["id"])\n'
        f"    items = listed(client.get(f\"{parent_path}/{{{parent.singular}['id']}}{n.path}\"))\n"
        '    assert [item["id"] for item in items] == [mine["id"]]\n'
        f'    assert client.get(f"{parent_path}/{{MISSING_ID}}{n.path}").status_code == 404',
        f"def test_{n.many}_filter_by_{fk}(client):\n"
        f"    {parent.singular} = {parent_create}(client)\n"
        f'    mine = {n.create}(client, {fk}={parent.singular}["id"])\n'
        f'    {n.create}(client, {fk}={parent_create}(client)["id"])\n'
        f'    params = {{"{fk}": {parent.singular}["id"]}}\n'
        f'    items = listed(client.get("{n.path}", params=params))\n'
        '    assert [item["id"] for item in items] == [mine["id"]]',
        f"def test_{parent.singular}_with_{n.many}_cannot_be_deleted(client):\n"
        f"    {parent.singular} = {parent_create}(client)\n"
        f'    {n.create}(client, {fk}={parent.singular}["id"])\n'
        f"    response = client.delete(f\"{parent_path}/{{{parent.singular}['id']}}\")\n"
        "    assert response.status_code == 409",
    ]


def _pagination_test(n: _Names) -> str:
    return (
        f"def test_{n.many}_are_paginated(client):\n"
        f'    ids = [{n.create}(client)["id"] for _ in range(3)]\n'
        f'    page = client.get("{n.path}", params={{"limit": 2, "offset": 1}}).json()\n'
        '    assert page["total"] == 3\n'
        '    assert [item["id"] for item in page["items"]] == ids[1:]\n'
        '    assert (page["limit"], page["offset"]) == (2, 1)'
    )


def _filter_test(field: FieldSpec, n: _Names) -> str:
    return (
        f"def test_{n.many}_filter_by_{field.name}(client):\n"
        f"    wanted = {n.create}(client)\n"
        f'    {n.create}(client, {field.name}={n.other}["{field.name}"])\n'
        f'    params = {{"{field.name}": {n.sample}["{field.name}"]}}\n'
        f'    items = listed(client.get("{n.path}", params=params))\n'
        '    assert [item["id"] for item in items] == [wanted["id"]]'
    )


def _sorting_test(n: _Names) -> str:
    return (
        f"def test_{n.many}_sort_descending(client):\n"
        f'    ids = [{n.create}(client)["id"] for _ in range(3)]\n'
        f'    items = listed(client.get("{n.path}", params={{"sort": "id", "order": "desc"}}))\n'
        '    assert [item["id"] for item in items] == ids[::-1]'
    )


def _search_test(field: FieldSpec, n: _Names) -> str:
    needle = str(sample(field, 0)).split()[0].upper()
    return (
        f"def test_{n.many}_text_search(client):\n"
        f"    wanted = {n.create}(client)\n"
        f"    {n.create}(client, **{n.other})\n"
        f'    items = listed(client.get("{n.path}", params={{"q": "{needle}"}}))\n'
        '    assert [item["id"] for item in items] == [wanted["id"]]'
    )


def _timestamps_test(n: _Names) -> str:
    return (
        f"def test_{n.one}_timestamps(client):\n"
        f"    {n.one} = {n.create}(client)\n"
        f'    assert {n.one}["created_at"] == {n.one}["updated_at"]\n'
        f"    response = client.patch(f\"{n.path}/{{{n.one}['id']}}\", json={{}})\n"
        f'    assert response.json()["created_at"] == {n.one}["created_at"]\n'
        f'    assert response.json()["updated_at"] >= {n.one}["updated_at"]'
    )


def _feature_tests(spec: ApiSpec, resource: ResourceSpec, n: _Names) -> list[str]:
    tests = []
    if spec.has("pagination"):
        tests.append(_pagination_test(n))
    filtered = _distinct(filter_fields(spec, resource))
    if filtered is not None:
        tests.append(_filter_test(filtered, n))
    if spec.has("sorting"):
        tests.append(_sorting_test(n))
    searchable = [f for f in resource.fields if f.kind.searchable]
    if spec.has("search") and searchable:
        tests.append(_search_test(searchable[0], n))
    if spec.has("timestamps"):
        tests.append(_timestamps_test(n))
    return tests


def _imports(spec: ApiSpec, resource: ResourceSpec, n: _Names) -> str:
    parents = [spec.resource(r.target) for r in resource.relations]
    creators = {n.create} | {f"create_{p.singular}" for p in parents if p is not None}
    names = sorted(creators | {n.sample, n.other, "listed"}, key=lambda s: (not s.isupper(), s))
    doc = f'"""Tests of the {n.path} routes."""'
    return f"{doc}\n\n{from_import('tests.factories', names)}\n\nMISSING_ID = 999_999"


def render_resource_tests(spec: ApiSpec, resource: ResourceSpec) -> str:
    n = _Names(resource)
    tests = [*_crud_tests(resource, n), _validation_test(resource, n), *_bound_tests(resource, n)]
    for relation in resource.relations:
        tests += _relation_tests(spec, resource, relation, n)
    tests += _feature_tests(spec, resource, n)
    return join_blocks(_imports(spec, resource, n), *tests)
