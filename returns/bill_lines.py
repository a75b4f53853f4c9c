"""Return freight billed inside a courier bill: its lines marked 退件/退回/逆向/退货 become ReturnFreightLine rows."""
from __future__ import annotations

import pandas as pd

from couriers.bill_lines import BillLineTaker
from couriers.models import Courier

from .services import return_freight_insert

# What couriers write in 业务类型/件类型/运单类型 for a parcel carried back to the sender.
RETURN_WORDS = ("退件", "退回", "逆向", "退货")


def return_freight_from_bill_save(*, bill, courier: Courier, lines: pd.DataFrame) -> None:
    """Store a bill's return lines as return freight of the bill's courier, keeping the bill's line numbers."""
    # A bill's province column is where the parcel went; a return travels back, so it is where the return came from.
    frame = pd.DataFrame({
        "waybill_no": lines["waybill_no"].astype(str), "waybill_raw": lines["waybill_no"].astype(str),
        "billed_at": lines["billed_at"], "billed_weight_g": lines["billed_weight_g"], "fee_fen": lines["billed_fee_fen"],
        "origin_province": lines["billed_province"].fillna("").astype(str),
        "origin_province_raw": lines["billed_province_raw"].fillna("").astype(str),
        "line_no": lines["line_no"], "sheet": lines["sheet"], "row_no": lines["row_no"],
    })
    return_freight_insert(frame=frame, source_id=bill.pk, courier=courier)


RETURN_FREIGHT_TAKER = BillLineTaker(code="returns", words=RETURN_WORDS, save=return_freight_from_bill_save)
