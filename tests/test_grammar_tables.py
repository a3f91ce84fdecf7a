"""The tables of terminal names the lexer, the limits, the builder and the error messages use,
checked against grammar/fields.lark: a terminal added to the grammar must be classified, so it
cannot carry field names or nesting past the limits unnoticed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from test_fuzz import FUZZ, TREES, _spelled

import graphfields
from graphfields import LimitExceededError, ParseLimits, Selection, parse
from graphfields.syntax import _lark, build, diagnose, limits
from graphfields.syntax.grammar import grammar_text, terminal_regex

TERMINALS = {name: regex for name, regex in _lark.terminals().items()
             if not name.startswith("__IGNORE")}


def test_every_terminal_is_classified_for_the_limits() -> None:
    runs, closers, uncounted = set(limits.NAME_RUNS), set(limits.CLOSERS), set(limits.UNCOUNTED)
    assert not runs & closers and not runs & uncounted and not closers & uncounted
    assert runs | closers | uncounted == set(TERMINALS), (
        "classify every terminal in graphfields/syntax/limits.py"
    )


def test_what_the_limits_count_is_what_the_terminals_hold() -> None:
    for name in limits.NAME_RUNS:
        first, nesting = limits.NAME_RUNS[name]
        regex = TERMINALS[name]
        # A run token starts with a name unless a comma or bracket leads; it opens a nested
        # selection exactly when it starts with a bracket, and closes it when it ends with one.
        assert first == (0 if re.match(regex, ",a") else 1), name
        opens = any(re.match(regex, probe) for probe in ("{a", "<a", "{a}", "<a>"))
        assert bool(nesting) == opens, name
        closes = bool(re.fullmatch(regex, "{a}") or re.fullmatch(regex, "<a>"))
        assert (nesting == limits.OPENS_AND_CLOSES) == closes, name
    for name in limits.CLOSERS:
        assert re.fullmatch(TERMINALS[name], "}") or re.fullmatch(TERMINALS[name], ">")
    for name in limits.UNCOUNTED:  # no selection bracket or name run at the start
        for probe in ("{a", "<a", "}", ">", "a,b"):
            m = re.match(TERMINALS[name], probe)
            assert m is None or (m.group() != probe and "," not in m.group()), (name, probe)


def test_other_tables_name_grammar_terminals() -> None:
    assert set(build.RUN_FRAMES) == set(limits.NAME_RUNS)
    assert set(_lark._FOLLOWED) <= set(TERMINALS)
    words = {terminal for terminal, _ in diagnose.IN_WORDS}
    assert words - {"$END"} == set(TERMINALS) - {"PREFIX"}, "name each terminal in diagnose.py"


PROBES = ["a", "a_1", "1", "-1", "1.5", ".5", "1e3", "x.y", "2019-06-20", "a b", "a\tb", "a\nb",
          "a\vb", "a\fb", '"x"', "'y'", "fields=", "fields \n=", "é", "a{", "", ",", "U+"]


@FUZZ
@given(st.lists(st.sampled_from(PROBES)).map("".join) | st.text(max_size=8))
def test_terminal_regexes_read_without_lark_are_larks(text: str) -> None:
    """grammar.terminal_regex (the printer's source for bare words) reads the same regular
    expressions Lark compiles (Lark rewrites some escapes, so compare what they match)."""
    for name in ("BARE", "FLOAT", "SQSTRING", "STRING", "NAME", "PREFIX"):
        ours = re.fullmatch(terminal_regex(name), text) is None
        assert ours == (re.fullmatch(TERMINALS[name], text) is None), (name, text)
    assert re.search(r"^BARE: _WORD$", grammar_text(), re.M)


def _count(sel: Selection) -> tuple[int, int]:
    """(fields at every level, nesting depth)."""
    fields, depth = 0, 0
    for f in sel.fields:
        fields += 1
        if f.selection is not None:
            n, d = _count(f.selection)
            fields, depth = fields + n, max(depth, d + 1)
    return fields, depth


@FUZZ
@given(TREES, st.data())
def test_limits_count_every_field_and_level(tree: Selection, data: st.DataObject) -> None:
    """However a tree is spelled (so whichever terminals carry it), the limits see exactly
    its fields and its depth."""
    text = _spelled(tree, data.draw)
    fields, depth = _count(tree)
    exact = ParseLimits(max_fields=fields, max_depth=max(depth, 1))
    assert parse(text, limits=exact, cache=False) == tree
    for tight in (ParseLimits(max_fields=fields - 1) if fields > 1 else None,
                  ParseLimits(max_depth=depth - 1) if depth > 1 else None):
        if tight is not None:
            try:
                parse(text, limits=tight, cache=False)
            except LimitExceededError:
                continue
            raise AssertionError((text, tight))


def test_only_the_lark_module_imports_lark() -> None:
    package = Path(graphfields.__file__).parent
    importers = sorted(str(path.relative_to(package)) for path in package.rglob("*.py")
                       if re.search(r"^\s*(?:import lark|from lark\b)", path.read_text("utf-8"),
                                    re.M))
    assert importers == ["syntax/_lark.py"]


def test_the_printer_does_not_build_the_parser() -> None:
    code = ("import graphfields as g; from graphfields.syntax import _lark; "
            "t = g.format(g.StringValue('2019-06-20', False)); "
            "print(t, _lark._parser.cache_info().currsize)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.split() == ["2019-06-20", "0"]
