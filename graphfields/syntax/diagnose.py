"""Why a fields string does not parse, in words: a pure function of the failure.

When Lark's parser stops, ``_lark.py`` records what it knew at that point in a
:class:`Failure`: where it stopped, which terminals it could have accepted there, the
brackets still open and the call name just read. :func:`syntax_error` turns that (and the
text, to quote what was found) into the :class:`FieldsSyntaxError` users see. The decisions
are checked by the pinned messages in ``tests/cases/syntax_errors.json``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence, Set
from dataclasses import dataclass

from graphfields._source import line_col
from graphfields.errors import FieldsSyntaxError

__all__ = ["IN_WORDS", "Failure", "syntax_error"]


@dataclass(frozen=True, slots=True)
class Failure:
    """What the parser knew when it stopped.

    ``position``: where (``len(text)`` at the end of the input); ``accepts``: the grammar's
    terminals it would have accepted there; ``brackets``: the brackets still open, outermost
    first, as (character, position); ``call_name``: the call name just read, if the parser
    stopped right after one (``.first`` without its ``(``), else ``""``.
    """

    position: int
    accepts: frozenset[str]
    brackets: tuple[tuple[str, int], ...] = ()
    call_name: str = ""


def syntax_error(text: str, failure: Failure) -> FieldsSyntaxError:
    message, at, expected = _diagnose(text, failure.position, failure.accepts,
                                      failure.brackets, failure.call_name)
    return FieldsSyntaxError(message, text, at, expected)


_WS = " \t\n\r\f\v"
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_CLOSER = {"{": "}", "<": ">"}
_OPENER = {"}": "{", ">": "<"}
#: How a message names each terminal the parser could have accepted, in this order.
IN_WORDS: list[tuple[str, str]] = [
    ("NAMES", "a field name"),
    ("NAME", "a call name"),
    ("STRING", "an argument"),
    ("SQSTRING", "an argument"),
    ("BARE", "an argument"),
    ("FLOAT", "an argument"),
    ("MORE_NAMES", "`,`"),
    ("COMMA", "`,`"),
    ("CALL", "`.`"),
    ("DOT", "`.`"),
    ("LPAR", "`(`"),
    ("RPAR", "`)`"),
    ("OPEN_BRACE", "`{`"),
    ("LEAF_BRACE", "`{`"),
    ("OPEN_ANGLE", "`<`"),
    ("LEAF_ANGLE", "`<`"),
    ("CLOSE_BRACE", "`}`"),
    ("CLOSE_ANGLE", "`>`"),
    ("$END", "the end of the input"),
]
_ESCAPES = frozenset('"\\/bfnrt')
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_CALL_NAME = re.compile(r"\.[ \t\n\r\f\v]*([A-Za-z_][A-Za-z0-9_]*)")


def _words(accepts: Set[str]) -> tuple[str, ...]:
    out: list[str] = []
    for terminal, words in IN_WORDS:
        if terminal in accepts and words not in out:
            out.append(words)
    return tuple(out)


def _join(words: Sequence[str]) -> str:
    if not words:
        return "nothing more"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _describe(text: str, at: int) -> str:
    """How an error message names what it found at ``at``."""
    if at >= len(text):
        return "the end of the input"
    ch = text[at]
    if ch in _NAME_CHARS:
        end = at
        while end < len(text) and text[end] in _NAME_CHARS and end - at < 40:
            end += 1
        return f"`{text[at:end]}`"
    if ch.isprintable() and ch not in "`":
        return f"`{ch}`"
    return f"character U+{ord(ch):04X}"


def _next(text: str, i: int) -> int:
    """Index of the first non-space character at or after ``i`` (``len(text)`` if none)."""
    n = len(text)
    while i < n and text[i] in _WS:
        i += 1
    return i


def _previous(text: str, i: int) -> int:
    """Index of the last non-space character before ``i`` (-1 if none)."""
    i -= 1
    while i >= 0 and text[i] in _WS:
        i -= 1
    return i


def _diagnose(text: str, at: int, accepts: Set[str], brackets: Sequence[tuple[str, int]],
              call_name: str) -> tuple[str, int, tuple[str, ...]]:
    """Turn "parsing stopped at ``at`` expecting ``accepts``" into a helpful message.

    ``brackets`` are the brackets still open; ``call_name`` the call name just read, if any.
    """
    n = len(text)
    c = text[at] if at < n else ""
    name_words = ("a field name",)
    innermost = brackets[-1] if brackets else None
    in_args = bool(accepts & {"STRING", "SQSTRING", "BARE"})

    if c == "":
        if innermost is not None and innermost[0] == "(":
            return "Unclosed `(`: expected `)` before the end of the input", innermost[1], ("`)`",)
        if "NAME" in accepts:
            return "Expected a call name after `.`", at, ("a call name",)
        if "LPAR" in accepts:
            return f"Expected `(` after `.{call_name}`", at, ("`(`",)
        if innermost is not None:
            closer = _CLOSER[innermost[0]]
            return (f"Unclosed `{innermost[0]}`: expected `{closer}` before the end of the input",
                    innermost[1], (f"`{closer}`",))
        if "NAMES" in accepts:
            return "Empty selection: expected a field name", at, name_words

    if c == "," and not in_args:
        if "MORE_NAMES" in accepts:
            after = _next(text, at + 1)
            if after == n or text[after] in "}>":
                return "Trailing comma: expected a field name after `,`", at, name_words
            return _bad_name(text, after, "`,`")
        if "NAMES" in accepts:
            return "Empty field name: expected a field name before `,`", at, name_words

    if c in "{<" and c and not in_args:
        if ("OPEN_BRACE" if c == "{" else "OPEN_ANGLE") in accepts:
            after = _next(text, at + 1)
            if after == n:
                return f"Unclosed `{c}`: expected a field name", at, name_words
            if text[after] in "}>":
                return (f"Empty nested selection: expected a field name inside `{c}{_CLOSER[c]}`",
                        after, name_words)
            return _bad_name(text, after, f"`{c}`")
        if "NAMES" in accepts:
            return f"Expected a field name, found `{c}`", at, name_words

    if c == "." and not in_args and "NAME" not in accepts:
        before = _previous(text, at)
        if before >= 0 and text[before] in "}>":
            m = _CALL_NAME.match(text, at)
            call = f"`.{m.group(1)}()`" if m else "`.`"
            opener = _OPENER[text[before]]
            return (f"Call {call} after a nested selection: calls must come before `{opener}`",
                    at, _words(accepts))

    if c in "\"'" and c and in_args:
        return _string_error(text, at, c)

    if in_args:
        if c in "}>" and innermost is not None and innermost[0] == "(":
            return (f"Unclosed `(`: expected `)` before `{c}`", innermost[1], ("`)`",))
        before = _previous(text, at)
        if c == ")" and before >= 0 and text[before] == ",":
            return "Trailing comma: expected an argument after `,`", before, ("an argument",)
        return f"Expected an argument, found {_describe(text, at)}", at, ("an argument",)

    if "NAME" in accepts:
        return f"Expected a call name after `.`, found {_describe(text, at)}", at, ("a call name",)
    if "LPAR" in accepts:
        return (f"Expected `(` after `.{call_name}`, found {_describe(text, at)}", at,
                ("`(`",))
    if "NAMES" in accepts:
        return _bad_name(text, at, None)

    if c in "}>" and c:
        opened = [b for b in brackets if b[0] in "{<"]
        if not opened:
            return f"Unmatched `{c}`: there is no `{_OPENER[c]}` to close", at, _words(accepts)
        kind, where = opened[-1]
        if kind != _OPENER[c]:
            line, column = line_col(text, where)
            closer = _CLOSER[kind]
            return (f"Mismatched `{c}`: expected `{closer}` to close the `{kind}` at "
                    f"{line}:{column}", at, (f"`{closer}`",))

    if c in _NAME_CHARS and c and "MORE_NAMES" in accepts:
        return f"Missing `,` before {_describe(text, at)}", at, ("`,`",)

    expected = _words(accepts)
    return f"Unexpected {_describe(text, at)}: expected {_join(expected)}", at, expected


def _bad_name(text: str, at: int, after: str | None) -> tuple[str, int, tuple[str, ...]]:
    """Where a field name should start at ``at`` but does not."""
    words = ("a field name",)
    where = f" after {after}" if after else ""
    c = text[at] if at < len(text) else ""
    if c == ",":
        between = f"between {after} and `,`" if after else "before `,`"
        return f"Empty field name: expected a field name {between}", at, words
    if c and c in _NAME_CHARS:  # a digit: names start with a letter or `_`
        return (f"Invalid field name {_describe(text, at)}: a field name starts with a letter "
                "or `_`", at, words)
    return f"Expected a field name{where}, found {_describe(text, at)}", at, words


def _string_error(text: str, at: int, quote: str) -> tuple[str, int, tuple[str, ...]]:
    """A quoted argument that does not lex: a bad escape, or no closing quote."""
    i = at + 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == quote:
            break
        if ch == "\\" and quote == '"':
            nxt = text[i + 1:i + 2]
            if nxt == "":
                break
            if nxt in _ESCAPES:
                i += 2
                continue
            if nxt == "u" and _HEX4.match(text, i + 2):
                i += 6
                continue
            shown = nxt if nxt.isprintable() else f"U+{ord(nxt):04X}"
            return (f"Invalid escape `\\{shown}` in a string: use \\\" \\\\ \\/ \\b \\f \\n \\r "
                    "\\t or \\uXXXX", i, ("an escape",))
        i += 1
    return f"Unclosed string: expected a closing `{quote}`", at, (f"`{quote}`",)

