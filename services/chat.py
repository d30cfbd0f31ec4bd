"""One exchange: record the question, ask the provider, record the answer.

The console and Telegram both go through :func:`ask`, so the ledger sees every exchange
the same way whatever the front end.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from config import settings
from models import LLMModel, Request, ResponseStatus, User
from services import loggers
from services.catalog import model_for
from services.errors import AnswerInProgress, ProviderError
from services.llm import Completion, OnText, Providers
from services.llm.base import Clock
from services.logging import log_response, record_request, validate_prompt

# Beyond the provider's own timeouts: time to store and show an answer.
ANSWER_GRACE_S = 30.0


@dataclass(frozen=True)
class Answer:
    """A stored answer: what to show the user, and where it sits in the ledger."""

    request_id: int
    model: LLMModel
    completion: Completion

    @property
    def text(self) -> str:
        return self.completion.text


async def ask(
    providers: Providers,
    user: User,
    prompt: str,
    *,
    chat_id: int | None = None,
    message_id: int | None = None,
    on_text: OnText | None = None,
) -> Answer:
    """Answer ``prompt`` for ``user`` and record the exchange.

    The request is stored before the provider is asked. Whatever happens next, a response
    row says how it ended: ``ok``, ``error`` with the error kind, or ``cancelled``. A
    message Telegram delivers twice is answered from the ledger the second time.

    Args:
        providers: The providers in force.
        user: Who asks; their chosen model answers, else the default.
        prompt: The question as the user wrote it.
        chat_id: The Telegram chat, if any; with ``message_id`` it makes a redelivered
            message count once in the ledger.
        message_id: The Telegram message, if any.
        on_text: Called with the text so far while the answer streams; without it the
            provider answers in one piece.

    Raises:
        EmptyPrompt, PromptTooLong: Nothing was stored.
        ProviderError: The provider failed; the failure is in the ledger.
        AnswerInProgress: A redelivered message whose first copy is still being answered;
            that answer is the one the user gets.
    """
    prompt = validate_prompt(prompt)
    model = await model_for(user, providers)
    provider = providers.for_model(model)
    recorded = await record_request(user.id, prompt, model, chat_id=chat_id, message_id=message_id)
    request_id = recorded.id
    if not recorded.created:
        # Telegram delivered this message again: show the answer again, pay once.
        earlier, answering = await _earlier_answer(request_id)
        if earlier is not None:
            loggers.ledger.info("request id=%s answered already: replayed", request_id)
            return Answer(request_id=request_id, model=model, completion=earlier)
        if answering:
            loggers.ledger.info("request id=%s is being answered: copy ignored", request_id)
            raise AnswerInProgress(request_id)

    # TODO: each prompt goes to the model alone, without the conversation before it; send
    # the recent exchanges along once the history service exists.
    progress = _Progress(on_text)
    try:
        if on_text is None:
            completion = await provider.complete(model.name, prompt)
        else:
            completion = await provider.stream(model.name, prompt, progress)
    except ProviderError as exc:
        await progress.record(request_id, ResponseStatus.ERROR, exc.kind)
        raise
    except asyncio.CancelledError:
        await progress.record(request_id, ResponseStatus.CANCELLED, "cancelled")
        raise
    except Exception:
        # A failure of ours (say, showing the text), not the provider's: still on record.
        await progress.record(request_id, ResponseStatus.ERROR, "internal")
        raise

    await log_response(
        request_id,
        completion.text,
        tokens_in=completion.tokens_in,
        tokens_out=completion.tokens_out,
        latency_ms=completion.latency_ms,
        ttft_ms=completion.ttft_ms,
    )
    loggers.ledger.info(
        "request id=%s answered by model id=%s in %d ms (first text at %s ms)",
        request_id,
        model.id,
        completion.latency_ms,
        completion.ttft_ms,
    )
    return Answer(request_id=request_id, model=model, completion=completion)


async def _earlier_answer(request_id: int) -> tuple[Completion | None, bool]:
    """The answer a first delivery stored, and whether that delivery may still be running.

    One read decides both, so that a first copy finishing in between cannot make a later
    copy see neither its answer nor it running (and ask the provider again). A request
    with no response at all, younger than the longest a provider may take, is still in
    the hands of whoever received it first (another task, another replica); an older one
    was orphaned by a process that died mid-answer, and is answered anew, as is one whose
    earlier attempts failed.
    """
    longest = settings.llm_timeout_s * (settings.llm_max_retries + 1) + ANSWER_GRACE_S
    cutoff = datetime.now(UTC) - timedelta(seconds=longest)
    request = await Request.get(id=request_id).prefetch_related("responses")
    for response in request.responses:
        if response.status is ResponseStatus.OK:
            completion = Completion(
                text=response.content,
                tokens_in=response.tokens_in,
                tokens_out=response.tokens_out,
                latency_ms=response.latency_ms or 0,
                ttft_ms=response.ttft_ms,
            )
            return completion, False
    return None, not request.responses and request.created_at >= cutoff


class _Progress:
    """Passes the growing text on, keeping it for the ledger should the answer fail."""

    def __init__(self, on_text: OnText | None) -> None:
        self._on_text = on_text
        self._clock = Clock()
        self.text = ""
        self.ttft_ms: int | None = None

    async def __call__(self, text: str) -> None:
        if self.ttft_ms is None:
            self.ttft_ms = self._clock.elapsed_ms()
        self.text = text
        if self._on_text is not None:
            await self._on_text(text)

    async def record(self, request_id: int, status: ResponseStatus, kind: str) -> None:
        await log_response(
            request_id,
            self.text,
            status=status,
            error=kind,
            latency_ms=self._clock.elapsed_ms(),
            ttft_ms=self.ttft_ms,
        )
        loggers.ledger.info("request id=%s ended %s: %s", request_id, status, kind)
