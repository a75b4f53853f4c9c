"""The matching engine: pure pandas, data frames in, classified rows out, each with a readable reason."""
from recon.engine.courier_fee import DEFAULT_REASONS, DISCREPANCY_COLUMNS, CourierFeeResult, reconcile_courier_bill
from recon.engine.rates import FeeExplanation, FeeStep, RateBook, RateCardSpec, explain_fee

__all__ = ["DEFAULT_REASONS", "DISCREPANCY_COLUMNS", "CourierFeeResult", "FeeExplanation", "FeeStep", "RateBook", "RateCardSpec", "explain_fee",
           "reconcile_courier_bill"]
