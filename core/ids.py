"""A database id in a URL path: `{id:db_id}` matches only numbers the database's INTEGER column can hold.

Starlette's `{id:int}` takes any run of digits, so /voicemails/99999999999999999999 reached the database and came back
as the driver's overflow error (a 500). A number past PostgreSQL's INTEGER names no row: the route does not match and
the answer is 404, on every page and API route that takes an id.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

MAX_ID = 2**31 - 1
# Every whole number from 0 to MAX_ID (leading zeros allowed), and nothing larger: a regular expression, because a
# convertor that raised would be a 500 again.
_UP_TO_MAX = (
    r"0*(?:[0-9]{1,9}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}|21474[0-7][0-9]{4}"
    r"|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7])"
)


class DatabaseId(Convertor):
    """A path segment that is a database id."""

    regex = _UP_TO_MAX

    def convert(self, value: str) -> int:
        """The id as a number."""
        return int(value)

    def to_string(self, value: int) -> str:
        """The id in a URL."""
        return str(int(value))


# Registered here, where ID_PARAM is defined: a route module that writes ID_PARAM has imported this module, so the
# convertor exists before its routes compile their paths.
register_url_convertor("db_id", DatabaseId())
ID_PARAM = "{id:db_id}"
