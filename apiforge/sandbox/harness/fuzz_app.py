"""Contract fuzzing of the app in-process: schemathesis generates requests from the OpenAPI
document, a Starlette TestClient sends them, any 5xx is a failure. Bounded by a time budget.

argv: MODULE:ATTR BUDGET_SECONDS MAX_EXAMPLES_PER_OPERATION
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from typing import Any

MARKER = "@@APIFORGE-RESULT@@"


class OutOfTime(Exception):
    pass


def load_app(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def send(client: Any, case: Any) -> int:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    body = kwargs.get("data")
    response = client.request(
        kwargs["method"],
        kwargs["url"],
        headers=kwargs.get("headers"),
        params=kwargs.get("params"),
        json=kwargs.get("json"),
        content=body if isinstance(body, (bytes, str)) else None,
    )
    return int(response.status_code)


def fuzz_operation(client: Any, operation: Any, deadline: float, examples: int) -> list[str]:
    from hypothesis import HealthCheck, Phase, given, settings

    failures: list[str] = []

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        report_multiple_bugs=False,
    )
    @given(operation.as_strategy())
    def check(case: Any) -> None:
        if time.monotonic() > deadline:
            raise OutOfTime
        status = send(client, case)
        if status >= 500 and not failures:
            query = f" query={case.query}" if case.query else ""
            body = f" body={json.dumps(case.body, default=str)[:200]}" if case.body else ""
            failures.append(f"{case.method} {case.formatted_path} -> {status}{query}{body}")

    check()
    return failures


def main() -> None:
    target, budget, examples = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    import schemathesis
    from starlette.testclient import TestClient

    app = load_app(target)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    deadline = time.monotonic() + budget
    result: dict[str, Any] = {"operations": 0, "failures": [], "skipped": 0, "out_of_time": False}
    with TestClient(app, raise_server_exceptions=False) as client:
        for item in schema.get_all_operations():
            if not hasattr(item, "ok"):
                result["skipped"] += 1
                continue
            operation = item.ok()
            try:
                result["failures"] += fuzz_operation(client, operation, deadline, examples)
            except OutOfTime:
                result["out_of_time"] = True
                break
            except Exception as error:  # a schema the generator cannot handle is not a bug
                result["skipped"] += 1
                result.setdefault("errors", []).append(f"{type(error).__name__}: {error}"[:200])
            result["operations"] += 1
    sys.stdout.write(MARKER + json.dumps(result) + "\n")


main()
