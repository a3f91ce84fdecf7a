"""Everything that touches Lark, behind a narrow interface: :func:`parse` (text and limits
in, AST or one of graphfields' errors out), :func:`terminals` (the compiled terminals, for
tests) and the shipped table cache (:data:`CACHE`, :func:`load_cached`,
:func:`write_parser_cache`). No other module of graphfields imports Lark.

Lark runs ``grammar/fields.lark`` with its LALR(1) parser, calling :class:`Builder`'s methods
as it reduces, so the AST is complete when parsing ends. Tokens come from :class:`_Lexer`, a
lean contextual lexer plugged in through Lark's custom-lexer option: per parser state it
matches exactly the terminals that state accepts (like Lark's own contextual lexer), skips
Lark's per-token bookkeeping, and enforces the limits as it goes.

Lark is used through its public API (``Lark``, ``Lark.save``/``Lark.load``, ``Lexer``,
``Token``, the exceptions and their interactive parser) and a few internals, each marked
``LARK INTERNAL`` below with what it relies on. CI runs the parser's tests on the lowest Lark
the project declares and on the newest (``make lark-versions``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lark
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.grammar import Rule
from lark.lexer import Lexer, Token
from lark.parsers.lalr_parser_state import ParseConf, ParserState

from graphfields.errors import FieldsSyntaxError
from graphfields.syntax.ast import Selection, Value
from graphfields.syntax.build import Builder, BuildError
from graphfields.syntax.diagnose import Failure, syntax_error
from graphfields.syntax.grammar import grammar_text
from graphfields.syntax.limits import (
    CLOSERS,
    NAME_RUNS,
    OPENS,
    ParseLimits,
    too_deep,
    too_many_fields,
)

__all__ = ["CACHE", "load_cached", "lone_value", "parse", "terminals", "write_parser_cache"]


def parse(text: str, limits: ParseLimits) -> Selection:
    """Parse ``text`` within ``limits``: the AST, or FieldsSyntaxError, LimitExceededError or
    build.BuildError (raised by the callbacks, converted by the caller)."""
    run, conf, lexer = _entry()
    request = _Request(text, limits, lexer)
    try:
        result: Selection = run(ParserState(conf, request))  # type: ignore[arg-type]
    except UnexpectedInput as exc:
        raise syntax_error(text, _failure(request, exc)) from None
    except lark.exceptions.LarkError:  # pragma: no cover - defensive: Lark never leaks
        raise FieldsSyntaxError("Invalid fields string", text, 0) from None
    return result


def lone_value(text: str) -> Value | None:
    """``text`` as one argument value read on its own, when it is exactly one token of the
    grammar's ``value`` rule (a quoted string, a bare word): the Value the parser's own
    callback makes of that token. ``None`` for anything else (whitespace around it, two
    tokens, a float, nothing): then only a full parse can say what it is.

    The lexer's regex for the ``value`` terminals (the rule's alternatives, in the order
    Lark ranks them) matches at the start; a match to the very end is the token the
    parser's lexer reads there inside a call, as no other terminal a call's argument
    position accepts can start with the same character and run as far.
    """
    match, callbacks = _lone_value_reader()
    m = match(text)
    if m is None or m.end() != len(text):
        return None
    kind = m.lastgroup
    tok = _str_new(Token, text)
    tok.type = kind
    tok.value = text
    tok.start_pos = 0
    tok.line = tok.column = 1
    tok.end_line = tok.end_column = None
    tok.end_pos = len(text)
    try:
        value: Value = callbacks[kind](tok)
    except BuildError:  # a float, an integer too long: the full parse says so
        return None
    return value


@functools.cache
def _lone_value_reader() -> tuple[Any, dict[str, Any]]:
    """The matcher of the ``value`` rule's terminals and their callbacks.

    LARK INTERNAL: ``Lark.rules`` (Rule: ``origin.name``, ``expansion`` of symbols with
    ``name``) and the LALR driver's ``callbacks`` keyed by terminal name.
    """
    parser = _parser()
    names = {rule.expansion[0].name for rule in parser.rules
             if str(rule.origin.name) == "value" and len(rule.expansion) == 1}
    terminals = sorted((t for t in parser.terminals if t.name in names),
                       key=_terminal_order)
    pattern = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)
    callbacks = parser.parser.parser.parser.callbacks
    return re.compile(pattern, parser.lexer_conf.g_regex_flags).match, {
        name: callbacks[name] for name in names}


def terminals() -> dict[str, str]:
    """The grammar's terminals as Lark compiled them: name -> regular expression."""
    return {t.name: t.pattern.to_regexp() for t in _parser().terminals}


