"""The one error tree every service raises from.

::

    LedgerError
    +-- NotFound                 an id that names no row (kind, id)
    +-- InvalidInput             input a caller must fix; nothing was written
    |   +-- EmptyPrompt
    |   +-- PromptTooLong        (length, limit)
    |   +-- InvalidValue         a bad field value (field, reason)
    +-- AnswerInProgress         a redelivered message still being answered (request_id)
    +-- StorageError             the database refused or failed; nothing half-written
    |   +-- SchemaBehind         older than the code: run the upgrade (pending)
    |   +-- SchemaAhead          written by a newer bot (unknown)
    |   +-- UpgradeRefused       the upgrade cannot start; nothing was changed
    |   +-- UpgradeFailed        a step of the upgrade failed; it was rolled back (step)
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


class AnswerInProgress(LedgerError):
    """A redelivered message whose first delivery is still being answered."""

    def __init__(self, request_id: int) -> None:
        self.request_id = request_id
        super().__init__(f"request {request_id} is being answered already")


class StorageError(LedgerError):
    """The database refused or failed an operation; it was rolled back."""


UPGRADE_COMMAND = "python -m bot db upgrade"


class SchemaBehind(StorageError):
    """The database's schema is older than the code's; the upgrade brings it forward."""

    def __init__(self, pending: tuple[str, ...], first_release: bool = False) -> None:
        self.pending = pending
        what = (
            "is from the bot's first release"
            if first_release
            else f"lacks migrations of this version ({', '.join(pending)})"
        )
        super().__init__(
            f"the database {what}: stop the bot, run `{UPGRADE_COMMAND}` (or `make upgrade`),"
            " then start it again"
        )


class SchemaAhead(StorageError):
    """The database records migrations the code does not have: a newer bot wrote it."""

    def __init__(self, unknown: tuple[str, ...]) -> None:
        self.unknown = unknown
        super().__init__(
            "the database is from a newer version of the bot (it records migrations this"
            f" version does not have: {', '.join(unknown)}): run that version, or restore"
            " the backup taken before it upgraded"
        )


class UpgradeRefused(StorageError):
    """The upgrade did not start; the database was not touched."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"{reason}; nothing was changed")


class UpgradeFailed(StorageError):
    """A step of the upgrade failed; everything it did was rolled back."""

    def __init__(self, step: str, cause: object) -> None:
        self.step = step
        super().__init__(f"{step} failed: {cause}; the database was left as it was")


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
