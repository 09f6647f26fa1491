from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

import pytest

from apiforge.errors import InputError
from apiforge.versions.archive import FIXED_DATE_TIME, archive_root_name, build_zip

FILES = {
    "app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
    "README.md": "# Todo 🙂\r\nno final newline",
    "app/routes/items.py": "",
    "requirements.txt": "fastapi\nuvicorn\n",
}


def test_same_files_give_same_bytes_whatever_the_order() -> None:
    reordered = dict(reversed(list(FILES.items())))
    assert build_zip(FILES, root="todo-v1") == build_zip(reordered, root="todo-v1")


def test_entries_are_sorted_with_fixed_metadata() -> None:
    with zipfile.ZipFile(io.BytesIO(build_zip(FILES))) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == sorted(FILES)
    assert {info.date_time for info in infos} == {FIXED_DATE_TIME}
    assert {info.external_attr >> 16 for info in infos} == {0o100644}


def test_unzip_cli_gives_back_every_file(tmp_path: Path) -> None:
    archive = tmp_path / "v1.zip"
    archive.write_bytes(build_zip(FILES, root="todo-v1"))
    out = tmp_path / "out"
    subprocess.run(["unzip", "-q", str(archive), "-d", str(out)], check=True)
    extracted = {
        str(path.relative_to(out / "todo-v1")): path.read_bytes()
        for path in (out / "todo-v1").rglob("*")
        if path.is_file()
    }
    assert extracted == {path: text.encode() for path, text in FILES.items()}


@pytest.mark.parametrize(
    "bad",
    ["/etc/passwd", "../up.py", "a/../../b", "a//b", "C:/x", "a\\b", "./a", ".git/config", ""],
)
def test_unsafe_paths_are_refused(bad: str) -> None:
    with pytest.raises(InputError):
        build_zip({bad: "x"})


def test_root_name_is_safe() -> None:
    assert archive_root_name("Todo API / ../ v2!", 3) == "todo-api-v2-v3"
    assert archive_root_name("🙂", 1) == "project-v1"
