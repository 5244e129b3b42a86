"""Errors a user can act on: an HTTP status, a message that says what is wrong and what to do, the field."""

from __future__ import annotations


class AppError(Exception):
    """Raised by the session layer; REST answers it as {status, detail}, the WebSocket as an error event."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


class InvalidInput(AppError):
    status = 422


class NotFound(AppError):
    status = 404


class Conflict(AppError):
    status = 409


class TooLarge(AppError):
    status = 413


class TooMany(AppError):
    status = 429


class Forbidden(AppError):
    status = 403


class Unavailable(AppError):
    """Something this request needs is briefly out of reach (another worker starting again): try again."""

    status = 503
