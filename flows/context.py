"""What the conversations read besides the core context: the knowledge base, the wording, the surge messages."""

from __future__ import annotations

from dataclasses import dataclass

from core.context import AppContext
from flows.emergency import EmergencyWords
from flows.menus import Menus
from flows.wording import Wording
from knowledge.base import KnowledgeCache
from surge.cache import AnnouncementCache


@dataclass(kw_only=True)
class FlowContext(AppContext):
    """The web process's context as the channels and the console see it."""

    knowledge: KnowledgeCache
    wording: Wording
    menus: Menus
    emergency: EmergencyWords
    announcements: AnnouncementCache
