"""The official Python SDK (PyPI `twilio`) against a running sandbox.

Usage: python3 python_sdk.py http://127.0.0.1:PORT
Creates its own account through the control API, then creates, fetches, pages through and deletes
messages and checks the TwilioRestException codes. Exits non-zero on the first failure.
"""

import json
import sys
import urllib.request

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client


def control(base, path, body=None):
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"{}")


def expect_error(code, call):
    """Single-resource calls raise TwilioRestException; list pages raise TwilioException
    ("Unable to fetch page", response), as they do against real Twilio."""
    try:
        call()
    except TwilioRestException as error:
        assert error.code == code, f"expected {code}, got {error.code}: {error.msg}"
        return error
    except TwilioException as error:
        response = error.args[1]
        got = json.loads(response.text)["code"]
        assert got == code, f"expected {code}, got {got}"
        return error
    raise AssertionError(f"expected an error {code}")


def main(base):
    creds = control(base, "/sandbox/accounts", {"friendly_name": "python-sdk"})
    sid, token = creds["account_sid"], creds["auth_token"]
    sender = "+14155550100"
    control(base, f"/sandbox/accounts/{sid}/numbers", {"phone_number": sender})

    client = Client(sid, token)
    client.api.base_url = base

    account = client.api.v2010.accounts(sid).fetch()
    assert account.status == "active" and account.type == "Full", account

    numbers = client.incoming_phone_numbers.list(phone_number=sender)
    assert len(numbers) == 1 and numbers[0].capabilities["sms"] is True

    created = [
        client.messages.create(to=f"+1415555{i:04d}", from_=sender, body=f"hello {i}")
        for i in range(7)
    ]
    assert created[0].status == "queued" and created[0].num_segments == "1"
    fetched = client.messages(created[0].sid).fetch()
    assert fetched.sid == created[0].sid and fetched.body == "hello 0"

    listed = list(client.messages.stream(page_size=3))
    assert [m.sid for m in listed] == [m.sid for m in reversed(created)], "paging through 3 pages"
    only = client.messages.list(to="+14155550003")
    assert [m.sid for m in only] == [created[3].sid]

    assert client.messages(created[0].sid).delete() is True
    expect_error(20404, lambda: client.messages(created[0].sid).fetch())
    expect_error(21211, lambda: client.messages.create(to="12", from_=sender, body="x"))
    expect_error(21606, lambda: client.messages.create(to="+14155550199", from_="+14155550999", body="x"))
    expect_error(21602, lambda: client.messages.create(to="+14155550199", from_=sender, body=""))
    expect_error(20003, lambda: _wrong_token(base, sid))

    test_client = Client(creds["test_account_sid"], creds["test_auth_token"])
    test_client.api.base_url = base
    test_client.messages.create(to="+14155550199", from_="+15005550006", body="magic")
    expect_error(21211, lambda: test_client.messages.create(to="+15005550001", from_="+15005550006", body="x"))
    expect_error(20008, lambda: test_client.messages.list())

    key = control(base, f"/sandbox/accounts/{sid}/keys")
    key_client = Client(key["sid"], key["secret"], sid)
    key_client.api.base_url = base
    assert len(key_client.messages.list(limit=2)) == 2
    expect_error(20003, lambda: key_client.api.v2010.accounts(sid).fetch())

    control(base, "/sandbox/faults", {"account_sid": sid, "fault": "429", "retry_after": 1})
    expect_error(20429, lambda: client.messages.list(limit=1))
    print("python sdk: ok")


def _wrong_token(base, sid):
    wrong = Client(sid, "wrong-token")
    wrong.api.base_url = base
    return wrong.api.v2010.accounts(sid).fetch()


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"))
