"""Where the CLI keeps the API tokens ``apiforge login`` made: one per server URL, in
``$XDG_CONFIG_HOME/apiforge/tokens.json`` (default ``~/.config``), readable by its owner only.

Which token a command sends: ``--token``, else ``APIFORGE_TOKEN``, else the stored one of the
server it talks to, else none (a local-mode server needs none).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

TOKEN_ENV = "APIFORGE_TOKEN"


def tokens_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "apiforge" / "tokens.json"


def _key(url: str) -> str:
    return url.rstrip("/")


def stored_tokens() -> dict[str, str]:
    path = tokens_file()
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def store_token(url: str, token: str) -> Path:
    """Save ``token`` for ``url``; the file is created mode 0600 and never widened."""
    path = tokens_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tokens = {**stored_tokens(), _key(url): token}
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(tokens, file, indent=2)
    os.chmod(path, 0o600)  # an older file may have been created wider
    return path


def token_for(url: str) -> str | None:
    """The token to send to ``url`` (see the module's docstring)."""
    return os.environ.get(TOKEN_ENV) or stored_tokens().get(_key(url))
