"""Domain exceptions: each carries a message fit to show to the user, and can translate it.

A domain error is built from an English message template with ``%(name)s`` placeholders (marked
with ``N_`` for the catalogue) and its parameters. ``str(error)`` is the English message;
:meth:`DomainError.translated` gives it in the user's language, translating the template and the
parameters named in ``labels`` (relationship labels, sexes, states: catalogue message ids
themselves). The services turn these into the web layer's errors (400/409 with the field).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def N_(message: str) -> str:
    """Mark *message* for extraction into the message catalogue without translating it here."""
    return message


class DomainError(ValueError):
    """A rule of the domain was broken; ``str(error)`` is the (English) user-facing message.

    ``field`` names the form field the message belongs to, when there is one.
    """

    def __init__(
        self,
        template: str,
        *,
        field: str | None = None,
        labels: Iterable[str] = (),
        **params: Any,
    ) -> None:
        self.template = template
        self.params = params
        self.labels = tuple(labels)
        self.field = field
        self.message = template % params if params else template
        super().__init__(self.message)

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The message in the language of *gettext* (a one-argument translation function)."""
        params = {
            key: gettext(value) if key in self.labels and isinstance(value, str) else value
            for key, value in self.params.items()
        }
        template = gettext(self.template)
        return template % params if params else template


class AccessionError(DomainError):
    """An accession number or barcode is malformed or its check digits are wrong."""


class IllegalTransition(DomainError):
    """A kit (or sample) cannot take the requested action from its current state."""


class PedigreeContradiction(DomainError):
    """Recorded relationships contradict each other or the recorded sexes."""
