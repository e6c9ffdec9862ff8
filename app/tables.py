"""Every package's tables, imported in one place so Alembic and tests see the whole schema."""

from alerts.models import AlertEpisode  # noqa: F401
from callbacks.models import Callback, CallbackAttempt  # noqa: F401
from console.models import ApiToken, ConsoleAccount  # noqa: F401
from core.audit import AuditEntry  # noqa: F401
from core.deliveries import ProcessedDelivery  # noqa: F401
from core.dev_outbox import DevOutboxItem  # noqa: F401
from crm_bridge.models import CrmDelivery, Ticket, TicketEvent  # noqa: F401
from flows.models import MenuOverride  # noqa: F401
from hours.models import HoursChangeRow  # noqa: F401
from ivr.models import Call, CallStep  # noqa: F401
from knowledge.models import Article, Topic, Unanswered  # noqa: F401
from messaging.models import SmsOptOut, SmsOutbound  # noqa: F401
from places.models import AddressPoint, AreaFeature, AreaLayer, NamedPlace  # noqa: F401
from queueing.models import AgentLineAttempt, AgentPin, QueueOutcome, Voicemail  # noqa: F401
from sms.models import SmsInbound, SmsOpenReport  # noqa: F401
from surge.models import Announcement  # noqa: F401
