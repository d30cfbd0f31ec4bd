from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

import config
from models import LLMModel, User
from services.catalog import (
    choose_model,
    import_litellm,
    model_for,
    seed_catalog,
)
from services.errors import InvalidValue
from services.llm import Providers

LITELLM_MAP = (
    config.ROOT / ".." / "shared/data/litellm-prices/model_prices_and_context_window.json"
)
AS_OF = date(2026, 12, 4)

needs_litellm_map = pytest.mark.skipif(
    not LITELLM_MAP.exists(),
    reason=f"the LiteLLM price map is not at {LITELLM_MAP} (the project does not ship it)",
)


def offline() -> Providers:
    settings = config.Settings(
        _env_file=None,  # type: ignore[call-arg]
        openai_api_key=None,
        openai_base_url=None,
    )
    return Providers(settings)


def remote() -> Providers:
    return Providers(
        config.Settings(
            _env_file=None,  # type: ignore[call-arg]
            openai_api_key=SecretStr("sk-unused"),
            openai_base_url="http://127.0.0.1:9/v1",
            openai_model="gpt-4o-mini",
        )
    )


def write_map(tmp_path: Path, entries: dict[str, object]) -> Path:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


async def test_empty_catalogue_is_seeded_with_echo_and_priced_models(db: object) -> None:
    assert await seed_catalog() == 6

    echo = await LLMModel.get(provider="echo", name="echo")
    mini = await LLMModel.get(provider="openai", name="gpt-4o-mini")
    assert (echo.input_price, echo.output_price) == (Decimal(0), Decimal(0))
    assert (mini.input_price, mini.output_price) == (Decimal("0.15"), Decimal("0.6"))
    assert mini.prices_as_of == date(2026, 12, 4)


async def test_catalogue_with_models_is_not_seeded_again(db: object) -> None:
    await LLMModel.create(provider="local", name="llama")

    assert await seed_catalog() == 0
    assert await LLMModel.all().values_list("name", flat=True) == ["llama"]


@needs_litellm_map
async def test_real_price_map_loads_chat_models_with_exact_prices(db: object) -> None:
    summary = await import_litellm(LITELLM_MAP, AS_OF)

    assert (summary.added, summary.not_chat, summary.no_price) == (166, 52, 0)
    assert str(summary) == (
        "218 entries: 166 added, 0 updated, 0 unchanged; "
        "skipped 52 that are not chat models and 0 without a usable price"
    )
    mini = await LLMModel.get(provider="openai", name="gpt-4o-mini")
    # 1.5e-07 per token in the file: 0.15 per million, exactly.
    assert (mini.input_price, mini.output_price) == (Decimal("0.15"), Decimal("0.6"))
    assert (mini.context_window, mini.max_output_tokens) == (128_000, 16_384)
    haiku = await LLMModel.get(name="claude-3-haiku-20240307")
    assert (haiku.provider, haiku.input_price, haiku.output_price) == (
        "anthropic",
        Decimal("0.25"),
        Decimal("1.25"),
    )


@needs_litellm_map
async def test_second_import_of_the_same_map_changes_nothing(db: object) -> None:
    await seed_catalog()
    first = await import_litellm(LITELLM_MAP, AS_OF)
    second = await import_litellm(LITELLM_MAP, AS_OF)

    # The seed's five OpenAI models carry the map's prices already.
    assert (first.added, first.updated, first.unchanged) == (161, 0, 5)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 166)
    assert await LLMModel.all().count() == 167


async def test_import_skips_and_counts_what_is_no_priced_chat_model(
    db: object, tmp_path: Path
) -> None:
    path = write_map(
        tmp_path,
        {
            "sample_spec": {"mode": "chat", "input_cost_per_token": 0},
            "embed-1": {"mode": "embedding", "input_cost_per_token": 1e-07},
            "free-chat": {"mode": "chat", "litellm_provider": "local"},
            "half-priced": {"mode": "chat", "input_cost_per_token": 1e-07},
            "negative": {
                "mode": "chat",
                "input_cost_per_token": -1e-07,
                "output_cost_per_token": 1e-07,
            },
            "tiny": {
                "mode": "chat",
                "litellm_provider": "x",
                "input_cost_per_token": 1e-13,
                "output_cost_per_token": 1e-07,
            },
            "good": {
                "mode": "chat",
                "litellm_provider": "x",
                "input_cost_per_token": 3e-06,
                "output_cost_per_token": 1.5e-05,
            },
        },
    )

    summary = await import_litellm(path, AS_OF)

    assert (summary.added, summary.not_chat, summary.no_price) == (1, 1, 4)
    good = await LLMModel.get(name="good")
    assert (good.provider, good.input_price, good.output_price) == (
        "x",
        Decimal("3"),
        Decimal("15"),
    )


