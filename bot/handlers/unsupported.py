"""Messages the bot cannot read yet: photos, stickers, voice, files and the like."""

from __future__ import annotations

from collections import OrderedDict

from aiogram import Router
from aiogram.types import Message

CANNOT_READ = (
    "I can read text only for now: photos, stickers, voice messages and files are not "
    "read, and nothing was sent to the model. Please send your question as text."
)
# Albums remembered so that one album gets one answer, not one per photo.
# TODO: the memory is per process; with several replicas sharing updates, an album split
# between them is answered once by each. Move it to shared storage along with replicas.
ALBUMS_REMEMBERED = 1000


def build_router() -> Router:
    """A router that answers once per unreadable message, or once per album."""
    router = Router(name="unsupported")
    albums: OrderedDict[str, None] = OrderedDict()

    @router.message()
    async def on_unreadable(message: Message) -> None:
        if message.media_group_id is not None:
            if message.media_group_id in albums:
                return
            albums[message.media_group_id] = None
            if len(albums) > ALBUMS_REMEMBERED:
                albums.popitem(last=False)
        await message.answer(CANNOT_READ)

    return router
