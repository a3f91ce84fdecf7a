"""How long, deep and wide a selection may be, and which terminals the lexer counts.

The lexer (``_lark.py``) enforces the limits token by token, before anything deep or big is
built, using the tables below; ``tests/test_grammar_tables.py`` checks them against the
grammar, so a new terminal cannot carry names or brackets past the limits unnoticed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphfields.errors import LimitExceededError

__all__ = ["DEFAULT_PARSE_LIMITS", "MAX_SAFE_DEPTH", "Limits", "ParseLimits"]

#: Deeper trees than this make equality, hashing and ``repr`` of the frozen AST recurse
#: too far for Python's default recursion limit (measured ~130 levels); keep well below it.
MAX_SAFE_DEPTH = 64


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on a request, checked before anything big or deep is built; exceeding one
    raises :class:`LimitExceededError` pointing at the place.

    - ``max_length``: characters of the text.
    - ``max_depth``: nested selections as written (``id`` is 0, ``owner{id}`` 1,
      ``media{edges{node{id}}}`` 3); at most :data:`MAX_SAFE_DEPTH`, so that everything
      done later with the tree stays safe.
    - ``max_fields``: field names written, at every level.
    - ``max_nodes``: (``compile`` only) GitHub-style estimate of the nodes a request can
      return: for every connection, the product of the page sizes along its path, summed.
      A connection without ``first``/``last`` counts its ``default_first``, else its
      ``max_first``.

    ``parse`` reads the first three; ``compile`` all four. ``Limits()`` holds ``compile``'s
    defaults; ``parse`` alone defaults to the looser :data:`DEFAULT_PARSE_LIMITS`.
    """

    max_length: int = 100_000
    max_depth: int = 15
    max_fields: int = 1000
    max_nodes: int = 100_000

    def __post_init__(self) -> None:
        for name in ("max_length", "max_depth", "max_fields", "max_nodes"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Limits.{name} must be a positive integer, not {value!r}")
        if self.max_depth > MAX_SAFE_DEPTH:
            raise ValueError(
                f"Limits.max_depth must be at most {MAX_SAFE_DEPTH}, not {self.max_depth}")


ParseLimits = Limits
"""The name ``parse(limits=...)`` documented first: the same class."""

DEFAULT_PARSE_LIMITS = Limits(max_depth=32, max_fields=10_000)
"""What ``parse`` accepts by default (``compile`` is stricter: ``Limits()``)."""

# ------------------------------------------------------------------ what the lexer counts

OPENS = 1  # the token opens a nested selection
OPENS_AND_CLOSES = 2  # the token is a whole nested selection (`{id,name}`)

#: Terminals holding field names: how many names beyond the commas in the token (the run's
#: first name, unless a comma leads), and what the token does to the nesting.
NAME_RUNS: dict[str, tuple[int, int]] = {
    "NAMES": (1, 0),
    "MORE_NAMES": (0, 0),
    "OPEN_BRACE": (1, OPENS),
    "OPEN_ANGLE": (1, OPENS),
    "LEAF_BRACE": (1, OPENS_AND_CLOSES),
    "LEAF_ANGLE": (1, OPENS_AND_CLOSES),
}

#: Terminals closing a nested selection.
CLOSERS = frozenset({"CLOSE_BRACE", "CLOSE_ANGLE"})

#: Every other terminal: no field name and no selection bracket in it (call names,
#: arguments, punctuation of calls, the ``fields=`` prefix).
UNCOUNTED = frozenset({"NAME", "DOT", "LPAR", "RPAR", "COMMA", "CALL", "STRING", "SQSTRING",
                       "BARE", "FLOAT", "PREFIX"})


def check_length(text: str, limits: ParseLimits) -> None:
    if len(text) > limits.max_length:
        raise LimitExceededError(
            f"The fields string is longer than {limits.max_length} characters",
            text, limits.max_length, "max_length",
        )


def too_deep(text: str, position: int, limits: ParseLimits) -> LimitExceededError:
    return LimitExceededError(
        f"Selections are nested more than {limits.max_depth} deep", text, position, "max_depth"
    )


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def too_many_fields(text: str, position: int, run: str, over: int,
                    limits: ParseLimits) -> LimitExceededError:
    """The error for the first name of the token ``run`` (at ``position``) beyond the limit,
    ``over`` being how many of its names are too many."""
    starts = [m.start() for m in _NAME.finditer(run)]
    return LimitExceededError(f"More than {limits.max_fields} fields are selected", text,
                              position + starts[-over], "max_fields")