# --------------------------------------------------------------------------- the parser

# Lark's LALR analysis of the grammar takes ~20 ms; the tables ship ready-made next to this
# module, keyed by the grammar's text and the Lark version, and are rebuilt from the grammar
# (in memory) whenever the key does not match, e.g. under another Lark. Regenerate after
# editing the grammar: ``make parser-cache``. The pickle names the lexer and the callbacks
# by their import paths (Lark.save keeps the options), so it follows their moves.
CACHE = Path(__file__).with_name("_lalr_cache.pickle")


def _cache_key(grammar: str) -> bytes:
    digest = hashlib.sha256(grammar.encode("utf-8")).hexdigest()
    return f"{digest} lark-{lark.__version__}".encode("ascii")


def _build(grammar: str) -> lark.Lark:
    return lark.Lark(grammar, parser="lalr", lexer=_Lexer, transformer=Builder(),
                     maybe_placeholders=False)


def load_cached(grammar: str, path: Path = CACHE) -> lark.Lark | None:
    """The parser from the tables at ``path``, if they were made for this grammar and Lark."""
    try:
        with path.open("rb") as f:
            if f.readline().rstrip(b"\n") != _cache_key(grammar):
                return None
            return lark.Lark.load(f)
    except Exception:  # missing, unreadable or from another Lark: build instead
        return None


def write_parser_cache(path: Path = CACHE) -> Path:
    """Write the ready-made parser tables for the current grammar and Lark version."""
    grammar = grammar_text()
    with path.open("wb") as f:
        f.write(_cache_key(grammar) + b"\n")
        _build(grammar).save(f)
    return path


@functools.cache
def _parser() -> lark.Lark:
    grammar = grammar_text()
    parser = load_cached(grammar) or _build(grammar)
    _speed_up(parser)
    return parser


@functools.cache
def _entry() -> tuple[Any, Any, _Lexer]:
    """The LALR driver's ``parse_from_state``, its configuration, and the lexer.

    LARK INTERNAL: ``Lark.parse`` passes through four layers that re-check the options and
    wrap the input (a LexerState with a LineCounter, a LexerThread, a ParseConf) on every
    call, some 3 us. Instead the driver (``Lark.parser.parser.parser``, see
    :func:`_speed_up`) runs ``parse_from_state(ParserState(conf, lexer_thread))`` with one
    ``ParseConf(parse_table, callbacks, "start")`` made here (Lark only reads it) and a
    :class:`_Request` as the lexer thread; ``Lark.parser.lexer`` is the :class:`_Lexer` Lark
    made.
    """
    parser = _parser()
    driver = parser.parser.parser.parser
    conf = ParseConf(driver.parse_table, driver.callbacks, "start")
    return driver.parse_from_state, conf, parser.parser.lexer


class _Rule(Rule):
    """A Rule hashed and compared by identity, in C (see :func:`_speed_up`)."""

    __slots__ = ()
    __hash__ = object.__hash__
    __eq__ = object.__eq__


