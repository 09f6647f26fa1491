"""Local mode answers without a login, so it listens on this machine only unless told otherwise.

Anyone who can reach a local-mode server can read and change every project; on a loopback
address that is the user alone. Binding any other address in this mode is refused unless the
user says ``--insecure-no-auth`` (``APIFORGE_INSECURE_NO_AUTH``), and then warned about.
"""

from __future__ import annotations

from apiforge.server.access import is_loopback_name
from apiforge.settings import Settings


def exposes_without_login(settings: Settings) -> bool:
    """Whether the server would answer others, unauthenticated, on the address it binds."""
    return settings.auth == "local" and not is_loopback_name(settings.host)


def bind_refusal(settings: Settings) -> str | None:
    """Why ``serve`` must not start with these settings, or None."""
    if not exposes_without_login(settings) or settings.insecure_no_auth:
        return None
    return (
        f"Refusing to serve on {settings.host}: in local mode (APIFORGE_AUTH=local) there is no "
        "login, so anyone who can reach that address could read, change and delete every "
        "project. Bind a loopback address (the default, 127.0.0.1), or use "
        "APIFORGE_AUTH=password, or pass --insecure-no-auth if every host that can reach it is "
        "trusted."
    )


def exposure_warning(settings: Settings) -> str | None:
    """The warning for a server started with ``--insecure-no-auth`` on a reachable address."""
    if not exposes_without_login(settings):
        return None
    return (
        f"UNSAFE: serving on {settings.host} with no login (--insecure-no-auth): anyone who "
        "can reach this address can read, change and delete every project. Browsers are "
        "served only under loopback names and APIFORGE_ALLOWED_HOSTS."
    )
