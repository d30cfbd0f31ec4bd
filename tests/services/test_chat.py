from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import pytest

import config
from models import Request, Response, ResponseStatus, User
from services.catalog import seed_catalog
from services.chat import ask
from services.errors import AnswerInProgress, EmptyPrompt, PromptTooLong, ProviderError
from services.llm import Completion, OnText, Providers
from services.llm.base import Provider
from services.llm.echo import EchoProvider, count_tokens


class Failing(Provider):
    """Streams some text, then fails the way it is told to."""

    name = "echo"

    def __init__(self, failure: BaseException) -> None:
        self.failure = failure
        self.asked_after_request: bool | None = None

    async def complete(self, model: str, prompt: str) -> Completion:
        raise self.failure

    async def stream(self, model: str, prompt: str, on_text: OnText) -> Completion:
        self.asked_after_request = await Request.filter(prompt=prompt).exists()
        await on_text("Half an")
        raise self.failure

    async def aclose(self) -> None:
        return None


def echo_only(provider: Provider | None = None) -> Providers:
    providers = Providers(
        config.Settings(_env_file=None, openai_api_key=None, openai_base_url=None)
    )  # type: ignore[call-arg]
    if provider is not None:
        providers.echo = provider  # type: ignore[assignment]
    return providers


async def shown(text: str) -> None:
    return None


async def test_exchange_is_recorded_as_a_linked_ok_pair(user: User) -> None:
    await seed_catalog()

    answer = await ask(echo_only(), user, "How are you?", chat_id=7, message_id=70)

    assert answer.text == "You said: How are you?"
    response = await Response.get(request_id=answer.request_id).prefetch_related("request")
    assert (response.request.prompt, response.request.chat_id, response.request.message_id) == (
        "How are you?",
        7,
        70,
    )
    assert (response.status, response.content, response.tokens_in, response.tokens_out) == (
        ResponseStatus.OK,
        "You said: How are you?",
        3,
        5,
    )
    assert response.ttft_ms is None
    assert response.latency_ms is not None


async def test_streamed_exchange_records_time_to_first_token(user: User) -> None:
    await seed_catalog()
    seen: list[str] = []

    async def on_text(text: str) -> None:
        seen.append(text)

    answer = await ask(echo_only(), user, "Hi there", on_text=on_text)

    assert seen == ["You ", "You said: ", "You said: Hi ", "You said: Hi there"]
    response = await Response.get(request_id=answer.request_id)
    assert response.ttft_ms is not None


async def test_failed_provider_leaves_question_and_error_on_record(user: User) -> None:
    await seed_catalog()
    provider = Failing(ProviderError("timeout", "The model took too long."))

    with pytest.raises(ProviderError, match=r"The model took too long\."):
        await ask(echo_only(provider), user, "Slow question", on_text=shown)

    assert provider.asked_after_request is True
    response = await Response.get().prefetch_related("request")
    assert response.request.prompt == "Slow question"
    assert (response.status, response.error, response.content) == (
        ResponseStatus.ERROR,
        "timeout",
        "Half an",
    )


async def test_cancelled_answer_is_recorded_as_cancelled(user: User) -> None:
    await seed_catalog()

    with pytest.raises(asyncio.CancelledError):
        await ask(echo_only(Failing(asyncio.CancelledError())), user, "Bye", on_text=shown)

    response = await Response.get()
    assert (response.status, response.error, response.content) == (
        ResponseStatus.CANCELLED,
        "cancelled",
        "Half an",
    )


async def test_failure_of_ours_mid_answer_is_recorded_as_internal(user: User) -> None:
    await seed_catalog()

    with pytest.raises(RuntimeError):
        await ask(echo_only(Failing(RuntimeError("display broke"))), user, "Q", on_text=shown)

    response = await Response.get()
    assert (response.status, response.error) == (ResponseStatus.ERROR, "internal")


@pytest.mark.parametrize("prompt", ["", "   \n "])
async def test_empty_prompt_writes_nothing(user: User, prompt: str) -> None:
    await seed_catalog()

    with pytest.raises(EmptyPrompt, match="the prompt is empty: send some text"):
        await ask(echo_only(), user, prompt)
    assert await Request.all().count() == 0


