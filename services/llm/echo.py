"""The offline provider: it answers every prompt by repeating it, with no network."""

from __future__ import annotations

from dataclasses import replace

from services.llm.base import Clock, Completion, OnText, Provider

ECHO_PROVIDER = "echo"
ECHO_MODEL = "echo"


def count_tokens(text: str) -> int:
    """A rough token count, one per word, so that the ledger has numbers offline."""
    return len(text.split())


class EchoProvider(Provider):
    """Answers ``You said: <prompt>``; deterministic, free and always available."""

    name = ECHO_PROVIDER

    async def complete(self, model: str, prompt: str) -> Completion:
        # An answer in one piece has no first token to time.
        return replace(await self.stream(model, prompt, _ignore), ttft_ms=None)

    async def stream(self, model: str, prompt: str, on_text: OnText) -> Completion:
        clock = Clock()
        text = ""
        ttft_ms: int | None = None
        for word in _words(f"You said: {prompt}"):
            text += word
            if ttft_ms is None:
                ttft_ms = clock.elapsed_ms()
            await on_text(text)
        return Completion(
            text=text,
            tokens_in=count_tokens(prompt),
            tokens_out=count_tokens(text),
            latency_ms=clock.elapsed_ms(),
            ttft_ms=ttft_ms,
        )

    async def aclose(self) -> None:
        return None


def _words(text: str) -> list[str]:
    # Each piece keeps the whitespace before the next word, so the pieces join to the text.
    pieces: list[str] = []
    start = 0
    for index in range(1, len(text)):
        if text[index - 1].isspace() and not text[index].isspace():
            pieces.append(text[start:index])
            start = index
    pieces.append(text[start:])
    return pieces


async def _ignore(_: str) -> None:
    return None
