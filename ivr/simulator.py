"""A phone call in the terminal: posts signed Twilio-shaped webhooks to a running server and prints what you'd hear.

    python run.py simulate [--url http://127.0.0.1:8311] [--from +13125550147]

Type digits to press keys, words to speak, an empty line for silence, "q" to hang up.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import httpx
from twilio.request_validator import RequestValidator

from settings import Settings


def _post(client: httpx.Client, settings: Settings, path: str, form: dict[str, str]) -> ET.Element:
    signature = RequestValidator(settings.auth_token).compute_signature(f"{settings.public_base_url}{path}", form)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    response = client.post(path, content=urlencode(form), headers=headers)
    response.raise_for_status()
    return ET.fromstring(response.text) if response.text.strip() else ET.Element("Response")


def _show(root: ET.Element) -> str | None:
    """Print the sentences; return the URL the next input goes to (None when the call ends)."""
    for element in root.iter():
        if element.tag == "Say":
            print(f"  [{element.get('language', '')}] {element.text}")
        elif element.tag == "Enqueue":
            print(f"  (you are put in the queue {element.text!r}: agents dial the agent line to answer)")
    prompt = root.find("Gather")
    if prompt is None:
        prompt = root.find("Record")
    if root.find("Hangup") is not None or prompt is None:
        return None
    return prompt.get("action")


def _input(line: str, action: str) -> dict[str, str]:
    if not line:
        return {}
    if "node=report_record" in action or "node=voicemail_record" in action:
        return {"RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE" + secrets.token_hex(8)}
    if all(c in "0123456789*#" for c in line):
        return {"Digits": line}
    return {"SpeechResult": line, "Confidence": "0.9"}


def simulate(settings: Settings, *, url: str, caller: str) -> int:
    """Run one interactive call against the server at url."""
    call_sid = "CA" + secrets.token_hex(16)
    base = {"CallSid": call_sid, "AccountSid": settings.account_sid, "From": caller, "To": settings.numbers[0],
            "CallStatus": "in-progress", "Direction": "inbound"}
    with httpx.Client(base_url=url, timeout=15) as client:
        action = _show(_post(client, settings, "/voice/incoming", {**base, "CallStatus": "ringing"}))
        while action:
            line = input("you> ").strip()
            if line == "q":
                break
            action = _show(_post(client, settings, action, {**base, **_input(line, action)}))
        _post(client, settings, "/voice/status", {**base, "CallStatus": "completed"})
    print("(call ended)")
    return 0
