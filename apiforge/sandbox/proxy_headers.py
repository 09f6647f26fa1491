"""Which headers cross the preview proxy, each way.

The generated app is untrusted and answers on apiforge's own origin, so nothing that carries the
user's credentials goes to it, and nothing it answers may act on apiforge's origin: no cookies,
no authentication challenges, no timed redirects, and no redirect that leaves the preview.
"""

from __future__ import annotations

from urllib.parse import unquote, urljoin, urlsplit

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
# The user's credentials for apiforge (session cookie, API token, CSRF token) are not the app's.
_CREDENTIALS = frozenset({"authorization", "cookie", "x-csrf-token", "x-xsrf-token"})
_DROPPED_REQUEST = HOP_BY_HOP | _CREDENTIALS | {"host", "content-length"}
# date and server are set again by apiforge's own server; forwarding them would send each twice.
# refresh redirects like location but cannot be rewritten safely; www-authenticate would make
# the browser ask for a password on apiforge's origin.
_DROPPED_RESPONSE = HOP_BY_HOP | {"set-cookie", "date", "server", "refresh", "www-authenticate"}
# How the app sees its own address: httpx sends ``Host: app`` on the socket.
_APP_ORIGIN = "http://app"


def request_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, value in headers
        if name.lower() not in _DROPPED_REQUEST and not name.lower().startswith("x-apiforge")
    ]


def response_headers(
    headers: list[tuple[str, str]], *, prefix: str, request_path: str, replaced: frozenset[str]
) -> list[tuple[str, str]]:
    """The app's response headers, less dropped ones and those in ``replaced``; a Location is
    rewritten under ``prefix`` (``/preview/{id}``), or dropped when it leaves the app."""
    kept: list[tuple[str, str]] = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in _DROPPED_RESPONSE or lowered in replaced:
            continue
        if lowered in ("location", "content-location"):
            rewritten = location_in_preview(value, prefix=prefix, request_path=request_path)
            if rewritten is not None:
                kept.append((name, rewritten))
            continue
        kept.append((name, value))
    return kept


def location_in_preview(location: str, *, prefix: str, request_path: str) -> str | None:
    """``location`` as the browser should follow it, under the preview's ``prefix``; None when
    it points anywhere but the app itself (another host, scheme or port), or could be read so.

    ``request_path`` is the path the app was asked for (without the prefix). The app runs with
    the prefix as its root path, so a Location it builds may carry the prefix already.
    """
    root = prefix.rstrip("/")
    # Read as a browser reads it: tabs and line breaks dropped, backslashes as slashes (so
    # ``\\evil.example`` is another host), relative to the page, ``..`` folded.
    cleaned = "".join(ch for ch in location.strip() if ch not in "\t\r\n").replace("\\", "/")
    target = urlsplit(urljoin(f"{_APP_ORIGIN}{root}{request_path}", cleaned))
    if f"{target.scheme}://{target.netloc}" != _APP_ORIGIN:
        return None
    # A browser also folds ``%2e%2e``: such a segment left after urljoin could climb out.
    if any(unquote(segment) in (".", "..") for segment in target.path.split("/")):
        return None
    path = target.path or "/"
    rewritten = path if path == root or path.startswith(f"{root}/") else root + path
    if target.query:
        rewritten += f"?{target.query}"
    if target.fragment:
        rewritten += f"#{target.fragment}"
    return rewritten
