"""Retry schedules, time-to-live values and limits in one place, so every package waits and forgets alike."""

from __future__ import annotations

# rq retries for a job whose outside service failed (Twilio, the city's CRM): seconds before each try.
JOB_RETRY_INTERVALS = [10, 30, 60, 300, 900]

# Conversation sessions in Redis: a call lasts hours at most; a text conversation is forgotten after 30 quiet minutes.
CALL_SESSION_TTL = 4 * 3600
TEXT_SESSION_TTL = 30 * 60

# Webhook replay protection: all of Twilio's retries of one webhook end within 15 s (its connection overrides cap the
# total time, retries included, at 15,000 ms), so ten minutes covers any retry forty times over; the database
# remembers every delivery beyond that (core.deliveries). Redis holds about a webhook rate times this many answers of
# 1.3 KB on average (a storm day at 300 a second: about 250 MB; an hour would be 1.4 GB).
REPLAY_TTL = 600
REPLAY_WAIT_SECONDS = 10.0  # how long a twin delivery waits for the first one's answer
REPLAY_POLL_SECONDS = 0.05
REPLAY_CLAIM_SECONDS = 30  # a claim outlives the slowest webhook; one left by a killed process frees itself
# The database's memory of deliveries acted on (core.deliveries) outlives Redis's hour, for a while: Twilio re-sends
# within seconds, every call ends within a day (MAX_CALL_SECONDS) and its conversation is gone hours later
# (CALL_SESSION_TTL), so after 30 days a row only stands against a replayed copy of a signed request, which only Twilio
# and this service ever see (TLS, redacted logs). Pruned hourly, so the table holds about a month of traffic.
PROCESSED_DELIVERY_KEEP_DAYS = 30
PROCESSED_DELIVERY_PRUNE_SECONDS = 3600

# Threads for blocking work started from the event loop (core.threads): as many as anyio's default, more than the
# database pool (10 + 20 overflow), so a wait for a connection, not for a thread, is what a burst meets.
BLOCKING_THREADS = 40
# Per web process and database: the connections its event loop reads from on every request (core.event_loop_reads),
# and how long opening one may take before the read counts as the database being away.
EVENT_LOOP_READ_CONNECTIONS = 4
EVENT_LOOP_READ_CONNECT_SECONDS = 5

# Records written behind (core.write_behind): drained every second, up to a batch per transaction; a run writes until
# the stream is empty or its time is up (so it never holds the worker long); its lock outlives any run.
WRITE_BEHIND_DRAIN_SECONDS = 1
WRITE_BEHIND_BATCH = 500
WRITE_BEHIND_RUN_SECONDS = 5.0
WRITE_BEHIND_LOCK_SECONDS = 60

# Heartbeats (core.heartbeats): each role beats every few seconds; one silent for HEARTBEAT_STALE_SECONDS is reported
# stale (/healthz 503, `run.py health` exit 1). The key outlives a dead role for a week, so it is reported stale, not
# forgotten; a role retired on purpose reads "not seen" a week later (or at once: delete its heartbeat:<role> key).
HEARTBEAT_SECONDS = 5
HEARTBEAT_STALE_SECONDS = 60
HEARTBEAT_KEEP_SECONDS = 7 * 86400
# Each process's own beat is listed too (/healthz "processes", `run.py health`); one silent this long is forgotten
# (a restarted process has a new pid, so its old entry would otherwise be listed stale for ever).
PROCESS_BEAT_FORGET_SECONDS = 3600
# The rq worker beats while it waits for a job (every WORKER_TTL - 15 s) and while one runs (WORKER_MONITOR_SECONDS).
WORKER_TTL_SECONDS = 35
WORKER_MONITOR_SECONDS = 10

# Live queue figures.
QUEUE_META_TTL = 4 * 3600
QUEUE_DAY_TTL = 3 * 86400
AGENT_ACTIVE_SECONDS = 15 * 60
SERVICE_LEVEL_SECONDS = 30
# A waiting caller is polled about every offer_every seconds plus the time the wait document takes to speak; one whose
# last poll is older than this many such intervals hung up without our hearing of it, and is dropped from the line.
QUEUE_STALE_POLLS = 3
QUEUE_POLL_SLACK_SECONDS = 30

