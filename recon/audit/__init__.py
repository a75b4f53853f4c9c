"""The audit trail: who changed what and when, recorded by every service, with its filter and reads."""
