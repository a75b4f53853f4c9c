"""A small kind declared inside the test suite (settings.RECON_EXTRA_KINDS), proving the core needs no edit for one."""
from recon.kinds import ColumnSpec, KindSpec, TypeSpec

EXECUTED: list[int] = []


def execute(*, run) -> None:
    EXECUTED.append(run.id)
    type(run).objects.filter(id=run.id).update(status="succeeded", summary={"toy": True})


def rerun(*, run, user=None, enqueue=True):
    return type(run).objects.create(kind=run.kind, rerun_of=run, created_by=user)


SPEC = KindSpec(
    code="toy",
    label="Toy refunds",
    counterparty_label="Shop",
    types=(
        TypeSpec("toy_refund_missing", "Refund missing", claim=True, at_stake="the refund we are owed"),
        TypeSpec("toy_note", "Note", claim=False, at_stake="nothing", direction="by_us"),
    ),
    execute="tests.recon.toy_kind.execute",
    rerun="tests.recon.toy_kind.rerun",
    source_file_kinds=(("toy_file", "Toy file"),),
    queue_columns=(ColumnSpec("toy_card", "Card", "details.card_id"),),
    export_columns=(
        ColumnSpec("ref", "Reference", "ref"),
        ColumnSpec("type", "type", "type"),
        ColumnSpec("amount_at_stake", "amount", "amount_at_stake", money=True),
        ColumnSpec("toy_card", "Card", "details.card_id"),
    ),
    reply_key="ref",
    carry_key=("type", "ref"),
)

NOT_A_SPEC = {"code": "toy"}
