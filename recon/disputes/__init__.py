"""Disputes: claims sent to a counterparty as one file, and their answers (typed or a reply file) worked back into the queue."""
