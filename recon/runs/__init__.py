"""Reconciliation runs: the outbox, the Celery tasks, heartbeats and sweeps, and the dispatch to each kind's service."""
