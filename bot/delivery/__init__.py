"""Scheduled delivery: subscriptions' schedules, the exactly-once ledger, rate-limited fan-out."""
