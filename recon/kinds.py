"""The kinds of reconciliation the core knows: each one declared once, in its own app, as a plain KindSpec.

The core never imports a kind's app: it reads the spec through the dotted path in KINDS (plus
settings.RECON_EXTRA_KINDS, which is how a test suite declares a kind without editing the core), loaded lazily
on first use, so importing the core never drags a kind's models or services in.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

# The fixed kind codes and where each one's spec lives. Still to come:
# "outbound" → "orders.kind.SPEC", "settlement" and "bank" → "payments.kind.SETTLEMENT" / "payments.kind.BANK".
KINDS: dict[str, str] = {
    "courier_fee": "couriers.kind.SPEC",
    "returns": "returns.kind.SPEC",
    "settlement": "payments.kind_settlement.SPEC",
    "bank": "payments.kind_bank.SPEC",
    "outbound": "orders.kind_outbound.SPEC",
}


@dataclass(frozen=True)
class TypeSpec:
    """A discrepancy type: its code (stored, exported, in the API), its label, and whether it is a claim."""

    code: str
    label: Any
    claim: bool
    # What the amount at stake means for this type, as a reader would say it ("overcharged", "not billed").
    at_stake: Any
    # "to_us": the money is owed to us (what a claim asks back); "by_us": we may owe it (an undercharge, a missed bill).
    direction: str = "to_us"


@dataclass(frozen=True)
class ColumnSpec:
    """A column a kind adds to a table: `attr` is the attribute path on a Discrepancy row ("billed_fee", "details.card_id").

    In exports, the attribute "type_label" is the label of the row's type in the reader's language.
    """

    key: str
    label: Any
    attr: str
    money: bool = False
    # Grams shown as kilograms (the queue and the dispute sheet), and a second attribute shown after a slash.
    kg: bool = False
    attr2: str = ""
    css: str = ""

    @property
    def orm_path(self) -> str:
        """The attribute path as a values() lookup: "details.card_id" → "details__card_id"."""
        return self.attr.replace(".", "__")


@dataclass(frozen=True)
class OptionSpec:
    """An option of `manage.py reconcile KIND` that only some kinds take: its value goes to the kind's reconcile hook as
    the keyword `dest`."""

    flag: str
    dest: str
    help: Any = ""
    # Turns the option's text into the value (argparse's type=); its ValueError is the user's mistake.
    type: Any = str
    metavar: str = ""


@dataclass(frozen=True)
class LinkSpec:
    """Discrepancies of two kinds that are one finding seen twice (a pickup weighed heavy on the day, and the weight
    overcharge on the courier's bill a month later): rows of this kind's `type` and of `other_kind`'s `other_type`
    with the same counterparty whose `key` and `other_key` columns ("ref" or "ref2") agree link to each other.

    `evidence` / `other_evidence`: what a row of this side / of the other side shows on its partner's page.
    """

    type: str
    key: str
    other_kind: str
    other_type: str
    other_key: str
    evidence: tuple[ColumnSpec, ...] = ()
    other_evidence: tuple[ColumnSpec, ...] = ()


@dataclass(frozen=True)
class SettingSpec:
    """A product setting a kind declares: shown on the settings page, changed by managers, audited like the core's."""

    key: str
    default: Any  # a bool or a non-negative int: the page shows a box or a number
    label: Any


@dataclass(frozen=True)
class KindSpec:
    """Everything the core needs to know about one kind of reconciliation."""

    code: str
    label: Any
    counterparty_label: Any
    types: tuple[TypeSpec, ...]
    execute: str  # dotted path of fn(*, run)
    rerun: str  # dotted path of fn(*, run, user, enqueue) -> ReconRun
    source_file_kinds: tuple[tuple[str, Any], ...] = ()
    queue_columns: tuple[ColumnSpec, ...] = ()
    export_columns: tuple[ColumnSpec, ...] = ()
    dispute_columns: tuple[ColumnSpec, ...] = ()
    detail_template: str = ""
    # Dotted path of fn(discrepancy, request) -> dict: the context of detail_template.
    detail_context: str = ""
    # Dotted path of a dict field name → label: the fields a source file's header is searched for.
    source_field_labels: str = ""
    reply_key: str = "ref"
    # A reply file finds the reply key's column by the header our dispute sheet wrote for it, then by these (the names
    # a counterparty's own table gives it).
    reply_headers: tuple[str, ...] = ()
    # Dotted path or callable fn(Series) -> (normalised keys, reason code or "" per cell) for a reply file's key
    # column; empty: trimmed upper-case text (recon.ingest.clean.normalize_ref).
    reply_normalize: Any = ""
    # How messages about a reply name its key: "waybill" (a courier's 运单号) or "reference" (any other number).
    reply_noun: str = "reference"
    carry_key: tuple[str, ...] = ("type", "ref")
    # Dotted path of fn(*, counterparty_code, start, end, as_of, user, enqueue) -> list[ReconRun]: what
    # `manage.py reconcile KIND` calls; a kind without it does not answer the command.
    reconcile: str = ""
    # Options of `manage.py reconcile KIND` beyond the core's, given to the reconcile hook when set.
    reconcile_options: tuple[OptionSpec, ...] = ()
    settings: tuple[SettingSpec, ...] = ()
    # Dotted path or callable fn(*, lines, period, out_dir, stdout) -> list[str]: seeds the kind's demo data for
    # `manage.py seed_demo` and returns lines to print after the logins (where its sample files are).
    demo: Any = ""
    # The key of ReconRun.summary holding what the counterparty billed in the run, as a decimal string ("billed_total"
    # for courier fees): the dashboard's overcharge rate divides the money at stake by it. Empty: the kind has no bill.
    summary_billed_key: str = ""
    # Dotted path of fn(*, start, end, counterparty_ids) -> {"billed": Decimal, "expected": Decimal}: what the kind's
    # files of a period charged and what our own records expected for them (the period report's cover); a kind
    # without such amounts leaves it empty and counts 0.
    period_amounts: str = ""
    # The period report's columns; empty: export_columns. A column with kg=True holds grams, shown as kilograms.
    report_columns: tuple[ColumnSpec, ...] = ()
    # Dotted path of fn(*, run) -> list[tuple[label, value]]: the parameters a run used (rate-card versions,
    # tolerances, grace periods) as a reader names them; empty: the run's params as stored.
    run_parameters: str = ""
    # (key of ReconRun.params, label): how the period report names a run's stored parameters ("grace_days" → 宽限天数).
    run_parameter_labels: tuple[tuple[str, Any], ...] = ()
    # Findings of this kind that another kind's discrepancies see again (recon.runs.links links them as runs save).
    links: tuple[LinkSpec, ...] = ()
    # Dotted path or callable: a list of reports.sources.SourceSpec, what this kind's data offers to custom reports.
    report_sources: Any = ""
    # Dotted path or callable fn(*, today, platform="", shop="") -> dict: the collection analysis (回款分析) of a kind that
    # knows money due and settled (see reports/analysis.py for the keys).
    collection_analysis: Any = ""
    # Dotted path or callable fn(*, older_than_days, today) -> Decimal: the money due to us and not yet settled whose
    # age is above that many days (the receivables alert rule); empty for a kind without receivables.
    receivables_by_age: Any = ""
    # Dotted path or callable fn(*, as_of: date) -> list of {"bucket", "count", "amount"}: the money due to us and not
    # yet settled by age bucket on a day (the dashboard's receivables panel); empty for a kind without receivables.
    receivable_ages: Any = ""

    def hook(self, name: str):
        """The callable or object at one of the spec's hooks (execute, rerun, detail_context …), or None."""
        path = getattr(self, name)
        if not path:
            return None
        return path if callable(path) else import_string(path)

    def type_codes(self) -> list[str]:
        return [t.code for t in self.types]


class UnknownKind(LookupError):
    """A kind code nobody declared."""


def _kind_paths() -> dict[str, str]:
    extra = getattr(settings, "RECON_EXTRA_KINDS", None) or {}
    if not isinstance(extra, dict):
        raise ImproperlyConfigured("RECON_EXTRA_KINDS is a dict of kind code → dotted path of a KindSpec.")
    return {**KINDS, **extra}


@lru_cache(maxsize=None)
def _load(paths: tuple[tuple[str, str], ...]) -> dict[str, KindSpec]:
    specs = {}
    for code, path in paths:
        spec = import_string(path)
        if not isinstance(spec, KindSpec) or spec.code != code:
            raise ImproperlyConfigured(f"{path} is not the KindSpec of kind “{code}”.")
        specs[code] = spec
    return specs


def kind_specs() -> dict[str, KindSpec]:
    """Every declared kind, in declaration order (the core's first, then RECON_EXTRA_KINDS)."""
    # Keyed by the map itself, so that override_settings(RECON_EXTRA_KINDS=…) is seen without a manual reset.
    return _load(tuple(_kind_paths().items()))


def kinds_cache_clear() -> None:
    """Forget the loaded specs (tests that rebuild a spec module)."""
    _load.cache_clear()


def kind_spec(code: str) -> KindSpec:
    """The spec of one kind; an unknown code is an error that names the known ones."""
    specs = kind_specs()
    try:
        return specs[code]
    except KeyError:
        raise UnknownKind(f"Unknown reconciliation kind “{code}”; known kinds: {', '.join(specs) or 'none'}.") from None


def kind_choices() -> list[tuple[str, Any]]:
    return [(spec.code, spec.label) for spec in kind_specs().values()]


def kind_label(code: str) -> Any:
    spec = kind_specs().get(code)
    return spec.label if spec else code


def _types() -> dict[str, TypeSpec]:
    out: dict[str, TypeSpec] = {}
    for spec in kind_specs().values():
        for t in spec.types:
            out.setdefault(t.code, t)
    return out


def type_specs() -> list[TypeSpec]:
    """Every discrepancy type of every kind, in the kinds' order and then each kind's own order."""
    return list(_types().values())


def type_spec(code: str) -> TypeSpec:
    try:
        return _types()[code]
    except KeyError:
        raise UnknownKind(f"Unknown discrepancy type “{code}”.") from None


def type_label(code: str) -> Any:
    """The type's label in the active language; an unknown code is shown as it is (old audit entries)."""
    t = _types().get(code)
    return t.label if t else code


def type_choices() -> list[tuple[str, Any]]:
    return [(t.code, t.label) for t in type_specs()]


def claim_types() -> frozenset[str]:
    return frozenset(t.code for t in type_specs() if t.claim)


def information_types() -> frozenset[str]:
    """Types whose money is information, not a claim against the counterparty."""
    return frozenset(t.code for t in type_specs() if not t.claim)


def column_value(row, col: ColumnSpec):
    """Read a column's attribute path on a row: attributes, then keys of dicts (the `details` JSON)."""
    value = row
    for part in col.attr.split("."):
        if value is None:
            return None
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
    return value
