"""Writing the ledger: each prompt before the provider is asked, then its answer.

The request is stored first, so a crash while the provider answers still leaves the
question on record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tortoise.exceptions import BaseORMException, IntegrityError

from config import settings
from models import LLMModel, Request, Response, ResponseStatus, User
from models.llm_model import PRICE_PLACES
from services import loggers
from services.errors import (
    EmptyPrompt,
    InvalidValue,
    NotFound,
    PromptTooLong,
    StorageError,
)
from services.prepared import PreparedInsert, PreparedQuery
from services.text import storable

INT64_MAX = 2**63 - 1
MILLION = Decimal(1_000_000)
_PRICE_PLACES = Decimal(1).scaleb(-PRICE_PLACES)

# Every message runs these three statements; they are built once, not once per message.
_INSERT_REQUEST = PreparedInsert(Request)
_INSERT_RESPONSE = PreparedInsert(Response)
_PRICES = PreparedQuery(
    Request,
    lambda request_id: Request.filter(id=request_id).values_list(
        "model__provider", "model__input_price", "model__output_price"
    ),
    arity=1,
)


async def log_request(
    user_id: int,
    prompt: str,
    model: LLMModel | int,
    *,
    chat_id: int | None = None,
    message_id: int | None = None,
) -> int:
    """Store a prompt and return the new request's id.

    A Telegram message delivered twice (same ``chat_id`` and ``message_id``) is stored
    once: the second call returns the first request's id.

    Raises:
        EmptyPrompt, PromptTooLong: The prompt is blank or over ``MAX_PROMPT_CHARS``.
        NotFound: No user or no model with that id.
    """
    recorded = await record_request(user_id, prompt, model, chat_id=chat_id, message_id=message_id)
    return recorded.id


@dataclass(frozen=True)
class RecordedRequest:
    """A request's id, and whether this call stored it (False: a redelivery)."""

    id: int
    created: bool


async def record_request(
    user_id: int,
    prompt: str,
    model: LLMModel | int,
    *,
    chat_id: int | None = None,
    message_id: int | None = None,
) -> RecordedRequest:
    """:func:`log_request`, telling a new request from a redelivered one."""
    prompt = validate_prompt(prompt)
    model_id = model.id if isinstance(model, LLMModel) else model
    _check_id("user", user_id)
    _check_id("model", model_id)

    row = {
        "user_id": user_id,
        "model_id": model_id,
        "prompt": prompt,
        "chat_id": chat_id,
        "message_id": message_id,
        "created_at": datetime.now(UTC),
    }
    try:
        return RecordedRequest(await _INSERT_REQUEST.insert(row), created=True)
    except IntegrityError as exc:
        existing = await _explain_refused_request(exc, user_id, model_id, chat_id, message_id)
        return RecordedRequest(existing, created=False)
    except BaseORMException as exc:
        raise StorageError(f"cannot store the request of user {user_id}: {exc}") from exc


async def log_response(
    request_id: int,
    content: str,
    *,
    status: ResponseStatus | str = ResponseStatus.OK,
    error: str | None = None,
    tokens_in: int | None = None,
    tokens_out: int | None = None,
    latency_ms: int | None = None,
    ttft_ms: int | None = None,
) -> Response:
    """Store what the provider answered to a request, with its cost at today's prices.

    The cost is left empty, never zero, when a token count or a needed price is unknown.

    Raises:
        NotFound: No request with that id.
        InvalidValue: An unknown status or a negative count.
    """
    status = _status(status)
    for field, value in (
        ("tokens_in", tokens_in),
        ("tokens_out", tokens_out),
        ("latency_ms", latency_ms),
        ("ttft_ms", ttft_ms),
    ):
        _check_count(field, value)
    _check_id("request", request_id)

    rows = await _PRICES.rows(request_id)
    if not rows:
        raise NotFound("request", request_id)
    provider, input_price, output_price = rows[0]

    now = datetime.now(UTC)
    row: dict[str, Any] = {
        "request_id": request_id,
        "provider": provider,
        "content": storable(content),
        "status": status.value,
        "error": error[:200] if error else None,
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
        "cost": cost_of(tokens_in, tokens_out, _price(input_price), _price(output_price)),
        "latency_ms": latency_ms,
        "ttft_ms": ttft_ms,
        "created_at": now,
        "updated_at": now,
    }
    try:
        row["id"] = await _INSERT_RESPONSE.insert(row)
    except IntegrityError as exc:
        # The request was deleted between the lookup and the insert.
        raise NotFound("request", request_id) from exc
    except BaseORMException as exc:
        raise StorageError(f"cannot store the response to request {request_id}: {exc}") from exc
    # The row as Tortoise materialises one read from the database, without a read.
    return Response._init_from_db(**row)


def validate_prompt(prompt: str) -> str:
    """The prompt as it will be stored, or the error that keeps it out."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise EmptyPrompt()
    if len(prompt) > settings.max_prompt_chars:
        raise PromptTooLong(len(prompt), settings.max_prompt_chars)
    return storable(prompt)


def cost_of(
    tokens_in: int | None,
    tokens_out: int | None,
    input_price: Decimal | None,
    output_price: Decimal | None,
) -> Decimal | None:
    """Exact cost of an exchange with prices per million tokens, or None if unknown."""
    total = Decimal(0)
    for tokens, price in ((tokens_in, input_price), (tokens_out, output_price)):
        if tokens == 0:
            continue
        if tokens is None or price is None:
            return None
        total += Decimal(tokens) * price
    return total / MILLION


def _price(value: Any) -> Decimal | None:
    # SQLite keeps prices as text, PostgreSQL hands back Decimals: both at six places.
    return None if value is None else Decimal(value).quantize(_PRICE_PLACES)


def _status(status: ResponseStatus | str) -> ResponseStatus:
    try:
        return ResponseStatus(status)
    except ValueError:
        allowed = ", ".join(s.value for s in ResponseStatus)
        raise InvalidValue("status", f"{status!r} is not one of {allowed}") from None


def _check_count(field: str, value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT64_MAX:
        raise InvalidValue(field, f"{value!r} is not a count")


def _check_id(kind: str, value: object) -> None:
    # An id the database cannot even hold names no row; saying so beats a driver error.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= INT64_MAX:
        raise NotFound(kind, value)


async def _explain_refused_request(
    exc: IntegrityError,
    user_id: int,
    model_id: int,
    chat_id: int | None,
    message_id: int | None,
) -> int:
    # The refusal is rare, so the query that finds its cause is paid only here.
    if chat_id is not None and message_id is not None:
        existing = await Request.filter(chat_id=chat_id, message_id=message_id).first()
        if existing is not None:
            loggers.ledger.info("redelivered message: request id=%s kept", existing.id)
            return int(existing.id)
    if not await User.exists(id=user_id):
        raise NotFound("user", user_id) from exc
    if not await LLMModel.exists(id=model_id):
        raise NotFound("model", model_id) from exc
    raise StorageError(f"the request of user {user_id} was refused: {exc}") from exc
