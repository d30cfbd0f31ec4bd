"""The project's loggers, one per area, named in one place.

Log lines carry ids, counts and durations. Prompts, replies, tokens and keys stay out.
"""

import logging

bot = logging.getLogger("ledgerbot")
db = logging.getLogger("ledgerbot.db")
ledger = logging.getLogger("ledgerbot.ledger")
llm = logging.getLogger("ledgerbot.llm")
catalog = logging.getLogger("ledgerbot.catalog")
