"""The browser phone: call or text the service from a web page and hear exactly what residents hear.

`/simulator` leads to `/console/simulator` (where the console's session cookie reaches): open to anyone on the machine
in development mode, otherwise to signed-in supervisors. Each browser's phones live in Redis (simulator.store); every
action posts the service's real webhooks, signed as Twilio signs them, to this same app in-process (no socket, and the
event loop never waits on anything but the app itself), and returns the phones as JSON for simulator.js to draw.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import AsyncIterator

import httpx
from starlette.authentication import AuthCredentials, AuthenticationError, UnauthenticatedUser, requires
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from console import action_limits, service
from console import duty as agent_duty
from console.pages.forms import text
from console.pages.render import page
from console.pages.session_auth import SessionBackend, to_login
from core import audit, logs, test_traffic
from core.defaults import SIMULATOR_ACTIONS_PER_MINUTE, SIMULATOR_PHONES_PER_BROWSER, SIMULATOR_TICKS_PER_MINUTE
from core.phones import display
from core.twilio_client import uses_outbox
from queueing import agents
from queueing.models import PinSource
from simulator.driver import signed_transport
from simulator.phones import Board, Phone, PhoneError, Phones
from simulator.store import NUMBERS, Busy, SimulatorStore

PAGE = "/console/simulator"
COOKIE = "oc_simulator"
SCOPE = "simulator"
TICK_MS = 1000  # how often the page lets time pass (queues, ringing call-backs, texts arriving)
AREA_CODE = "217"  # the fictional phones' area code (Springfield, Illinois: config.toml's city)
DEV_PIN_DIGITS = 6
DEV_VISITOR = "development visitor"  # who the audit names when nobody signed in (development mode), with the address
EXPIRED = "These phones were forgotten (the server restarted or they were idle for hours). Reload the page."


class SimulatorBackend(SessionBackend):
    """Who may use the browser phone: anyone on a development-mode server, otherwise a signed-in supervisor."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, object]:
        dev_mode = conn.app.state.ctx.settings.dev_mode
        try:
            credentials, user = await super().authenticate(conn)
        except AuthenticationError:
            if not dev_mode:
                raise
            return AuthCredentials([SCOPE]), UnauthenticatedUser()
        # Supervisors and admins (who may change what callers hear) may also play a caller.
        allowed = dev_mode or "messages" in credentials.scopes
        return AuthCredentials([*credentials.scopes, *([SCOPE] if allowed else [])]), user


MIDDLEWARE = [Middleware(AuthenticationMiddleware, backend=SimulatorBackend(), on_error=to_login)]


async def front_door(request: Request) -> Response:
    """`/simulator`: the page itself lives under /console, where the console's sign-in reaches."""
    return RedirectResponse(PAGE, status_code=303)


def _store(request: Request) -> SimulatorStore:
    return SimulatorStore(request.app.state.ctx.redis)


def _actor(request: Request) -> str:
    """Who the audit trail names for this request: the signed-in account, else the development visitor's address."""
    user = request.user
    if user.is_authenticated:
        return user.actor
    return f"{DEV_VISITOR} {request.client.host if request.client else 'unknown'}"


def _limited_as(request: Request) -> str:
    # An account is limited by name wherever it signs in from; a visitor by address (a new cookie is free).
    user = request.user
    if user.is_authenticated:
        return f"account:{user.who.id}"
    return f"address:{request.client.host if request.client else 'unknown'}"


def _cookie_options(request: Request) -> dict:
    return {"path": PAGE, "httponly": True, "samesite": "strict", "secure": request.url.scheme == "https"}


@requires(SCOPE)
async def simulator_page(request: Request) -> Response:
    """The phones as they are; simulator.js draws them and keeps them current."""
    ctx = request.app.state.ctx
    store = _store(request)
    session_id = request.cookies.get(COOKIE, "")
    document = await store.load(session_id)
    fresh = document is None
    if fresh:
        session_id, board = store.new_id(), Board.new()
        await store.save(session_id, board.to_dict())
    else:
        board = Board.from_dict(document)
    configured = [{"name": a.name, "display": display(a.phone)} for a in ctx.settings.agents]
    response = page(
        request,
        "simulator.html",
        sim_csrf=board.csrf,
        state=await _view(request, board),
        agents=configured,
        dev=ctx.settings.dev_mode,
        tick_ms=TICK_MS,
    )
    if fresh:
        response.set_cookie(COOKIE, session_id, max_age=4 * 3600, **_cookie_options(request))
    return response


