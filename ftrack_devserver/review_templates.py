"""HTML of the review page. Every value from ftrack goes through ``e()``: comments and notes
are user text and may hold markup."""

from __future__ import annotations

import html
from urllib.parse import quote

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;background:#15171b;color:#e6e6e6}
header{display:flex;align-items:center;gap:1rem;padding:.75rem 1.5rem;background:#1f2228;border-bottom:1px solid #2c3038}
header h1{font-size:1.1rem;margin:0;flex:1}
header h1 a{color:inherit;text-decoration:none}
main{max-width:1100px;margin:0 auto;padding:1.5rem}
a{color:#7cb7ff}
button,input{font:inherit}
button{background:#3a7bd5;color:#fff;border:0;border-radius:6px;padding:.45rem .9rem;cursor:pointer}
button.link{background:none;color:#aab;padding:0;text-decoration:underline}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:1rem}
.card{background:#1f2228;border:1px solid #2c3038;border-radius:10px;overflow:hidden}
.card .thumb{display:block;aspect-ratio:16/9;background:#0d0e10;width:100%;object-fit:contain}
.card .body{padding:.75rem 1rem}
.card h2{font-size:1rem;margin:0 0 .25rem}
.card h2 a{color:inherit;text-decoration:none}
.meta{color:#9aa0aa;font-size:.85rem}
.status{display:inline-block;padding:.05rem .5rem;border-radius:999px;background:#2f3a4a;color:#cfe3ff;font-size:.8rem}
.comment,.note p{white-space:pre-wrap;margin:.4rem 0}
.notes{list-style:none;padding:0;margin:.5rem 0 0}
.note{border-top:1px solid #2c3038;padding:.5rem 0}
.player{width:100%;max-height:70vh;background:#000;border-radius:10px}
.login{max-width:360px;margin:10vh auto;background:#1f2228;padding:1.5rem;border-radius:10px}
.login label{display:block;margin:.75rem 0 .25rem}
.login input{width:100%;padding:.45rem;border-radius:6px;border:1px solid #3a3f4a;background:#15171b;color:#eee}
.login button{margin-top:1rem;width:100%}
.error{color:#ff8a8a}
.empty{color:#9aa0aa;text-align:center;padding:3rem}
"""


def e(value) -> str:
    return html.escape(str(value if value is not None else ""), quote=True)


def media_url(component_id: str) -> str:
    return "/review/media/" + quote(component_id, safe="")


def _page(title: str, body: str, username: str | None = None) -> str:
    account = ""
    if username:
        account = (
            f'<span class="meta">{e(username)}</span>'
            '<form method="post" action="/review/logout"><button class="link">Log out</button></form>'
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(title)} · ftrack dev server review</title><style>{STYLE}</style></head><body>"
        f'<header><h1><a href="/review/">Review</a></h1>{account}</header>'
        f"<main>{body}</main></body></html>"
    )


def login_page(*, username: str = "", error: str = "") -> str:
    message = f'<p class="error" role="alert">{e(error)}</p>' if error else ""
    body = (
        '<form class="login" method="post" action="/review/login">'
        '<h2>Log in</h2><p class="meta">Use your ftrack user name and API key.</p>'
        f"{message}"
        '<label for="username">User name</label>'
        f'<input id="username" name="username" autocomplete="username" required value="{e(username)}">'
        '<label for="api_key">API key</label>'
        '<input id="api_key" name="api_key" type="password" autocomplete="current-password" required>'
        "<button>Log in</button></form>"
    )
    return _page("Log in", body)


def message_page(title: str, text: str) -> str:
    return _page(title, f'<p class="empty">{e(text)}</p>')


def _notes(notes) -> str:
    if not notes:
        return ""
    items = []
    for note in notes:
        to = ", ".join(e(r) for r in note.recipients) or "nobody"
        items.append(
            '<li class="note">'
            f'<div class="meta"><strong>{e(note.author)}</strong> · {e(note.date)} · to {to}</div>'
            f"<p>{e(note.content)}</p></li>"
        )
    return f'<ul class="notes">{"".join(items)}</ul>'


def _summary(version) -> str:
    status = f'<span class="status">{e(version.status)}</span> ' if version.status else ""
    comment = f'<p class="comment">{e(version.comment)}</p>' if version.comment else ""
    context = f'<div class="meta">{e(version.context)}</div>' if version.context else ""
    byline = f'<div class="meta">{status}{e(version.author)} · {e(version.date)}</div>'
    return f"{context}{byline}{comment}{_notes(version.notes)}"


def versions_page(username: str, versions) -> str:
    if not versions:
        return _page("Versions", '<p class="empty">No versions to review yet.</p>', username)
    cards = []
    for version in versions:
        link = "/review/version/" + quote(version.id, safe="")
        thumb = (
            f'<img class="thumb" src="{e(media_url(version.thumbnail_id))}" alt="" loading="lazy">'
            if version.thumbnail_id
            else '<div class="thumb"></div>'
        )
        cards.append(
            f'<article class="card" data-version-id="{e(version.id)}"><a href="{e(link)}">{thumb}</a>'
            f'<div class="body"><h2><a href="{e(link)}">{e(version.title)}</a></h2>{_summary(version)}</div>'
            "</article>"
        )
    return _page("Versions", f'<div class="grid">{"".join(cards)}</div>', username)


def version_page(username: str, version) -> str:
    if version.video_id:
        poster = f' poster="{e(media_url(version.thumbnail_id))}"' if version.thumbnail_id else ""
        player = (
            f'<video class="player" controls preload="metadata" playsinline{poster}>'
            f'<source src="{e(media_url(version.video_id))}" type="video/mp4">'
            "Your browser cannot play this movie.</video>"
        )
    elif version.image_id or version.thumbnail_id:
        player = f'<img class="player" src="{e(media_url(version.image_id or version.thumbnail_id))}" alt="">'
    else:
        player = '<p class="empty">This version has no reviewable media yet.</p>'
    components = "".join(
        f'<li><a href="{e(media_url(cid))}">{e(name)}</a></li>' for name, cid in version.components
    )
    body = (
        f"{player}<h2>{e(version.title)}</h2>{_summary(version)}"
        f'<h3>Components</h3><ul class="meta">{components or "<li>none</li>"}</ul>'
    )
    return _page(version.title, body, username)
