"""Secret links: random tokens handed out once, kept only as sha256 hashes, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import TypeVar

K = TypeVar("K")


def new_token() -> str:
    """A fresh URL-safe token (32 random bytes)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The hex sha256 of a token: what the study file stores instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def match_token(token: str, hashes: Iterable[tuple[K, str]]) -> K | None:
    """The key whose stored hash is the token's, or None; every hash is compared in constant time
    so the reply time says nothing about how close a guess came."""
    wanted = hash_token(token)
    found: K | None = None
    for key, stored in hashes:
        if hmac.compare_digest(wanted, stored):
            found = key
    return found
