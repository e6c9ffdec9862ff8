"""Settings: config.toml plus the environment, validated once at start (settings.config.load_settings).

Each config.toml key is declared once, in settings.sections; the package imports nothing else of ours: every other
package may read settings, and settings reads none of them.
"""

from settings.base import ROOT, WEEKDAYS, ConfigError
from settings.config import KNOWN_KEYS, Settings, load_settings
from settings.environment import redact
from settings.sections import (
    Agent,
    AlertSettings,
    CallbackSettings,
    Language,
    Neighbour,
    OutboundSettings,
    PlacesSettings,
    QueueSettings,
    WebSettings,
)

__all__ = [
    "KNOWN_KEYS",
    "ROOT",
    "WEEKDAYS",
    "Agent",
    "AlertSettings",
    "CallbackSettings",
    "Neighbour",
    "PlacesSettings",
    "ConfigError",
    "Language",
    "OutboundSettings",
    "QueueSettings",
    "Settings",
    "WebSettings",
    "load_settings",
    "redact",
]
