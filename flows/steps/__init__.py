"""The conversation's steps, one module per part of it; importing this package registers them all."""

from flows.steps import asking_for_a_person, callbacks, checking, questions, reporting

__all__ = ["asking_for_a_person", "callbacks", "checking", "questions", "reporting"]
