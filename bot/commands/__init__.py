"""One module per command of ``python -m bot``.

Each module defines ``register(subparsers)``, which adds its parser and sets ``handler``
to an ``async def handler(args) -> int`` returning the exit status.
"""
