"""Helpers the tests share: a served app, the platform doubles, signed requests, seeds and clocks."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository
