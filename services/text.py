"""Making text storable, the same way on every backend.

Telegram sends UTF-8, but Python strings may still hold what no database stores: a lone
UTF-16 surrogate (from a JSON escape such as ``"\\ud800"``) cannot be encoded as UTF-8,
and PostgreSQL refuses the NUL character in ``text``, which SQLite would keep. Rather than
fail on one backend and not the other, both are replaced by U+FFFD, the Unicode
replacement character, on the way in. A surrogate *pair* is joined into the character it
encodes. Every other character, emoji, combining marks and right-to-left text included,
passes unchanged.
"""

REPLACEMENT = "\N{REPLACEMENT CHARACTER}"


def storable(text: str) -> str:
    """Return ``text`` with lone surrogates and NUL replaced by U+FFFD."""
    if text.isascii():
        return text.replace("\x00", REPLACEMENT) if "\x00" in text else text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # UTF-16 with surrogatepass joins valid pairs; "replace" turns each lone half into
        # U+FFFD when decoding back.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text.replace("\x00", REPLACEMENT)


SHORT = 64


def shortened(text: str, limit: int = SHORT) -> str:
    """Return ``text``, cut to ``limit`` characters ending in an ellipsis if it is longer.

    For echoing a name a user or a price map gave into a reply that has to stay short.
    """
    return text if len(text) <= limit else text[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"
