"""List searches that keep what was typed out of web addresses (POST, then redirect, GET).

A list page's search form is POSTed; the text is held in the session under a short
random id and the browser is sent back to the list with ``?s=<id>`` (its other filters in
the address too, the text not); the list's pager carries ``s`` on. A phone or ID number
is never held (the session cookie is signed, not encrypted) nor searched: the list says
why (``?number_refused=1``). Old links with ``?q=`` still work for any other text.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from flask import Flask, redirect, request, session, url_for

from points_app.core.scrub import looks_like_personal_number

SESSION_KEY = "searches"
MAX_SEARCH = 100
MAX_HELD = 10


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())[:MAX_SEARCH]


def _hold(text: str) -> str:
    held = dict(session.get(SESSION_KEY) or {})
    search_id = secrets.token_urlsafe(6)
    held[search_id] = text
    session[SESSION_KEY] = dict(list(held.items())[-MAX_HELD:])
    return search_id


def settle_search(endpoint: str, keep: Iterable[str] = ()) -> Any | None:
    """Answer a POSTed search form, or a ``?q=`` holding a number, with a redirect; else None.

    `keep` names the form's other filters, carried into the list's address.
    """
    if request.method == "POST":
        text = _clean(request.form.get("q"))
        args: dict[str, Any] = {k: request.form[k] for k in keep if request.form.get(k)}
        if looks_like_personal_number(text):
            args["number_refused"] = 1
        elif text:
            args["s"] = _hold(text)
        return redirect(url_for(endpoint, **args))
    if looks_like_personal_number(_clean(request.args.get("q"))):
        kept: dict[str, Any] = {k: v for k, v in request.args.items() if k not in ("q", "page")}
        kept["number_refused"] = 1
        return redirect(url_for(endpoint, **kept))
    return None


def search_text() -> str:
    """The list's search text: ``?q=`` if the address has one, else the one ``?s=`` holds."""
    if "q" in request.args:
        text = _clean(request.args.get("q"))
        return "" if looks_like_personal_number(text) else text
    return str((session.get(SESSION_KEY) or {}).get(request.args.get("s", ""), ""))


def search_id() -> str | None:
    """The ``s`` of the current list, for its pager's links (None when there is none)."""
    search_id = request.args.get("s")
    return search_id if search_id and search_id in (session.get(SESSION_KEY) or {}) else None


def install_search_helpers(app: Flask) -> None:
    """Give templates `search_id()`."""
    app.jinja_env.globals["search_id"] = search_id
