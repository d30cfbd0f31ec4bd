"""The one interface every LLM provider speaks.

A provider answers a prompt either at once (:meth:`Provider.complete`) or piece by piece
(:meth:`Provider.stream`, which hands the text so far to a callback as it grows). Both
return a :class:`Completion`: the whole text, the token counts the provider reported and
how long it took.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

OnText = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class Completion:
    """A finished answer and what it cost in tokens and time.

    Attributes:
        text: The whole answer.
        tokens_in: Prompt tokens as the provider counted them; None when not reported.
        tokens_out: Answer tokens; None when not reported.
        latency_ms: From the call to the last byte of the answer.
        ttft_ms: From the call to the first text; None when nothing was streamed.
    """

    text: str
    tokens_in: int | None
    tokens_out: int | None
    latency_ms: int
    ttft_ms: int | None = None


class Clock:
    """Milliseconds since it started, from a monotonic clock."""

    def __init__(self) -> None:
        self._start = time.perf_counter()

    def elapsed_ms(self) -> int:
        return round((time.perf_counter() - self._start) * 1000)


class Provider(ABC):
    """An LLM provider: something that turns a prompt into an answer.

    Implementations raise only :class:`services.errors.ProviderError` for failures.
    """

    name: str

    @abstractmethod
    async def complete(self, model: str, prompt: str) -> Completion:
        """Answer ``prompt`` with ``model`` in one piece."""

    @abstractmethod
    async def stream(self, model: str, prompt: str, on_text: OnText) -> Completion:
        """Answer ``prompt`` with ``model``, calling ``on_text`` with the text so far.

        ``on_text`` receives the whole answer up to now each time it grows, never a
        fragment, so a caller can show it as it is.
        """

    @abstractmethod
    async def aclose(self) -> None:
        """Release connections; the provider is not used afterwards."""
