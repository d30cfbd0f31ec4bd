"""``/model``: list the models a user can choose, and keep their choice."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.replies import MESSAGE_LIMIT, utf16_len
from models import LLMModel, User
from services.catalog import choosable_models, choose_model, model_for
from services.llm import Providers
from services.text import shortened

# TODO: the list stops at this many models, the first by provider and name; page through
# the catalogue once an operator activates more than fit in one message.
MAX_LISTED = 30
# Names in the list and on its buttons are cut to this many characters, and the notice a
# button shows to fewer: Telegram cuts such notices at 200.
LISTED_NAME = 100
NOTICE_NAME = 150


class ModelChoice(CallbackData, prefix="model"):
    id: int


async def on_model(
    message: Message, command: CommandObject, user: User, providers: Providers
) -> None:
    if command.args:
        model = await choose_model(user, command.args.strip(), providers)
        await message.answer(f"Your model is now {model}.")
        return

    current = await model_for(user, providers)
    text, models = _listing(current, (await choosable_models(providers))[:MAX_LISTED])
    keyboard = [
        [
            InlineKeyboardButton(
                text=shortened(str(model), LISTED_NAME),
                callback_data=ModelChoice(id=model.id).pack(),
            )
        ]
        for model in models
    ]
    await message.answer(text, reply_markup=InlineKeyboardMarkup(inline_keyboard=keyboard))


async def on_model_chosen(
    query: CallbackQuery, callback_data: ModelChoice, user: User, providers: Providers
) -> None:
    model = await choose_model(user, callback_data.id, providers)
    await query.answer(f"Model: {shortened(str(model), NOTICE_NAME)}")
    if isinstance(query.message, Message):
        await query.message.edit_text(f"Your model is now {model}.")


def _listing(current: LLMModel, models: list[LLMModel]) -> tuple[str, list[LLMModel]]:
    """The /model message and the models it lists: as many as fit in one message."""
    text = f"Your model is {current}. Choose another, or send /model NAME:"
    listed: list[LLMModel] = []
    for model in models:
        line = f"\n• {shortened(model.name, LISTED_NAME)}: {_prices(model)}"
        if utf16_len(text + line) > MESSAGE_LIMIT:
            break
        text += line
        listed.append(model)
    return text, listed


def _prices(model: LLMModel) -> str:
    if model.input_price is None or model.output_price is None:
        return "price unknown"
    if model.input_price == model.output_price == 0:
        return "free"
    return (
        f"${model.input_price.normalize():f} in, ${model.output_price.normalize():f} out "
        "per million tokens"
    )


def build_router() -> Router:
    """``/model`` and the buttons it shows."""
    router = Router(name="model")
    router.message.register(on_model, Command("model"))
    router.callback_query.register(on_model_chosen, ModelChoice.filter())
    return router
