"""Smoke test of a running app over its socket: every route in its OpenAPI document is called
with generated valid input (creates first, deletes last), and every create is read back.

No 5xx is allowed; 4xx answers are fine (a generated id may simply not exist).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from apiforge.sandbox.schema_examples import SchemaExamples

METHOD_ORDER = {"post": 0, "get": 1, "put": 2, "patch": 3, "delete": 4}
MAX_OPERATIONS = 200
_PARAM = re.compile(r"\{([^{}/]+)\}")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    parameters: tuple[dict[str, Any], ...]
    body_schema: dict[str, Any] | None

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


@dataclass
class SmokeReport:
    answered: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    round_trips: int = 0

    @property
    def called(self) -> int:
        """Distinct operations that answered (a read-back GET counts once)."""
        return len(self.answered)

    @property
    def ok(self) -> bool:
        return not self.failures


def operations_of(document: dict[str, Any], examples: SchemaExamples) -> list[Operation]:
    paths = document.get("paths")
    found: list[Operation] = []
    if not isinstance(paths, dict):
        return found
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters", [])
        for method, spec in item.items():
            if method in METHOD_ORDER and isinstance(spec, dict):
                params = [examples.resolve(p) for p in [*shared, *spec.get("parameters", [])]]
                found.append(Operation(method, str(path), tuple(params), _json_body(spec)))
    found.sort(key=lambda op: (METHOD_ORDER[op.method], op.path.count("/"), op.path))
    return found[:MAX_OPERATIONS]


def _json_body(spec: dict[str, Any]) -> dict[str, Any] | None:
    body = spec.get("requestBody")
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, dict):
        return None
    media = content.get("application/json")
    if isinstance(media, dict):
        schema = media.get("schema")
        return schema if isinstance(schema, dict) else {}
    return None


def collection_of(path: str) -> str:
    """``/authors/{author_id}/books/{book_id}`` -> ``/authors/{author_id}/books``."""
    return path.rsplit("/", 1)[0] if path.endswith("}") else path


class SmokeRun:
    def __init__(self, client: httpx.AsyncClient, document: dict[str, Any]) -> None:
        self.client = client
        self.examples = SchemaExamples(document)
        self.operations = operations_of(document, self.examples)
        self.created: dict[str, dict[str, Any]] = {}
        self.report = SmokeReport()

    def _id_for(self, collection: str, param: str) -> Any:
        created = self.created.get(collection)
        if created is None:
            return None
        for key in (param, "id", param.removesuffix("_id"), f"{param}_id"):
            if key in created and isinstance(created[key], (int, str)):
                return created[key]
        return None

    def _path_value(self, path: str, param: str, schema: Any) -> Any:
        prefix = path.split("{" + param + "}", 1)[0].rstrip("/")
        found = self._id_for(prefix, param)
        return found if found is not None else self.examples.example(schema, param)

    def _foreign_keys(self, body: Any) -> Any:
        """Point ``author_id``-like fields at something created earlier."""
        if not isinstance(body, dict):
            return body
        for key in list(body):
            if not key.endswith("_id"):
                continue
            stem = key.removesuffix("_id")
            for collection, created in self.created.items():
                if collection.rsplit("/", 1)[-1].startswith(stem) and "id" in created:
                    body[key] = created["id"]
        return body

    def request_for(self, op: Operation) -> httpx.Request:
        path, query, headers = op.path, {}, {}
        for param in op.parameters:
            name, where = str(param.get("name", "")), param.get("in")
            if where == "path":
                value = self._path_value(op.path, name, param.get("schema", {}))
                path = path.replace("{" + name + "}", str(value))
            elif where == "query" and param.get("required"):
                query[name] = self.examples.example(param.get("schema", {}), name)
            elif where == "header" and param.get("required"):
                headers[name] = str(self.examples.example(param.get("schema", {}), name))
        path = _PARAM.sub("1", path)
        body = None
        if op.body_schema is not None:
            body = self._foreign_keys(self.examples.example(op.body_schema))
        params = {k: v for k, v in query.items() if v is not None}
        return self.client.build_request(
            op.method.upper(), path, params=params, headers=headers, json=body
        )

    async def call(self, op: Operation) -> httpx.Response | None:
        try:
            response = await self.client.send(self.request_for(op))
        except httpx.HTTPError as error:
            self.report.failures.append(f"{op.label} -> no answer ({type(error).__name__})")
            return None
        self.report.answered.add(op.label)
        if response.status_code >= 500:
            self.report.failures.append(f"{op.label} -> {response.status_code}")
        return response

    async def read_back(self, op: Operation, response: httpx.Response) -> None:
        collection = collection_of(op.path)
        try:
            created = response.json()
        except ValueError:
            return
        if not isinstance(created, dict):
            return
        self.created[collection] = created
        reader = next(
            (
                o
                for o in self.operations
                if o.method == "get"
                and collection_of(o.path) == collection
                and o.path != collection
            ),
            None,
        )
        if reader is None or self._id_for(collection, _last_param(reader.path)) is None:
            return
        got = await self.call(reader)
        if got is None:
            return
        self.report.round_trips += 1
        if got.status_code != 200:
            self.report.failures.append(
                f"{op.label} created an item but {reader.label} answered {got.status_code}"
            )

    async def run(self, deadline: float) -> SmokeReport:
        for op in self.operations:
            if time.monotonic() > deadline:
                self.report.failures.append("smoke test ran out of time")
                break
            response = await self.call(op)
            is_create = op.method == "post" and not op.path.endswith("}")
            if response is not None and is_create and 200 <= response.status_code < 300:
                await self.read_back(op, response)
        return self.report


def _last_param(path: str) -> str:
    names = _PARAM.findall(path)
    return names[-1] if names else ""


async def run_smoke(
    client: httpx.AsyncClient, document: dict[str, Any], timeout: float
) -> SmokeReport:
    return await SmokeRun(client, document).run(time.monotonic() + timeout)
