"""Hostile but correctly signed forms on every voice and SMS webhook: never a crash, always well-formed TwiML.

Two sources: a seeded list of values people thought of, and forms hypothesis generates (any names and values).

A seeded generator (the run is the same every time) mixes Twilio-shaped forms with values a fuzzer, a buggy proxy
or a spoofing carrier might send: digits that are not ASCII, numbers past 2^63, NUL bytes, direction marks, 10,000
characters, markup. Every response must be below 500; every 200 must be TwiML that parses; a voice webhook must
never fall back to the crash apology.
"""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import Caller, Texter, twilio_post

# fmt: off
HOSTILE = [
    "", " ", "0", "-1", "²", "٣", "１２", "3²", "߃", "9" * 30, str(2**63), str(2**64 + 1), "-" + "9" * 25, "1e309",
    "nan", "inf", "-inf", "0x1f", "1_000", " 12 ", "\x00", "1\x002", "\u202e123", "\u200f\u200e", "x" * 10_000,
    "☎" * 3000, "<Say>hi</Say>", "]]><Hangup/>", "&amp;", "%00", "\r\n", "\t", "CA" + "z" * 32, "CA" + "a" * 100,
    "+1" + "5" * 200, "anonymous", "yes", "0.5", "1.5",
]
FIELDS = [
    "CallSid", "AccountSid", "From", "To", "CallStatus", "Direction", "Digits", "SpeechResult", "Confidence",
    "RecordingUrl", "RecordingDuration", "QueueTime", "QueuePosition", "CurrentQueueSize", "AvgQueueTime",
    "QueueResult", "QueueSid", "CallDuration", "StirVerstat", "Body", "NumMedia", "OptOutType", "MessageSid",
    "NumSegments",
]
# fmt: on
QUERY = urlencode({"lang": "en-US", "queue": "311-english"})
NODES = ["main", "welcome", "after", "report_record", "voicemail_record", "check_number", "nonsense", "\x00", "ñ" * 90]
# Each webhook with the fields it reads: these are made hostile more often than the rest.
VOICE = {
    "/voice/incoming": ["CallSid", "From", "To", "CallStatus", "AccountSid", "StirVerstat"],
    "/voice/step?{node}": ["CallSid", "From", "Digits", "SpeechResult", "Confidence", "RecordingUrl"],
    "/voice/status": ["CallSid", "CallStatus", "CallDuration", "From"],
    f"/voice/queue/wait?{QUERY}": ["QueueTime", "QueuePosition", "CurrentQueueSize", "AvgQueueTime", "CallSid"],
    f"/voice/queue/keys?{QUERY}": ["Digits", "CallSid", "QueueTime"],
    f"/voice/queue/result?{QUERY}": ["QueueResult", "QueueTime", "CallSid"],
    "/voice/agent": ["From", "CallSid", "StirVerstat"],
    "/voice/agent/pin?attempt=1": ["Digits", "From", "CallSid", "StirVerstat"],
    "/voice/agent/connect?queue=311-english": ["QueueTime", "CallSid", "QueuePosition"],
}
SMS = ["Body", "NumMedia", "OptOutType", "MessageSid", "From", "AccountSid", "NumSegments"]
CRASH_APOLOGY = "something went wrong on our side"


def _hostile_form(rng: random.Random, base: dict[str, str], read: list[str]) -> dict[str, str]:
    form = dict(base)
    chosen = [name for name in read if rng.random() < 0.4]
    chosen.append(rng.choice(FIELDS))  # a list, not a set: the same seed must give the same forms in every run
    for name in chosen:
        if rng.random() < 0.15:
            form.pop(name, None)
        else:
            form[name] = rng.choice(HOSTILE)
    return form


def _check(response, path: str, form: dict[str, str], problems: list[str]) -> None:
    where = f"{path} {sorted((k, v[:40]) for k, v in form.items())}"
    if response.status_code >= 500:
        problems.append(f"{response.status_code} from {where}")
    elif response.status_code == 200 and response.text:
        try:
            ET.fromstring(response.text)
        except ET.ParseError as exc:
            problems.append(f"bad XML ({exc}) from {where}")
        if CRASH_APOLOGY in response.text:
            problems.append(f"crash apology from {where}")


