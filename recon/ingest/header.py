"""Finding the header row of a table by the names of its columns, wherever the row is, read as a person reads them.

A header cell is compared after what a reader ignores is taken away: case, spaces, full-width forms, punctuation
(`Waybill No.`, `【运单号】`, `运单号：`), and a unit in brackets or after a slash (`(kg)`, `/元`, `[CNY]`), which is kept
apart in `HeaderMatch.units`. A column matches a field by one of its synonyms (certain), or by the field's words in any
order (`Province of Consignee`, `收件人省份`), which a person should confirm. Two columns that name a field equally
well are told apart by what the first rows under the header hold.
"""
import functools
import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd

from recon.ingest.regions import normalize_province

# How far down a sheet the header may be: exports put titles, account details and notes above it.
HEADER_SEARCH_ROWS = 50
# Rows under a candidate header that break a tie between two columns named alike.
CONTENT_SAMPLE_ROWS = 20

# Units people put in brackets or after a slash: '计费重量(kg)', '运费（元）', 'Weight (KG)', '运费/元', '运费(分)'.
_UNIT_SYNONYMS = {
    "kg": "kg", "kgs": "kg", "公斤": "kg", "千克": "kg",
    "g": "g", "克": "g",
    "cm": "cm", "厘米": "cm", "mm": "mm", "毫米": "mm", "m": "m", "米": "m",
    "元": "yuan", "rmb": "yuan", "cny": "yuan", "¥": "yuan", "人民币": "yuan", "人民币元": "yuan", "yuan": "yuan",
    "rmb元": "yuan",
    # A fee column in fen holds 1287 for ¥12.87.
    "分": "fen", "fen": "fen", "人民币分": "fen",
    "元/kg": "yuan/kg", "元/公斤": "yuan/kg", "元/千克": "yuan/kg", "¥/kg": "yuan/kg", "rmb/kg": "yuan/kg",
    "cny/kg": "yuan/kg", "yuan/kg": "yuan/kg",
}
# A price per kilogram written without brackets: '续重单价元/kg'.
_PER_KG_TAIL = re.compile(r"/?(元|¥|rmb|cny|yuan)/(kg|公斤|千克)$")
_BRACKETED_TAIL = re.compile(r"[(\[【{]([^()\[\]【】{}]*)[)\]】}]$")
_UNIT_PREFIX = re.compile(r"^(?:单位|unit|in)[:：]?")
_SLASH_TAIL = re.compile(r"/([^/]+)$")
# A unit glued to a name ('计费重量kg', 'weightkg'), never to a number ('0.5kg' is a rate band).
_GLUED_UNIT = re.compile(r"(?<=[^\d.\-~])(kg|公斤|千克)$")
_SPACES = re.compile(r"\s+")
_WRAPPERS = {"(": ")", "[": "]", "【": "】", "{": "}", "《": "》", "「": "」", "『": "』", "〔": "〕", "〈": "〉", '"': '"', "'": "'"}
# Symbols that decorate a name the way punctuation does; other symbols (≤ < ~) mean something in band headers.
_DECORATION = set("|^`*#")


def _is_punct(ch: str) -> bool:
    return ch in _DECORATION or unicodedata.category(ch).startswith("P")


def _strip_ends(text: str) -> str:
    """Text without the decoration at either end ('* 运单号：' -> '运单号'), closing brackets of a unit kept."""
    if text.isalnum():
        return text
    start, end = 0, len(text)
    while start < end and _is_punct(text[start]):
        start += 1
    while end > start and _is_punct(text[end - 1]) and text[end - 1] not in ")]】}":
        end -= 1
    return text[start:end]


def _unwrap(text: str) -> str:
    """'【运单号】' -> '运单号': a name wrapped whole in brackets or quotes."""
    while len(text) >= 2 and _WRAPPERS.get(text[0]) == text[-1]:
        inner = text[1:-1]
        if any(c in inner for c in (text[0], text[-1])) and text[0] != text[-1]:
            break  # '(a)(b)' is not one wrapped name
        text = inner.strip()
    return text


def _compact(text: str) -> str:
    """Punctuation taken out, except a dot or dash inside numbers ('0.5-1kg' stays a weight band)."""
    if text.isalnum():
        return text  # most names: nothing to take out
    out = []
    n = len(text)
    for i, ch in enumerate(text):
        if _is_punct(ch):
            if ch in ".-" and 0 < i < n - 1 and text[i - 1].isalnum() and text[i + 1].isdigit():
                out.append(ch)
            continue
        out.append(ch)
    return "".join(out)


