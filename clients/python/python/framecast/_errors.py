"""framecast's errors: one family under :class:`Error`, each also the
built-in exception that code written without framecast would catch."""

from __future__ import annotations


class Error(Exception):
    """Anything framecast refuses or fails at."""


class ArrayError(Error, ValueError, TypeError):
    """An array (or array-like) that is no frame: a dtype or shape framecast
    does not take, a size beyond the server's limits, or memory not on the
    CPU. The message names what was given and what is accepted."""


class ConnectError(Error, ConnectionError):
    """A framecast server could not be reached."""


class RefusedError(ConnectError):
    """A framecast server refused the connection; ``status`` is its HTTP
    status and ``reason`` what it said."""

    def __init__(self, message: str, status: int, reason: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class PublishError(Error, RuntimeError):
    """The publisher is closed, so a frame cannot be sent."""
