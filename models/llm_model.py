from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.request import Request
    from models.user import User

# Prices are per million tokens. Six decimal places hold any per-token price down to
# 1e-12 exactly, which is finer than any provider publishes.
PRICE_DIGITS = 18
PRICE_PLACES = 6


class LLMModel(Model):
    """One model of one provider, with its prices and limits."""

    id = fields.IntField(primary_key=True)
    provider = fields.CharField(max_length=64)
    name = fields.CharField(max_length=200)
    # None means "unknown", which is not the same as free.
    input_price = fields.DecimalField(
        max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES, null=True
    )
    output_price = fields.DecimalField(
        max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES, null=True
    )
    prices_as_of = fields.DateField(null=True)
    context_window = fields.IntField(null=True)
    max_output_tokens = fields.IntField(null=True)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    requests: fields.ReverseRelation[Request]
    chosen_by: fields.ReverseRelation[User]

    class Meta:
        table = "models"
        unique_together = (("provider", "name"),)

    def __str__(self) -> str:
        return f"{self.provider}/{self.name}"
