"""Generated-looking FastAPI projects written directly as file dicts."""

from __future__ import annotations

from textwrap import dedent

MAIN = dedent(
    """\
    from fastapi import FastAPI

    from app.routers import {imports}

    app = FastAPI(title="Sample")
    {includes}


    @app.get("/health")
    def health() -> dict[str, str]:
        return {{"status": "ok"}}
    """
)

ROUTER = dedent(
    """\
    from fastapi import APIRouter, HTTPException
    from pydantic import BaseModel, Field

    router = APIRouter(prefix="/{name}", tags=["{name}"])


    class {model}In(BaseModel):
        title: str = Field(min_length=1, max_length=100)
        quantity: int = Field(default=1, ge=0, le=1000)


    class {model}({model}In):
        id: int


    _items: dict[int, {model}] = {{}}


    @router.post("", status_code=201, response_model={model})
    def create(payload: {model}In) -> {model}:
        item = {model}(id=len(_items) + 1, **payload.model_dump())
        _items[item.id] = item
        return item


    @router.get("", response_model=list[{model}])
    def list_all(limit: int = 20, offset: int = 0) -> list[{model}]:
        return list(_items.values())[offset : offset + limit]


    @router.get("/{{item_id}}", response_model={model})
    def read(item_id: int) -> {model}:
        if item_id not in _items:
            raise HTTPException(status_code=404, detail="not found")
        return _items[item_id]


    @router.put("/{{item_id}}", response_model={model})
    def replace(item_id: int, payload: {model}In) -> {model}:
        if item_id not in _items:
            raise HTTPException(status_code=404, detail="not found")
        _items[item_id] = {model}(id=item_id, **payload.model_dump())
        return _items[item_id]


    @router.delete("/{{item_id}}", status_code=204)
    def delete(item_id: int) -> None:
        if _items.pop(item_id, None) is None:
            raise HTTPException(status_code=404, detail="not found")
    """
)

TESTS = dedent(
    """\
    from fastapi.testclient import TestClient

    from app.main import app

    client = TestClient(app)


    def test_create_{name}() -> None:
        response = client.post("/{name}", json={{"title": "a", "quantity": 2}})
        assert response.status_code == 201
        assert response.json()["title"] == "a"


    def test_read_{name}() -> None:
        created = client.post("/{name}", json={{"title": "b"}}).json()
        assert client.get(f"/{name}/{{created['id']}}").json() == created


    def test_list_{name}() -> None:
        client.post("/{name}", json={{"title": "c"}})
        assert len(client.get("/{name}").json()) >= 1


    def test_missing_{name}() -> None:
        assert client.get("/{name}/99999").status_code == 404


    def test_invalid_{name}() -> None:
        assert client.post("/{name}", json={{"title": ""}}).status_code == 422


    def test_replace_{name}() -> None:
        created = client.post("/{name}", json={{"title": "d"}}).json()
        response = client.put(f"/{name}/{{created['id']}}", json={{"title": "e"}})
        assert response.json()["title"] == "e"


    def test_delete_{name}() -> None:
        created = client.post("/{name}", json={{"title": "f"}}).json()
        assert client.delete(f"/{name}/{{created['id']}}").status_code == 204
        assert client.get(f"/{name}/{{created['id']}}").status_code == 404
    """
)


def good_project(resources: tuple[str, ...] = ("books", "authors", "members")) -> dict[str, str]:
    """A small CRUD API: one router and seven tests per resource."""
    files = {
        "requirements.txt": "fastapi\nuvicorn[standard]\npydantic>=2\nhttpx\npytest\n",
        "app/__init__.py": "",
        "app/routers/__init__.py": "",
        "tests/__init__.py": "",
        "app/main.py": MAIN.format(
            imports=", ".join(resources),
            includes="\n".join(f"app.include_router({name}.router)" for name in resources),
        ),
    }
    for name in resources:
        model = name.rstrip("s").capitalize()
        files[f"app/routers/{name}.py"] = ROUTER.format(name=name, model=model)
        files[f"tests/test_{name}.py"] = TESTS.format(name=name)
    files["README.md"] = "# Sample\n"
    return files


def with_failing_test(files: dict[str, str]) -> dict[str, str]:
    broken = dict(files)
    broken["tests/test_broken.py"] = dedent(
        """\
        from fastapi.testclient import TestClient

        from app.main import app


        def test_health_says_fine() -> None:
            response = TestClient(app).get("/health")
            assert response.json() == {"status": "fine"}
        """
    )
    return broken
