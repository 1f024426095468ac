"""Error pages lead with the message and what to do, the code in small print; English
dates are written out so that nobody reads 12/1 as the 12th of January."""

from __future__ import annotations

import datetime as dt
import re

from flask import render_template_string
from flask_babel import force_locale


def test_a_missing_page_says_what_to_do_and_keeps_the_code_in_small_print(client):
    html = client.get("/no/such/page?lang=zh").get_data(as_text=True)
    message = re.search(r'id="error-message">([^<]+)<', html)
    todo = re.search(r'id="error-todo">([^<]+)<', html)
    assert message and "不存在" in message.group(1)
    assert todo and "返回" in todo.group(1)
    assert re.search(r'<p class="muted small">技术支持代码：404</p>', html)
    assert "javascript:" not in html


def test_english_dates_are_long_and_unambiguous(app):
    moment = dt.datetime(2026, 3, 4, 1, 5, tzinfo=dt.UTC)  # 09:05 in Shanghai
    template = (
        "{{ m|datetimeformat('short') }}|{{ m|dateformat('short') }}|{{ m|dateformat('long') }}"
    )
    with app.test_request_context("/"), force_locale("en"):
        english = render_template_string(template, m=moment)
    with app.test_request_context("/"), force_locale("zh"):
        chinese = render_template_string(template, m=moment)
    assert english == "4 Mar 2026, 09:05|4 Mar 2026|4 March 2026"
    assert chinese.split("|")[0] == "2026/3/4 09:05"
