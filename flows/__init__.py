"""The coaching itself: flow definitions, the pure engine, coaching checks and date rules.

Nothing in this package does I/O, reads the clock or imports Slack, Teams or SQL; time comes in as
an argument so every rule can be tested with a fixed "now".
"""
