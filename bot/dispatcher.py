"""The dispatcher every front end feeds: Telegram polling and the console alike."""

from __future__ import annotations

from aiogram import Dispatcher

from bot.handlers import chat, errors, model, start, unsupported
from bot.handlers import help as help_
from bot.middlewares.user import RegisterUser
from bot.streaming import ReplyOptions
from services.llm import Providers


def build_dispatcher(providers: Providers, reply_options: ReplyOptions) -> Dispatcher:
    """A dispatcher with every router, the user middleware, and what handlers need.

    Args:
        providers: The LLM providers handlers ask.
        reply_options: How answers are shown (live on Telegram, final text on the console).
    """
    dispatcher = Dispatcher(providers=providers, reply_options=reply_options)
    # After aiogram's own outer middlewares, which find the sender of each update.
    dispatcher.update.outer_middleware(RegisterUser())
    dispatcher.include_routers(
        errors.build_router(),
        start.build_router(),
        model.build_router(),
        help_.build_router(),
        chat.build_router(),
        unsupported.build_router(),
    )
    return dispatcher
