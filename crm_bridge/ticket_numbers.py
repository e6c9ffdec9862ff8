"""City-wide ticket numbers: digits only, fixed length, with a Luhn check digit so a mistyped number is caught."""

from __future__ import annotations

import secrets

LENGTH = 9  # eight random digits and a check digit


def luhn_digit(payload: str) -> str:
    """The Luhn check digit for a string of digits."""
    total = 0
    for i, char in enumerate(reversed(payload)):
        digit = int(char)
        if i % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def is_valid(number: str) -> bool:
    """Whether the number has the right length and check digit."""
    return len(number) == LENGTH and number.isdigit() and luhn_digit(number[:-1]) == number[-1]


def new_number() -> str:
    """A fresh random ticket number (random, so numbers reveal nothing about other tickets)."""
    payload = str(secrets.randbelow(9 * 10 ** (LENGTH - 2)) + 10 ** (LENGTH - 2))
    return payload + luhn_digit(payload)


def spoken(number: str) -> str:
    """The number as text-to-speech reads it back: digit by digit, in groups of three."""
    groups = [number[i : i + 3] for i in range(0, len(number), 3)]
    return ", ".join(" ".join(group) for group in groups)


def printed(number: str) -> str:
    """The number as printed in a text message: 123-456-789."""
    return "-".join(number[i : i + 3] for i in range(0, len(number), 3))


def clean(text: str) -> str:
    """Digits typed or spoken with spaces, dashes or a leading '#'."""
    return "".join(c for c in text if c.isdigit())
