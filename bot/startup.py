"""What every way of running the bot does first and last."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.redact import redact_logs
from config import settings
from services.catalog import seed_catalog
from services.db import close_db, init_db
from services.errors import LedgerError
from services.llm import Providers


class StartupFailed(Exception):
    """The bot cannot start; the message was printed for the operator."""


@asynccontextmanager
async def running() -> AsyncIterator[tuple[str, Providers]]:
    """Open the database, seed the catalogue and the providers; close all on the way out.

    Yields:
        The database URL in force and the providers.

    Raises:
        StartupFailed: The database is unusable; the reason is on stderr.
    """
    try:
        url = await init_db()
        await seed_catalog()
    except LedgerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        await close_db()
        raise StartupFailed(str(exc)) from exc

    redact_logs(
        settings.telegram_bot_token, settings.openai_api_key, settings.telegram_webhook_secret
    )
    providers = Providers(settings)
    try:
        yield url, providers
    finally:
        await providers.aclose()
        await close_db()