@contextlib.asynccontextmanager
async def _changing(request: Request) -> AsyncIterator[tuple[Board, dict]]:
    """The board of this browser, locked, its CSRF token checked; saved again afterwards, even when an action failed
    half-way (what the service already said stays heard)."""
    store = _store(request)
    session_id = request.cookies.get(COOKIE, "")
    form = await request.form(max_files=0, max_fields=20)
    if not session_id:
        raise _Refused(409, EXPIRED)
    request.state.simulator_session = session_id
    async with store.locked(session_id):
        document = await store.load(session_id)
        if document is None:
            raise _Refused(409, EXPIRED)
        board = Board.from_dict(document)
        if not _same(str(form.get("csrf", "")), board.csrf):
            raise _Refused(403, "This page did not come from this server's browser phone. Reload it.")
        try:
            yield board, {k: v for k, v in form.items() if isinstance(v, str)}
        finally:
            await store.save(session_id, board.to_dict(), numbers=_resident_numbers(board))


def _resident_numbers(board: Board) -> list[str]:
    return [p.number for p in board.phones if not p.agent]


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _same(given: str, expected: str) -> bool:
    return bool(given) and secrets.compare_digest(given.encode(), expected.encode())


@contextlib.asynccontextmanager
async def _phones(request: Request, board: Board) -> AsyncIterator[Phones]:
    """The actions on this board, posting webhooks to this app in-process, signed with the app's auth token."""
    ctx = request.app.state.ctx
    settings = ctx.settings
    asgi = httpx.ASGITransport(app=request.app, raise_app_exceptions=False, client=("127.0.0.1", 0))
    async with httpx.AsyncClient(transport=asgi, base_url=settings.public_base_url, timeout=30) as client:
        transport = signed_transport(client, auth_token=settings.auth_token, public_base_url=settings.public_base_url)
        if not settings.dev_mode:
            # In production the browser phone is a supervisor trying the line, never a resident: test traffic, kept
            # out of the figures, the queues' counts, the unanswered questions and the CRM (docs: "Test traffic").
            transport.test_mark = lambda: test_traffic.TrafficMark(test_traffic.BROWSER_PHONE_RUN)
        with test_traffic.isolated():
            yield Phones(board, transport, settings, ctx.now)


async def _answer(request: Request, action, *, kind: str = "action") -> Response:
    """Run one action on the locked board and answer with the phones (only the lines and texts the page has not
    drawn yet), or with what went wrong; 429 past the account's (or address's) actions or ticks for the minute."""
    per_minute = SIMULATOR_TICKS_PER_MINUTE if kind == "tick" else SIMULATOR_ACTIONS_PER_MINUTE
    wait = await action_limits.take(
        request.app.state.ctx.redis, kind=f"simulator-{kind}", who=_limited_as(request), per_minute=per_minute
    )
    if wait is not None:
        message = f"Too many browser phone actions: at most {per_minute} a minute. Try again in {wait} seconds."
        return JSONResponse({"error": message}, status_code=429, headers={"Retry-After": str(wait)})
    try:
        async with _changing(request) as (board, form):
            since = _since(form.get("since", ""))
            try:
                async with _phones(request, board) as phones:
                    await action(board, phones, form)
            except PhoneError as exc:
                return _json({"error": str(exc), "state": await _view(request, board, since)}, 409)
            except httpx.HTTPError:  # the in-process call itself failed (a bug of ours, not the service's answer)
                failed = "The service did not answer the webhook."
                return _json({"error": failed, "state": await _view(request, board, since)}, 502)
            return _json({"state": await _view(request, board, since)})
    except _Refused as exc:
        return _json({"error": str(exc)}, exc.status)
    except Busy as exc:
        return _json({"error": str(exc)}, 429)


