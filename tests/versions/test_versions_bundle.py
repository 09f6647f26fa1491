from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from apiforge.errors import NotFoundError
from apiforge.versions.bundle import (
    CommitSpec,
    GitUnavailableError,
    build_history_bundle,
    make_git_bundle,
)

from .versions_support import EPOCH, HistoryDb, write_history

HISTORY = [
    ("complete", {"app/main.py": "v1\n", "README.md": "# Todo\n"}),
    ("failed", {"app/main.py": "v1\n", "README.md": "# Todo\n"}),
    ("complete", {"app/main.py": "v1\nv3\n", "README.md": "# Todo\n", "a b/ü.py": "x"}),
    ("complete", {"app/main.py": "v1\nv3\n", '"quoted".py': "q\r\n"}),
]


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=True)
    return result.stdout.decode()


def tree_files(repo: Path, commit: str) -> dict[str, str]:
    names = git("ls-tree", "-r", "-z", "--name-only", commit, cwd=repo).split("\0")
    return {
        name: subprocess.run(
            ["git", "cat-file", "blob", f"{commit}:{name}"], cwd=repo, capture_output=True
        ).stdout.decode()
        for name in names
        if name
    }


async def test_git_clone_of_bundle_gives_full_history(
    history_db: HistoryDb, tmp_path: Path
) -> None:
    await history_db.add_project("p")
    await write_history(history_db, "p", HISTORY)
    bundle = tmp_path / "history.bundle"
    async with history_db.transaction() as session:
        commits = await build_history_bundle(session, project_id="p", destination=bundle)
    assert commits == 3
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(bundle), str(clone)], check=True)
    log = git("log", "--format=%H%x00%at%x00%ct%x00%B%x01", cwd=clone).split("\x01")
    entries = [entry.strip("\n").split("\0") for entry in log if entry.strip()]
    entries.reverse()
    completed = [(n, files) for n, (s, files) in enumerate(HISTORY, 1) if s == "complete"]
    assert len(entries) == len(completed)
    for (commit, author_ts, commit_ts, message), (number, files) in zip(
        entries, completed, strict=True
    ):
        expected_ts = str(int(EPOCH.timestamp()) + 60 * number)
        assert (author_ts, commit_ts) == (expected_ts, expected_ts)
        assert message.strip() == f"prompt {number}"
        assert tree_files(clone, commit) == files
    checked_out = {
        str(p.relative_to(clone)): p.read_bytes().decode()
        for p in clone.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(clone).parts
    }
    assert checked_out == HISTORY[-1][1]


def test_same_history_gives_same_commit_ids(tmp_path: Path) -> None:
    commits = [CommitSpec("first\n", EPOCH, {"a.py": "1\n"}), CommitSpec("", EPOCH, {})]
    heads = []
    for name in ("one", "two"):
        make_git_bundle(commits, tmp_path / f"{name}.bundle")
        heads.append(git("bundle", "list-heads", str(tmp_path / f"{name}.bundle"), cwd=tmp_path))
    assert heads[0] == heads[1] and "refs/heads/main" in heads[0]


def test_no_completed_version_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        make_git_bundle([], tmp_path / "empty.bundle")


def test_missing_git_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH where no git exists
    with pytest.raises(GitUnavailableError, match="git is not installed"):
        make_git_bundle([CommitSpec("m", EPOCH, {})], tmp_path / "x.bundle")
