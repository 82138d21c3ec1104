"""Keep secrets out of every log line: ftrack API keys, passwords, tokens, Fernet ciphertexts.

Three layers, because a key can reach a log record in many shapes:

* patterns: ``api_key=…``, ``"password": "…"``, ``apiKey=…`` in a URL (ftrack's component and
  thumbnail URLs carry the key in the query string, and urllib3 logs every URL it fetches),
  ``Authorization: Token …``, ``ftrack-api-key: …`` headers, and Fernet tokens (``gAAAAA…``);
* literals: secrets the process knows (SECRET_KEY, CREDENTIAL_KEYS, the SMTP and S3 passwords from
  settings, and every ftrack key the portal decrypted or verified, registered with
  :func:`remember_secret`) are replaced wherever they appear, whatever the shape around them;
* scope: the redaction runs in a log-record factory, so every record is cleaned once when it is made,
  whichever handler (Django's, Celery's, pytest's caplog, Sentry's) later writes it. The same logic is
  also a ``logging.Filter`` (:class:`RedactSecrets`) for handlers configured in LOGGING, as a second
  net for records made before the factory was installed.

The message is formatted (``msg % args``) before redaction, and exception and stack text are
formatted into ``exc_text``/``stack_info`` and redacted too: a key passed as an exception argument
would otherwise come back in the traceback.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

MASK = "[redacted]"

# Names whose value is a secret, in query strings, JSON, reprs, headers and keyword arguments.
_SECRET_NAMES = (
    r"api[_-]?key|apikey|ftrack[_-]api[_-]key|password|passwd|pwd|secret(?:[_-]key)?|"
    r"secret[_-]access[_-]key|access[_-]token|refresh[_-]token|token|credential[_-]keys?|"
    r"x-amz-signature|x-amz-credential|signature"
)
# name=value, name: value, "name": "value", 'name': 'value', name='value'; the name may carry a
# prefix (EMAIL_HOST_PASSWORD, STAGING_S3_SECRET_ACCESS_KEY).
_NAMED = re.compile(
    rf"""(?ix)
    (?P<name>["']?\b[\w-]*?(?:{_SECRET_NAMES})\b["']?)
    (?P<sep>\s*[:=]\s*)
    (?P<quote>["'])?
    (?P<value>(?(quote)[^"'\n]+|[^\s"'&,;)}}\]]+))
    """
)
# "Authorization: Token abc" / "Bearer abc" / "Basic abc".
_AUTH_HEADER = re.compile(r"(?i)\b(Token|Bearer|Basic)\s+([A-Za-z0-9._~+/=-]{8,})")
# Fernet tokens are urlsafe base64 of a blob starting with version byte 0x80 → always "gAAAAA".
_FERNET = re.compile(r"gAAAAA[A-Za-z0-9_-]{20,}={0,2}")

_known_lock = threading.Lock()
_known: set[str] = set()
# Too short a literal would mask ordinary words; real keys are far longer than this.
MIN_LITERAL_LENGTH = 6


def remember_secret(value: str | None) -> None:
    """Mask this exact string in every later log record of this process (an ftrack key just
    decrypted or verified, for instance)."""
    if value and len(value) >= MIN_LITERAL_LENGTH:
        with _known_lock:
            _known.add(value)


def _settings_secrets() -> list[str]:
    try:
        from django.conf import settings

        if not settings.configured:
            return []
        found = [
            settings.SECRET_KEY,
            settings.EMAIL_HOST_PASSWORD,
            *settings.CREDENTIAL_KEYS,
            dict(settings.DATABASES.get("default") or {}).get("PASSWORD", ""),
        ]
        storages: dict[str, Any] = settings.STORAGES
        staging: dict[str, Any] = (storages.get("staging") or {}).get("OPTIONS") or {}
        found.append(staging.get("secret_key") or "")
    except Exception:  # noqa: BLE001 - settings half-loaded (start-up): patterns still apply
        return []
    return [value for value in found if isinstance(value, str) and len(value) >= MIN_LITERAL_LENGTH]


def redact(text: str) -> str:
    """The text with every secret it holds replaced by ``[redacted]``."""
    if not text:
        return text
    with _known_lock:
        literals = list(_known)
    # Longest first, so that a secret containing another one is masked whole.
    for literal in sorted({*literals, *_settings_secrets()}, key=len, reverse=True):
        if literal in text:
            text = text.replace(literal, MASK)
    text = _NAMED.sub(lambda m: f"{m['name']}{m['sep']}{m['quote'] or ''}{MASK}", text)
    text = _AUTH_HEADER.sub(lambda m: f"{m[1]} {MASK}", text)
    return _FERNET.sub(MASK, text)


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Format the record's message, exception and stack now, redacted, so no handler sees the raw
    values (handlers only format ``exc_info`` when ``exc_text`` is empty)."""
    if getattr(record, "_secrets_redacted", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a broken format string must not lose the record
        message = f"{record.msg!r} {record.args!r}"
    record.msg, record.args = redact(message), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
        # The traceback objects still hold the raw values (frame locals, exception args); handlers
        # that re-render them (Django's AdminEmailHandler) must only see the redacted text.
        record.exc_info = None
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._secrets_redacted = True
    return record


class RedactSecrets(logging.Filter):
    """LOGGING filter: redacts the record in place and always lets it through."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_factory_installed = False


def install_record_factory() -> None:
    """Redact every record of this process at creation (idempotent)."""
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        return redact_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _factory_installed = True


# LOGGING names RedactSecrets, so dictConfig imports this module in every process that sets up
# Django (web, Celery worker, manage.py): that is where the factory goes in.
install_record_factory()
