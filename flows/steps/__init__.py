"""The conversation's steps, one module per part of it; importing this package registers them all."""

from flows.steps import agents, checking, questions, reporting

__all__ = ["agents", "checking", "questions", "reporting"]
