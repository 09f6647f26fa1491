"""Prompts a new user wrote that the engine misread (parts dropped, invented or garbled while
validation still passed), and what each means: exact resources, fields, types and links."""

from __future__ import annotations

from apiforge.engine import generate
from apiforge.engine.engine import EngineResult
from tests.engine.spec_lookup import field_of, fields_of, links_of

CLINIC_FIELDS = {
    "patients": {"name": "text", "date_of_birth": "date", "phone": "text"},
    "doctors": {"name": "text", "specialty": "text"},
    "appointments": {"start_time": "datetime", "status": "enum"},
}
CLINIC_LINKS = {("appointments", "patients"), ("appointments", "doctors")}


def _assert_clinic(result: EngineResult) -> None:
    assert fields_of(result.spec) == CLINIC_FIELDS
    assert links_of(result.spec) == CLINIC_LINKS
    status = field_of(result.spec, "appointments", "status")
    assert status.choices == ["scheduled", "cancelled", "completed"]
    assert result.not_built == []
    assert "Not built" not in result.summary


def test_a_join_that_links_a_patient_to_a_doctor_at_a_time_keeps_every_part() -> None:
    result = generate(
        "a clinic appointment API: patients (name, date of birth, phone), doctors (name, "
        "specialty) and appointments that link a patient to a doctor at a start time, with a "
        "status of scheduled, cancelled or completed"
    )
    _assert_clinic(result)


def test_a_resource_with_fields_linked_to_two_others_is_kept() -> None:
    result = generate(
        "a clinic API with patients (name, date of birth, phone), doctors (name, specialty) and "
        "appointments (start time, status: scheduled, cancelled or completed) linked to "
        "patients and doctors"
    )
    _assert_clinic(result)


def test_tasks_named_in_a_todo_api_are_the_resource_and_can_be_marked_done() -> None:
    result = generate(
        "a todo API with tasks that have a title, a due date and tags; tasks can be marked done"
    )
    assert fields_of(result.spec) == {
        "tasks": {"title": "text", "due_date": "date", "tags": "list", "done": "boolean"}
    }
    assert result.not_built == []


def test_marking_adds_a_flag_to_the_table_defaults_of_a_resource_named_without_fields() -> None:
    spec = generate("a todo API with tasks; tasks can be marked as done").spec
    assert field_of(spec, "tasks", "done").type == "boolean"
    assert field_of(spec, "tasks", "title").type == "text"  # the table's default fields stay


def test_a_followup_review_has_a_bounded_rating_and_links_to_books() -> None:
    first = generate("a bookstore API with books and authors")
    result = generate(
        "add a reviews resource with rating 1-5 and a comment, linked to books", first.files
    )
    assert fields_of(result.spec)["reviews"] == {"rating": "integer", "comment": "text"}
    rating = field_of(result.spec, "reviews", "rating")
    assert (rating.minimum, rating.maximum) == (1, 5)
    assert ("reviews", "books") in links_of(result.spec)
    schemas = result.files["app/schemas.py"]
    assert "rating: Annotated[Integer, Field(ge=1, le=5)]" in schemas
    assert "linked_to" not in schemas
    assert result.not_built == []


def test_a_followup_link_to_a_resource_the_api_lacks_adds_it() -> None:
    first = generate("a bookstore API with books and authors")
    spec = generate("add a reviews resource with a comment, linked to movies", first.files).spec
    assert ("reviews", "movies") in links_of(spec)
    assert field_of(spec, "movies", "title").type == "text"


def test_a_listed_resource_nothing_could_be_read_from_is_reported_not_dropped() -> None:
    result = generate(
        "a clinic API with patients (name) and appointments (start time) scheduled through "
        "the front desk"
    )
    assert [r.name for r in result.spec.resources] == ["patients"]
    assert result.not_built == ['"appointments (start time) scheduled through the front desk"']
    assert "Not built: " in result.summary


def test_a_first_prompt_link_to_a_missing_resource_is_reported() -> None:
    result = generate("a shop API with reviews (rating 1-5, comment, linked to movies)")
    assert fields_of(result.spec) == {"reviews": {"rating": "integer", "comment": "text"}}
    assert result.not_built == ['"linked to movies"']


def test_a_one_value_range_tests_both_sides() -> None:
    # "score 3-3": 2 and 4 are out of range (both were 2 when the side was told by comparing
    # the value with the minimum).
    files = generate("a survey API with answers (score 3-3, comment)").files
    tests = files["tests/test_answers.py"]
    assert '"score": 2}' in tests and '"score": 4}' in tests
