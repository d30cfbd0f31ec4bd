"""The catalogue of models: the shipped seed, imports of price maps, and each user's choice.

Prices are exact Decimals per million tokens. A LiteLLM price map states them per token as
JSON numbers, so the map is parsed with ``parse_float=Decimal`` and scaled by 10^6 without
any float arithmetic: 1.5e-07 per token is 0.15 per million, exactly.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import LLMModel, User
from models.llm_model import PRICE_DIGITS, PRICE_PLACES
from services import loggers
from services.errors import InvalidValue, StorageError
from services.llm import ECHO_MODEL, ECHO_PROVIDER, OPENAI_PROVIDER, Providers
from services.text import shortened, storable

SEED_PATH = Path(__file__).with_name("catalog_seed.json")
PRICE_QUANTUM = Decimal(1).scaleb(-PRICE_PLACES)
# Prices per million below this fit numeric(18, 6).
PRICE_LIMIT = Decimal(10) ** (PRICE_DIGITS - PRICE_PLACES)
# The lengths of the provider and name columns, and the largest value of an IntField
# (32-bit on PostgreSQL).
PROVIDER_LENGTH = 64
NAME_LENGTH = 200
COUNT_LIMIT = 2**31 - 1
# LiteLLM's map opens with a documentation entry that describes the format.
LITELLM_SPEC_KEY = "sample_spec"
# An ambiguous choice names at most this many of the models it could mean.
MAX_NAMED = 5


@dataclass
class ImportSummary:
    """What an import of a price map did, entry by entry."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    not_chat: int = 0
    no_price: int = 0
    # Entries the catalogue cannot hold, counted by reason.
    invalid: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        invalid = sum(self.invalid.values())
        total = self.added + self.updated + self.unchanged + self.not_chat + self.no_price
        text = (
            f"{total + invalid} entries: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged; skipped {self.not_chat} that are not chat models "
            f"and {self.no_price} without a usable price"
        )
        if invalid:
            reasons = ", ".join(f"{why} ({n})" for why, n in sorted(self.invalid.items()))
            text += f"; skipped {invalid} invalid: {reasons}"
        return text

    def skip(self, reason: str) -> None:
        """Count an entry that was not imported, because of ``reason``."""
        if reason == NOT_CHAT:
            self.not_chat += 1
        elif reason == NO_PRICE:
            self.no_price += 1
        else:
            self.invalid[reason] = self.invalid.get(reason, 0) + 1


@dataclass(frozen=True)
class _Entry:
    """An entry of a price map as the catalogue stores it."""

    provider: str
    name: str
    # The fields the entry states; the others of a known model stay as they are.
    fields: dict[str, Any]


async def seed_catalog(path: Path = SEED_PATH) -> int:
    """Load the shipped list of models when the catalogue is empty.

    Returns:
        How many models were added: 0 when the catalogue already had some.
    """
    if await LLMModel.exists():
        return 0
    text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    seed = json.loads(text, parse_float=Decimal)
    as_of = date.fromisoformat(seed["prices_as_of"])
    try:
        async with in_transaction():
            for entry in seed["models"]:
                await LLMModel.create(**_seed_fields(entry, as_of))
    except IntegrityError:
        # Another process seeded the empty catalogue at the same moment; its rows stand.
        return 0
    loggers.catalog.info("catalogue seeded with %d models", len(seed["models"]))
    return len(seed["models"])


async def import_litellm(path: Path, as_of: date | None = None) -> ImportSummary:
    """Add or update the chat models of a price map in LiteLLM's JSON format.

    New models are active; a known model keeps its active flag and gets the new prices.

    Args:
        path: The JSON file.
        as_of: The date the prices were read; today (UTC) by default.

    An entry the catalogue cannot hold (a name too long, a price or a token count out of
    the columns' range) is skipped and counted by reason. A known model keeps the fields
    its entry leaves out.

    Raises:
        InvalidValue: The file is not JSON, is nested too deeply, or is not a map of models;
            nothing was written.
        StorageError: Another writer added one of its models meanwhile; nothing was written.
    """
    entries = await _read_map(path)
    as_of = as_of or datetime.now(UTC).date()
    summary = ImportSummary()
    try:
        async with in_transaction():
            known = {(m.provider, m.name): m for m in await LLMModel.all()}
            for name, entry in entries.items():
                if name == LITELLM_SPEC_KEY:
                    continue
                read = _read_entry(name, entry)
                if isinstance(read, str):
                    summary.skip(read)
                else:
                    await _store(read, as_of, known, summary)
    except IntegrityError as exc:
        # Another import (or the bot adding its default model) wrote the same model first.
        raise StorageError(
            "the catalogue changed while the price map was imported; nothing was written:"
            " run the import again"
        ) from exc
    loggers.catalog.info("price map imported: %s", summary)
    return summary


async def active_models() -> list[LLMModel]:
    """The active models, by provider and name."""
    return await LLMModel.filter(is_active=True).order_by("provider", "name")


async def choosable_models(providers: Providers) -> list[LLMModel]:
    """The active models the configured providers can serve."""
    return [model for model in await active_models() if providers.can_serve(model)]


async def default_model(providers: Providers) -> LLMModel:
    """The model for users who chose none.

    With a remote provider configured it is the one the settings name, added to the catalogue with
    unknown prices if it is not there yet (its cost then stays empty); otherwise echo.
    """
    if providers.remote is None:
        model, _ = await LLMModel.get_or_create(
            provider=ECHO_PROVIDER,
            name=ECHO_MODEL,
            defaults={"input_price": Decimal(0), "output_price": Decimal(0)},
        )
        return model

    model, created = await LLMModel.get_or_create(
        provider=OPENAI_PROVIDER, name=providers.remote_model
    )
    if created:
        loggers.catalog.warning("model %s added to the catalogue without prices", model.id)
    return model


