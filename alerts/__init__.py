"""Warnings for supervisors: alert rules on the queues' figures and surge detection, kept as episodes."""
