"""A small kind declared inside the test suite (settings.RECON_EXTRA_KINDS), proving the core needs no edit for one."""
import dataclasses

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
    dispute_columns=(ColumnSpec("ref", "单号", "ref"),),
    reply_key="ref",
    carry_key=("type", "ref"),
)

NOT_A_SPEC = {"code": "toy"}


def reconcile(*, counterparty_code, start, end, as_of, user=None, enqueue=True):
    """One run per shop counterparty (or the one named) over the dates asked."""
    from recon.runs import services as run_services
    from recon.core.models import Counterparty, ReconRun

    shops = Counterparty.objects.filter(kind="shop").order_by("code")
    if counterparty_code:
        shops = shops.filter(code=counterparty_code)
    runs = [ReconRun.objects.create(kind="toy", counterparty=shop, period_start=start, period_end=end, created_by=user,
                                    params={"as_of": as_of.isoformat()} if as_of else {}) for shop in shops]
    if enqueue:
        for run in runs:
            run_services.run_enqueue(run=run)
    return runs


RECONCILING_SPEC = dataclasses.replace(SPEC, reconcile="tests.recon.toy_kind.reconcile")

# The shop answers on its own table too, where the reference is called 退款单号.
REPLYING_SPEC = dataclasses.replace(SPEC, reply_headers=("退款单号",))
# A kind whose dispute sheet shows no column of its reply key: the core adds one, named by the kind's export label.
NO_REF_COLUMN_SPEC = dataclasses.replace(SPEC, dispute_columns=(ColumnSpec("toy_card", "卡号", "details.card_id"),))

DEMO_CALLS: list[dict] = []


def demo(*, lines, period, out_dir, stdout):
    DEMO_CALLS.append({"lines": lines, "period": period, "out_dir": out_dir})
    stdout.write("toy demo seeded")
    return ["Toy sample files: none"]


DEMO_SPEC = dataclasses.replace(SPEC, demo="tests.recon.toy_kind.demo")
# The same hook given as the function itself rather than its dotted path.
CALLABLE_DEMO_SPEC = dataclasses.replace(SPEC, demo=demo)
