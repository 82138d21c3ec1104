"""Secrets at rest (ftrack API keys): Fernet tokens under the keys in settings.CREDENTIAL_KEYS.

The first key encrypts; every key decrypts, so keys can be rotated by putting a new key first,
re-encrypting with `rotate_secret`, then dropping the old key.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from publishing.core.logging_filters import remember_secret


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with any configured key (keys rotated away, or tampered)."""


def _fernet() -> MultiFernet:
    # Built per call: settings may change in tests, and constructing Fernet objects is cheap.
    return MultiFernet([Fernet(key) for key in settings.CREDENTIAL_KEYS])


def encrypt_secret(plaintext: str) -> str:
    # Every secret that passes through here is masked in this process's logs from now on, even
    # where it would appear bare (no "api_key=" beside it for the pattern filters to find).
    remember_secret(plaintext)
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        plaintext = _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        # Never include the token: it is the secret's ciphertext and is useless in a message.
        raise SecretUnreadable("The stored secret cannot be decrypted with the configured CREDENTIAL_KEYS.")
    remember_secret(plaintext)
    return plaintext


def rotate_secret(token: str) -> str:
    """Re-encrypt a token under the first (current) key."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("The stored secret cannot be decrypted with the configured CREDENTIAL_KEYS.")
