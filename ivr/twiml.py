"""Rendering a conversation Turn as TwiML a caller hears."""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, VoiceResponse

from core import text_rules
from flows.turns import Turn
from flows.wording import Wording
from settings import Settings

MAX_HINTS_CHARS = 2000


def render(turn: Turn, settings: Settings, wording: Wording, *, seq: int, welcome: bool = False) -> str:
    """TwiML for the turn: its sentences, then a Gather for the prompt and options, or a goodbye.

    The action URL carries the turn's sequence number, so Twilio re-sending one request (same URL, same form)
    is told apart from the caller being silent twice at the same menu (a new URL each time).
    """
    response = VoiceResponse()
    for language, text in turn.lines:
        _say(response, settings, language, text)
    if turn.end:
        response.hangup()
        return text_rules.xml_document(response)
    if turn.transfer:
        return _enqueue(response, turn, seq)
    # The language rides along so a caller whose session is lost with Redis is still answered in theirs.
    action = f"/voice/step?{urlencode({'node': turn.node, 'seq': seq, 'lang': turn.language})}"
    if turn.expect == "record":
        return _record(response, turn, settings, action)
    hints = _hints(turn.hints)
    digits = turn.expect == "digits"
    gather = Gather(
        input="dtmf speech",
        action=action,
        method="POST",
        num_digits=turn.num_digits,
        **({"finish_on_key": "#"} if digits else {}),
        timeout=settings.gather_timeout + (4 if digits else 0),
        speech_timeout="auto",
        action_on_empty_result=True,
        language=settings.welcome_speech_language if welcome else turn.language,
        speech_model=settings.speech_model,
        **({"hints": hints} if hints else {}),
    )
    for language, text in turn.prompt:
        _say(gather, settings, language, text)
    for option in turn.options:
        key = _spoken_key(option.key, turn.language, wording)
        style = option.style or turn.option_style
        _say(gather, settings, turn.language, wording(turn.language, style, label=option.label, key=key))
    response.append(gather)
    return text_rules.xml_document(response)


def _enqueue(response: VoiceResponse, turn: Turn, seq: int) -> str:
    # The wait and action URLs carry the language so every process serves the caller the same way; the action also
    # the step number, so a second wait in the same call is not taken for a retry of the first one's result.
    query = urlencode({"lang": turn.language, "queue": turn.transfer})
    response.enqueue(
        turn.transfer,
        wait_url=f"/voice/queue/wait?{query}",
        wait_url_method="POST",
        action=f"/voice/queue/result?{query}&{urlencode({'seq': seq})}",
        method="POST",
    )
    return text_rules.xml_document(response)


def _record(response: VoiceResponse, turn: Turn, settings: Settings, action: str) -> str:
    # A short voice message for the crew; if nothing is recorded Twilio moves on to the Redirect (no input).
    for language, text in turn.prompt:
        _say(response, settings, language, text)
    response.record(action=action, method="POST", max_length=90, timeout=5, finish_on_key="#", play_beep=True)
    response.redirect(action, method="POST")
    return text_rules.xml_document(response)


def _say(parent, settings: Settings, language: str, text: str) -> None:
    parent.say(text, voice=settings.language(language).voice, language=language)


def _spoken_key(key: str, language: str, wording: Wording) -> str:
    # "*" reads badly in text-to-speech; say "star" / "asterisco" when the wording defines it.
    return wording(language, "key_star") if key == "*" and wording.has(language, "key_star") else key


def _hints(hints: list[str]) -> str:
    # Twilio takes a comma-separated list; commas inside a hint would split it, so drop them.
    result, size = [], 0
    for hint in dict.fromkeys(h.replace(",", " ").strip() for h in hints if h.strip()):
        if size + len(hint) + 1 > MAX_HINTS_CHARS:
            break
        result.append(hint)
        size += len(hint) + 1
    return ",".join(result)
