"""Uploaded files: the checks every upload gets before anything is stored."""
