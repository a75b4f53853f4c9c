"""Reads for the settlement upload page: the layout a file's head is in, its columns, and the columns remembered per platform."""
from __future__ import annotations

from django.utils.translation import gettext

from orders.models import Platform
from recon.core.errors import UserFacingError
from recon.ingest import errors
from recon.ingest.header import TableSpec
from recon.sources.selectors import column_mapping_remembered, preferred
from recon.sources.uploads import HeadPreview, StagedUpload, preview_head

from .settlement_readers import has_amounts
from .settlement_specs import FORMATS, SettlementFormat

FILE_KIND = "settlement"
FORMAT_BY_CODE = {f.code: f for f in FORMATS}


def settlement_mapping_kind(fmt_code: str) -> str:
    """The ColumnMapping kind of a layout: each layout names other fields, so each is remembered apart."""
    return f"{FILE_KIND}:{fmt_code}"


def settlement_field_labels(fmt: SettlementFormat) -> dict:
    """The translated label of each field of a layout, by field name."""
    return {name: gettext(label) for name, label in fmt.spec.labels().items()}


def settlement_columns_remembered(*, platform: Platform | None, fmt: SettlementFormat) -> dict:
    """The headers last chosen for this platform's files of this layout."""
    if platform is None:
        return {}
    names = {f.name for f in fmt.spec.fields}
    found = column_mapping_remembered(counterparty_id=platform.counterparty_id, file_kind=settlement_mapping_kind(fmt.code))
    return {k: v for k, v in found.items() if k in names}


def settlement_preferences(*, platform: Platform | None) -> dict[str, dict]:
    """Per layout code, the platform's remembered headers as header-matching preferences."""
    return {f.code: preferred(settlement_columns_remembered(platform=platform, fmt=f)) for f in FORMATS}


def settlement_head(staged: StagedUpload, overrides: dict[str, dict], *,
                    refuse: bool = True) -> tuple[SettlementFormat | None, HeadPreview | None]:
    """The layout the head of a file is in, tried in the reader's order, and its preview; (None, None) when the head
    cannot tell (the import then reads the file in full). A file of no layout is refused as the reader refuses it,
    or, unless `refuse`, left to the reader to refuse with the headers it saw."""
    from .settlement_readers import format_names

    for fmt in FORMATS:
        try:
            preview = preview_head(staged, fmt.spec, overrides.get(fmt.code) or None, sample_rows=20)
        except UserFacingError as exc:
            if exc.code in (errors.HEADER_NOT_FOUND, errors.MISNAMED_FILE):
                continue
            raise
        if preview is None:
            return None, None
        if fmt.code == "ledger" and not has_amounts(preview.match.columns):
            continue
        return fmt, preview
    if not refuse:
        return None, None
    raise UserFacingError(
        errors.HEADER_NOT_FOUND,
        gettext("“%(filename)s” is not a settlement file we read: no header row of any of these layouts was found: "
                "%(formats)s.") % {"filename": staged.filename, "formats": format_names()},
    )


def settlement_file_inspect(*, staged: StagedUpload, platform: Platform | None, typed: dict) -> dict:
    """What the upload page shows of a settlement file before anything is stored (the JSON of POST
    /payments/settlements/inspect/): the layout recognised, and its columns read with the platform's remembered ones."""
    from recon.sources.preview import preview_body

    overrides = settlement_preferences(platform=platform)
    fmt, preview = settlement_head(staged, overrides)
    if fmt is None:
        body = preview_body(preview=None, filename=staged.filename, fmt=staged.format, spec=TableSpec(fields=()),
                            labels={}, typed={}, remembered={})
        body["settlement_format"] = None
        body["notes"] = [gettext("The layout of this file is recognised when it is imported.")]
        return body
    typed = {k: v for k, v in typed.items() if k in {f.name for f in fmt.spec.fields}}
    if typed:
        preview = preview_head(staged, fmt.spec, {**overrides[fmt.code], **typed}, sample_rows=20)
    label = gettext(fmt.label)
    body = preview_body(preview=preview, filename=staged.filename, fmt=staged.format, spec=fmt.spec,
                        labels=settlement_field_labels(fmt), typed=typed,
                        remembered=settlement_columns_remembered(platform=platform, fmt=fmt), date_fields=("occurred_at",))
    if fmt.code == "wechat_merchant":
        # WeChat Pay writes a backtick before every cell so that Excel keeps long numbers as text: it is not data.
        body["rows"] = [[c[1:] if c.startswith("`") else c for c in row] for row in body["rows"]]
    body["settlement_format"] = {"code": fmt.code, "label": label}
    body["notes"] = [gettext("Read as: %(format)s") % {"format": label}]
    return body
