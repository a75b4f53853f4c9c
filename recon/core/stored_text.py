"""Texts stored already rendered in the product's language (run errors, discrepancy reasons), shown in the reader's.

A stored text is matched back to the catalogue entry it was rendered from (its product-language msgstr, the values
of its placeholders captured by an anchored regular expression) and that entry is rendered again in the active
language with the same values. A text that matches no entry is shown as stored: nothing is ever lost. When the
reader's language is the product's, the stored text is returned untouched, with no lookup at all.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from django.conf import settings
from django.utils import translation
from django.utils.translation import trans_real

# %(name)s, %(count)d, %s; "%%" is a literal percent sign in a template formatted with %. {name} as the engines
# fill it (recon/engine/text.py). A space flag is left out on purpose: "100% of" is text, not a placeholder.
_PERCENT = re.compile(r"%%|%\((?P<name>[^)]+)\)[#0+-]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]|%[#0+-]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]")
_BRACE = re.compile(r"\{(\w+)\}")
# A letter of some script: a template's literal text must hold one to be worth matching.
_WORDY = re.compile(r"[^\W\d_]")

# Templates are indexed by this many characters of their literal prefix, so that a lookup tries few expressions.
PREFIX_CHARS = 3
# PostgreSQL's regexp_replace names at most nine captured groups (\1 … \9).
SQL_MAX_GROUPS = 9


def _parts(text: str) -> tuple[list[str], list[str]] | None:
    """(literal pieces, placeholder names) of a template, len(pieces) == len(names) + 1; None without a placeholder."""
    if _PERCENT.search(text.replace("%%", "")):
        pattern, percent = _PERCENT, True
    elif _BRACE.search(text):
        pattern, percent = _BRACE, False
    else:
        return None
    pieces, names, literal, position = [], [], [], 0
    at = 0
    for m in pattern.finditer(text):
        literal.append(text[at:m.start()])
        at = m.end()
        if percent and m.group(0) == "%%":
            literal.append("%")
            continue
        if percent:
            name = m.group("name")
            if name is None:
                name, position = str(position), position + 1
        else:
            name = m.group(1)
        pieces.append("".join(literal))
        literal = []
        names.append(name)
    literal.append(text[at:])
    pieces.append("".join(literal))
    return pieces, names


@dataclass(frozen=True, eq=False)
class Entry:
    """A catalogue entry: its msgid (and context), and in the product's language the expression matching its renderings."""

    msgid: str
    context: str | None
    pieces: tuple[str, ...]
    names: tuple[str, ...]
    regex: re.Pattern | None
    literal_chars: int
    # The entry's place among the templates: the lower, the more literal text it matches (ties by msgid).
    rank: int = 0

    def prefix(self) -> str:
        return self.pieces[0]

    def in_active_language(self) -> str:
        return translation.pgettext(self.context, self.msgid) if self.context is not None else translation.gettext(self.msgid)


def _regex(pieces) -> str:
    # Non-greedy captures between anchored literals: adjacent or leading placeholders take the shortest text.
    return "^" + "(.*?)".join(re.escape(p) for p in pieces) + "$"


class StoredTexts:
    """The reverse index of some catalogue entries: exact msgstr → entry, and the templates by literal prefix."""

    def __init__(self, pairs):
        self.exact: dict[str, Entry] = {}
        self.by_prefix: dict[str, list[Entry]] = {}
        templates = []
        for key, msgstr in pairs:
            context, _sep, msgid = key.rpartition("\x04")
            context = context if _sep else None
            if not msgid or not msgstr:
                continue
            found = _parts(msgstr)
            if found is None:
                self.exact.setdefault(msgstr, Entry(msgid, context, (msgstr,), (), None, len(msgstr)))
                continue
            pieces, names = found
            if not _WORDY.search("".join(pieces)):
                continue  # "%(a)s: %(b)s" would match almost any text, and say nothing of where it came from
            templates.append(Entry(msgid, context, tuple(pieces), tuple(names),
                                   re.compile(_regex(pieces), re.DOTALL), sum(map(len, pieces))))
        # One order for everyone (the SQL's WHENs too): the most literal text first, then by msgid.
        templates.sort(key=lambda e: (-e.literal_chars, e.msgid, e.context or ""))
        templates = [replace(e, rank=i) for i, e in enumerate(templates)]
        self.templates = templates
        for entry in templates:
            self.by_prefix.setdefault(entry.prefix()[:PREFIX_CHARS], []).append(entry)
        self.prefix_lengths = sorted({len(k) for k in self.by_prefix})

    def find(self, text: str) -> tuple[Entry, tuple[str, ...]] | None:
        """The entry a text was rendered from, and its placeholders' values; when several match, the most literal."""
        entry = self.exact.get(text)
        if entry is not None:
            return entry, ()
        best = None
        for n in self.prefix_lengths:
            if n > len(text):
                break
            for entry in self.by_prefix.get(text[:n], ()):
                if best is not None and entry.rank > best[0].rank:
                    continue
                if not text.endswith(entry.pieces[-1]):
                    continue
                m = entry.regex.match(text)
                if m is not None:
                    best = entry, m.groups()
        return best

    def render(self, text: str) -> str:
        """The stored text in the active language; as stored when it is in it already or matches no entry."""
        if not text or is_product_language():
            return text
        found = self.find(text)
        if found is None:
            return text
        entry, values = found
        if not entry.names:
            return entry.in_active_language()
        target = _rendering(entry, translation.get_language())
        if target is None:
            return text
        pieces, names = target
        by_name = {}
        for name, value in zip(entry.names, values):
            by_name.setdefault(name, value)
        out = [pieces[0]]
        for name, piece in zip(names, pieces[1:]):
            out.append(by_name[name])
            out.append(piece)
        return "".join(out)


