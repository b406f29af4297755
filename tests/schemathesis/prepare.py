"""Gives the schemathesis organization what a real clinic has before it sends: a Twilio
credential of a sandbox account with a number (made primary, as the first one is), and the
highest sending quota. Usage: prepare.py SERVICE_URL SANDBOX_URL API_KEY"""
import json
import sys
import urllib.request


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
