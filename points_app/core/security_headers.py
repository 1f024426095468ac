"""Security headers on every response: what the browser may load, frame, send and use.

The Content-Security-Policy allows scripts, styles, fonts and connections from this
origin only; no inline script, no `on*=` handler, no `javascript:` link and no inline
style (page behaviour is declared with data- attributes, see static/js/page.js). Images
may also be `data:`/`blob:` (the favicon, a photo being previewed); no page may be framed.
The camera is allowed to this origin only (the counter and the check-in scanner use it).
HSTS is sent only where `HSTS_SECONDS` is set (production), since it binds the host name
to HTTPS for that long. A response that sets a header itself keeps its own value.
"""

from __future__ import annotations

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        # WebAssembly only (the counter's in-page QR reader), never eval() of text.
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PERMISSIONS_POLICY = (
    "camera=(self), microphone=(), geolocation=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)


def security_headers(hsts_seconds: int) -> dict[str, str]:
    """The headers every response carries (HSTS only when hsts_seconds > 0)."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if hsts_seconds > 0:
        headers["Strict-Transport-Security"] = f"max-age={hsts_seconds}; includeSubDomains"
    return headers


def install_security_headers(app: Flask) -> None:
    """Add the security headers to every response of the app, static files and errors too."""
    headers = security_headers(int(app.config.get("HSTS_SECONDS") or 0))

    @app.after_request
    def _add_security_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
