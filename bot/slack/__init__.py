"""The Slack transport: Bolt listeners that turn Slack payloads into service calls, and pure renderers."""
