"""Microsoft Teams transport (Microsoft 365 Agents SDK). Every Agents SDK import lives in this package."""
