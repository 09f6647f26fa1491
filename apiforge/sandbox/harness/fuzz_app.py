"""Contract fuzzing of the app in-process: schemathesis generates requests from the OpenAPI
document, a Starlette TestClient sends them; a 5xx, or a response that breaks the app's own
documented response schema, is a finding. Bounded by a deadline.

argv: MODULE:ATTR DEADLINE MAX_EXAMPLES_PER_OPERATION, where DEADLINE is a ``time.time()``
value (the wall clock is shared with the host; the monotonic clock's origin need not be).

The host kills this process at its budget whatever it is doing, so progress is printed as it
goes: a marked JSON snapshot once the app is up, then after each request and each operation.
The last snapshot says how far fuzzing got; ``"final": true`` marks the full result.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
import time
from typing import Any

MARKER = "@@APIFORGE-RESULT@@"
MAX_REPORTED = 10


class OutOfTime(Exception):
    pass


class Progress:
    def __init__(self) -> None:
        self.state: dict[str, Any] = {"operations": 0, "requests": 0, "failures": [], "skipped": 0}
        self.state.update(out_of_time=False, final=False, fuzzing=False)

    def report(self, **changes: Any) -> None:
        self.state.update(changes)
        sys.stdout.write(MARKER + json.dumps(self.state) + "\n")
        sys.stdout.flush()


def load_app(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def send(client: Any, case: Any) -> Any:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    body = kwargs.get("data")
    return client.request(
        kwargs["method"],
        kwargs["url"],
        headers=kwargs.get("headers"),
        params=kwargs.get("params"),
        json=kwargs.get("json"),
        content=body if isinstance(body, (bytes, str)) else None,
    )


def schema_violation(case: Any, response: Any) -> str | None:
    """The first way ``response`` breaks the app's own documented response schema, if any."""
    try:
        from schemathesis.core.failures import Failure, FailureGroup
        from schemathesis.specs.openapi.checks import response_schema_conformance
    except ImportError:  # another schemathesis layout: fuzz for server errors only
        return None
    try:
        case.validate_response(response, checks=[response_schema_conformance])
    except (Failure, FailureGroup) as error:
        failure = error.exceptions[0] if isinstance(error, FailureGroup) else error
        lines = [line.strip() for line in str(failure.message).splitlines() if line.strip()]
        return f"{failure.title.lower()}: {lines[0] if lines else ''}"[:300]
    return None


def describe(case: Any, outcome: str) -> str:
    query = f" query={case.query}" if case.query else ""
    body = f" body={json.dumps(case.body, default=str)[:200]}" if case.body else ""
    return f"{case.method} {case.formatted_path} -> {outcome}{query}{body}"


def fuzz_operation(
    client: Any, operation: Any, deadline: float, examples: int, progress: Progress
) -> None:
    from hypothesis import HealthCheck, Phase, given, settings

    found: list[str] = []

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
        response = send(client, case)
        status = int(response.status_code)
        problem = "" if status >= 500 else schema_violation(case, response)
        if (status >= 500 or problem) and not found:  # one finding per operation is enough
            found.append(describe(case, f"{status}, {problem}" if problem else str(status)))
            if len(progress.state["failures"]) < MAX_REPORTED:
                progress.state["failures"].append(found[0])
        progress.report(requests=progress.state["requests"] + 1)

    check()


def fuzz_all(app: Any, schema: Any, deadline: float, examples: int, progress: Progress) -> None:
    from starlette.testclient import TestClient

    operations = []
    for item in schema.get_all_operations():
        if hasattr(item, "ok"):
            operations.append(item.ok())
        else:
            progress.state["skipped"] += 1
    with TestClient(app, raise_server_exceptions=False) as client:
        progress.report(fuzzing=True, total=len(operations))
        for operation in operations:
            try:
                fuzz_operation(client, operation, deadline, examples, progress)
            except OutOfTime:
                progress.report(out_of_time=True)
                break
            except Exception as error:  # a schema the generator cannot handle is not a bug
                progress.state["skipped"] += 1
                problem = f"{type(error).__name__}: {error}"[:200]
                progress.state.setdefault("errors", []).append(problem)
            progress.report(operations=progress.state["operations"] + 1)
        # Reported before the app's shutdown runs: a slow shutdown must not hide the result.
        progress.report(final=True)


def main() -> None:
    target, wall_deadline, examples = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    deadline = time.monotonic() + (wall_deadline - time.time())
    # Hypothesis keeps caches in ./.hypothesis by default; keep them in this job's temp dir.
    storage = os.path.join(tempfile.gettempdir(), "hypothesis")
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", storage)
    import schemathesis

    progress = Progress()
    app = load_app(target)
    try:
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    except Exception as error:
        problem = f"schema not loadable: {type(error).__name__}: {error}"
        progress.report(final=True, error=problem[:300])
        return
    fuzz_all(app, schema, deadline, examples, progress)


main()
