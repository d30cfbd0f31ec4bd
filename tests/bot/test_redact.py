from __future__ import annotations

import io
import logging

from pydantic import SecretStr

from bot.redact import Redact

TOKEN = SecretStr("123456789:AAFakeTokenForLoopbackTestsOnly")


def test_secret_in_a_library_log_line_is_masked() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(Redact(TOKEN, None))
    logger = logging.getLogger("tests.redact")
    logger.addHandler(handler)
    try:
        logger.error("POST %s failed", f"https://api.example/bot{TOKEN.get_secret_value()}/getMe")
    finally:
        logger.removeHandler(handler)

    assert stream.getvalue() == "POST https://api.example/bot***/getMe failed\n"