def _speed_up(parser: lark.Lark) -> None:
    """Two changes to the loaded parser that take Python-level calls out of every reduction.

    LARK INTERNAL: ``Lark.parser.parser.parser`` is the LALR driver (``_Parser``) with its
    ``parse_table.states`` (state -> {symbol: (action, Rule or state)}) and ``callbacks``
    (Rule or terminal name -> callable), which it hands to every parse. On each reduction it
    evaluates ``rule != end_state``, looks up ``callbacks[rule]`` and then
    ``states[state][rule.origin.name]``.

    * Rule defines ``__eq__`` and ``__hash__`` in Python; each rule becomes :class:`_Rule`
      (same slots, identity semantics, as each Rule object is unique in the tables) and the
      callbacks are re-keyed under the new hashes.
    * Lark keeps rule names as its Token (a str subclass with a Python ``__eq__``); plain
      strings compare in C. Equal strings, so the tables still match.
    """
    driver = parser.parser.parser.parser
    in_table = {id(arg): arg for actions in driver.parse_table.states.values()
                for _, arg in actions.values() if isinstance(arg, Rule)}
    keys = {id(key): key for key in driver.callbacks if isinstance(key, Rule)}
    for rule in {**in_table, **keys}.values():
        rule.origin.name = str(rule.origin.name)
    if not in_table.keys() <= keys.keys():  # pragma: no cover - equal but distinct objects
        return  # identity would not find their callbacks: keep Lark's comparison
    for rule in keys.values():
        rule.__class__ = _Rule
    driver.callbacks = {key: value for key, value in driver.callbacks.items()}


# --------------------------------------------------------------------------- lexer


class _Request:
    """One parse: the text, the limits to enforce, and what the lexer saw the parser accept
    (for error messages).

    LARK INTERNAL: it is the LALR driver's lexer thread: the driver calls ``lex(parser_state)``
    for the tokens, and the interactive parser an error carries copies it and makes tokens
    with its ``_Token``. (Passed to ``Lark.parse`` instead, as tests do, it reaches
    ``_Lexer.lex`` as ``lexer_state.text``.)
    """

    __slots__ = ("brackets", "call_name", "lexer", "limits", "text")
    _Token = Token

    def __init__(self, text: str, limits: ParseLimits, lexer: _Lexer | None = None) -> None:
        self.text = text
        self.limits = limits
        self.lexer = lexer
        self.brackets: list[tuple[str, int]] = []
        self.call_name = ""

    def lex(self, parser_state: Any) -> Iterator[Token]:
        assert self.lexer is not None
        return self.lexer.tokens(self, parser_state)


# Terminals the lexer follows for error messages once the parser took them: brackets that
# open (their character), brackets that close (""), and call names (None).
_FOLLOWED: dict[str, str | None] = {
    "OPEN_BRACE": "{", "OPEN_ANGLE": "<", "LPAR": "(",
    "CLOSE_BRACE": "", "CLOSE_ANGLE": "", "RPAR": "", "NAME": None,
}
_str_new = str.__new__


def _terminal_order(t: Any) -> tuple[int, int, int, str]:
    """Lark's order of terminals that may match at one place: priority, then the longest
    possible match."""
    return (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name)


