"""A shared ftrack entity cache in Redis, private to one ftrack user.

Layers, top to bottom (the session adds its own MemoryCache on top):

    CommittedOnly -> SerialisedCache(persisted_only) -> RedisCache(prefix, ttl)

* ``persisted_only`` encodes only values the server confirmed, never local edits.
* ``CommittedOnly`` drops entities that were created locally and not yet committed, so a failed
  commit cannot leave phantom versions for other processes to find.
* The key prefix holds the server, its schema hash and the user: a private project that one user
  can see must never be served from the cache to another user, because a cache hit skips the
  server's permission check. Every key expires after FTRACK_CACHE_TTL seconds because a hit is
  never revalidated.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

import ftrack_api.cache
import ftrack_api.inspection
import ftrack_api.symbol
import redis
from django.conf import settings


def redis_client() -> redis.Redis:
    return _client_for(settings.REDIS_URL)


@functools.cache
def _client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def server_tag(server_url: str) -> str:
    return hashlib.sha1(server_url.rstrip("/").encode()).hexdigest()[:12]


class RedisCache(ftrack_api.cache.Cache):
    """ftrack Cache over Redis strings under one key prefix, each with a TTL."""

    def __init__(self, client: redis.Redis, prefix: Any, ttl: int) -> None:
        # prefix may be a callable: the schema hash is only known once the session has asked the
        # server, which happens after the session builds its cache.
        self._client = client
        self._prefix = prefix
        self._ttl = max(int(ttl), 1)

    @property
    def prefix(self) -> str:
        return self._prefix() if callable(self._prefix) else self._prefix

    # The cache only saves round trips: while Redis is away (restart, failover) it acts as empty
    # and the session asks ftrack, instead of failing the publish that happens to be running.
    def get(self, key):
        try:
            value = self._client.get(self.prefix + key)
        except redis.RedisError:
            value = None
        if value is None:
            raise KeyError(key)
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)

    def set(self, key, value) -> None:
        try:
            self._client.set(self.prefix + key, value, ex=self._ttl)
        except redis.RedisError:
            self._forget(key)

    def remove(self, key):
        try:
            removed = self._client.delete(self.prefix + key)
        except redis.RedisError:
            removed = 0
        if not removed:
            raise KeyError(key)

    def _forget(self, key) -> None:
        # A value we could not store must not leave an older one to be served later.
        try:
            self._client.delete(self.prefix + key)
        except redis.RedisError:
            pass

    def keys(self):
        prefix = self.prefix
        return [
            k.decode("utf-8")[len(prefix) :] for k in self._client.scan_iter(match=_glob_escape(prefix) + "*")
        ]

    def clear(self, pattern=None) -> None:
        import re

        regex = re.compile(pattern) if pattern else None
        prefix = self.prefix
        for raw in self._client.scan_iter(match=_glob_escape(prefix) + "*"):
            key = raw.decode("utf-8")[len(prefix) :]
            if regex is None or regex.search(key):
                self._client.delete(raw)


class CommittedOnly(ftrack_api.cache.ProxyCache):
    """Pass on only entities the server has confirmed."""

    def set(self, key, value) -> None:
        if _is_uncommitted(value):
            return
        super().set(key, value)


def _is_uncommitted(value) -> bool:
    try:
        return ftrack_api.inspection.state(value) is ftrack_api.symbol.CREATED
    except Exception:  # not an entity
        return False


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def user_namespace(server_url: str, user_key: str) -> str:
    return f"ftrack:{server_tag(server_url)}:u:{user_key}:"


def build_session_cache(user_key: str, ttl: int | None = None):
    """Return the ``cache=`` callable for ftrack_api.Session, namespaced for one user."""
    ttl = ttl or settings.FTRACK_CACHE_TTL

    def factory(session):
        def prefix() -> str:
            schema_hash = session.server_information.get("schema_hash") or "nohash"
            return f"{user_namespace(session.server_url, user_key)}e:{schema_hash}:"

        store = RedisCache(redis_client(), prefix, ttl)
        encode = functools.partial(session.encode, entity_attribute_strategy="persisted_only")
        return CommittedOnly(ftrack_api.cache.SerialisedCache(store, encode=encode, decode=session.decode))

    return factory


class ResultCache:
    """Plain JSON results (context picker lists) in the same per-user namespace."""

    def __init__(self, server_url: str, user_key: str, ttl: int | None = None) -> None:
        self.namespace = user_namespace(server_url, user_key) + "r:"
        self.ttl = int(ttl or settings.FTRACK_CACHE_TTL)

    def get_or_compute(self, name: str, args: tuple, compute):
        key = self.namespace + name + ":" + hashlib.sha1(json.dumps(args).encode()).hexdigest()[:16]
        client = redis_client()
        try:
            hit = client.get(key)
        except redis.RedisError:
            hit = None  # a cache that is down must not take the pages with it
        if hit is not None:
            return json.loads(hit)
        value = compute()
        try:
            client.set(key, json.dumps(value), ex=self.ttl)
        except redis.RedisError:
            pass
        return value
