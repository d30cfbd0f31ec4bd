from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.request import Request

# A cost is tokens x price per million / 10^6: with prices at six places, twelve places
# keep every cost exact, so nothing is rounded on the way into the ledger.
COST_DIGITS = 24
COST_PLACES = 12


class ResponseStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    CANCELLED = "cancelled"


class Response(Model):
    """What the provider answered to a request, or why it did not."""

    id = fields.BigIntField(primary_key=True)
    request: fields.ForeignKeyRelation[Request] = fields.ForeignKeyField(
        "models.Request", related_name="responses", on_delete=fields.CASCADE
    )
    provider = fields.CharField(max_length=64)
    content = fields.TextField(default="")
    status = fields.CharEnumField(ResponseStatus, max_length=9, default=ResponseStatus.OK)
    # The kind of failure (e.g. "timeout", "rate_limited"), never a traceback or a secret.
    error = fields.CharField(max_length=200, null=True)
    tokens_in = fields.IntField(null=True)
    tokens_out = fields.IntField(null=True)
    # None when a price or a token count is unknown: never a silent zero.
    cost = fields.DecimalField(max_digits=COST_DIGITS, decimal_places=COST_PLACES, null=True)
    latency_ms = fields.IntField(null=True)
    ttft_ms = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "responses"
        indexes = (Index(fields=("request_id",)),)

    def __str__(self) -> str:
        return f"Response {self.id} ({self.status})"
