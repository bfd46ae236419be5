"""A guard that keeps integers the database cannot hold away from it.

Every route runs it: an integer path parameter (a record id) beyond the database ``INTEGER``
range names no record (404); an integer query parameter (page, per_page, an id filter) beyond it
is refused (400, naming the parameter). Without it PostgreSQL raises on the comparison and the
request ends in a 500.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from dnacase.domain.ids import in_db_range
from dnacase.i18n import gettext as _
from dnacase.services.errors import NotFound, ValidationFailed


def _is_int_field(field: Any) -> bool:
    types = (field.annotation, *(getattr(a, "annotation", a) for a in field.args or ()))
    return int in types and bool not in types


def int_bounds_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """404 for an out-of-range integer path parameter, 400 for such a query parameter."""
    for value in connection.path_params.values():
        if isinstance(value, int) and not isinstance(value, bool) and not in_db_range(value):
            raise NotFound(_("No record has the number %(n)s.", n=value))
    params = handler.parsed_fn_signature.parameters
    for name, raw in connection.query_params.items():
        field = params.get(name)
        if field is None or not _is_int_field(field):
            continue
        try:
            number = int(raw.strip())
        except ValueError:
            continue  # not a number at all: the handler's own parsing refuses it (400)
        if not in_db_range(number):
            raise ValidationFailed(
                _("%(name)s: %(v)s is out of range.", name=name, v=raw[:24]),
                field_errors={name: _("%(name)s: %(v)s is out of range.", name=name, v=raw[:24])},
            )
