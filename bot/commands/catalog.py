"""``python -m bot catalog``: load a price map into the catalogue, or list what is active."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from models import LLMModel
from services.catalog import active_models, import_litellm, seed_catalog
from services.db import close_db, init_db
from services.errors import LedgerError


def register(commands: Any) -> None:
    parser = commands.add_parser("catalog", help="the catalogue of models and their prices")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    load = actions.add_parser(
        "import", help="add or update models from a price map in LiteLLM's JSON format"
    )
    load.add_argument("file", type=Path, help="model_prices_and_context_window.json or alike")
    load.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        help="the date the prices were read (YYYY-MM-DD; default: today)",
    )
    load.set_defaults(handler=handle_import)

    show = actions.add_parser("list", help="the active models with their prices")
    show.set_defaults(handler=handle_list)


async def handle_import(args: argparse.Namespace) -> int:
    async def work() -> None:
        summary = await import_litellm(args.file, args.as_of)
        print(f"{args.file}: {summary}")

    return await _with_catalogue(work)


async def handle_list(args: argparse.Namespace) -> int:
    async def work() -> None:
        models = await active_models()
        width = max((len(str(model)) for model in models), default=0)
        for model in models:
            print(f"{model!s:<{width}}  {_describe(model)}")
        print(f"{len(models)} active models")

    return await _with_catalogue(work)


async def _with_catalogue(work: Any) -> int:
    try:
        await init_db()
        await seed_catalog()
        await work()
    except LedgerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        await close_db()
    return 0


def _describe(model: LLMModel) -> str:
    if model.input_price is None or model.output_price is None:
        prices = "price unknown"
    else:
        prices = (
            f"{model.input_price.normalize():f} in, {model.output_price.normalize():f} out "
            "per million tokens"
        )
        if model.prices_as_of is not None:
            prices += f" (as of {model.prices_as_of.isoformat()})"
    if model.context_window:
        prices += f", context {model.context_window:,}"
    return prices