async def test_import_updates_prices_and_keeps_a_deactivated_model_inactive(
    db: object, tmp_path: Path
) -> None:
    await LLMModel.create(provider="openai", name="gpt-x", input_price=1, is_active=False)
    path = write_map(
        tmp_path,
        {
            "gpt-x": {
                "mode": "chat",
                "litellm_provider": "openai",
                "input_cost_per_token": 2e-06,
                "output_cost_per_token": 8e-06,
            }
        },
    )

    summary = await import_litellm(path, AS_OF)

    model = await LLMModel.get(name="gpt-x")
    assert summary.updated == 1
    assert (model.input_price, model.output_price, model.is_active) == (
        Decimal("2"),
        Decimal("8"),
        False,
    )
    assert model.prices_as_of == AS_OF


async def test_import_of_a_file_that_is_not_json_is_refused(db: object, tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text("{not json", encoding="utf-8")

    with pytest.raises(InvalidValue, match="invalid price map: cannot read"):
        await import_litellm(path)
    assert await LLMModel.all().count() == 0


async def test_user_without_a_choice_gets_echo_offline(user: User) -> None:
    await seed_catalog()

    assert str(await model_for(user, offline())) == "echo/echo"


async def test_user_without_a_choice_gets_the_configured_remote_model(user: User) -> None:
    await seed_catalog()

    assert str(await model_for(user, remote())) == "openai/gpt-4o-mini"


async def test_configured_model_missing_from_catalogue_is_added_without_prices(
    user: User,
) -> None:
    providers = Providers(
        config.Settings(
            _env_file=None, openai_base_url="http://127.0.0.1:9/v1", openai_model="llama3"
        )  # type: ignore[call-arg]
    )

    model = await model_for(user, providers)

    assert (model.provider, model.name, model.input_price) == ("openai", "llama3", None)


async def test_chosen_model_persists_and_answers(user: User) -> None:
    await seed_catalog()

    chosen = await choose_model(user, "gpt-4o", remote())

    assert str(chosen) == "openai/gpt-4o"
    reloaded = await User.get(id=user.id)
    assert str(await model_for(reloaded, remote())) == "openai/gpt-4o"


async def test_chosen_model_that_cannot_serve_falls_back_to_the_default(user: User) -> None:
    await seed_catalog()
    await choose_model(user, "openai/gpt-4o", remote())

    # Without a remote provider the choice stands in the table but echo answers.
    assert str(await model_for(user, offline())) == "echo/echo"


async def test_unknown_or_inactive_model_cannot_be_chosen(user: User) -> None:
    await seed_catalog()
    await LLMModel.filter(name="gpt-4o").update(is_active=False)

    with pytest.raises(InvalidValue, match="'gpt-4o' is not one you can choose: /model"):
        await choose_model(user, "gpt-4o", remote())
    with pytest.raises(InvalidValue, match="'nonesuch' is not one you can choose"):
        await choose_model(user, "nonesuch", remote())


async def test_name_shared_by_two_providers_must_be_qualified(user: User) -> None:
    await seed_catalog()
    await LLMModel.create(provider="openrouter", name="gpt-4o")

    with pytest.raises(InvalidValue, match="'gpt-4o' is ambiguous: say one of"):
        await choose_model(user, "gpt-4o", remote())
    assert str(await choose_model(user, "openrouter/gpt-4o", remote())) == "openrouter/gpt-4o"


def chat_entry(provider: str = "x", **extra: object) -> dict[str, object]:
    return {
        "mode": "chat",
        "litellm_provider": provider,
        "input_cost_per_token": 1e-06,
        "output_cost_per_token": 2e-06,
        **extra,
    }


async def test_import_skips_entries_the_columns_cannot_hold_and_counts_why(
    db: object, tmp_path: Path
) -> None:
    path = write_map(
        tmp_path,
        {
            "n" * 201: chat_entry(),
            "long-provider": chat_entry("p" * 65),
            "odd-provider": chat_entry(["x"]),  # type: ignore[arg-type]
            "dear": chat_entry(input_cost_per_token=1e15),
            "huge-window": chat_entry(max_input_tokens=99_999_999_999),
            "huge-output": chat_entry(max_output_tokens=2**31),
            "fits": chat_entry(max_input_tokens=2**31 - 1, input_cost_per_token=9.99e5),
        },
    )

    summary = await import_litellm(path, AS_OF)

    assert str(summary) == (
        "7 entries: 1 added, 0 updated, 0 unchanged; skipped 0 that are not chat models "
        "and 0 without a usable price; skipped 6 invalid: context window out of range (1), "
        "max output tokens out of range (1), name too long (1), price out of range (1), "
        "provider not text (1), provider too long (1)"
    )
    fits = await LLMModel.get(name="fits")
    assert (fits.input_price, fits.context_window) == (Decimal("999000000000"), 2**31 - 1)
    assert await LLMModel.all().count() == 1


async def test_import_stores_nul_and_lone_surrogates_as_replacement_characters(
    db: object, tmp_path: Path
) -> None:
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps({"a\x00b": chat_entry("p\ud800"), "c\ud800": chat_entry()}),
        encoding="utf-8",
    )

    summary = await import_litellm(path, AS_OF)

    assert summary.added == 2
    stored = await LLMModel.all().order_by("name").values_list("provider", "name")
    assert stored == [("p\ufffd", "a\ufffdb"), ("x", "c\ufffd")]


