"""Outbound text messages for every package: consent (STOP), per-number caps, delivery through the Twilio client."""
