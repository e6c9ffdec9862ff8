"""The composition root: the web app factory and the worker's and scheduler's wiring. Nothing imports it."""

from app.factory import build_context, check_data, create_app

__all__ = ["build_context", "check_data", "create_app"]
