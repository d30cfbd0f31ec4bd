"""Registering Telegram users and forgetting them."""

from __future__ import annotations

from tortoise.exceptions import BaseORMException, IntegrityError

from models import User
from services import loggers
from services.errors import InvalidValue, StorageError
from services.prepared import PreparedQuery
from services.text import storable

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Every update looks its user up: built once, the lookup is one short round trip.
_BY_TG_ID = PreparedQuery(User, lambda tg_id: User.filter(tg_id=tg_id).limit(1), arity=1)


async def get_or_create_user(
    tg_id: int,
    name: str,
    username: str | None = None,
    language_code: str | None = None,
) -> User:
    """The user with this Telegram id, created on first sight and refreshed on change.

    Safe under concurrency: when several updates of a new user arrive at once (an album,
    two replicas), all callers get the same row. A known, unchanged user costs one query.

    Raises:
        InvalidValue: The id is not a 64-bit integer, or a field is too long.
    """
    if isinstance(tg_id, bool) or not isinstance(tg_id, int):
        raise InvalidValue("tg_id", "a Telegram id is an integer")
    if not INT64_MIN <= tg_id <= INT64_MAX:
        raise InvalidValue("tg_id", "a Telegram id fits in 64 bits")
    fields = {
        "name": storable(name or ""),
        "username": _limited("username", username, 64),
        "language_code": _limited("language_code", language_code, 35),
    }

    try:
        user = await _find(tg_id)
        if user is None:
            user = await _create(tg_id, fields)
        else:
            await _refresh(user, fields)
    except BaseORMException as exc:
        raise StorageError(f"cannot register user (tg {tg_id}): {exc}") from exc
    return user


async def forget_user(tg_id: int) -> bool:
    """Delete a user with all their requests and responses. True if there was one."""
    deleted = await User.filter(tg_id=tg_id).delete()
    if deleted:
        loggers.ledger.info("forgot user tg=%s", tg_id)
    return bool(deleted)


async def _find(tg_id: int) -> User | None:
    rows = await _BY_TG_ID.rows(tg_id)
    # The row becomes a model the way Tortoise's own queries make one.
    return User._init_from_db(**rows[0]) if rows else None


async def _create(tg_id: int, fields: dict[str, str | None]) -> User:
    try:
        user = await User.create(using_db=None, tg_id=tg_id, **fields)
    except IntegrityError:
        # Another update of the same new user won the race; its row is ours too.
        user = await User.get(tg_id=tg_id)
        await _refresh(user, fields)
        return user
    loggers.ledger.info("registered user id=%s", user.id)
    return user


async def _refresh(user: User, fields: dict[str, str | None]) -> None:
    changed = [name for name, value in fields.items() if getattr(user, name) != value]
    if changed:
        user.update_from_dict({name: fields[name] for name in changed})
        await user.save(update_fields=[*changed, "updated_at"])


def _limited(field: str, value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    value = storable(value)
    if len(value) > limit:
        raise InvalidValue(field, f"longer than {limit} characters")
    return value
