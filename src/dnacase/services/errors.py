"""Domain exceptions. Each carries a user-facing message (already translated with
:func:`dnacase.i18n.gettext` in the current locale) and optional per-field errors.

The web layer maps them in one place (:mod:`dnacase.web.errors`): NotFound -> 404, Conflict -> 409,
PermissionDenied -> 403, ValidationFailed -> 400 with field errors (JSON) or an error page/fragment
(HTML). HTML form handlers catch :class:`DomainError` themselves and re-render the form with the
user's input and ``exc.field_errors``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """Base class: ``message`` for people, ``field_errors`` maps form field -> message."""

    status_code: int = 400
    code: str = "error"

    def __init__(
        self,
        message: str,
        *,
        field_errors: Mapping[str, str] | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors: dict[str, str] = dict(field_errors or {})
        self.details: dict[str, Any] = dict(details or {})

    def to_dict(self) -> dict[str, Any]:
        """JSON body used by the API: ``{"error", "detail", "fields"}`` (+ ``details`` if any)."""
        body: dict[str, Any] = {"error": self.code, "detail": self.message}
        if self.field_errors:
            body["fields"] = self.field_errors
        if self.details:
            body["details"] = self.details
        return body


class NotFound(DomainError):
    """The record does not exist (404)."""

    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """The change conflicts with the current state, e.g. duplicate, illegal transition (409)."""

    status_code = 409
    code = "conflict"


class PermissionDenied(DomainError):
    """The actor may not do this (403)."""

    status_code = 403
    code = "permission_denied"


class ValidationFailed(DomainError):
    """Input refused; ``field_errors`` says why, field by field (400)."""

    status_code = 400
    code = "validation_failed"


class NotAuthenticated(DomainError):
    """No valid login (401 for the API; the browser is sent to the login page)."""

    status_code = 401
    code = "not_authenticated"
