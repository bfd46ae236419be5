"""Helpers for HTML handlers: pages, redirects, flash messages, form data, safe ``next`` URLs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request
from litestar.datastructures import FormMultiDict
from litestar.response import Redirect, Template

from dnacase.services.errors import DomainError


def page(template_name: str, *, status_code: int = 200, **context: Any) -> Template:
    """Render ``templates/<template_name>`` with ``context`` (``request`` and ``csrf_input`` are
    added by Litestar)."""
    return Template(template_name=template_name, context=context, status_code=status_code)


def form_page(
    template_name: str,
    *,
    form: dict[str, Any] | None = None,
    error: DomainError | None = None,
    status_code: int | None = None,
    **context: Any,
) -> Template:
    """Re-render a form with the user's input (``form``) and the refusal's messages:
    ``errors`` (field -> message) and ``error_message`` (general)."""
    return page(
        template_name,
        status_code=status_code or (error.status_code if error else 200),
        form=form or {},
        errors=error.field_errors if error else {},
        error_message=error.message if error else None,
        **context,
    )


def redirect(path: str, **query: Any) -> Redirect:
    """303 redirect (after POST) to a local ``path``."""
    if query:
        path = f"{path}?{urlencode({k: v for k, v in query.items() if v is not None})}"
    return Redirect(path=path, status_code=303)


def flash(request: Request[Any, Any, Any], message: str, category: str = "success") -> None:
    """Queue a message for the next page (categories: success, info, warning, error)."""
    session = request.scope.get("session")
    if isinstance(session, dict):
        session.setdefault("_flashes", []).append({"message": message, "category": category})


async def form_data(request: Request[Any, Any, Any]) -> FormMultiDict:
    """The submitted form (URL-encoded or multipart); ``getall(name)`` for repeated fields."""
    return await request.form()


def form_dict(form: FormMultiDict, *multi: str) -> dict[str, Any]:
    """Plain dict of the form for re-rendering (``multi`` fields as lists), no CSRF field."""
    out: dict[str, Any] = {}
    for key in form:
        if key == "_csrf_token":
            continue
        out[key] = form.getall(key) if key in multi else form.get(key)
    for key in multi:
        out.setdefault(key, [])
    return out


def safe_next(value: str | None, default: str = "/") -> str:
    """Only local absolute paths are accepted as redirect targets (no open redirects)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default
