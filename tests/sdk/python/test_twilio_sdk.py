"""The official Twilio Python SDK, pointed at the Voxanne sandbox, must work unchanged but for the base URL.

Run by tests/sdk/run.sh, which starts `voxanne sandbox` and exports SANDBOX_URL.
Every account, key and number is created at run time through the sandbox's control API.
"""
import json
import os
import urllib.request

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

SANDBOX_URL = os.environ["SANDBOX_URL"].rstrip("/")
FROM = "+14155550100"


def control(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(SANDBOX_URL + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else None


def sdk_client(username, password, account_sid=None):
    client = Client(username, password, account_sid)
    client.api.base_url = SANDBOX_URL
    return client


@pytest.fixture()
def account():
    acct = control("POST", "/sandbox/accounts", {"friendly_name": "sdk test", "type": "Full"})
    control("POST", f"/sandbox/accounts/{acct['account_sid']}/numbers", {"phone_number": FROM, "sms": True})
    return acct


def test_fetch_account_returns_active_full_account(account):
    client = sdk_client(account["account_sid"], account["auth_token"])
    fetched = client.api.v2010.accounts(account["account_sid"]).fetch()
    assert fetched.sid == account["account_sid"]
    assert fetched.status == "active"
    assert fetched.type == "Full"


def test_create_fetch_and_delete_a_message(account):
    client = sdk_client(account["account_sid"], account["auth_token"])
    msg = client.messages.create(to="+14155550111", from_=FROM, body="Hello from the SDK")
    assert msg.sid.startswith("SM") and len(msg.sid) == 34
    assert msg.status == "queued"
    assert msg.num_segments == "1"
    fetched = client.messages(msg.sid).fetch()
    assert fetched.body == "Hello from the SDK"
    assert fetched.to == "+14155550111"
    assert client.messages(msg.sid).delete() is True
    with pytest.raises(TwilioRestException) as err:
        client.messages(msg.sid).fetch()
    assert err.value.status == 404
    assert err.value.code == 20404


def test_list_pages_through_every_message(account):
    client = sdk_client(account["account_sid"], account["auth_token"])
    sent = {client.messages.create(to="+14155550122", from_=FROM, body=f"n{i}").sid for i in range(7)}
    listed = [m.sid for m in client.messages.stream(to="+14155550122", page_size=3)]
    assert len(listed) == 7
    assert set(listed) == sent
    first_page = client.messages.page(to="+14155550122", page_size=3)
    assert len(first_page) == 3
    assert first_page.next_page() is not None


def test_api_key_authenticates_with_the_account_sid_in_the_path(account):
    key = control("POST", f"/sandbox/accounts/{account['account_sid']}/keys")
    client = sdk_client(key["sid"], key["secret"], account["account_sid"])
    msg = client.messages.create(to="+14155550133", from_=FROM, body="via key")
    assert msg.account_sid == account["account_sid"]
    with pytest.raises(TwilioRestException) as err:
        client.api.v2010.accounts(account["account_sid"]).fetch()
    assert (err.value.status, err.value.code) == (401, 20003)


def test_wrong_token_is_rejected_with_20003(account):
    client = sdk_client(account["account_sid"], "x" * 32)
    with pytest.raises(TwilioRestException) as err:
        client.messages.create(to="+14155550111", from_=FROM, body="nope")
    assert (err.value.status, err.value.code) == (401, 20003)


def test_validation_errors_carry_twilio_codes(account):
    client = sdk_client(account["account_sid"], account["auth_token"])
    cases = [
        (dict(to="not-a-number", from_=FROM, body="x"), 21211),
        (dict(to="+14155550111", from_="+14155559999", body="x"), 21606),
        (dict(to="+14155550111", from_=FROM, body="x" * 1601), 21617),
    ]
    for kwargs, code in cases:
        with pytest.raises(TwilioRestException) as err:
            client.messages.create(**kwargs)
        assert err.value.status == 400
        assert err.value.code == code, kwargs


@pytest.mark.parametrize("from_,to,code", [
    ("+15005550001", "+14155550111", 21212),
    ("+15005550007", "+14155550111", 21606),
    ("+15005550008", "+14155550111", 21611),
    ("+15005550006", "+15005550001", 21211),
    ("+15005550006", "+15005550002", 21612),
    ("+15005550006", "+15005550003", 21408),
    ("+15005550006", "+15005550004", 21610),
    ("+15005550006", "+15005550009", 21614),
])
def test_test_credentials_magic_numbers(account, from_, to, code):
    client = sdk_client(account["test_account_sid"], account["test_auth_token"])
    with pytest.raises(TwilioRestException) as err:
        client.messages.create(to=to, from_=from_, body="magic")
    assert err.value.code == code


def test_test_credentials_send_nothing_and_cannot_read(account):
    client = sdk_client(account["test_account_sid"], account["test_auth_token"])
    msg = client.messages.create(to="+14155550144", from_="+15005550006", body="test creds")
    assert msg.status == "queued"
    assert control("GET", "/sandbox/phones/%2B14155550144/messages") == []
    with pytest.raises(TwilioRestException) as err:
        client.messages(msg.sid).fetch()
    assert err.value.status == 403
