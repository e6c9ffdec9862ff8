"""Every package's tables, imported in one place so Alembic and tests see the whole schema."""

from crm_bridge.models import CrmDelivery, Ticket, TicketEvent  # noqa: F401
from flows.models import Article, Topic, Unanswered  # noqa: F401
from ivr.models import Call, CallStep  # noqa: F401
from sms.models import SmsInbound, SmsOptOut, SmsOutbound  # noqa: F401