async def test_prompt_over_the_limit_writes_nothing(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_catalog()
    monkeypatch.setattr(config.settings, "max_prompt_chars", 10)

    with pytest.raises(
        PromptTooLong, match="the prompt has 11 characters; the limit is 10: send a shorter one"
    ):
        await ask(echo_only(), user, "x" * 11)
    assert await Request.all().count() == 0


async def test_echo_is_deterministic_and_counts_words() -> None:
    provider = EchoProvider()

    first = await provider.complete("echo", "two  words")
    second = await provider.complete("echo", "two  words")

    assert first.text == second.text == "You said: two  words"
    assert (first.tokens_in, first.tokens_out) == (2, 4)
    assert count_tokens("") == 0


async def test_message_delivered_twice_is_answered_from_the_ledger(user: User) -> None:
    await seed_catalog()
    counting = Counting()
    providers = echo_only(counting)

    first = await ask(providers, user, "Once", chat_id=7, message_id=71)
    again = await ask(providers, user, "Once", chat_id=7, message_id=71)

    assert (again.request_id, again.text) == (first.request_id, "You said: Once")
    assert counting.calls == 1
    assert await Request.all().count() == 1
    assert await Response.all().count() == 1


async def test_message_whose_answer_failed_is_asked_again_when_redelivered(user: User) -> None:
    await seed_catalog()
    failing = Failing(ProviderError("unavailable", "The model's server failed."))
    with pytest.raises(ProviderError):
        await ask(echo_only(failing), user, "Retry me", chat_id=7, message_id=72)

    answer = await ask(echo_only(), user, "Retry me", chat_id=7, message_id=72)

    assert answer.text == "You said: Retry me"
    statuses = await Response.all().order_by("id").values_list("status", flat=True)
    assert statuses == [ResponseStatus.ERROR, ResponseStatus.OK]


class Counting(EchoProvider):
    def __init__(self) -> None:
        self.calls = 0

    async def complete(self, model: str, prompt: str) -> Completion:
        self.calls += 1
        return await super().complete(model, prompt)


class Held(EchoProvider):
    """Echo that waits for ``release`` before answering, and counts what it was asked."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.asked = 0

    async def complete(self, model: str, prompt: str) -> Completion:
        self.asked += 1
        await self.release.wait()
        return await super().complete(model, prompt)


async def test_two_copies_of_one_message_at_once_are_answered_and_paid_once(
    user: User,
) -> None:
    # Regression: a copy arriving while the first was still waiting for the provider was
    # sent to the provider again, and the ledger held two paid answers.
    await seed_catalog()
    held = Held()
    providers = echo_only(held)
    first = asyncio.create_task(ask(providers, user, "Once", chat_id=7, message_id=71))
    await asyncio.sleep(0.1)

    with pytest.raises(AnswerInProgress, match="is being answered already"):
        await ask(providers, user, "Once", chat_id=7, message_id=71)
    held.release.set()
    answer = await first

    assert answer.text == "You said: Once"
    assert held.asked == 1
    assert await Response.filter(request__message_id=71).count() == 1


async def test_copy_of_a_message_orphaned_by_a_dead_process_is_answered(user: User) -> None:
    await seed_catalog()
    await ask(echo_only(), user, "Orphan", chat_id=7, message_id=72)
    # As a process killed mid-answer leaves it: the request, old, and no response.
    await Response.filter(request__message_id=72).delete()
    await Request.filter(message_id=72).update(created_at=datetime(2020, 1, 1, tzinfo=UTC))

    answer = await ask(echo_only(), user, "Orphan", chat_id=7, message_id=72)

    assert answer.text == "You said: Orphan"
    assert await Request.filter(message_id=72).count() == 1
    assert await Response.filter(request__message_id=72, status=ResponseStatus.OK).count() == 1


async def test_copies_of_many_messages_arriving_together_get_one_answer_each(
    user: User,
) -> None:
    # Regression: a copy that looked for the first copy's answer just before it was stored,
    # and for a running first copy just after, asked the provider again.
    await seed_catalog()
    providers = echo_only()

    async def deliver(message_id: int) -> None:
        with contextlib.suppress(AnswerInProgress):
            await ask(providers, user, f"Q{message_id}", chat_id=7, message_id=message_id)

    await asyncio.gather(*(deliver(100 + n % 20) for n in range(80)))

    assert await Request.filter(chat_id=7).count() == 20
    assert await Response.filter(request__chat_id=7).count() == 20
