"""Shared plumbing for every package: the app factory, database, Redis, Twilio request checks."""
