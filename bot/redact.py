"""Keeping secrets out of log lines that libraries write."""

from __future__ import annotations

import logging

from pydantic import SecretStr

MASK = "***"


class Redact(logging.Filter):
    """Masks the given secrets in every record that passes, whoever logged it.

    Our own code never logs a secret; this guards what libraries may log, such as a URL
    with the bot token in its path inside a network error.
    """

    def __init__(self, *secrets: SecretStr | None) -> None:
        super().__init__()
        self._secrets = [s.get_secret_value() for s in secrets if s and s.get_secret_value()]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self._secrets):
            for secret in self._secrets:
                message = message.replace(secret, MASK)
            record.msg, record.args = message, None
        return True


def redact_logs(*secrets: SecretStr | None) -> None:
    """Mask ``secrets`` in everything the root logger's handlers write."""
    redact = Redact(*secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
