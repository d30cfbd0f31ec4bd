"""Any OpenAI-compatible chat-completions server, through the official ``openai`` SDK.

One client covers OpenAI, OpenRouter, vLLM, Ollama, llama.cpp and LM Studio: only the base
URL and the key differ. The SDK itself retries 408, 409, 429, 5xx and connection failures
with exponential backoff (``max_retries`` times, honouring ``Retry-After``); this module
sets the bound and turns whatever still fails into a :class:`ProviderError`.
"""

from __future__ import annotations

from typing import Any

import openai
from pydantic import SecretStr

from services import loggers
from services.errors import ProviderError
from services.llm.base import Clock, Completion, OnText, Provider

OPENAI_PROVIDER = "openai"

# Local servers (Ollama, llama.cpp, vLLM) need no key, but the SDK insists on one.
NO_KEY = "none"

MESSAGES = {
    "timeout": "The model took too long to answer. Try again, or ask something shorter.",
    "rate_limited": "The model is busy right now (rate limit). Try again in a minute.",
    "unavailable": "The model's server failed to answer. Try again in a minute.",
    "interrupted": "The answer was cut off by the model's server. Send your question again.",
    "auth": "The bot's key for the model was refused. Please tell the bot's operator.",
    "bad_request": "The model refused this request. Choose another model with /model.",
}


class OpenAIProvider(Provider):
    """Chat completions over HTTP from an OpenAI-compatible server."""

    name = OPENAI_PROVIDER

    def __init__(
        self,
        *,
        api_key: SecretStr | None,
        base_url: str | None,
        timeout_s: float,
        max_retries: int,
    ) -> None:
        self._client = openai.AsyncOpenAI(
            api_key=api_key.get_secret_value() if api_key else NO_KEY,
            base_url=base_url,
            timeout=timeout_s,
            max_retries=max_retries,
        )

    async def complete(self, model: str, prompt: str) -> Completion:
        clock = Clock()
        try:
            reply = await self._client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": prompt}]
            )
        except openai.OpenAIError as exc:
            raise _translate(exc, model, clock, started=False) from None

        text = (reply.choices[0].message.content or "") if reply.choices else ""
        usage = reply.usage
        return Completion(
            text=text,
            tokens_in=usage.prompt_tokens if usage else None,
            tokens_out=usage.completion_tokens if usage else None,
            latency_ms=clock.elapsed_ms(),
        )

    async def stream(self, model: str, prompt: str, on_text: OnText) -> Completion:
        clock = Clock()
        progress = _Progress()
        try:
            chunks = await self._client.chat.completions.create(
                model=model,
                messages=[{"role": "user", "content": prompt}],
                stream=True,
                stream_options={"include_usage": True},
            )
            async with chunks:
                async for chunk in chunks:
                    await progress.take(chunk, clock, on_text)
        except openai.OpenAIError as exc:
            raise _translate(exc, model, clock, started=progress.ttft_ms is not None) from None

        if progress.finish_reason is None:
            # The server closed the stream cleanly but never said the answer was complete.
            loggers.llm.warning("stream of model %s ended without a finish reason", model)
            raise ProviderError("interrupted", MESSAGES["interrupted"])
        return progress.completion(clock)

    async def aclose(self) -> None:
        await self._client.close()


class _Progress:
    """What a stream has delivered so far."""

    def __init__(self) -> None:
        self.text = ""
        self.ttft_ms: int | None = None
        self.finish_reason: str | None = None
        self.tokens_in: int | None = None
        self.tokens_out: int | None = None

    async def take(self, chunk: Any, clock: Clock, on_text: OnText) -> None:
        if chunk.usage is not None:
            self.tokens_in = chunk.usage.prompt_tokens
            self.tokens_out = chunk.usage.completion_tokens
        if not chunk.choices:
            return
        choice = chunk.choices[0]
        self.finish_reason = choice.finish_reason or self.finish_reason
        if choice.delta and choice.delta.content:
            if self.ttft_ms is None:
                self.ttft_ms = clock.elapsed_ms()
            self.text += choice.delta.content
            await on_text(self.text)

    def completion(self, clock: Clock) -> Completion:
        return Completion(
            text=self.text,
            tokens_in=self.tokens_in,
            tokens_out=self.tokens_out,
            latency_ms=clock.elapsed_ms(),
            ttft_ms=self.ttft_ms,
        )


def _translate(
    exc: openai.OpenAIError, model: str, clock: Clock, *, started: bool
) -> ProviderError:
    # The SDK's own message may quote the server's body, which can echo the prompt: only
    # the kind and the HTTP status leave this function.
    kind = _kind(exc, started=started)
    status = getattr(exc, "status_code", None)
    loggers.llm.warning(
        "model %s failed: %s (%s, HTTP %s) after %d ms",
        model,
        kind,
        type(exc).__name__,
        status,
        clock.elapsed_ms(),
    )
    return ProviderError(kind, MESSAGES[kind])


def _kind(exc: openai.OpenAIError, *, started: bool) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "interrupted" if started else "unavailable"
    if isinstance(exc, openai.RateLimitError):
        return "rate_limited"
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return "auth"
    if isinstance(exc, openai.APIStatusError) and exc.status_code < 500:
        return "bad_request"
    return "unavailable"
