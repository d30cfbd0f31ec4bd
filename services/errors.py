"""The one error tree every service raises from.

::

    LedgerError
    +-- NotFound                 an id that names no row (kind, id)
    +-- InvalidInput             input a caller must fix; nothing was written
    |   +-- EmptyPrompt
    |   +-- PromptTooLong        (length, limit)
    |   +-- InvalidValue         a bad field value (field, reason)
    +-- StorageError             the database refused or failed; nothing half-written
    +-- ProviderError            the LLM provider failed (kind: timeout, rate_limited, ...)

Messages say what happened and, where the user can act, what to do. They never carry a
secret or the user's text.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Root of every error a service raises."""


class NotFound(LedgerError):
    def __init__(self, kind: str, ident: object) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(f"no {kind} with id {ident!r}")


class InvalidInput(LedgerError):
    """Input the caller has to change; the database was not touched."""


class EmptyPrompt(InvalidInput):
    def __init__(self) -> None:
        super().__init__("the prompt is empty: send some text")


class PromptTooLong(InvalidInput):
    def __init__(self, length: int, limit: int) -> None:
        self.length = length
        self.limit = limit
        super().__init__(
            f"the prompt has {length} characters; the limit is {limit}: send a shorter one"
        )


class InvalidValue(InvalidInput):
    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"invalid {field}: {reason}")


class StorageError(LedgerError):
    """The database refused or failed an operation; it was rolled back."""


class ProviderError(LedgerError):
    """The LLM provider could not answer.

    Attributes:
        kind: A short machine-readable cause (``timeout``, ``rate_limited``,
            ``unavailable``, ``bad_request``, ``auth``, ``interrupted``), stored in
            ``responses.error``.
    """

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)
