from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.llm_model import LLMModel
    from models.response import Response
    from models.user import User


class Request(Model):
    """A prompt as the user sent it, stored before any provider is asked."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="requests", on_delete=fields.CASCADE
    )
    # RESTRICT: a model with history cannot vanish from the ledger.
    model: fields.ForeignKeyRelation[LLMModel] = fields.ForeignKeyField(
        "models.LLMModel", related_name="requests", on_delete=fields.RESTRICT
    )
    prompt = fields.TextField()
    chat_id = fields.BigIntField(null=True)
    message_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    responses: fields.ReverseRelation[Response]

    class Meta:
        table = "requests"
        # Telegram redelivers an update a bot did not acknowledge; the pair identifies the
        # message, so a redelivery cannot log it twice. NULLs (console, tests) never clash.
        unique_together = (("chat_id", "message_id"),)
        # A user's recent requests, and usage per user and day.
        indexes = (Index(fields=("user_id", "created_at")),)

    def __str__(self) -> str:
        return f"Request {self.id}"