@functools.lru_cache(maxsize=8192)
def _read_cell(text: str) -> tuple[str, str, tuple[str, ...]]:
    """(key, unit, alternatives) of one header cell; alternatives are the keys of 'A/B' when '/' is no unit."""
    t = _SPACES.sub("", unicodedata.normalize("NFKC", text).lower())
    t = _unwrap(_strip_ends(t))
    unit = ""
    per_kg = _PER_KG_TAIL.search(t)
    bracketed = _BRACKETED_TAIL.search(t)
    if per_kg and per_kg.start() > 0 and not bracketed:
        unit, t = "yuan/kg", t[: per_kg.start()]
    elif bracketed and bracketed.start() > 0:
        inner = _UNIT_PREFIX.sub("", bracketed.group(1))
        if inner in _UNIT_SYNONYMS:
            unit, t = _UNIT_SYNONYMS[inner], t[: bracketed.start()]
    if not unit:
        slash = _SLASH_TAIL.search(t)
        if slash and slash.start() > 0 and _UNIT_PREFIX.sub("", slash.group(1)) in _UNIT_SYNONYMS:
            unit, t = _UNIT_SYNONYMS[_UNIT_PREFIX.sub("", slash.group(1))], t[: slash.start()]
    t = _strip_ends(t)
    if not unit:
        glued = _GLUED_UNIT.search(t)
        if glued and glued.start() > 0:
            unit, t = _UNIT_SYNONYMS[glued.group(1)], t[: glued.start()]
    parts = tuple(p for p in (_compact(s) for s in t.split("/")) if p) if "/" in t else ()
    return _compact(t), unit, parts if len(parts) > 1 else ()


def header_key(text) -> tuple[str, str]:
    """Comparable form of a header cell and the unit it names: '计费重量 (KG)' -> ('计费重量', 'kg')."""
    key, unit, _parts = _read_cell(str(text))
    return key, unit


# Words that name nothing by themselves in any field's name: 'Province of Consignee', '收件人的省份', 'Waybill No'.
STOP_WORDS = ("of", "the", "no", "number", "nr", "num", "人", "的", "之", "名称", "name")


@dataclass(frozen=True)
class Words:
    """A field named in several words: it needs one core word; all else must be a qualifier or a stop word.

    A `negative` word anywhere in a name rules the field out (寄件人省份 is not where a parcel goes).
    """

    core: tuple[str, ...]
    qualifiers: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()

    @functools.cached_property
    def _pattern(self) -> re.Pattern:
        def alternation(words):
            keys = sorted({_compact(unicodedata.normalize("NFKC", w).lower()) for w in words}, key=len, reverse=True)
            return "|".join(re.escape(k) for k in keys if k)

        core = alternation(self.core)
        every = alternation((*self.core, *self.qualifiers, *STOP_WORDS))
        return re.compile(rf"(?:{every})*?(?:{core})(?:{every})*")

    @functools.cached_property
    def _core(self) -> re.Pattern:
        keys = sorted({_compact(unicodedata.normalize("NFKC", w).lower()) for w in self.core}, key=len, reverse=True)
        return re.compile("|".join(re.escape(k) for k in keys if k))

    @functools.cached_property
    def _vetoed(self) -> re.Pattern | None:
        keys = [_compact(unicodedata.normalize("NFKC", w).lower()) for w in self.negative]
        return re.compile("|".join(re.escape(k) for k in keys if k)) if self.negative else None

    @functools.cached_property
    def _seen(self) -> dict[str, bool]:
        # Header search reads the same cells again for every candidate row: each name is judged once.
        return {}

    def match(self, key: str) -> bool:
        """Whether a header key is made of this field's words, with a core word and no negative one."""
        seen = self._seen
        hit = seen.get(key)
        if hit is None:
            # A name is short and holds no digits; data cells (waybills, amounts, dates) are ruled out at once.
            hit = (bool(key) and len(key) <= 40 and not _DIGIT.search(key) and self._core.search(key) is not None
                   and self._pattern.fullmatch(key) is not None)
            hit = hit and not (self._vetoed is not None and self._vetoed.search(key))
            if len(seen) < 65536:
                seen[key] = hit
        return hit


_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Field:
    """A column we look for; earlier synonyms win when several columns match.

    `label` is an English message (marked for the catalogue) naming the field to a person; `words` lets names
    not among the synonyms match; `content` says what its cells look like ('waybill', 'money', 'number', 'date',
    'province'), to break a tie between two columns named alike.
    """

    name: str
    synonyms: tuple[str, ...]
    required: bool = False
    label: str = ""
    words: Words | None = None
    content: str = ""

    def keys(self) -> list[str]:
        # The field's own name is the last resort, so files exported by our own tools read back.
        return [header_key(s)[0] for s in self.synonyms] + [header_key(self.name)[0]]


