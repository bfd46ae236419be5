"""The one place that maps errors to HTTP.

API requests (path under ``/api/``) get JSON ``{"error", "detail", "fields"?}``; browser requests
get an HTML error page (``templates/partials/error_page.html``), except that a missing login
redirects to ``/login?next=...``.

=====================================  ======  ============================================
exception                              status  meaning
=====================================  ======  ============================================
services.errors.ValidationFailed       400     input refused (``fields``: per-field messages)
UnicodeDecodeError in a multipart form  400     the field that is not UTF-8, named
services.errors.NotAuthenticated       401     no login (browser: 303 to the login page)
services.errors.PermissionDenied       403     logged in without the needed role
services.errors.NotFound               404     no such record
services.errors.Conflict               409     duplicate / illegal state transition
litestar HTTPException (CSRF 403, ...)  as is
anything else                          500     logged; no internals shown
=====================================  ======  ============================================
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.exceptions import (
    NotFoundException as LitestarNotFound,
)
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState

from dnacase.i18n import gettext as _
from dnacase.i18n import use_locale
from dnacase.services.errors import DomainError, NotAuthenticated, ValidationFailed

log = logging.getLogger("dnacase.web")


def is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def _json(body: dict[str, Any], status: int) -> Response[Any]:
    return Response(content=body, status_code=status, media_type=MediaType.JSON)


def render_error_page(
    request: Request[Any, Any, Any], status: int, title: str, message: str, fields: dict[str, str]
) -> Response[Any]:
    """Render the error page eagerly in the request's locale (the handler may run outside the
    middleware that set it)."""
    engine = request.app.template_engine
    state = request.scope.get("state", {})
    locale = state.get("locale") or request.app.state.settings.default_locale
    token = ScopeState.from_scope(request.scope).csrf_token
    csrf_token = "" if not isinstance(token, str) else token
    with use_locale(locale):
        template = engine.get_template("partials/error_page.html")
        html = template.render(
            request=request,
            csrf_input=f'<input type="hidden" name="_csrf_token" value="{csrf_token}" />',
            status=status,
            title=title,
            message=message,
            fields=fields,
        )
    return Response(content=html, status_code=status, media_type=MediaType.HTML)


def _titles() -> dict[int, str]:
    return {
        400: _("The request was refused"),
        401: _("Please log in"),
        403: _("Access denied"),
        404: _("Not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("Upload too large"),
        422: _("The request was refused"),
        429: _("Too many requests"),
        500: _("Something went wrong"),
    }


def _with_locale(request: Request[Any, Any, Any]) -> Any:
    state = request.scope.get("state", {})
    return use_locale(state.get("locale") or request.app.state.settings.default_locale)


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    if isinstance(exc, NotAuthenticated) and not is_api(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(path=f"/login?next={quote(target, safe='/')}", status_code=303)
    if is_api(request):
        return _json(exc.to_dict(), exc.status_code)
    with _with_locale(request):
        title = _titles().get(exc.status_code, _("Error"))
    return render_error_page(request, exc.status_code, title, exc.message, exc.field_errors)


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    with _with_locale(request):
        if isinstance(exc, PermissionDeniedException) and "csrf" in str(exc.detail).lower():
            message = _("The form has expired or was not sent by this site. Reload and retry.")
        elif isinstance(exc, NotAuthorizedException):
            message = _("Please log in.")
        elif isinstance(exc, LitestarNotFound):
            message = _("This page does not exist.")
        elif isinstance(exc, ValidationException):
            message = _("The submitted data is not valid.")
        else:
            message = str(exc.detail)
        title = _titles().get(status, _("Error"))
    if isinstance(exc, NotAuthorizedException) and not is_api(request):
        return Redirect(path=f"/login?next={quote(request.url.path, safe='/')}", status_code=303)
    if is_api(request):
        body: dict[str, Any] = {"error": _code(status), "detail": message}
        if isinstance(exc, ValidationException) and exc.extra:
            body["fields"] = exc.extra
        return _json(body, status)
    return render_error_page(request, status, title, message, {})


def _code(status: int) -> str:
    return {
        400: "bad_request",
        401: "not_authenticated",
        403: "permission_denied",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
    }.get(status, "error")


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    with _with_locale(request):
        title = _("Something went wrong")
        message = _("An unexpected error occurred. It has been logged.")
    if is_api(request):
        return _json({"error": "internal_error", "detail": message}, 500)
    return render_error_page(request, 500, title, message, {})


def _undecodable_field(exc: UnicodeDecodeError) -> str | None:
    """The multipart field whose bytes failed to decode: Litestar's parser decodes each text
    field as it ends, with the segment (and its name) in the raising frame."""
    tb = exc.__traceback__
    while tb is not None:
        segment = tb.tb_frame.f_locals.get("segment")
        if tb.tb_frame.f_code.co_name == "parse_multipart_form" and segment is not None:
            return str(getattr(segment, "name", "") or "") or None
        tb = tb.tb_next
    return None


def undecodable_form_handler(
    request: Request[Any, Any, Any], exc: UnicodeDecodeError
) -> Response[Any]:
    """A form field that is not UTF-8 text: 400 naming the field (never a 500)."""
    with _with_locale(request):
        field = _undecodable_field(exc)
        if field is None:
            return internal_error_handler(request, exc)
        message = _("The form field %(name)s is not UTF-8 text.", name=field[:64])
        refused = ValidationFailed(message, field_errors={field[:64]: message})
    return domain_error_handler(request, refused)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    UnicodeDecodeError: undecodable_form_handler,
    DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
