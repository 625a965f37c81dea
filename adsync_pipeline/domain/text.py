"""Stored text shown to a person: a name from an old store or another tool may hold control
characters, and printed raw a CR or LF forges a line of output, an ESC drives the terminal."""

from __future__ import annotations

import unicodedata

# Control characters, lone surrogates, line/paragraph separators, and the bidi controls
# that reorder how the rest of a line is displayed.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every character that could change how output lines read escaped as
    \\xNN or \\uNNNN; other text, non-ASCII letters included, as it is."""
    if text.isprintable():
        return text
    return "".join(
        _escape(char)
        if char in _BIDI_CONTROLS or unicodedata.category(char) in _ESCAPED_CATEGORIES
        else char
        for char in text
    )
