"""Security headers on every response (pages, API, static files, error pages, 404s).

* ``Content-Security-Policy``: scripts only from this site (no inline script, no ``on*=``
  handler, no ``eval``), nothing framed and no framing (``frame-ancestors 'none'``), forms post
  only here. Inline ``<style>`` blocks are still allowed (``style-src 'unsafe-inline'``): some
  page templates and the printable report carry their own styles.
* ``X-Frame-Options: DENY`` for browsers without CSP level 2, ``X-Content-Type-Options:
  nosniff``, ``Referrer-Policy: same-origin``, ``Cross-Origin-Opener-Policy: same-origin``.

Installed as a Litestar ``before_send`` hook, which sees every response the application sends,
including those of unmatched routes that no middleware sees.
"""

from __future__ import annotations

from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-src 'none'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_NAMES = frozenset(name for name, _ in SECURITY_HEADERS)


async def add_security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: set the headers on ``http.response.start`` (replacing any)."""
    if message["type"] != "http.response.start":
        return
    headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() not in _NAMES]
    message["headers"] = [*headers, *SECURITY_HEADERS]
