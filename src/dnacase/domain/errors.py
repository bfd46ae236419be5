"""Domain exceptions: each carries a message fit to show to the user.

The web layer maps them to HTTP in one place (``DomainError`` -> 400/409 with the message and,
where known, the form field).
"""

from __future__ import annotations


class DomainError(ValueError):
    """A rule of the domain was broken; ``str(error)`` is the user-facing message.

    ``field`` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class AccessionError(DomainError):
    """An accession number or barcode is malformed or its check digits are wrong."""


class IllegalTransition(DomainError):
    """A kit (or sample) cannot take the requested action from its current state."""


class PedigreeContradiction(DomainError):
    """Recorded relationships contradict each other or the recorded sexes."""
