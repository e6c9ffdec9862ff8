"""Surge messages: what every call and text says during a storm, an outage or an election, changed from a browser."""
