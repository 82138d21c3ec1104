"""Stored-XSS payloads and the check that a rendered page holds them only as inert text."""

from __future__ import annotations

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
# What must never reach a page as markup.
RAW = (SCRIPT, "<img src=x onerror=alert(1)>")
# What the payloads look like once escaped by Django's templates.
ESCAPED = ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;")


def assert_inert(html: str, where: str, *, must_show: bool = True) -> None:
    for raw in RAW:
        assert raw not in html, f"{where} renders {raw!r} as markup"
    if must_show:
        # The page does show the hostile text (escaped): otherwise this check proves nothing.
        assert any(escaped in html for escaped in ESCAPED), f"{where} does not show the payload at all"