def test_hostile_forms_on_every_voice_webhook(app):
    rng = random.Random(311)
    problems: list[str] = []
    for round_ in range(60):
        caller = Caller(app, phone=rng.choice(["+13125550147", "+15555550101"]))  # a resident, or an agent's phone
        caller.dial()
        if round_ % 2:
            caller.press("0")  # some are waiting for a person, so the queue webhooks find them
        for template, read in VOICE.items():
            path = template.format(node=urlencode({"node": rng.choice(NODES), "seq": 1}))
            form = _hostile_form(rng, {**caller._form(), "QueueSid": "QU" + "a" * 32}, read)
            try:
                _check(twilio_post(app, path, form), path, form, problems)
            except Exception as exc:  # the app raised: the TestClient re-raises what the server would log
                problems.append(f"{type(exc).__name__}: {exc!s:.200} from {path} {form.get('CallSid', '')[:40]!r}")
    assert not problems, "\n".join(problems)


def test_hostile_forms_on_the_sms_webhook(app):
    rng = random.Random(312)
    problems: list[str] = []
    for _ in range(150):
        texter = Texter(app, phone=rng.choice(["+13125550188", "+13125550189", "+13125550190"]))
        body = rng.choice(["hi", "library hours", "REPORT", "STATUS 123", "1"])
        form = _hostile_form(rng, texter.form(body), SMS)
        try:
            _check(twilio_post(app, "/sms/incoming", form), "/sms/incoming", form, problems)
        except Exception as exc:
            problems.append(f"{type(exc).__name__}: {exc!s:.200} from {form.get('MessageSid', '')[:40]!r}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- generated by hypothesis
# The seeded lists above hold the values people thought of; these draw any field names and values (any Unicode but
# lone surrogates, which no form can carry), shrink a failure to its smallest form, and replay the same examples in
# every run (derandomized).

TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=200)
VALUE = st.one_of(
    st.sampled_from(HOSTILE), TEXT, st.from_regex(r"\A[0-9*#w]{0,12}\Z"), st.integers().map(str),
    st.floats().map(str), st.from_regex(r"\A(CA|SM|QU|AC)[0-9a-f]{32}\Z"),
)
FIELD = st.one_of(st.sampled_from(FIELDS), st.sampled_from(FIELDS), TEXT.filter(bool))
NODE = st.one_of(st.sampled_from(NODES), TEXT)
FUZZ = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def _forms(draw, base: dict[str, str]) -> dict[str, str]:
    form = dict(base)
    for name in draw(st.lists(st.sampled_from(sorted(base)), max_size=3, unique=True)):
        form.pop(name)
    form.update(draw(st.dictionaries(FIELD, VALUE, max_size=6)))
    return form


def test_generated_forms_on_every_voice_webhook(app):
    caller = Caller(app)
    caller.dial()
    caller.press("0")  # waiting for a person: the queue webhooks find the call
    problems: list[str] = []

    @FUZZ
    @given(template=st.sampled_from(sorted(VOICE)), node=NODE, seq=st.integers(-2, 10**6),
           form=_forms({**caller._form(), "QueueSid": "QU" + "a" * 32}))
    def post(template, node, seq, form):
        path = template.format(node=urlencode({"node": node, "seq": seq}))
        try:
            _check(twilio_post(app, path, form), path, form, problems)
        except Exception as exc:  # the app raised: what the server would log
            problems.append(f"{type(exc).__name__}: {exc!s:.200} from {path}")
        assert not problems, problems[-1]

    post()


def test_generated_forms_on_the_sms_webhook(app):
    texter = Texter(app)
    problems: list[str] = []

    @FUZZ
    @given(body=st.one_of(TEXT, st.sampled_from(["REPORT", "STOP", "START", "HELP", "1", "YES", "STATUS 1"])),
           form=_forms(texter.form("hi")))
    def post(body, form):
        form = {**form, "Body": body} if "Body" in form else form
        try:
            _check(twilio_post(app, "/sms/incoming", form), "/sms/incoming", form, problems)
        except Exception as exc:
            problems.append(f"{type(exc).__name__}: {exc!s:.200} from /sms/incoming")
        assert not problems, problems[-1]

    post()
