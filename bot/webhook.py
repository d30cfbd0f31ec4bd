"""Serving Telegram by webhook, so that several processes can share the work.

Telegram POSTs each update to one address; a load balancer in front may spread them over
any number of these processes, all writing to one PostgreSQL database. Nothing is kept
in a process that another would need: users, choices and the ledger are in the database,
and a redelivered update is recognised there by its chat and message ids.
"""

from __future__ import annotations

import asyncio
import re
import signal

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import SecretStr

from bot.telegram import DRAIN_S, InFlight
from services import loggers

# What the Bot API accepts as secret_token: 1 to 256 of these characters.
SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")
HEALTH_PATH = "/healthz"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


def check_secret(secret: SecretStr | None) -> str | None:
    """Why ``secret`` cannot guard a webhook, or None when it can."""
    if secret is None:
        return "TELEGRAM_WEBHOOK_SECRET is not set: without it anyone could post updates"
    if not SECRET_FORMAT.fullmatch(secret.get_secret_value()):
        return "TELEGRAM_WEBHOOK_SECRET must be 1 to 256 letters, digits, '_' or '-'"
    return None


class UpdateHandler(SimpleRequestHandler):
    """aiogram's webhook handler, refusing with 400 a body that is no Telegram update.

    aiogram would answer a body that is not JSON with a 500 and a traceback, and one that is
    JSON but no update with 200, then fail in a task whose traceback quotes the body.
    """

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        # Unauthenticated requests go on to aiogram's own 401, unread.
        if self.verify_secret(request.headers.get(SECRET_HEADER, ""), bot):
            try:
                body = await request.json(loads=bot.session.json_loads)
                Update.model_validate(body, context={"bot": bot})
            except ValueError:  # pydantic's ValidationError is one too
                loggers.bot.warning("webhook: refused a request that is no Telegram update")
                return web.Response(text="not a Telegram update", status=400)
        return await super().handle(request)


def build_app(dispatcher: Dispatcher, bot: Bot, secret: SecretStr, path: str) -> web.Application:
    """The aiohttp application: updates at ``path``, a health check at ``/healthz``.

    A request without the right X-Telegram-Bot-Api-Secret-Token header gets 401 and
    reaches no handler.
    """
    app = web.Application()
    # Answer Telegram at once and handle the update in a task: an LLM answer can outlast
    # the time Telegram waits before it redelivers.
    # TODO: so an update is acknowledged before it is answered, and a replica killed
    # mid-answer leaves its request without a response that Telegram will not redeliver;
    # this can go once a sweep at startup answers or cancels such orphaned requests.
    handler = UpdateHandler(
        dispatcher, bot, secret_token=secret.get_secret_value(), handle_in_background=True
    )
    handler.register(app, path=path)
    app.router.add_get(HEALTH_PATH, _healthy)
    return app


async def serve(
    dispatcher: Dispatcher,
    bot: Bot,
    *,
    secret: SecretStr,
    host: str,
    port: int,
    path: str,
    public_url: str | None = None,
    drain_s: float = DRAIN_S,
) -> None:
    """Answer updates posted to ``http://host:port/path`` until SIGINT or SIGTERM.

    With ``public_url``, the webhook is registered with Telegram first (every replica may
    do so: registering the same address again changes nothing). On stop, the answers
    under way get ``drain_s`` seconds to finish.
    """
    in_flight = InFlight()
    dispatcher.update.outer_middleware(in_flight)
    runner = web.AppRunner(build_app(dispatcher, bot, secret, path))
    await runner.setup()
    try:
        if public_url:
            await bot.set_webhook(
                public_url.rstrip("/") + path, secret_token=secret.get_secret_value()
            )
        site = web.TCPSite(runner, host, port)
        await site.start()
        loggers.bot.info("webhook listening on %s:%s%s", host, port, path)
        await _until_stopped()
        await in_flight.drain(drain_s)
    finally:
        await runner.cleanup()
        await bot.session.close()


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    loggers.bot.info("webhook stopping")


async def _healthy(request: web.Request) -> web.Response:
    return web.Response(text="ok")