def _json(data: dict, status: int = 200) -> Response:
    return JSONResponse(data, status_code=status, headers={"Cache-Control": "no-store"})


@requires(SCOPE)
async def tick(request: Request) -> Response:
    """Time passes for every phone: queues poll, and (development mode) the service's calls and texts arrive."""

    async def run(board: Board, phones: Phones, form: dict) -> None:
        await phones.tick()
        await _deliver_outbox(request, phones)

    return await _answer(request, run, kind="tick")


async def _deliver_outbox(request: Request, phones: Phones) -> None:
    ctx = request.app.state.ctx
    if not uses_outbox(ctx.settings):
        return
    # Only this browser's own numbers: what the service sends to a number reaches the one browser that holds it.
    held = await _store(request).holds(request.state.simulator_session, _resident_numbers(phones.board))
    for phone in phones.board.phones:
        if phone.agent or phone.number not in held:
            continue
        items = await service.outbox_to(ctx, number=phone.number, after_id=phone.outbox_after)
        for item in items:
            phones.deliver(phone, item)


@requires(SCOPE)
async def add_phone(request: Request) -> Response:
    """A new phone: a resident's with its own fictional number, or an agent's from config.toml [[agents]]."""
    ctx = request.app.state.ctx

    async def run(board: Board, phones: Phones, form: dict) -> None:
        if len(board.phones) >= SIMULATOR_PHONES_PER_BROWSER:
            most = SIMULATOR_PHONES_PER_BROWSER
            raise PhoneError(f"This browser has {most} phones, the most it may have: remove one first.")
        after = await service.latest_outbox_id(ctx) if uses_outbox(ctx.settings) else 0
        if text(form, "kind") == "agent":
            agent = agents.agent_named(ctx.settings, text(form, "agent"))
            if agent is None:
                raise PhoneError("Choose one of the agents in config.toml.")
            if any(p.agent == agent.name for p in board.phones):
                raise PhoneError(f"{agent.name}'s agent phone is already here.")
            await _audit(request, "add", board.add(agent.phone, agent=agent.name))
            return
        number = await _store(request).take_number(request.state.simulator_session, AREA_CODE)
        if number is None:
            raise PhoneError(f"All {NUMBERS} fictional numbers are in use by other browsers: try again later.")
        await _audit(request, "add", board.add(number, outbox_after=after))

    return await _answer(request, run)


ACTIONS = ("dial", "press", "say", "silence", "hangup", "answer", "decline", "text", "remove", "dev-pin")


@requires(SCOPE)
async def phone_action(request: Request) -> Response:
    """One thing done on one phone: dial, press keys, say something, stay silent, hang up, answer, text, remove."""
    action = request.path_params["action"]
    if action not in ACTIONS:
        return _json({"error": "There is no such action."}, 404)

    async def run(board: Board, phones: Phones, form: dict) -> None:
        phone = board.phone(request.path_params["phone"])
        if action != "dev-pin":  # setting a PIN is audited with the PIN's change
            await _audit(request, action, phone, _details(action, phone, form))
        if action == "dial":
            await phones.dial(phone)
        elif action == "press":
            await phones.press(phone, text(form, "digits"))
        elif action == "say":
            await phones.say(phone, text(form, "text"), _confidence(text(form, "confidence")))
        elif action == "silence":
            await phones.silence(phone)
        elif action == "hangup":
            await phones.hang_up(phone)
        elif action == "answer":
            await phones.answer(phone)
        elif action == "decline":
            await phones.decline(phone)
        elif action == "text":
            await phones.text(phone, text(form, "body"))
        elif action == "remove":
            phones.remove(phone)
            await _store(request).release_number(request.state.simulator_session, phone.number)
        else:
            await _dev_pin(request, phone)

    return await _answer(request, run)