async def model_for(user: User, providers: Providers) -> LLMModel:
    """The model that answers ``user``: their choice while it can serve, else the default."""
    chosen = await LLMModel.get_or_none(chosen_by__id=user.id, is_active=True)
    if chosen is not None and providers.can_serve(chosen):
        return chosen
    return await default_model(providers)


async def choose_model(user: User, choice: int | str, providers: Providers) -> LLMModel:
    """Make a model ``user``'s choice, by id, ``provider/name`` or a name no other shares.

    Raises:
        InvalidValue: No active model the providers can serve goes by that id or name, or
            the name belongs to several providers' models.
    """
    candidates = [m for m in await choosable_models(providers) if _matches(m, choice)]
    said = repr(shortened(choice) if isinstance(choice, str) else choice)
    if not candidates:
        raise InvalidValue("model", f"{said} is not one you can choose: /model lists them")
    if len(candidates) > 1:
        raise InvalidValue("model", f"{said} is ambiguous: say one of {_names(candidates)}")

    model = candidates[0]
    await User.filter(id=user.id).update(model=model)
    loggers.catalog.info("user id=%s chose model id=%s", user.id, model.id)
    return model


def _names(models: list[LLMModel]) -> str:
    names = ", ".join(shortened(str(m)) for m in models[:MAX_NAMED])
    if len(models) > MAX_NAMED:
        names += f" or {len(models) - MAX_NAMED} more"
    return names


def _matches(model: LLMModel, choice: int | str) -> bool:
    if isinstance(choice, int):
        return bool(model.id == choice)
    return choice in (model.name, str(model))


def _seed_fields(entry: dict[str, Any], as_of: date) -> dict[str, Any]:
    return {
        "provider": entry["provider"],
        "name": entry["name"],
        "input_price": Decimal(entry["input_price"]),
        "output_price": Decimal(entry["output_price"]),
        "prices_as_of": as_of,
        "context_window": entry.get("context_window"),
        "max_output_tokens": entry.get("max_output_tokens"),
    }


async def _read_map(path: Path) -> dict[str, Any]:
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
        entries = json.loads(text, parse_float=Decimal)
    except RecursionError as exc:
        raise InvalidValue("price map", f"{path} is nested too deeply") from exc
    # ValueError covers JSONDecodeError and an integer too long to convert.
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidValue("price map", f"cannot read {path}: {exc}") from exc
    if not isinstance(entries, dict):
        raise InvalidValue("price map", f"{path} is not a JSON object of models")
    return entries


# Why an entry is skipped; the other reasons are the invalid ones, named in the summary.
NOT_CHAT = "not a chat model"
NO_PRICE = "no usable price"


def _read_entry(name: str, entry: Any) -> _Entry | str:
    """The entry as the catalogue would store it, or why it cannot be imported."""
    if not isinstance(entry, dict) or entry.get("mode") != "chat":
        return NOT_CHAT
    provider = entry.get("litellm_provider") or "unknown"
    if not isinstance(provider, str):
        return "provider not text"
    provider, name = storable(provider), storable(name)
    if len(provider) > PROVIDER_LENGTH:
        return "provider too long"
    if len(name) > NAME_LENGTH:
        return "name too long"

    fields = _read_fields(entry)
    return fields if isinstance(fields, str) else _Entry(provider, name, fields)


def _read_fields(entry: dict[str, Any]) -> dict[str, Any] | str:
    """The prices and limits of a chat entry, or why one cannot be stored."""
    fields: dict[str, Any] = {}
    for key, value in (
        ("input_price", entry.get("input_cost_per_token")),
        ("output_price", entry.get("output_cost_per_token")),
    ):
        price = _per_million(value)
        if isinstance(price, str):
            return price
        fields[key] = price
    for key, value in (
        ("context_window", entry.get("max_input_tokens") or entry.get("max_tokens")),
        ("max_output_tokens", entry.get("max_output_tokens")),
    ):
        count = _count(value)
        if count is not None and count > COUNT_LIMIT:
            return f"{key.replace('_', ' ')} out of range"
        # A limit the entry leaves out (or states unusably) keeps the stored one.
        if count is not None:
            fields[key] = count
    return fields


async def _store(
    entry: _Entry,
    as_of: date,
    known: dict[tuple[str, str], LLMModel],
    summary: ImportSummary,
) -> None:
    key = (entry.provider, entry.name)
    model = known.get(key)
    if model is None:
        known[key] = await LLMModel.create(
            provider=entry.provider, name=entry.name, prices_as_of=as_of, **entry.fields
        )
        summary.added += 1
    elif any(getattr(model, name) != value for name, value in entry.fields.items()):
        model.update_from_dict({**entry.fields, "prices_as_of": as_of})
        await model.save()
        summary.updated += 1
    else:
        summary.unchanged += 1


def _per_million(value: object) -> Decimal | str:
    """The price per million tokens of a price per token, or why it is unusable."""
    # bool is an int to Python, and a price map's true/false is no price.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return NO_PRICE
    per_token = Decimal(value)
    if per_token < 0:
        return NO_PRICE
    if per_token >= PRICE_LIMIT.scaleb(-6):
        return "price out of range"
    # abs() turns a -0 into 0, as PostgreSQL would.
    exact = abs(per_token.scaleb(6).quantize(PRICE_QUANTUM))
    # A price the column cannot hold exactly is no usable price.
    return exact if exact.scaleb(-6) == per_token else NO_PRICE


def _count(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value
