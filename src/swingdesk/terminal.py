"""Stored text made safe to print on a terminal.

Rationales, prompts and model replies are written by a model; order messages and sectors come
from a broker or a data vendor; reasons from whoever typed them. Printed raw, any of them
could drive the terminal (``ESC[2J`` clears the screen, colour codes, OSC titles), overwrite
a line (``\\r``, backspace), reorder what is shown (bidi overrides), or start a line that looks
like one of our own log lines. So every character that is not plain text is shown as an
escape (``\\x1b``, ``\\r``, ``\\u202e``), and a newline inside stored text is either shown as
``\\n`` or followed by an indent, so that it never starts a line at the margin. ``shown`` also
escapes Rich markup, so ``[bold red]`` in a rationale is printed, not obeyed.
"""

from __future__ import annotations

from rich.markup import escape

#: Readable short forms for the common controls; every other one is ``\xNN`` or ``\uNNNN``.
_SHORT = {"\t": "\\t", "\r": "\\r", "\n": "\\n"}
#: Format characters that reorder or hide text: line and paragraph separators, bidi embeddings,
#: overrides, isolates and marks.
_FORMAT = frozenset(
    [0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)


def _escaped(char: str) -> str:
    code = ord(char)
    if char in _SHORT:
        return _SHORT[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _unsafe(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F or code in _FORMAT


def printable(value: object, *, indent: str | None = None) -> str:
    """Return ``value`` as text with every control character shown as an escape.

    A newline is shown as ``\\n``, or, with ``indent``, kept and followed by ``indent`` (for
    multi-line text the CLI lays out as an indented block).
    """
    text = str(value)
    if not any(_unsafe(c) for c in text):
        return text
    parts = []
    for char in text:
        if char == "\n" and indent is not None:
            parts.append("\n" + indent)
        elif _unsafe(char):
            parts.append(_escaped(char))
        else:
            parts.append(char)
    return "".join(parts)


def shown(value: object, *, indent: str | None = None) -> str:
    """Return ``value`` ready for a Rich markup string: controls escaped, markup escaped.

    Text that ends in backslashes could escape whatever tag follows it in the caller's
    markup, and Rich's ``escape`` doubles the last one, which prints twice when no tag
    follows. So the trailing backslashes are written doubled before an empty no-op tag
    (``[none][/none]``): Rich prints one for each pair, wherever the text is placed.
    """
    text = printable(value, indent=indent)
    head = text.rstrip("\\")
    trailing = len(text) - len(head)
    if not trailing:
        return escape(text)
    pairs = "\\" * (2 * trailing)
    return escape(head) + pairs + "[none][/none]"
