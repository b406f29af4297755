"""Gives the schemathesis organization what a real clinic has before it sends and books: a
Twilio credential of a sandbox account with a number (made primary, as the first one is), the
highest sending quota, a Google Calendar connected through the JSON API and the Google stand-in's
consent page (as a person would, without a browser), and opening hours round the clock, so a
schema-valid booking or availability query reaches the calendar instead of a refusal.
Usage: prepare.py SERVICE_URL SANDBOX_URL API_KEY"""
import html.parser
import json
import sys
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Inputs(html.parser.HTMLParser):
    """The consent page's hidden inputs (`consent_id`, `user`)."""

    def __init__(self):
        super().__init__()
        self.values = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and "value" in attrs:
            self.values.setdefault(attrs["name"], attrs["value"])


def call(method, url, body=None, key=None):
    headers = {"content-type": "application/json"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers, method=method)) as r:
        return json.load(r)


service, sandbox, key = sys.argv[1:4]
account = call("POST", f"{sandbox}/sandbox/accounts", {})
number = "+14155550100"
call("POST", f"{sandbox}/sandbox/accounts/{account['account_sid']}/numbers", {"phone_number": number})
call("POST", f"{service}/api/organization/credentials/twilio", {
    "label": "Sandbox",
    "account_sid": account["account_sid"],
    "auth_token": account["auth_token"],
    "from_number": number,
}, key)
call("PUT", f"{service}/api/organization/settings", {"texts_per_minute": 10000, "texts_per_day": 1000000}, key)

# Google Calendar: a stand-in user, the connect link from the JSON API, the consent page
# answered "allow" with every scope ticked, and the redirect's code and state handed to the
# callback with the API key (an API client's way to finish it, answered in JSON).
email = "frontdesk@schemathesis-clinic.example"
call("POST", f"{sandbox}/sandbox/google/users", {"email": email})
link = call("POST", f"{service}/api/organization/credentials/google_calendar/connect", {"login_hint": email}, key)
authorization = link["authorization_url"]
with urllib.request.urlopen(authorization) as page:
    inputs = Inputs()
    inputs.feed(page.read().decode())
query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorization).query))
form = [("consent_id", inputs.values["consent_id"]), ("user", inputs.values["user"]), ("decision", "allow")]
form += [("scope", scope) for scope in query["scope"].split()]
action = authorization.split("?", 1)[0]
opener = urllib.request.build_opener(NoRedirect)
try:
    opener.open(urllib.request.Request(action, data=urllib.parse.urlencode(form).encode(), method="POST"))
    raise SystemExit("the consent page did not redirect")
except urllib.error.HTTPError as redirect:
    if redirect.code not in (302, 303):
        raise
    back = urllib.parse.urlsplit(redirect.headers["location"])
callback = f"{service}{back.path}?{back.query}"
request = urllib.request.Request(callback, headers={"authorization": f"Bearer {key}", "accept": "application/json"})
with urllib.request.urlopen(request) as r:
    connected = json.load(r)["credential"]
print(f"calendar {connected['id']} connected ({connected.get('verification_status', '?')})")
# Open round the clock, every day: a clinic that takes bookings at any hour (a slot may cross
# midnight), so that the only times refused are those no schema can describe (in the past).
always = [["00:00", "24:00"]]
call("PUT", f"{service}/api/organization/settings", {
    "timezone": "UTC",
    "opening_hours": {day: always for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
}, key)
