"""Finding the header row of a table by the names of its columns, wherever the row is."""
import re
import unicodedata
from dataclasses import dataclass, field

# How far down a sheet the header may be: exports put titles, account details and notes above it.
HEADER_SEARCH_ROWS = 50

# Units people put in brackets after a column name: '计费重量(kg)', '运费（元）', 'Weight (KG)'.
_UNIT_SYNONYMS = {
    "kg": "kg", "kgs": "kg", "公斤": "kg", "千克": "kg",
    "g": "g", "克": "g",
    "cm": "cm", "厘米": "cm", "mm": "mm", "毫米": "mm", "m": "m", "米": "m",
    "元": "yuan", "rmb": "yuan", "cny": "yuan", "¥": "yuan", "人民币": "yuan", "人民币元": "yuan",
    "元/kg": "yuan/kg", "元/公斤": "yuan/kg", "元/千克": "yuan/kg",
}
_BRACKETED_TAIL = re.compile(r"[(\[【]([^()\[\]【】]*)[)\]】]$")
_SLASH_TAIL = re.compile(r"/([^/]+)$")
_SPACES = re.compile(r"\s+")


def header_key(text) -> tuple[str, str]:
    """Comparable form of a header cell and the unit it names: '计费重量 (KG)' -> ('计费重量', 'kg')."""
    key = _SPACES.sub("", unicodedata.normalize("NFKC", str(text)).lower())
    unit = ""
    for pattern in (_BRACKETED_TAIL, _SLASH_TAIL):
        match = pattern.search(key)
        if match and match.group(1) in _UNIT_SYNONYMS and match.start() > 0:
            unit = _UNIT_SYNONYMS[match.group(1)]
            key = key[: match.start()]
            break
    return key, unit


@dataclass(frozen=True)
class Field:
    """A column we look for; earlier synonyms win when several columns match."""

    name: str
    synonyms: tuple[str, ...]
    required: bool = False

    def keys(self) -> list[str]:
        # The field's own name is the last resort, so files exported by our own tools read back.
        return [header_key(s)[0] for s in self.synonyms] + [header_key(self.name)[0]]


@dataclass(frozen=True)
class TableSpec:
    """The columns of one kind of table; `groups` are repeated columns recognised by a pattern (rate bands)."""

    fields: tuple[Field, ...]
    groups: dict[str, re.Pattern] = field(default_factory=dict)
    required_groups: tuple[str, ...] = ()

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def expected(self) -> dict[str, list[str]]:
        return {f.name: list(f.synonyms) for f in self.fields}


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


def _field_keys(spec: TableSpec, overrides: dict[str, str] | None) -> dict[str, list[str]]:
    """Synonym keys per field, best first; an override replaces a field's synonyms ('' = field absent)."""
    overrides = overrides or {}
    names = {f.name for f in spec.fields}
    unknown = set(overrides) - names
    if unknown:
        raise ValueError(f"Unknown fields in overrides: {sorted(unknown)}")
    keys = {}
    for f in spec.fields:
        if f.name in overrides:
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


def match_row(cells: list[str], spec: TableSpec, keys: dict[str, list[str]]) -> HeaderMatch:
    """Assign columns of one candidate row to fields; the score ranks candidate rows."""
    cell_keys = [header_key(c) for c in cells]
    candidates = []
    for field_pos, f in enumerate(spec.fields):
        ranks = {k: r for r, k in reversed(list(enumerate(keys[f.name])))}
        for col, (key, _unit) in enumerate(cell_keys):
            if key in ranks:
                candidates.append((ranks[key], field_pos, col))
    columns: dict[str, int] = {}
    used: set[int] = set()
    for _rank, field_pos, col in sorted(candidates):
        name = spec.fields[field_pos].name
        if name not in columns and col not in used:
            columns[name] = col
            used.add(col)
    groups = {
        name: [c for c, (key, _u) in enumerate(cell_keys) if c not in used and pattern.fullmatch(key)]
        for name, pattern in spec.groups.items()
    }
    n_required = sum(1 for f in spec.fields if f.required and f.name in columns)
    complete = n_required == len(spec.required) and all(groups[g] for g in spec.required_groups)
    score = (int(complete), n_required, len(columns) + sum(len(g) for g in groups.values()))
    return HeaderMatch(
        row=-1,
        cells=[str(c) for c in cells],
        columns=columns,
        units={name: cell_keys[col][1] for name, col in columns.items()},
        groups=groups,
        score=score,
    )


def find_header(rows: list[list[str]], spec: TableSpec, overrides: dict[str, str] | None = None) -> HeaderMatch:
    """Best header candidate among the first rows; check `.complete` before using it.

    Ties go to the earlier row. When nothing matches, the candidate is the row with the most text
    cells, so that an error can show the user which headers we saw.
    """
    keys = _field_keys(spec, overrides)
    best = None
    best_rank = None
    for i, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        match = match_row(cells, spec, keys)
        match.row = i
        n_text = sum(1 for c in cells if str(c).strip() and not _looks_numeric(c))
        rank = (*match.score, n_text)
        if best_rank is None or rank > best_rank:
            best, best_rank = match, rank
    if best is None:
        best = HeaderMatch(row=-1, cells=[], columns={}, units={}, groups={}, score=(0, 0, 0))
    return best


def _looks_numeric(value) -> bool:
    if isinstance(value, (int, float)):
        return True
    return bool(re.fullmatch(r"[\d.,:/\- ]+", str(value).strip()))
