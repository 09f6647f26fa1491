"""The syntax stage runs on the host, file by file, as the stream completes each one."""

from __future__ import annotations

from apiforge.sandbox.syntax import SyntaxMemo, file_problem, parsed

FILES = {
    "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
    "app/broken.py": "def f(:\n    pass\n",
    "data/x.json": '{"a": 1,}',
    "pyproject.toml": "[project]\nname = 'x'\n",
    ".apiforge/spec.json": "not json, but hidden folders are not checked",
    "README.md": "# not parsed",
}


def test_file_problem_names_file_and_line() -> None:
    assert file_problem("app/main.py", FILES["app/main.py"]) is None
    broken = file_problem("app/broken.py", FILES["app/broken.py"])
    assert broken is not None and broken.startswith("app/broken.py:1 - ")
    bad_json = file_problem("data/x.json", FILES["data/x.json"])
    assert bad_json is not None and bad_json.startswith("data/x.json:1 - ")
    assert file_problem("pyproject.toml", "[project\n") is not None
    assert file_problem("deep.py", "x = " + "(" * 1000 + ")" * 1000) is not None


def test_only_code_and_data_outside_hidden_folders_are_checked() -> None:
    assert [p for p in FILES if parsed(p)] == [
        "app/main.py",
        "app/broken.py",
        "data/x.json",
        "pyproject.toml",
    ]


def test_files_checked_while_streaming_are_not_parsed_again() -> None:
    memo = SyntaxMemo()
    for path, content in FILES.items():
        if parsed(path):
            memo.check(path, content)
    assert memo.parses == 4
    stage = memo.stage(FILES)
    assert memo.parses == 4
    assert not stage.ok and stage.stage == "syntax"
    assert stage.detail.startswith("2 of 4 files do not parse")
    edited = {**FILES, "app/broken.py": "def f():\n    pass\n", "data/x.json": "{}"}
    assert memo.stage(edited).ok and memo.parses == 6


def test_memory_is_bounded() -> None:
    memo = SyntaxMemo(max_entries=3)
    for i in range(10):
        memo.check(f"m{i}.py", "x = 1\n")
    memo.check("m0.py", "x = 1\n")
    assert memo.parses == 11


def test_python_files_the_stream_accepted_are_not_parsed_again() -> None:
    """The assembler accepts only Python files that parse; the validator remembers that."""
    memo = SyntaxMemo()
    memo.parsed_elsewhere("app/main.py", FILES["app/main.py"])
    stage = memo.stage({"app/main.py": FILES["app/main.py"]})
    assert stage.ok and memo.parses == 0
    # Another content at that path (a later version's, not streamed) is parsed.
    assert not memo.stage({"app/main.py": FILES["app/broken.py"]}).ok and memo.parses == 1
