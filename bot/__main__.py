"""`python -m bot` runs the coachbot CLI."""
from bot.cli import app

app()