@dataclass(frozen=True)
class TableSpec:
    """The columns of one kind of table; `groups` are repeated columns recognised by a pattern (rate bands)."""

    fields: tuple[Field, ...]
    groups: dict[str, re.Pattern] = field(default_factory=dict)
    required_groups: tuple[str, ...] = ()
    # English messages naming each group to a person, as `Field.label` does.
    group_labels: dict[str, str] = field(default_factory=dict)

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def expected(self) -> dict[str, list[str]]:
        return {f.name: list(f.synonyms) for f in self.fields}

    def labels(self) -> dict[str, str]:
        """Untranslated label of every field and group, by name (the name itself when none was given)."""
        out = {f.name: f.label or f.name for f in self.fields}
        out.update({g: self.group_labels.get(g, g) for g in self.groups})
        return out


@dataclass
class HeaderMatch:
    """Where the header is and which column holds which field."""

    row: int                            # 0-based index into the rows searched
    cells: list[str]                    # the header row's cell texts
    columns: dict[str, int]             # field -> column position
    units: dict[str, str]               # field -> unit named in the header ('' if none)
    groups: dict[str, list[int]]        # group -> column positions, left to right
    score: tuple = ()
    # Fields whose column was chosen by a rule a person should confirm (a loose name match, a tie broken by content).
    uncertain: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return bool(self.score) and self.score[0] == 1

    def missing(self, spec: TableSpec) -> list[str]:
        """Required fields and groups this row lacks, in the spec's order."""
        absent = [name for name in spec.required if name not in self.columns]
        return absent + [g for g in spec.required_groups if not self.groups.get(g)]


def _field_keys(spec: TableSpec, overrides: dict[str, str] | None) -> dict[str, list[str]]:
    """Synonym keys per field, best first; an override replaces a field's synonyms ('' = field absent).

    An override given as a list is a preference (the headers remembered for a counterparty): they are tried first,
    then the field's own names, so a later file of another layout still reads.
    """
    overrides = overrides or {}
    names = {f.name for f in spec.fields}
    unknown = set(overrides) - names
    if unknown:
        raise ValueError(f"Unknown fields in overrides: {sorted(unknown)}")
    keys = {}
    for f in spec.fields:
        if f.name in overrides and isinstance(overrides[f.name], (list, tuple)):
            keys[f.name] = [header_key(t)[0] for t in overrides[f.name] if str(t).strip()] + f.keys()
        elif f.name in overrides:
            text = overrides[f.name]
            if not str(text).strip():
                if f.required:
                    raise ValueError(f"Required field {f.name!r} cannot be switched off")
                keys[f.name] = []
            else:
                keys[f.name] = [header_key(text)[0]]
        else:
            keys[f.name] = f.keys()
    return keys


# Tiers of a name match, best first: a synonym (or the user's own choice), then the field's words.
_EXACT, _WORDS = 0, 1


def match_row(
    cells: list[str],
    spec: TableSpec,
    keys: dict[str, list[str]],
    below: list[list[str]] | None = None,
    overridden: frozenset[str] = frozenset(),
) -> HeaderMatch:
    """Assign columns of one candidate row to fields; the score ranks candidate rows.

    `below` are the rows under this one, read only to break a tie; fields in `overridden` match their given name only.
    """
    read = [_read_cell(str(c)) for c in cells]
    by_key: dict[str, list[int]] = {}
    loose = []  # cells that may be a name in words: short, no digits (data cells and rate bands are not)
    for col, (key, _unit, parts) in enumerate(read):
        if key:
            by_key.setdefault(key, []).append(col)
            if len(key) <= 40 and not _DIGIT.search(key):
                loose.append(col)
    candidates = []
    for field_pos, f in enumerate(spec.fields):
        ranks = {}
        for rank, key in enumerate(keys[f.name]):
            ranks.setdefault(key, rank)
        exact = set()
        for key, rank in ranks.items():
            for col in by_key.get(key, ()):
                candidates.append((_EXACT, rank, field_pos, col))
                exact.add(col)
        words = None if f.name in overridden else f.words
        if words is None:
            continue
        for col in loose:
            key, _unit, parts = read[col]
            if col not in exact and (words.match(key) or any(p in ranks or words.match(p) for p in parts)):
                # Every loose match ranks alike: which of two is meant is for the contents (or a person) to say.
                candidates.append((_WORDS, 0, field_pos, col))
    candidates.sort()
    columns: dict[str, int] = {}
    uncertain: set[str] = set()
    used: set[int] = set()
    n_exact = 0
    for tier, rank, field_pos, col in candidates:
        f = spec.fields[field_pos]
        if f.name in columns or col in used:
            continue
        tied = [c for t, r, p, c in candidates if (t, r, p) == (tier, rank, field_pos) and c not in used]
        if len(tied) > 1:
            col = _by_content(f, tied, below or [])
            uncertain.add(f.name)
        if tier != _EXACT:
            uncertain.add(f.name)
        else:
            n_exact += 1
        columns[f.name] = col
        used.add(col)
    groups = {
        name: [c for c, (key, _u, _p) in enumerate(read) if c not in used and pattern.fullmatch(key)]
        for name, pattern in spec.groups.items()
    }
    n_required = sum(1 for f in spec.fields if f.required and f.name in columns)
    complete = n_required == len(spec.required) and all(groups[g] for g in spec.required_groups)
    score = (int(complete), n_required, len(columns) + sum(len(g) for g in groups.values()), n_exact)
    return HeaderMatch(
        row=-1,
        cells=[str(c) for c in cells],
        columns=columns,
        units={name: read[col][1] for name, col in columns.items()},
        groups=groups,
        score=score,
        uncertain=[f.name for f in spec.fields if f.name in uncertain],
    )


# What the cells of a column look like, by Field.content; read on the cell text, lower case, spaces removed.
_CONTENT_PATTERNS = {
    "waybill": re.compile(r"[a-z]{0,4}\d{10,15}"),
    "money": re.compile(r"[-+]?[¥$]?[-+]?(?:\d{1,9}|\d{1,3}(?:,\d{3}){1,2})(?:\.\d{1,2})?元?"),
    "number": re.compile(r"\d{1,6}(?:\.\d+)?(?:kg|g|公斤|千克|克)?"),
    "date": re.compile(
        r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:t?\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)?"
        r"|\d{8}(?:\d{6})?"
    ),
}


def _content_fits(kind: str, columns: list[list[str]]) -> list[float]:
    """For each column of sample cells, the share of its non-empty cells that look like `kind`."""
    columns = [[_SPACES.sub("", unicodedata.normalize("NFKC", v).lower()) for v in col if v and v.strip()] for col in columns]
    if kind == "province":
        # One call for every column: reading province names costs the same for 20 cells as for 200.
        flat = [v for col in columns for v in col]
        known = (normalize_province(pd.Series(flat, dtype=object)) != "").to_numpy() if flat else []
        fits, start = [], 0
        for col in columns:
            fits.append(float(known[start : start + len(col)].mean()) if col else 0.0)
            start += len(col)
        return fits
    pattern = _CONTENT_PATTERNS.get(kind)
    if pattern is None:
        return [0.0] * len(columns)
    return [sum(1 for v in col if pattern.fullmatch(v)) / len(col) if col else 0.0 for col in columns]


def _by_content(f: Field, tied: list[int], below: list[list[str]]) -> int:
    """The tied column whose first cells look most like the field's content; the leftmost when none does better."""
    if not f.content:
        return tied[0]
    sample = below[:CONTENT_SAMPLE_ROWS]
    fits = _content_fits(f.content, [[str(row[c]) if c < len(row) else "" for row in sample] for c in tied])
    best = max(fits)
    return tied[fits.index(best)] if best > 0 else tied[0]


def find_header(rows: list[list[str]], spec: TableSpec, overrides: dict[str, str] | None = None) -> HeaderMatch:
    """Best header candidate among the first rows; check `.complete` before using it.

    Ties go to the earlier row. When nothing matches, the candidate is the row with the most text
    cells, so that an error can show the user which headers we saw. The rows under a candidate break
    ties between columns named alike.
    """
    keys = _field_keys(spec, overrides)
    overridden = frozenset(name for name, text in (overrides or {}).items() if not isinstance(text, (list, tuple)))
    best = None
    best_rank = None
    rows = rows[:HEADER_SEARCH_ROWS]
    for i, cells in enumerate(rows):
        match = match_row(cells, spec, keys, rows[i + 1 :], overridden)
        match.row = i
        n_text = sum(1 for c in cells if str(c).strip() and not _looks_numeric(c))
        rank = (*match.score, n_text)
        if best_rank is None or rank > best_rank:
            best, best_rank = match, rank
    if best is None:
        best = HeaderMatch(row=-1, cells=[], columns={}, units={}, groups={}, score=(0, 0, 0, 0))
    # The user's own choices are certain whatever matched them.
    best.uncertain = [name for name in best.uncertain if name not in overridden]
    return best


def _looks_numeric(value) -> bool:
    if isinstance(value, (int, float)):
        return True
    return bool(re.fullmatch(r"[\d.,:/\- ]+", str(value).strip()))
