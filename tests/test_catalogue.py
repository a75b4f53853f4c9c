"""The Simplified Chinese catalogue is complete: every entry translated, none fuzzy, and every placeholder kept.

Read with Babel (what `make messages` compiles with), no database and no Django needed. A failure lists every
offending entry with its first source location, so one run shows the whole job.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# %(name)s, %(n)d, %(amount).2f …, and the positional %s, %d, %.2f …; "%%" is a literal percent sign.
PERCENT = re.compile(r"%(?:\((?P<name>[^)]+)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])")
# {name}, {0}, {name!r:>10}; "{{" and "}}" are literal braces.
BRACE = re.compile(r"(?<!\{)\{(?P<field>[^{}!:]*)(?:![rsa])?(?::[^{}]*)?\}")


def _load():
    with CATALOGUE.open("rb") as fh:
        return read_po(fh)


def _where(message) -> str:
    if message.locations:
        path, line = message.locations[0]
        return f"{path}:{line}" if line else path
    return "?"


def _ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]


def _percent(text: str) -> tuple[Counter, list[str]]:
    named, positional = Counter(), []
    for m in PERCENT.finditer(text):
        if m.group("type") == "%":
            continue
        if m.group("name") is not None:
            named[(m.group("name"), m.group("type"))] += 1
        else:
            positional.append(m.group("type"))
    return named, positional


def _brace(text: str) -> Counter:
    text = text.replace("{{", "").replace("}}", "")
    return Counter(m.group("field") for m in BRACE.finditer(text))


def _entries():
    return [m for m in _load() if m.id]


def test_catalogue_is_read():
    entries = _entries()
    assert len(entries) > 100, f"{CATALOGUE} looks empty ({len(entries)} entries)"


def test_every_entry_is_translated_and_not_fuzzy():
    problems = []
    for m in _entries():
        if m.fuzzy:
            problems.append(f"fuzzy         {_where(m)}  {_ids(m)[0]!r}")
        elif not all(s.strip() for s in _strings(m)):
            problems.append(f"untranslated  {_where(m)}  {_ids(m)[0]!r}")
    assert not problems, f"{len(problems)} entries of {CATALOGUE.name} need a translation:\n" + "\n".join(problems)


def test_placeholders_match():
    problems = []
    for m in _entries():
        strings = [s for s in _strings(m) if s]
        if not strings:
            continue  # reported by the test above
        ids = _ids(m)
        # The plural msgid may add the count the singular leaves out; every translated form follows the plural.
        source = ids[-1]
        flags = set(m.flags)
        brace = "python-brace-format" in flags
        expected_named, expected_positional = _percent(source)
        for s in strings:
            if brace:
                if _brace(source) != _brace(s):
                    problems.append(f"{_where(m)}  {source!r}\n    -> {s!r}\n    brace fields {sorted(_brace(source))} != {sorted(_brace(s))}")
                continue
            named, positional = _percent(s)
            if "python-format" not in flags:
                # Unflagged text may hold a literal "%" ("100% of"): only the unambiguous %(name)x count there.
                if named != expected_named:
                    problems.append(f"{_where(m)}  {source!r}\n    -> {s!r}\n    named placeholders "
                                    f"{sorted(expected_named)} != {sorted(named)}")
                continue
            if named != expected_named or positional != expected_positional:
                want = sorted(f"%({n}){t}" for n, t in expected_named.elements()) + [f"%{t}" for t in expected_positional]
                got = sorted(f"%({n}){t}" for n, t in named.elements()) + [f"%{t}" for t in positional]
                problems.append(f"{_where(m)}  {source!r}\n    -> {s!r}\n    placeholders {want} != {got}")
    assert not problems, f"{len(problems)} entries of {CATALOGUE.name} change their placeholders:\n" + "\n".join(problems)