class _Lexer(Lexer):
    """Lark's contextual lexing, lean: per parser state, one regex of the acceptable terminals.

    Terminal order follows Lark's own (priority, then longest possible match). Tokens carry
    ``line`` and ``column`` (needed for spans); the limits are checked per token.
    """

    # LARK INTERNAL: the custom-lexer protocol. A true value (Lark 1.1.9 tests truth, 1.2+
    # wants the integer 2) makes Lark call ``lex(lexer_state, parser_state)`` directly, with
    # ``lexer_state.text`` being whatever was passed to ``Lark.parse``.
    __future_interface__ = 2

    def __init__(self, conf: Any) -> None:
        # LARK INTERNAL: LexerConf's ``terminals`` (TerminalDef: ``name``, ``priority``,
        # ``pattern.to_regexp()``, ``pattern.max_width``, ``pattern.value``), ``ignore`` and
        # ``g_regex_flags``.
        self._terminals = list(conf.terminals)
        self._ignore = frozenset(conf.ignore)
        self._flags = conf.g_regex_flags
        self._matchers: dict[int, Any] = {}
        self._by_terminals: dict[frozenset[str], Any] = {}

    def _matcher(self, parser_state: Any) -> Any:
        # LARK INTERNAL: ParserState's ``position`` (the current state) and
        # ``parse_conf.states`` (the LALR action table: state -> {terminal: action}).
        position = parser_state.position
        accepted = frozenset(parser_state.parse_conf.states[position]) | self._ignore
        match = self._by_terminals.get(accepted)
        if match is None:
            terminals = [t for t in self._terminals if t.name in accepted]
            terminals.sort(key=_terminal_order)
            pattern = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)
            match = self._by_terminals[accepted] = re.compile(pattern, self._flags).match
        self._matchers[position] = match
        return match

    def lex(self, lexer_state: Any, parser_state: Any) -> Iterator[Token]:
        """Lark's custom-lexer entry point, used when a _Request goes through ``Lark.parse``."""
        return self.tokens(lexer_state.text, parser_state)

    def tokens(self, request: _Request, parser_state: Any) -> Iterator[Token]:
        text = request.text
        limits = request.limits
        max_depth = limits.max_depth
        max_fields = limits.max_fields
        brackets = request.brackets
        matchers = self._matchers
        ignore = self._ignore
        runs = NAME_RUNS
        closers = CLOSERS
        followed = _FOLLOWED
        new = _str_new
        end = len(text)
        pos = 0
        line = 1
        line_start = 0
        depth = 0
        fields = 0
        # LARK INTERNAL: ParserState's ``state_stack``, which Lark updates in place, so its
        # last item is the state the next token is read in.
        states = parser_state.state_stack
        while pos < end:
            match = matchers.get(states[-1]) or self._matcher(parser_state)
            m = match(text, pos)
            if m is None:
                # LARK INTERNAL: UnexpectedCharacters' constructor. Raised here, Lark adds
                # its interactive parser, which the error message uses.
                raise UnexpectedCharacters(  # type: ignore[no-untyped-call]
                    text, pos, line, pos - line_start + 1, state=parser_state,
                    allowed=set(parser_state.parse_conf.states[parser_state.position]),
                )
            kind = m.lastgroup
            value = m.group()
            stop = m.end()
            if kind not in ignore:
                run = runs.get(kind)
                if run is not None:
                    fields += value.count(",") + run[0]
                    if fields > max_fields:
                        raise too_many_fields(text, pos, value, fields - max_fields, limits)
                    if run[1]:
                        if depth >= max_depth:
                            raise too_deep(text, pos, limits)
                        if run[1] == OPENS:
                            depth += 1
                elif kind in closers:
                    depth -= 1
                # LARK INTERNAL: Token's slots. Token() checks its arguments in Python (and
                # warns about old keywords since 1.2); a str made by str.__new__ with its
                # slots filled is the same object at a fraction of the cost.
                tok = new(Token, value)
                tok.type = kind
                tok.value = value
                tok.start_pos = pos
                tok.line = line
                tok.column = pos - line_start + 1
                tok.end_line = None
                tok.end_column = None
                tok.end_pos = stop
                yield tok
                # The parser took the token (it asks for the next one only then).
                if kind in followed:
                    opened = followed[kind]
                    if opened:
                        brackets.append((opened, pos))
                    elif opened is None:
                        request.call_name = value
                    elif brackets:
                        brackets.pop()
            if "\n" in value:
                line += value.count("\n")
                line_start = pos + value.rindex("\n") + 1
            pos = stop


# --------------------------------------------------------------------------- failures


def _failure(request: _Request, exc: UnexpectedInput) -> Failure:
    """What the parser knew when it stopped, from Lark's exception and the lexer's notes."""
    if isinstance(exc, UnexpectedToken):
        at = len(request.text) if exc.token.type == "$END" else exc.token.start_pos
        accepts = set(exc.expected)
    else:
        at = getattr(exc, "pos_in_stream", None) or 0
        accepts = set(getattr(exc, "allowed", None) or ())
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is not None:
        # Lark's interactive parser knows exactly which terminals the parser could shift
        # after the reductions the failing token triggered; keep Lark's own set if not.
        with contextlib.suppress(Exception):
            accepts = set(interactive.accepts())
    # ``call_name`` matters only right after a call's name (the parser then wants `(`).
    call_name = request.call_name if "LPAR" in accepts else ""
    return Failure(at, frozenset(accepts), tuple(request.brackets), call_name)