@requires(SCOPE)
async def duty(request: Request) -> Response:
    """Development mode only: put agents on duty now (for a few hours, in every process), or back to [hours]."""
    ctx = request.app.state.ctx
    if not ctx.settings.dev_mode:
        return _json({"error": "There is no such page."}, 404)

    async def run(board: Board, phones: Phones, form: dict) -> None:
        if text(form, "duty") == "on":
            await agent_duty.put_on_duty(ctx, actor=_actor(request))
        elif text(form, "duty") == "hours":
            await agent_duty.back_to_hours(ctx, actor=_actor(request))
        else:
            raise PhoneError("Choose to put agents on duty, or to go back to config.toml [hours].")

    return await _answer(request, run)


def _details(action: str, phone: Phone, form: dict) -> dict:
    """What the audit keeps of an action: the words said or texted, the keys pressed (never an agent's, which may be
    a PIN); the audit page shows words and keys only to supervisors and admins."""
    if action == "say":
        return {audit.RESIDENT_WORDS: text(form, "text")[:500]}
    if action == "text":
        return {audit.RESIDENT_WORDS: text(form, "body")[:1600]}
    if action == "press" and not phone.agent:
        return {audit.RESIDENT_WORDS: text(form, "digits")[:32]}
    return {}


async def _audit(request: Request, action: str, phone: Phone, details: dict | None = None) -> None:
    """Record a browser phone action in the audit trail under the signed-in account (or the visitor's address)."""
    subject = phone.label if phone.agent else f"{phone.label} ({display(phone.number)})"
    after = {"phone": subject, **(details or {})}
    await service.record_audit(
        request.app.state.ctx, actor=_actor(request), action=f"browser phone {action}", subject=subject, after=after
    )


def _confidence(value: str) -> float:
    try:
        return min(1.0, max(0.0, float(value)))
    except ValueError:
        return 0.9


def _new_dev_pin() -> str:
    while agents.pin_problem(pin := "".join(str(secrets.randbelow(10)) for _ in range(DEV_PIN_DIGITS))):
        continue  # a random PIN may come out trivial (000000): draw again
    return pin


async def _dev_pin(request: Request, phone: Phone) -> None:
    """Development mode only: give the agent a development PIN from this page, shown beside the agent phone; a PIN
    an administrator set (`run.py agent-pin`) is never replaced from here."""
    ctx = request.app.state.ctx
    if not ctx.settings.dev_mode or not phone.agent:
        raise PhoneError("A PIN is set with `run.py agent-pin NAME` on the server.")
    pin = _new_dev_pin()
    try:
        await service.set_development_pin(ctx, agent=phone.agent, pin=pin, actor=_actor(request))
    except agents.RealPinKept as exc:
        raise PhoneError(f"{exc}.") from None
    phone.note(f"A development PIN was set for {phone.agent}: {pin}")


def _since(raw: str) -> dict[str, int]:
    """What the page has drawn of each phone ({"p1": 42}); anything else counts as nothing drawn."""
    try:
        drawn = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    if not isinstance(drawn, dict):
        return {}
    return {str(k): v for k, v in drawn.items() if isinstance(v, int) and not isinstance(v, bool)}


async def _view(request: Request, board: Board, since: dict[str, int] | None = None) -> dict:
    """The phones as simulator.js draws them; with `since`, only the lines and texts after what the page has."""
    ctx = request.app.state.ctx
    pins, shown = await _pins_known(request, board)
    names = {p.call["call_sid"]: p.label for p in board.phones if p.call}
    views = []
    for phone in board.phones:
        view = _phone_view(phone, pins=pins, shown=shown, dev=ctx.settings.dev_mode, names=names)
        after = (since or {}).get(phone.id, 0)
        view["lines"] = [line for line in view["lines"] if line["n"] > after]
        view["texts"] = [text for text in view["texts"] if text["n"] > after]
        views.append(view)
    if not ctx.settings.dev_mode:
        return {"phones": views}
    on_duty = await agent_duty.current(ctx)
    return {"phones": views, "duty": {"on": on_duty.on, "put_on_duty": on_duty.put_on_duty, "text": on_duty.text}}


async def _pins_known(request: Request, board: Board) -> tuple[dict[str, PinSource | None], dict[str, str]]:
    """Where each agent phone's PIN came from, and (development mode) the development PINs to show."""
    ctx = request.app.state.ctx
    names = [p.agent for p in board.phones if p.agent]
    if not names:
        return {}, {}
    shown = await service.development_pins(ctx, names=names) if ctx.settings.dev_mode else {}
    return await service.pin_sources(ctx, names=names), shown


