"""Retry schedules, time-to-live values and limits in one place, so every package waits and forgets alike."""

from __future__ import annotations

# rq retries for a job whose outside service failed (Twilio, the city's CRM): seconds before each try.
JOB_RETRY_INTERVALS = [10, 30, 60, 300, 900]

# Conversation sessions in Redis: a call lasts hours at most; a text conversation is forgotten after 30 quiet minutes.
CALL_SESSION_TTL = 4 * 3600
TEXT_SESSION_TTL = 30 * 60

# Webhook replay protection: Twilio retries within seconds; an hour covers any retry.
REPLAY_TTL = 3600
REPLAY_WAIT_SECONDS = 10.0

# Live queue figures.
QUEUE_META_TTL = 4 * 3600
QUEUE_DAY_TTL = 3 * 86400
AGENT_ACTIVE_SECONDS = 15 * 60
SERVICE_LEVEL_SECONDS = 30

# Text-message abuse limits per phone number.
SMS_INBOUND_PER_MINUTE = 10
SMS_INBOUND_PER_DAY = 200
SMS_COUNTER_TTL = 2 * 86400

# CRM bridge.
CRM_TICKET_LOCK_SECONDS = 120  # longer than the slowest delivery (three HTTP timeouts of 10 s and the DB writes)
CRM_RECONCILE_SECONDS = 60
CRM_POLL_SECONDS = 120
CLOSED_NOTICE_SWEEP_SECONDS = 30

# Call-backs: how often the dispatcher looks for call-backs to place, and when a placed one counts as stuck.
CALLBACK_DISPATCH_SECONDS = 15
CALLBACK_RECONCILE_SECONDS = 60
CALLBACK_FAILED_SWEEP_SECONDS = 30
CALLBACK_DIAL_STALE_SECONDS = 120  # claimed but never placed (a worker died between the claim and Twilio)
CALLBACK_RING_STALE_SECONDS = 15 * 60  # placed, never answered, and Twilio's status callback never came
CALLBACK_ANSWERED_STALE_SECONDS = 2 * 3600  # answered, and neither the agent's pick-up nor the hang-up was heard
CALLBACK_REQUEST_COUNTER_TTL = 2 * 86400
CALLBACK_SLOTS_OFFERED = 3  # times read out or texted at once
CALLBACK_MIN_NOTICE_MINUTES = 10  # the earliest slot offered starts at least this long from now

# Agents on the agent line: an idle agent's <Dial> into an empty queue ends after this many seconds and the agent
# line is asked again, so a call-back that was answered meanwhile reaches them; "ready" lasts a few such loops.
AGENT_IDLE_DIAL_SECONDS = 20
AGENT_READY_SECONDS = 90
AGENT_BUSY_SECONDS = 4 * 3600
