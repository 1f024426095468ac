"""Domain errors: a stable code for machines, a message for people."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refused operation, with a stable snake_case code and a human message."""

    status = 409

    def __init__(self, code: str, message: str, status: int | None = None, **details: Any):
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """Return the API error body."""
        body: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class NotFound(DomainError):
    """The object does not exist or the user may not see it."""

    def __init__(self, message: str = "Not found"):
        super().__init__("not_found", message, status=404)


class Forbidden(DomainError):
    """The user may not do this."""

    def __init__(self, message: str = "You may not do this"):
        super().__init__("forbidden", message, status=403)
