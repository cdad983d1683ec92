"""Coaching checks for the difficult conversation: each returns hints that quote the phrase."""
