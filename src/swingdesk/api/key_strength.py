"""How much randomness an API key carries, beyond words, placeholders and patterns.

zxcvbn (Dropbox's estimator) splits a key into what an attacker would guess first: words
from its frequency lists (English, common passwords, names) and from ours (the vocabulary
of placeholders such as ``change_me_please_now`` or ``your-api-key-here``), l33t variants,
keyboard walks, sequences, repeats and dates. What it cannot explain is left as random
characters. zxcvbn's own score is made for passwords: it rates ``replace-me-with-a-long-
random-key`` "very strong" and a 22-character random key lower, so the decision here is
made on the unexplained characters alone, each counted at the size of the key's alphabet.
"""

from __future__ import annotations

import math

from zxcvbn import zxcvbn

MIN_KEY_LEN = 16
#: A key must carry at least this much randomness outside words and patterns, bits.
MIN_RANDOM_BITS = 64
HOW_TO_GENERATE = 'generate one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'
#: zxcvbn refuses longer inputs; a longer key is read in pieces of this size.
_PIECE = 64
#: Words people put in a key while meaning to replace it, and this service's own words.
PLACEHOLDER_WORDS = (
    "change", "changeme", "me", "please", "now", "your", "my", "our", "the", "a", "an", "here",
    "replace", "with", "long", "random", "string", "value", "insert", "put", "set", "new",
    "api", "app", "key", "keys", "token", "secret", "password", "pass", "pwd", "auth",
    "example", "sample", "default", "dummy", "test", "testing", "demo", "todo", "fixme",
    "placeholder", "admin", "root", "user", "local", "dev", "prod", "staging", "xxx", "foo",
    "bar", "baz", "qwerty", "letmein", "swingdesk", "trade", "trading", "read", "metrics",
    "bearer", "generate", "generated", "real", "actual", "this", "is", "not", "do", "use",
)  # fmt: skip


def random_bits(key: str) -> float:
    """Return the bits of randomness in ``key`` left after words and patterns are taken out."""
    unexplained = 0
    for start in range(0, len(key), _PIECE):
        piece = key[start : start + _PIECE]
        for match in zxcvbn(piece, user_inputs=PLACEHOLDER_WORDS)["sequence"]:
            if match["pattern"] == "bruteforce":
                unexplained += sum(1 for c in match["token"] if c.isascii() and c.isalnum())
    return unexplained * math.log2(_alphabet(key))


def _alphabet(key: str) -> int:
    """Return the size of the alphabet the key's letters and digits are drawn from."""
    size = 26 * any(c.islower() for c in key if c.isascii())
    size += 26 * any(c.isupper() for c in key if c.isascii())
    size += 10 * any(c.isdigit() for c in key if c.isascii())
    return max(size, 2)


def key_weakness(key: str) -> str | None:
    """Return why ``key`` is too weak to protect the API, or None when it is strong enough."""
    if len(key) < MIN_KEY_LEN:
        return f"is shorter than {MIN_KEY_LEN} characters"
    bits = random_bits(key)
    if bits < MIN_RANDOM_BITS:
        return (
            "is a placeholder or is made of words and patterns "
            f"(about {bits:.0f} bits of randomness; {MIN_RANDOM_BITS} needed)"
        )
    return None