@lru_cache(maxsize=4096)
def _rendering(entry: Entry, language: str | None):
    """An entry's pieces and placeholders in a language, parsed once per template; None if its placeholders differ."""
    found = _parts(entry.in_active_language())
    if found is None or not set(found[1]) <= set(entry.names):
        return None
    return found


def is_product_language() -> bool:
    language = translation.get_language() or settings.LANGUAGE_CODE
    return language.lower() == settings.LANGUAGE_CODE.lower()


def _product_catalogue():
    """(msgid with its context, msgstr) of every singular entry of the product language's catalogue."""
    catalogue = trans_real.translation(settings.LANGUAGE_CODE)._catalog
    seen = set()
    for key, msgstr in catalogue.items():
        if isinstance(key, str) and key not in seen:  # plural entries (msgid, n) cannot be rendered back without n
            seen.add(key)
            yield key, msgstr


@lru_cache(maxsize=1)
def catalogue_texts() -> StoredTexts:
    """Every entry of the product's catalogue: run errors can come from any message of the product."""
    return StoredTexts(_product_catalogue())


def reason_templates() -> list[str]:
    """The engines' reason templates (their DEFAULT_REASONS), the only texts a discrepancy's reason is rendered from."""
    import recon.engine

    found = []
    for info in pkgutil.iter_modules(recon.engine.__path__, "recon.engine."):
        module = importlib.import_module(info.name)
        found += [t for t in getattr(module, "DEFAULT_REASONS", {}).values() if t not in found]
    return found


@lru_cache(maxsize=1)
def reason_texts() -> StoredTexts:
    """The reasons' entries only, so that the queue, the exports and the SQL of the CSV agree on every reason."""
    wanted = set(reason_templates())
    return StoredTexts((k, v) for k, v in _product_catalogue() if k in wanted)


def stored_text(text: str) -> str:
    """A run's error (or any product message stored rendered) in the reader's language."""
    return catalogue_texts().render(text)


def stored_reason(text: str) -> str:
    """A discrepancy's reason in the reader's language."""
    return reason_texts().render(text)


def _sql_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def reason_sql(column_sql: str) -> str | None:
    """PostgreSQL text rendering the reason in `column_sql` as stored_reason does, or None when the reader's language
    is the product's (the column as it is) or a template needs more groups than regexp_replace names."""
    if is_product_language():
        return None
    texts = reason_texts()
    whens = []
    for msgstr, entry in texts.exact.items():
        whens.append(f"WHEN {column_sql} = {_sql_quote(msgstr)} THEN {_sql_quote(entry.in_active_language())}")
    for entry in texts.templates:
        if len(entry.names) > SQL_MAX_GROUPS:
            return None
        target = _rendering(entry, translation.get_language())
        if target is None:
            continue
        pieces, names = target
        group = {}
        for i, name in enumerate(entry.names, start=1):
            group.setdefault(name, i)
        escape = lambda s: s.replace("\\", "\\\\")  # noqa: E731 - in a replacement, \ starts a group reference
        replacement = escape(pieces[0]) + "".join(f"\\{group[n]}" + escape(p) for n, p in zip(names, pieces[1:]))
        pattern = _sql_quote(entry.regex.pattern)
        prefix, suffix = entry.prefix(), entry.pieces[-1]
        # Cheap tests of the literal prefix and suffix first: most rows fail them without running the expression.
        test = f"left({column_sql}, {len(prefix)}) = {_sql_quote(prefix)} AND " if prefix else ""
        test += f"right({column_sql}, {len(suffix)}) = {_sql_quote(suffix)} AND " if suffix else ""
        whens.append(f"WHEN {test}{column_sql} ~ {pattern} "
                     f"THEN regexp_replace({column_sql}, {pattern}, {_sql_quote(replacement)})")
    if not whens:
        return column_sql
    return f"(CASE {' '.join(whens)} ELSE {column_sql} END)"