async def test_import_of_names_equal_once_storable_updates_one_model(
    db: object, tmp_path: Path
) -> None:
    path = write_map(
        tmp_path,
        {"a\x00": chat_entry(), "a\ufffd": chat_entry(output_cost_per_token=3e-06)},
    )

    summary = await import_litellm(path, AS_OF)

    assert (summary.added, summary.updated) == (1, 1)
    model = await LLMModel.get(name="a\ufffd")
    assert model.output_price == Decimal(3)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[" * 100_000 + "]" * 100_000, "is nested too deeply"),
        ('{"m": ' + "[" * 100_000 + "]" * 100_000 + "}", "is nested too deeply"),
        ("[]", "is not a JSON object of models"),
        ('{"m": ' + "9" * 5000 + "}", "cannot read .*: Exceeds the limit"),
        ("{not json", "cannot read"),
    ],
)
async def test_import_of_a_file_that_is_no_price_map_is_refused_writing_nothing(
    db: object, tmp_path: Path, text: str, error: str
) -> None:
    path = tmp_path / "prices.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(InvalidValue, match=f"invalid price map: .*{error}"):
        await import_litellm(path)
    assert await LLMModel.all().count() == 0


async def test_import_counts_a_price_too_small_to_store_as_no_usable_price(
    db: object, tmp_path: Path
) -> None:
    path = tmp_path / "prices.json"
    path.write_text(
        '{"vanishing": {"mode": "chat", "input_cost_per_token": 1e-999999999, '
        '"output_cost_per_token": 1e-06}}',
        encoding="utf-8",
    )

    summary = await import_litellm(path, AS_OF)

    assert (summary.added, summary.no_price) == (0, 1)
    assert await LLMModel.all().count() == 0


async def test_import_without_a_context_window_keeps_the_stored_one(
    db: object, tmp_path: Path
) -> None:
    await seed_catalog()
    path = write_map(
        tmp_path,
        {
            "gpt-4o": {
                "mode": "chat",
                "litellm_provider": "openai",
                "input_cost_per_token": 3e-06,
                "output_cost_per_token": 1e-05,
            }
        },
    )

    summary = await import_litellm(path, AS_OF)

    gpt = await LLMModel.get(provider="openai", name="gpt-4o")
    assert summary.updated == 1
    assert (gpt.input_price, gpt.context_window, gpt.max_output_tokens) == (
        Decimal(3),
        128_000,
        16_384,
    )
    assert (await import_litellm(path, AS_OF)).unchanged == 1


async def test_ambiguous_long_name_is_refused_naming_a_few_models_shortened(
    user: User,
) -> None:
    name = "n" * 200
    for provider in "abcdefg":
        await LLMModel.create(provider=provider, name=name)
    short = f"{'n' * 63}…"
    listed = ", ".join(f"{provider}/{'n' * 61}…" for provider in "abcde")

    with pytest.raises(InvalidValue) as refused:
        await choose_model(user, name, remote())

    assert str(refused.value) == (
        f"invalid model: '{short}' is ambiguous: say one of {listed} or 2 more"
    )