# The agent line: PIN length, and how many wrong PINs lock it for the calling number, for how long.
AGENT_PIN_MIN_DIGITS = 6
AGENT_PIN_MAX_DIGITS = 12
AGENT_PIN_ATTEMPTS = 3
AGENT_PIN_LOCK_SECONDS = 15 * 60
AGENT_PIN_TIMEOUT = 10  # seconds the PIN prompt waits for digits before the line says goodbye

# Supervisors' API tokens: lifetime in days (default and longest), and how many bad tokens one client address may
# present before its bad tokens are answered 429 for a minute, then 2, 4 ... up to 15 (core.backoff); a good token is
# always looked at and accepted.
API_TOKEN_DAYS = 90
API_TOKEN_MAX_DAYS = 365
API_TOKEN_FAILURES = 10
API_TOKEN_FAILURE_WINDOW = 60  # the first lock-out
# Wrong Open311 api_keys: the same rule per client address (the keys' length is checked at start, settings/).
OPEN311_KEY_FAILURES = 10
OPEN311_KEY_FIRST_LOCK_SECONDS = 60
# Every growing lock-out (core.backoff): the longest, and how long failures are remembered after the last one.
LONGEST_LOCK_OUT_SECONDS = 15 * 60
FAILURE_MEMORY_SECONDS = 24 * 3600

# The wait told to a caller (queueing.estimator.spoken_range): under a minute in these steps (5 is "a few seconds"),
# each covering this many seconds either side; "about N minutes" up to this N, longer waits as a whole-minute range.
# Chosen on bench/ewt_accuracy.py with seeds other than its default, which stays held out.
SPOKEN_FEW_SECONDS = 5
SPOKEN_SECONDS = (SPOKEN_FEW_SECONDS, 15, 30, 45)
SPOKEN_SECONDS_SPAN = 15
SPOKEN_ABOUT_MINUTES = 3

# Text-message abuse limits per phone number.
SMS_INBOUND_PER_MINUTE = 10
SMS_INBOUND_PER_DAY = 200
SMS_COUNTER_TTL = 2 * 86400
# Texts over the per-minute limit are kept (sms.held) until the resident is told to send them again.
SMS_HELD_MAX = 20
SMS_HELD_TTL = 86400
SMS_HELD_QUOTE_CHARS = 40  # each kept text is quoted back this long at most

# CRM bridge. One HTTP request to the city's CRM gets at most CRM_REQUEST_SECONDS: connecting, sending and the whole
# answer each have a limit and the adapter stops reading an answer at the total. The per-ticket delivery lock lasts
# just longer than one request and is renewed before each one, so a live delivery always holds it, and the lock a
# killed worker leaves behind is gone before the first retry (JOB_RETRY_INTERVALS[0]) comes due.
CRM_HTTP_CONNECT_SECONDS = 2.0
CRM_HTTP_SEND_SECONDS = 2.0
CRM_HTTP_ANSWER_SECONDS = 4.0  # a slower CRM times out; the retry looks the request up before sending it again
CRM_HTTP_POOL_SECONDS = 0.5
CRM_REQUEST_SECONDS = CRM_HTTP_CONNECT_SECONDS + CRM_HTTP_SEND_SECONDS + CRM_HTTP_ANSWER_SECONDS + CRM_HTTP_POOL_SECONDS
CRM_TICKET_LOCK_SECONDS = CRM_REQUEST_SECONDS + 1.0  # and a database write
CRM_LOOKUP_PAGES = 10  # pages of GET requests searched for a request an earlier attempt may have created
CRM_RECONCILE_SECONDS = 60
CRM_POLL_SECONDS = 120
CLOSED_NOTICE_SWEEP_SECONDS = 30

# Request bodies, counted while they stream in (core/body_limit.py). Twilio's webhooks are a few KB; the JSON API's
# largest document (an announcement in every language) is far below its limit; Open311 forms are short reports.
WEBHOOK_BODY_LIMIT = 64 * 1024
API_BODY_LIMIT = 256 * 1024
OPEN311_BODY_LIMIT = 64 * 1024
OTHER_BODY_LIMIT = 16 * 1024  # every other path (health checks, pages and the console's small forms)

# Stopping a web process: requests in progress get this long to finish (within run.py's 10 s before SIGKILL).
WEB_SHUTDOWN_GRACE_SECONDS = 5

