"""Tokens: random, stored as sha256, matched only by the exact token."""

from __future__ import annotations

import hashlib

from rubricrl.study.tokens import hash_token, match_token, new_token


def test_tokens_are_random_and_url_safe() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(t) >= 40 and t.replace("-", "").replace("_", "").isalnum() for t in tokens)


def test_the_hash_is_sha256_hex_and_matches_only_its_token() -> None:
    token = new_token()
    assert hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
    stored = [("ann", hash_token(token)), ("bob", hash_token(new_token()))]
    assert match_token(token, stored) == "ann"
    assert match_token(token[:-1], stored) is None
    assert match_token("", stored) is None
