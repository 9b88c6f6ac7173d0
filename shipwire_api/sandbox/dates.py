"""Dates as the API writes them: ISO-8601, second precision, US-Pacific offset."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")


def format_date(timestamp):
    """``2025-03-03T10:00:05-08:00`` for an epoch timestamp; None stays None."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, PACIFIC).isoformat(timespec="seconds")


def parse_date(text):
    """Epoch timestamp of an ISO-8601 date.

    A date without an offset is taken as Pacific.
    """
    # An unencoded "+" in a query string arrives as a space.
    text = re.sub(r" (\d\d:?\d\d)$", r"+\1", text.strip())
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PACIFIC)
    return moment.timestamp()
