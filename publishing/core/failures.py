"""Failed jobs grouped by cause, in plain words with what to do.

The dashboard shows one line per cause ("ftrack rejected the API key for jane — ask jane to update
it on the credentials page": 3 jobs) instead of a wall of red rows; jane herself reads "ftrack
rejected your API key — update it on your Credentials page". A cause is the job's
``error_code`` (``publishing.core.errors``); for causes that belong to one person (their credential) the
producer is part of the cause too, because the fix is theirs.

A group's ``key`` travels through the bulk-retry form and back, so it is parsed again here and never
trusted beyond "which failed jobs, among those this user may see".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.html import format_html

from publishing.core import roles
from publishing.core.errors import CATALOGUE, catalogue_entry

# Causes whose fix is one producer's: grouped per producer (the catalogue says which).
PER_PRODUCER = {entry.code for entry in CATALOGUE.values() if entry.per_producer}


@dataclass(frozen=True)
class FailureGroup:
    key: str  # "<code>" or "<code>:<owner id>"
    code: str
    owner_id: int | None
    cause: str  # what happened, plain words
    advice: str  # what to do
    count: int
    sample_message: str
    retry_helps: bool


def group_key(code: str, owner_id: int | None) -> str:
    return f"{code}:{owner_id}" if code in PER_PRODUCER and owner_id is not None else code


def parse_group_key(key: str) -> tuple[str, int | None] | None:
    """(code, owner id or None) from a group key, or None when it is not one we made."""
    code, _, owner = (key or "").partition(":")
    if not code or len(code) > 64 or not code.replace("_", "").isalnum():
        return None
    if code in PER_PRODUCER:
        return (code, int(owner)) if owner.isdigit() else None
    return (code, None) if not owner else None


def _link(url_name: str, text: str) -> str:
    return format_html('<a href="{}">{}</a>', reverse(f"publishing:{url_name}"), text)


def describe(
    code: str, *, producer: str, own: bool = False, viewer_is_admin: bool = False
) -> tuple[str, str]:
    """(cause, advice) for one failure, in the producer's and coordinator's language.

    ``own``: the viewer is the producer whose key is at fault, so the advice speaks to them ("your
    API key", with a link to their Credentials page) instead of naming them. ``viewer_is_admin``: the
    viewer can fix the project's service key themselves. Advice that carries a link is safe HTML
    (``format_html``); everything else is plain text, escaped where it is shown.

    Shown as written ("ftrack" keeps its lower-case f), so each cause starts the way a sentence should.
    """
    who = producer or "the producer"
    # Where the viewer can fix it themselves, the advice speaks to them and links to the page.
    if own and code == "credential_rejected":
        return (
            "ftrack rejected your API key",
            format_html("update it on your {}, then retry", _link("credentials", "Credentials page")),
        )
    if own and code == "missing_credential":
        return (
            "You have no ftrack API key on file",
            format_html("add one on your {}, then retry", _link("credentials", "Credentials page")),
        )
    if viewer_is_admin and code == "service_key_rejected":
        return (
            "ftrack rejected the project's service key",
            format_html("update it on the {}, then retry", _link("admin_service_keys", "service keys page")),
        )
    entry = catalogue_entry(code)
    return entry.cause.format(who=who), entry.advice.format(who=who)


def describe_for(code: str, *, owner, viewer=None) -> tuple[str, str]:
    """``describe`` as seen by ``viewer`` (a user, or None for a neutral third-person wording)."""
    return describe(
        code,
        producer=owner.get_username(),
        own=viewer is not None and owner.pk == viewer.pk,
        viewer_is_admin=viewer is not None and roles.is_admin(viewer),
    )


def group_failures(rows: Iterable[dict], *, viewer=None) -> list[FailureGroup]:
    """Groups from aggregate rows ``{"error_code", "owner_id", "owner_name", "count", "sample"}``.

    The rows come grouped by (code, producer); causes that are not per-producer are merged here.
    Biggest group first. With a ``viewer``, advice about their own key is addressed to them.
    """
    viewer_id = getattr(viewer, "pk", None)
    viewer_is_admin = viewer is not None and roles.is_admin(viewer)
    merged: dict[str, dict] = {}
    for row in rows:
        code = row["error_code"] or "internal"
        key = group_key(code, row["owner_id"])
        entry = merged.setdefault(
            key,
            {
                "code": code,
                "owner_id": row["owner_id"] if code in PER_PRODUCER else None,
                "owner_name": row["owner_name"],
                "count": 0,
                "sample": row["sample"] or "",
            },
        )
        entry["count"] += row["count"]
    groups = []
    for key, entry in merged.items():
        producer = entry["owner_name"] if entry["owner_id"] is not None else ""
        own = viewer_id is not None and entry["owner_id"] == viewer_id
        cause, advice = describe(entry["code"], producer=producer, own=own, viewer_is_admin=viewer_is_admin)
        groups.append(
            FailureGroup(
                key=key,
                code=entry["code"],
                owner_id=entry["owner_id"],
                cause=cause,
                advice=advice,
                count=entry["count"],
                sample_message=entry["sample"],
                retry_helps=catalogue_entry(entry["code"]).retry_helps,
            )
        )
    groups.sort(key=lambda g: (-g.count, g.key))
    return groups
