"""The console transport: `coachbot demo`, a chat on stdin/stdout driving the same service."""
