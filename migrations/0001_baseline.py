from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from models.response import ResponseStatus


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="LLMModel",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("provider", fields.CharField(max_length=64)),
                ("name", fields.CharField(max_length=200)),
                ("input_price", fields.DecimalField(null=True, max_digits=18, decimal_places=6)),
                ("output_price", fields.DecimalField(null=True, max_digits=18, decimal_places=6)),
                ("prices_as_of", fields.DateField(null=True)),
                ("context_window", fields.IntField(null=True)),
                ("max_output_tokens", fields.IntField(null=True)),
                ("is_active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "models",
                "app": "models",
                "unique_together": (("provider", "name"),),
                "pk_attr": "id",
                "table_description": "One model of one provider, with its prices and limits.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="User",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("tg_id", fields.BigIntField(unique=True)),
                ("name", fields.TextField(default="", unique=False)),
                ("username", fields.CharField(null=True, max_length=64)),
                ("language_code", fields.CharField(null=True, max_length=35)),
                (
                    "model",
                    fields.ForeignKeyField(
                        "models.LLMModel",
                        source_field="model_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="chosen_by",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "users",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A Telegram user, registered on their first update.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Request",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="requests",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "model",
                    fields.ForeignKeyField(
                        "models.LLMModel",
                        source_field="model_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="requests",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("prompt", fields.TextField(unique=False)),
                ("chat_id", fields.BigIntField(null=True)),
                ("message_id", fields.BigIntField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "requests",
                "app": "models",
                "unique_together": (("chat_id", "message_id"),),
                "indexes": [Index(fields=["user_id", "created_at"])],
                "pk_attr": "id",
                "table_description": (
                    "A prompt as the user sent it, stored before any provider is asked."
                ),
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Response",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "request",
                    fields.ForeignKeyField(
                        "models.Request",
                        source_field="request_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="responses",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("provider", fields.CharField(max_length=64)),
                ("content", fields.TextField(default="", unique=False)),
                (
                    "status",
                    fields.CharEnumField(
                        default=ResponseStatus.OK,
                        description="OK: ok\nERROR: error\nCANCELLED: cancelled",
                        enum_type=ResponseStatus,
                        max_length=9,
                    ),
                ),
                ("error", fields.CharField(null=True, max_length=200)),
                ("tokens_in", fields.IntField(null=True)),
                ("tokens_out", fields.IntField(null=True)),
                ("cost", fields.DecimalField(null=True, max_digits=24, decimal_places=12)),
                ("latency_ms", fields.IntField(null=True)),
                ("ttft_ms", fields.IntField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "responses",
                "app": "models",
                "indexes": [Index(fields=["request_id"])],
                "pk_attr": "id",
                "table_description": "What the provider answered to a request, or why it did not.",
            },
            bases=["Model"],
        ),
    ]
