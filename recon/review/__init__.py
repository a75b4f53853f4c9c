"""The review queue: its filter, keyset pages and money totals, and working discrepancies one at a time or in bulk."""
