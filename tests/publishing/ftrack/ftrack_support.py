"""Test support shared by the ftrack and pipeline tests: credentials, settings, request counting."""

from __future__ import annotations

from collections import Counter

DEMO_KEYS = {
    "producer": "demo-key-producer",
    "coordinator": "demo-key-coordinator",
    "admin": "demo-key-admin",
    "reviewer.ana": "demo-key-reviewer-ana",
    "reviewer.ben": "demo-key-reviewer-ben",
}


def give_credential(user, api_user: str, api_key: str | None = None):
    """Store an ftrack credential for ``user`` (the demo key of ``api_user`` unless given)."""
    from publishing.core.crypto import encrypt_secret
    from publishing.models import FtrackCredential

    key = api_key if api_key is not None else DEMO_KEYS[api_user]
    credential, _ = FtrackCredential.objects.update_or_create(
        user=user, defaults={"api_user": api_user, "api_key_encrypted": encrypt_secret(key)}
    )
    return credential


def request_entries(server) -> list[dict]:
    log = server.request_log()
    if isinstance(log, dict):
        log = log.get("requests") or log.get("entries") or []
    return list(log)


def actions_since(server, mark: int, *, user: str | None = None) -> Counter:
    """Count of actions logged after sequence number ``mark`` (optionally by one ftrack user)."""
    counts: Counter = Counter()
    for entry in request_entries(server):
        if entry.get("seq", 0) > mark and (user is None or entry.get("user") == user):
            counts[entry.get("action")] += 1
    return counts


def last_seq(server) -> int:
    entries = request_entries(server)
    return max((e.get("seq", 0) for e in entries), default=0)
