"""Reconciliation periods per counterparty: locking, close and reopen."""
