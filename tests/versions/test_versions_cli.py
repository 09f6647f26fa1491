"""``apiforge export`` and ``apiforge diff`` run as real subprocesses against a real server."""

from __future__ import annotations

import asyncio
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.cli_runner import run_cli
from tests.server_process import ServerProcess
from tests.versions.server_history import PROMPT, SECOND, THIRD, History, build_history

ANSI_GREEN, ANSI_RED = "\x1b[32m", "\x1b[31m"


@pytest.fixture(scope="module")
def history(live_server: ServerProcess) -> History:
    return asyncio.run(build_history(live_server.url, (PROMPT, SECOND, THIRD)))


def zip_files(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        return {
            name.split("/", 1)[1]: archive.read(name).decode("utf-8") for name in archive.namelist()
        }


def test_export_zip_default_and_chosen_version(history: History, tmp_path: Path) -> None:
    latest, second = tmp_path / "latest.zip", tmp_path / "nested" / "v2.zip"
    for target, extra in ((latest, ()), (second, ("--version", "2"))):
        result = run_cli(
            "export",
            history.project_id,
            *extra,
            "--zip",
            str(target),
            "--server",
            history.url,
            data_dir=tmp_path,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    assert zip_files(latest) == history.files[3]
    assert zip_files(second) == history.files[2]
    assert (
        "v3"
        in run_cli(
            "export",
            history.project_id,
            "--zip",
            str(latest),
            "--server",
            history.url,
            data_dir=tmp_path,
        ).stdout
    )


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_export_git_clones_every_version(history: History, tmp_path: Path) -> None:
    target = tmp_path / "repo"
    result = run_cli(
        "export",
        history.project_id,
        "--git",
        str(target),
        "--server",
        history.url,
        data_dir=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    subjects = git("log", "--reverse", "--format=%s", cwd=target).splitlines()
    assert subjects == [PROMPT, SECOND, THIRD]
    assert git("remote", cwd=target).strip() == ""
    for path, content in history.files[3].items():
        assert (target / path).read_text("utf-8") == content
    tracked = git("ls-files", cwd=target).split()
    assert sorted(tracked) == sorted(history.files[3])


@pytest.mark.parametrize(
    "options",
    [
        (),
        ("--zip", "a.zip", "--git", "repo"),
        ("--git", "repo", "--version", "2"),
    ],
)
def test_export_refuses_bad_option_sets(
    history: History, tmp_path: Path, options: tuple[str, ...]
) -> None:
    result = run_cli(
        "export", history.project_id, *options, "--server", history.url, data_dir=tmp_path
    )
    assert result.returncode == 2 and "invalid_input" in result.stdout
    assert not (tmp_path / "a.zip").exists() and not (tmp_path / "repo").exists()


def test_export_unknown_version_fails_cleanly(history: History, tmp_path: Path) -> None:
    target = tmp_path / "x.zip"
    result = run_cli(
        "export",
        history.project_id,
        "--version",
        "9",
        "--zip",
        str(target),
        "--server",
        history.url,
        data_dir=tmp_path,
    )
    assert result.returncode == 1 and "not_found" in result.stdout
    assert not target.exists()


def test_diff_prints_coloured_file_diffs(history: History, tmp_path: Path) -> None:
    result = run_cli(
        "diff", history.project_id, "3", "--server", history.url, data_dir=tmp_path, colour=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "v3" in out and "against v2" in out
    assert ANSI_GREEN in out or ANSI_RED in out
    changed = [
        path
        for path in sorted(set(history.files[2]) | set(history.files[3]))
        if history.files[2].get(path) != history.files[3].get(path)
    ]
    assert changed
    for path in changed:
        assert path in out


def test_diff_between_two_versions_plain(history: History, tmp_path: Path) -> None:
    result = run_cli(
        "diff", history.project_id, "1", "3", "--server", history.url, data_dir=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "v3" in result.stderr and "against v1" in result.stderr
    assert "\x1b[" not in result.stdout
    added = [
        line[1:]
        for line in result.stdout.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    assert added
    all_v3_lines = {line for text in history.files[3].values() for line in text.splitlines()}
    assert set(added) <= all_v3_lines
    missing = run_cli("diff", history.project_id, "9", "--server", history.url, data_dir=tmp_path)
    assert missing.returncode == 1 and "not_found" in missing.stdout


def write_tree(root: Path, files: dict[str, str]) -> None:
    for path, content in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(content, "utf-8")


def read_tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text("utf-8")
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def test_diff_redirected_is_a_patch_that_applies(history: History, tmp_path: Path) -> None:
    # A narrow terminal width: a wrapping printer would split the long lines of the patch.
    result = run_cli(
        "diff",
        history.project_id[:8],
        "1",
        "3",
        "--server",
        history.url,
        data_dir=tmp_path,
        env={"COLUMNS": "40"},
    )
    assert result.returncode == 0, result.stderr
    assert max(map(len, result.stdout.splitlines())) > 40
    patch_file = tmp_path / "v1-v3.patch"
    patch_file.write_text(result.stdout, "utf-8")
    with_git, with_patch = tmp_path / "git", tmp_path / "patch"
    for tree in (with_git, with_patch):
        write_tree(tree, history.files[1])
    git("init", "-q", cwd=with_git)
    git("apply", "--check", str(patch_file), cwd=with_git)
    git("apply", str(patch_file), cwd=with_git)
    subprocess.run(["patch", "-p1", "-s", "-i", str(patch_file)], cwd=with_patch, check=True)
    assert read_tree(with_git) == history.files[3]
    assert read_tree(with_patch) == history.files[3]


@pytest.mark.slow
def test_export_embedded(tmp_path: Path) -> None:
    data = tmp_path / "data"
    created = run_cli("generate", PROMPT, data_dir=data)
    assert created.returncode == 0, created.stdout + created.stderr
    project_id = created.stdout.split("project: ", 1)[1].split()[0]
    target = tmp_path / "v1.zip"
    exported = run_cli("export", project_id, "--zip", str(target), data_dir=data)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert "app/main.py" in zip_files(target)
