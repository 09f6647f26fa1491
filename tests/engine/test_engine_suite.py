"""The prompt suite (prompt_suite.toml): what people type, and what they mean.

Spec level only, so it is fast. Each case checks the resources (exactly), the columns each must
have, the links (exactly), features when given, and the "Not built" leftovers; refused cases
check the refusal says what was not built. Known failure classes are marked ``xfail``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from apiforge.engine import apply_followup_parts
from apiforge.engine.engine import read_first_prompt
from apiforge.engine.spec import ApiSpec
from apiforge.errors import PromptNotUnderstood

SUITE = tomllib.loads((Path(__file__).parent / "prompt_suite.toml").read_text())["case"]


def _prompts(case: dict[str, Any]) -> list[str]:
    return list(case["prompts"]) if "prompts" in case else [case["prompt"]]


def _run(prompts: list[str]) -> tuple[ApiSpec, list[str]]:
    spec, not_built = read_first_prompt(prompts[0])
    for prompt in prompts[1:]:
        spec, _, more = apply_followup_parts(spec, prompt)
        not_built += more
    return spec, not_built


def _check_spec(spec: ApiSpec, case: dict[str, Any]) -> None:
    assert {r.name for r in spec.resources} == set(case["resources"])
    for name, columns in case["resources"].items():
        resource = spec.resource(name)
        assert resource is not None
        missing = set(columns) - set(resource.column_names())
        assert not missing, f"{name} lacks {missing}; has {resource.column_names()}"
    links = {f"{r.name}>{rel.target}" for r in spec.resources for rel in r.relations}
    assert links == set(case.get("relations", [])), links
    if "features" in case:
        assert set(spec.features) == set(case["features"])
    for path, kind in case.get("types", {}).items():
        resource = spec.resource(path.split(".")[0])
        field = resource.field(path.split(".")[1]) if resource else None
        assert field is not None and field.type == kind, path
    for path, values in case.get("choices", {}).items():
        resource = spec.resource(path.split(".")[0])
        field = resource.field(path.split(".")[1]) if resource else None
        assert field is not None and field.choices == values, path
    for path in case.get("absent", []):
        resource = spec.resource(path.split(".")[0])
        assert resource is not None and path.split(".")[1] not in resource.column_names()


def _check_optional(spec: ApiSpec, case: dict[str, Any]) -> None:
    for path in case.get("optional", []):
        resource_name, column = path.split(".")
        resource = spec.resource(resource_name)
        assert resource is not None
        field = resource.field(column)
        relation = next((r for r in resource.relations if r.field == column), None)
        required = field.required if field else relation.required if relation else True
        assert not required, path


def _params() -> list[Any]:
    params = []
    for index, case in enumerate(SUITE):
        marks = [pytest.mark.xfail(reason=case["xfail"])] if "xfail" in case else []
        params.append(pytest.param(case, id=f"{index:03}-{_prompts(case)[-1][:40]}", marks=marks))
    return params


def test_the_suite_has_at_least_a_hundred_prompts() -> None:
    assert len(SUITE) >= 100
    assert sum(len(_prompts(case)) > 1 for case in SUITE) >= 20


@pytest.mark.parametrize("case", _params())
def test_prompt_means_what_a_person_means(case: dict[str, Any]) -> None:
    prompts = _prompts(case)
    if case.get("refused"):
        with pytest.raises(PromptNotUnderstood) as error:
            _run(prompts)
        assert case["says"] in error.value.message
        return
    spec, not_built = _run(prompts)
    _check_spec(spec, case)
    _check_optional(spec, case)
    for item in case.get("not_built", []):
        assert any(item in text for text in not_built), not_built
