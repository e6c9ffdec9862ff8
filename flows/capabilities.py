"""What a channel can do, passed into the conversation so no step ever asks which channel it is on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Capabilities:
    """One channel's abilities, as the conversation steps need them."""

    channel: str  # the name stored on records
    records_audio: bool  # can take a voice message (<Record>)
    reads_numbers: Literal["spoken", "printed"]  # "1 2 3, 4 5 6" for speech, "123-456" on a screen
    short_wording: bool  # prefer the `<key>_sms` wording variant when there is one
    asks_callback_number: bool  # the caller's number may be shared or withheld; a text comes from the number
    answer_field: Literal["spoken", "text"]  # which version of an article it reads out
    choices: int  # how many candidate answers to offer when unsure (one confirm question by voice, a list by text)
    detects_language: bool  # answer in the language a question is written in (a voice call picks it at the welcome)


VOICE = Capabilities(
    channel="voice",
    records_audio=True,
    reads_numbers="spoken",
    short_wording=False,
    asks_callback_number=True,
    answer_field="spoken",
    choices=1,
    detects_language=False,
)

TEXT = Capabilities(
    channel="sms",
    records_audio=False,
    reads_numbers="printed",
    short_wording=True,
    asks_callback_number=False,
    answer_field="text",
    choices=3,
    detects_language=True,
)
