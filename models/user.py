from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.llm_model import LLMModel
    from models.request import Request


class User(Model):
    """A Telegram user, registered on their first update."""

    id = fields.BigIntField(primary_key=True)
    # Telegram user ids exceed 2^31, hence 64 bits.
    tg_id = fields.BigIntField(unique=True)
    name = fields.TextField(default="")
    username = fields.CharField(max_length=64, null=True)
    language_code = fields.CharField(max_length=35, null=True)
    # The model the user chose with /model; None means the configured default.
    model: fields.ForeignKeyNullableRelation[LLMModel] = fields.ForeignKeyField(
        "models.LLMModel", related_name="chosen_by", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    requests: fields.ReverseRelation[Request]

    class Meta:
        table = "users"

    def __str__(self) -> str:
        return f"User {self.id} (tg {self.tg_id})"
