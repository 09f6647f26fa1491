"""A version that ends unvalidated (cancelled, error, failed validation) hands the project's
preview back to the one that served before its partial preview took over.

The preview manager records, when a version's first partial preview boots, which version's
preview it replaced. That version's stored files are booted again in its place (the partial
preview keeps serving until they are up) and ``preview:ready {partial: false}`` is sent with that
version's ``version_number``. When no preview served before, or that one cannot start again, the
partial preview is stopped and ``preview:stopped`` says why: the project then has none running.
"""

from __future__ import annotations

import logging
from typing import cast

from apiforge.errors import ApiforgeError
from apiforge.events.types import Event, PreviewReady, PreviewStopped
from apiforge.generation.plumbing.context import GenerationRuntime, PreviewStarter
from apiforge.versions import load_version_files

log = logging.getLogger(__name__)


async def hand_back_preview(
    runtime: GenerationRuntime, project_id: str, version_number: int
) -> None:
    """Called before the version's terminal event, so clients reading up to it see the change."""
    previews = runtime.previews
    if previews is None:
        return
    serving = previews.partial_serving(project_id, version_number)
    if serving is None:
        # Its partial preview never replaced the one serving (or its app exited): nothing a
        # client saw changes. A dead partial preview is still cleaned up.
        await previews.stop_partial(project_id, version_number)
        return
    earlier = serving.replaced
    if earlier is None:
        reason = f"No preview was running before version {version_number} started its own."
    else:
        failure = await _serve_again(runtime, previews, project_id, earlier)
        if failure is None:
            return
        reason = f"Version {earlier}'s preview could not start again: {failure}"
    await previews.stop_partial(project_id, version_number)
    stopped = PreviewStopped(project_id=project_id, version_number=version_number, reason=reason)
    await runtime.log.append(cast(Event, stopped))


async def _serve_again(
    runtime: GenerationRuntime, previews: PreviewStarter, project_id: str, version_number: int
) -> str | None:
    """Version ``version_number``'s preview started again from its stored files; None when it
    serves, else why it does not."""
    try:
        async with runtime.db.read() as session:
            files = await load_version_files(
                session, project_id=project_id, version_number=version_number, cache=runtime.cache
            )
        url = await previews.start(project_id, version_number, files)
    except ApiforgeError as error:
        log.warning("preview of %s v%d not restored: %s", project_id, version_number, error)
        return error.message
    # Sent straight to the log (like the partial preview's events): it is another version's.
    ready = PreviewReady(project_id=project_id, version_number=version_number, url=url)
    await runtime.log.append(cast(Event, ready))
    return None
