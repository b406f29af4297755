"""Keeps the fuzzer's times in the window a real caller uses, so schema-valid bookings and
queries reach the calendar (201, 409 `slot_taken`, 200) instead of the cross-field rules no
schema can state (a booking's `start` in the future; `to` after `from`, at most 31 days later).
Schemathesis reuses timestamps it saw in earlier answers, most of them already past by the time
it books. Only well-formed date-times are moved: a malformed one stays malformed, so negative
cases are still negative. Loaded through SCHEMATHESIS_HOOKS by run.sh."""
import datetime
import random

import schemathesis

UTC = datetime.timezone.utc


def _parse(value):
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _future_slot(rng):
    """A start on a half-hour mark within the next four weeks."""
    now = datetime.datetime.now(UTC).replace(second=0, microsecond=0)
    base = now + datetime.timedelta(days=1 + rng.randrange(27))
    return base.replace(hour=rng.randrange(24), minute=rng.choice((0, 30)))


def _operation(context):
    op = context.operation
    return (op.method.upper(), op.path) if op is not None else (None, None)


@schemathesis.hook
def map_body(context, body):
    method, path = _operation(context)
    if method == "POST" and path == "/api/calendar/appointments" and isinstance(body, dict):
        start = _parse(body.get("start"))
        if start is not None and start <= datetime.datetime.now(UTC) + datetime.timedelta(minutes=5):
            rng = random.Random(body.get("start"))
            body = dict(body, start=_future_slot(rng).isoformat())
    return body


@schemathesis.hook
def map_query(context, query):
    method, path = _operation(context)
    if method != "GET" or path not in ("/api/calendar/availability", "/api/calendar/appointments"):
        return query
    if not isinstance(query, dict):
        return query
    start, end = _parse(query.get("from")), _parse(query.get("to"))
    if start is None or end is None:
        return query
    if end < start or end - start > datetime.timedelta(days=31):
        rng = random.Random(f"{query.get('from')}{query.get('to')}")
        begin = _future_slot(rng)
        query = dict(query, **{"from": begin.isoformat(),
                               "to": (begin + datetime.timedelta(days=1 + rng.randrange(7))).isoformat()})
    return query