STATUS = {
    "gather": "In a call: the service waits for keys or words",
    "record": "Recording: say your message, or stay silent",
    "queue": "On hold, waiting for a person",
    "dial": "Waiting for the next caller",
    "bridged": "Connected",
}


def _keys(call: dict) -> dict | None:
    """How the prompt takes keys (simulator.js sends them when it has enough), or None: each key goes at once."""
    waiting = call.get("waiting_for")
    if waiting == "gather":
        attrs = (call.get("pending") or {}).get("attrs") or {}
    elif waiting == "queue":
        attrs = ((call.get("queue") or {}).get("gather") or {}).get("attrs") or {}
    else:
        return None
    if not attrs or "dtmf" not in attrs.get("input", "dtmf"):
        return None
    digits = attrs.get("numDigits", "")
    return {"num_digits": int(digits) if digits.isdigit() else None, "finish_on_key": attrs.get("finishOnKey", "#")}


def _phone_view(
    phone: Phone, *, pins: dict[str, PinSource | None], shown: dict[str, str], dev: bool, names: dict[str, str]
) -> dict:
    call = phone.call or {}
    waiting = call.get("waiting_for")
    status = STATUS.get(waiting, "In a call") if phone.call else "Idle"
    if waiting == "bridged":
        status = f"Connected to {names.get(call.get('bridged_with') or '', 'the other side')}"
    if phone.ringing:
        status = f"Ringing: {display(phone.ringing['from'])} is calling"
    pin_hint, offer_pin = _pin_hint(phone, pins=pins, shown=shown, dev=dev)
    return {
        "id": phone.id,
        "label": phone.label,
        "number": phone.number,
        "display": display(phone.number),
        "agent": phone.agent,
        "state": "ringing" if phone.ringing else (waiting or "idle"),
        "status": status,
        "in_call": phone.call is not None,
        "ringing": phone.ringing is not None,
        "keys": _keys(call),
        "lines": phone.lines,
        "texts": phone.texts,
        "pin_hint": pin_hint,
        "offer_pin": offer_pin,
    }


def _pin_hint(
    phone: Phone, *, pins: dict[str, PinSource | None], shown: dict[str, str], dev: bool
) -> tuple[str, bool]:
    """What the agent phone says about the PIN, and whether the page offers a development PIN: in development mode
    a development PIN is shown (from the database, so after a restart too) and may always be replaced."""
    if not phone.agent:
        return "", False
    name, source = phone.agent, pins.get(phone.agent)
    if dev and source is PinSource.DEVELOPMENT and name in shown:
        return f"PIN (development): {shown[name]}, then #.", True
    if dev and source is PinSource.DEVELOPMENT:  # set before development PINs were kept: this page gives a new one
        return f"{name} has a development PIN this page cannot show: set a new one here.", True
    if source is not None:
        return f"Key {name}'s PIN, then #" + (f" (set with `run.py agent-pin {name}`)." if dev else "."), False
    if dev:
        return f"{name} has no PIN yet: set one with `run.py agent-pin {name}`, or here.", True
    return f"{name} has no PIN yet: an administrator sets one with `run.py agent-pin {name}`.", False


# Inside the /console mount (so the console's session cookie reaches them), each with the browser phone's own access.
TICK = "/simulator/tick"  # the page's timer, about once a second: kept out of the access log when it succeeds
logs.quiet_access(TICK)

routes = [
    Route("/simulator", simulator_page, methods=["GET"], middleware=MIDDLEWARE),
    Route(TICK, tick, methods=["POST"], middleware=MIDDLEWARE),
    Route("/simulator/duty", duty, methods=["POST"], middleware=MIDDLEWARE),
    Route("/simulator/phones", add_phone, methods=["POST"], middleware=MIDDLEWARE),
    Route("/simulator/phones/{phone}/{action}", phone_action, methods=["POST"], middleware=MIDDLEWARE),
]
