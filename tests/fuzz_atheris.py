"""Coverage-guided fuzzing of ``parse`` with atheris (libFuzzer), run by ``make fuzz``.

Not a pytest module: ``python tests/fuzz_atheris.py -runs=200000``. Every input must parse
(and then print and parse back equal) or raise FieldsSyntaxError / LimitExceededError.
"""

from __future__ import annotations

import importlib
import sys


def one_input(data: bytes) -> None:
    from graphfields import FieldsSyntaxError, LimitExceededError, format, parse

    text = data.decode("utf-8", "surrogatepass") if data.isascii() else data.decode(
        "utf-8", "replace")
    try:
        sel = parse(text, cache=False)
    except (FieldsSyntaxError, LimitExceededError) as err:
        str(err)
        return
    assert parse(format(sel), cache=False) == sel, text


def main() -> None:
    atheris = importlib.import_module("atheris")
    with atheris.instrument_imports():
        import lark  # noqa: F401

        import graphfields.syntax  # noqa: F401
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
