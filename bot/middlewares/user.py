"""Every update's sender becomes a ``users`` row before a handler runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from aiogram.types import User as TelegramUser

from services.users import get_or_create_user


class RegisterUser(BaseMiddleware):
    """Hands the sender's ``User`` row to handlers as ``user``.

    Updates without a sender (channel posts) pass through untouched, with no ``user``.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        sender: TelegramUser | None = data.get("event_from_user")
        if sender is not None:
            data["user"] = await get_or_create_user(
                sender.id, sender.full_name, sender.username, sender.language_code
            )
        return await handler(event, data)
