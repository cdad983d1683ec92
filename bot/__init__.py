"""The edges: transports (console, Slack, Teams), the HTTP server, the CLI and the scheduler."""
