"""Google's own Python client (google-api-python-client with its static discovery document, and
google-auth) against the sandbox's Google stand-in, unchanged but for the endpoint: freebusy().query
and events().insert/get/list/delete, paging with list_next, Google's error answers as HttpError,
and the client's own retries through a rate-limit fault.

SANDBOX_URL names a running `voxanne sandbox` (tests/google-sdk/run.sh starts one)."""

import base64
import hashlib
import html
import json
import os
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

SANDBOX = os.environ["SANDBOX_URL"].rstrip("/")
REDIRECT = "http://127.0.0.1:9/oauth/google/callback"
SCOPES = [
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.events.freebusy",
]
NEW_YORK = "America/New_York"


def control(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        SANDBOX + path, data=data, method=method, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _consent(client_id, email):
    """Drives the consent page like a browser and returns the authorization code and verifier."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    query = urllib.parse.urlencode({
        "client_id": client_id, "redirect_uri": REDIRECT, "response_type": "code",
        "scope": " ".join(SCOPES), "access_type": "offline", "prompt": "consent",
        "login_hint": email, "state": "sdk", "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
    })
    page = urllib.request.urlopen(f"{SANDBOX}/o/oauth2/v2/auth?{query}").read().decode()
    field = lambda name: html.unescape(re.search(rf'name="{name}" value="([^"]+)"', page).group(1))
    form = [("consent_id", field("consent_id")), ("user", field("user")), ("decision", "allow")]
    form += [("scope", scope) for scope in SCOPES]
    opener = urllib.request.build_opener(_KeepRedirects)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(f"{SANDBOX}/o/oauth2/v2/auth", urllib.parse.urlencode(form).encode())
    assert redirect.value.code == 302
    location = urllib.parse.urlparse(redirect.value.headers["Location"])
    return urllib.parse.parse_qs(location.query)["code"][0], verifier


def calendar_service():
    """A Google user connected through the consent page; the service built from the static
    discovery document with only the endpoint moved to the stand-in."""
    client = control("POST", "/sandbox/google/clients", {"redirect_uris": [REDIRECT]})
    email = f"sdk-{secrets.token_hex(4)}@clinic.example"
    control("POST", "/sandbox/google/users", {"email": email, "time_zone": NEW_YORK})
    code, verifier = _consent(client["client_id"], email)
    form = urllib.parse.urlencode({
        "code": code, "client_id": client["client_id"], "client_secret": client["client_secret"],
        "redirect_uri": REDIRECT, "grant_type": "authorization_code", "code_verifier": verifier,
    }).encode()
    tokens = json.loads(urllib.request.urlopen(f"{SANDBOX}/token", form).read())
    # No access token yet: google-auth refreshes at the stand-in's token endpoint first.
    credentials = Credentials(
        token=None, refresh_token=tokens["refresh_token"], token_uri=f"{SANDBOX}/token",
        client_id=client["client_id"], client_secret=client["client_secret"], scopes=SCOPES,
    )
    service = build(
        "calendar", "v3", static_discovery=True, credentials=credentials,
        client_options={"api_endpoint": f"{SANDBOX}/calendar/v3/"}, cache_discovery=False,
    )
    return service, email


def appointment(start, end, tag):
    return {
        "summary": f"Appointment {tag}",
        "description": "Reason: check-up",
        "start": {"dateTime": start, "timeZone": NEW_YORK},
        "end": {"dateTime": end, "timeZone": NEW_YORK},
        "extendedProperties": {"private": {"voxanne_appointment": tag}},
    }


def reason(error):
    return json.loads(error.content)["error"]["errors"][0]["reason"]


def test_freebusy_query_reports_the_busy_time_of_inserted_events():
    service, _ = calendar_service()
    events = service.events()
    events.insert(calendarId="primary", body=appointment("2026-11-02T09:00:00", "2026-11-02T10:00:00", "a")).execute()
    events.insert(calendarId="primary", body=appointment("2026-11-02T09:30:00", "2026-11-02T11:00:00", "b")).execute()

    answer = service.freebusy().query(body={
        "timeMin": "2026-11-01T00:00:00-04:00", "timeMax": "2026-11-03T00:00:00-05:00",
        "timeZone": NEW_YORK, "items": [{"id": "primary"}],
    }).execute()

    assert answer["kind"] == "calendar#freeBusy"
    assert answer["calendars"]["primary"]["busy"] == [
        {"start": "2026-11-02T09:00:00-05:00", "end": "2026-11-02T11:00:00-05:00"}
    ]


def test_insert_get_list_by_private_property_and_delete():
    service, email = calendar_service()
    events = service.events()

    inserted = events.insert(calendarId="primary", body=appointment("2026-12-01T15:00:00", "2026-12-01T15:30:00", "appt_py")).execute()
    fetched = events.get(calendarId="primary", eventId=inserted["id"]).execute()
    found = events.list(
        calendarId=email, privateExtendedProperty="voxanne_appointment=appt_py", singleEvents=True,
        orderBy="startTime", timeMin="2026-12-01T00:00:00-05:00", timeMax="2026-12-02T00:00:00-05:00",
    ).execute()
    deleted = events.delete(calendarId="primary", eventId=inserted["id"]).execute()
    with pytest.raises(HttpError) as second_delete:
        events.delete(calendarId="primary", eventId=inserted["id"]).execute()
    cancelled = events.get(calendarId="primary", eventId=inserted["id"]).execute()
    remaining = events.list(calendarId="primary", privateExtendedProperty="voxanne_appointment=appt_py").execute()

    assert fetched["start"] == {"dateTime": "2026-12-01T15:00:00-05:00", "timeZone": NEW_YORK}
    assert fetched["extendedProperties"]["private"] == {"voxanne_appointment": "appt_py"}
    assert [e["id"] for e in found["items"]] == [inserted["id"]]
    assert deleted == ""
    assert second_delete.value.resp.status == 410 and reason(second_delete.value) == "deleted"
    assert cancelled["status"] == "cancelled"
    assert remaining["items"] == []


def test_list_next_follows_every_page_in_start_order():
    service, _ = calendar_service()
    events = service.events()
    for hour in (11, 9, 10):
        events.insert(calendarId="primary", body=appointment(f"2026-12-03T{hour:02}:00:00", f"2026-12-03T{hour:02}:30:00", str(hour))).execute()

    request = events.list(calendarId="primary", singleEvents=True, orderBy="startTime", maxResults=1)
    seen, pages = [], 0
    while request is not None:
        page = request.execute()
        pages += 1
        seen += [e["summary"] for e in page["items"]]
        request = events.list_next(request, page)

    assert pages == 3
    assert seen == ["Appointment 9", "Appointment 10", "Appointment 11"]


def test_google_errors_arrive_as_http_errors_with_googles_reasons():
    service, _ = calendar_service()

    with pytest.raises(HttpError) as missing:
        service.events().get(calendarId="primary", eventId="nosuchevent").execute()
    with pytest.raises(HttpError) as unknown_calendar:
        service.events().list(calendarId="nobody@example.com").execute()

    assert missing.value.resp.status == 404 and reason(missing.value) == "notFound"
    assert unknown_calendar.value.resp.status == 404


def test_the_clients_own_retries_ride_out_a_rate_limit_and_book_once():
    service, email = calendar_service()
    control("POST", "/sandbox/google/faults", {"endpoint": "events.insert", "fault": "rateLimitExceeded"})

    inserted = service.events().insert(
        calendarId="primary", body=appointment("2026-12-04T09:00:00", "2026-12-04T09:30:00", "retry")
    ).execute(num_retries=2)

    stored = control("GET", f"/sandbox/google/users/{email}/events")
    assert [e["id"] for e in stored] == [inserted["id"]]