# Twilio's webhook fields (core/twilio_fields.py): longer text is cut; a number past its bound is treated as absent.
WEBHOOK_FIELD_MAX_CHARS = 4000  # above a 1,600-character text, so "too long" is still told apart
MAX_CALL_SECONDS = 24 * 3600  # Twilio ends every call within a day (QueueTime, CallDuration)
MAX_QUEUE_SIZE = 5000  # Twilio's largest queue (QueuePosition, CurrentQueueSize)

# Our Open311 server's GET requests (GeoReport v2 caps a list at 1000; `page` and `page_size` are our extension).
OPEN311_PAGE_SIZE = 50
OPEN311_MAX_PAGE_SIZE = 200
OPEN311_MAX_PAGE = 10_000  # keeps the database's OFFSET small whatever a client asks

# Call-backs: how often the dispatcher looks for call-backs to place, and when a placed one counts as stuck.
CALLBACK_DISPATCH_SECONDS = 15
CALLBACK_RECONCILE_SECONDS = 60
CALLBACK_FAILED_SWEEP_SECONDS = 30
CALLBACK_DIAL_STALE_SECONDS = 120  # claimed but never placed (a worker died between the claim and Twilio)
CALLBACK_RING_STALE_SECONDS = 15 * 60  # placed, never answered, and Twilio's status callback never came
CALLBACK_ANSWERED_STALE_SECONDS = 2 * 3600  # answered, and neither the agent's pick-up nor the hang-up was heard
CALLBACK_REQUEST_COUNTER_TTL = 2 * 86400
CALLBACK_SLOTS_OFFERED = 3  # times read out or texted at once
CALLBACK_OWNER_CONFIRM_MINUTES = 30  # a call-back asked for another number lapses unless its owner texts YES by then
CALLBACK_OWNER_ASKS_PER_DAY = 2  # "Reply YES to be called back" texts one number gets in a day, whoever asks
CALLBACK_MIN_NOTICE_MINUTES = 10  # the earliest slot offered starts at least this long from now

# Agents on the agent line: an idle agent's <Dial> into an empty queue ends after this many seconds and the agent
# line is asked again, so a call-back that was answered meanwhile reaches them; "ready" lasts a few such loops.
AGENT_IDLE_DIAL_SECONDS = 20
AGENT_READY_SECONDS = 90
AGENT_BUSY_SECONDS = 4 * 3600

# The supervisors' console in a browser. A session lasts a working shift; the stream of live figures re-checks it.
CONSOLE_SESSION_SECONDS = 8 * 3600
CONSOLE_SESSION_RECHECK_SECONDS = 30
# Sign-in throttling (core.backoff): 5 failures for one name (whether or not it exists) from one client address
# refuse that name from that address only, for 1 minute, then 2, 4 ... up to 15 at each further failure; 20
# failures from one address (any names) refuse that address alike. An address gets more tries: a city hall shares one.
CONSOLE_LOGIN_FAILURES_PER_ACCOUNT = 5
CONSOLE_LOGIN_FAILURES_PER_ADDRESS = 20
CONSOLE_LOGIN_FIRST_LOCK_SECONDS = 60
CONSOLE_PASSWORD_MIN_CHARS = 12
CONSOLE_PASSWORD_MAX_CHARS = 200  # a long passphrase; anything longer is a mistake or an attack on argon2
CONSOLE_NAME_MAX_CHARS = 60
CONSOLE_AUDIT_PAGE_SIZE = 50
# The live page: figures are read about every second and sent when they change; a comment every 15 s keeps
# proxies from closing a quiet stream.
CONSOLE_LIVE_INTERVAL_SECONDS = 1.0
CONSOLE_LIVE_HEARTBEAT_SECONDS = 15

# The knowledge base: an article whose last review is older than this is flagged "review due" in the console.
KB_REVIEW_DUE_DAYS = 180

# The browser phone and the Scenarios page's "Run all", which drive the service as residents do: phones per browser,
# and how many actions (ticks of the page's timer apart) and ticks one account, or one address in development mode
# without a sign-in, may make in a minute; "Run all" plays every scenario, so once a minute.
SIMULATOR_PHONES_PER_BROWSER = 8
SIMULATOR_ACTIONS_PER_MINUTE = 120
SIMULATOR_TICKS_PER_MINUTE = 240
SIMULATOR_ON_DUTY_HOURS = 2  # development mode: how long the browser phone puts agents on duty (core.duty)
SCENARIO_RUNS_PER_MINUTE = 1
