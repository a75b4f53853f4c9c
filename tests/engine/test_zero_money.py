"""A weight overcharge inside one band: the weights differ, so it is listed, with nothing at stake."""
import pytest

from tests.engine.test_courier_fee import line, run, ship

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def test_weights_in_the_same_band_are_listed_with_zero_at_stake():
    result = run([line(1, "W1", 300, 900, "广东"), line(2, "W2", 400, 1500, "广东")],
                 [ship("W1", weight=600), ship("W2", weight=600)])
    d = result.discrepancies.set_index("waybill_no")
    assert d.loc["W1", "type"] == "weight_overcharge"
    assert int(d.loc["W1", "amount_at_stake_fen"]) == 0
    assert d.loc["W1", "reason"] == "Billed weight 0.9 kg, our billable weight 0.6 kg: ¥3.00 instead of ¥3.00 to 广东."
    assert (d.loc["W2", "type"], int(d.loc["W2", "amount_at_stake_fen"])) == ("weight_overcharge", 100)
    assert result.lines.set_index("line_no")["result"].to_dict() == {1: "discrepancy", 2: "discrepancy"}
