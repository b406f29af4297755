// The official Twilio Node SDK, pointed at the Voxanne sandbox, must work unchanged but for the base URL.
// Run by tests/sdk/run.sh (node --test), which starts `voxanne sandbox` and exports SANDBOX_URL.
import { test } from "node:test";
import assert from "node:assert/strict";
import twilio from "twilio";

const SANDBOX_URL = process.env.SANDBOX_URL.replace(/\/$/, "");
const FROM = "+14155550200";

// twilio-node has no base-URL option: a RequestClient that rewrites the host is the documented seam.
class SandboxRequestClient extends twilio.RequestClient {
  request(opts) {
    opts.uri = opts.uri.replace(/^https:\/\/[a-z.]*twilio\.com/, SANDBOX_URL);
    return super.request(opts);
  }
}

async function control(method, path, body) {
  const res = await fetch(SANDBOX_URL + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

async function newAccount() {
  const acct = await control("POST", "/sandbox/accounts", { friendly_name: "node sdk", type: "Full" });
  await control("POST", `/sandbox/accounts/${acct.account_sid}/numbers`, { phone_number: FROM, sms: true });
  return acct;
}

const client = (user, pass, accountSid) =>
  twilio(user, pass, { accountSid, httpClient: new SandboxRequestClient() });

test("creates, fetches, pages through and deletes messages", async () => {
  const acct = await newAccount();
  const c = client(acct.account_sid, acct.auth_token);
  const created = [];
  for (let i = 0; i < 5; i++) {
    created.push(await c.messages.create({ to: "+14155550211", from: FROM, body: `node ${i}` }));
  }
  assert.match(created[0].sid, /^SM[0-9a-f]{32}$/);
  assert.equal(created[0].status, "queued");
  const fetched = await c.messages(created[0].sid).fetch();
  assert.equal(fetched.body, "node 0");
  const listed = await c.messages.list({ to: "+14155550211", pageSize: 2 });
  assert.equal(listed.length, 5);
  assert.deepEqual(new Set(listed.map((m) => m.sid)), new Set(created.map((m) => m.sid)));
  assert.equal(await c.messages(created[0].sid).remove(), true);
  await assert.rejects(c.messages(created[0].sid).fetch(), (err) => err.status === 404 && err.code === 20404);
});

test("rejects a wrong token with 20003 and a bad To with 21211", async () => {
  const acct = await newAccount();
  await assert.rejects(
    client(acct.account_sid, "y".repeat(32)).messages.create({ to: "+14155550211", from: FROM, body: "x" }),
    (err) => err.status === 401 && err.code === 20003,
  );
  await assert.rejects(
    client(acct.account_sid, acct.auth_token).messages.create({ to: "12", from: FROM, body: "x" }),
    (err) => err.status === 400 && err.code === 21211,
  );
});

test("API keys work with the account SID in the path", async () => {
  const acct = await newAccount();
  const key = await control("POST", `/sandbox/accounts/${acct.account_sid}/keys`);
  const msg = await client(key.sid, key.secret, acct.account_sid).messages.create({ to: "+14155550222", from: FROM, body: "k" });
  assert.equal(msg.accountSid, acct.account_sid);
});

test("test credentials answer the documented magic-number codes", async () => {
  const acct = await newAccount();
  const c = client(acct.test_account_sid, acct.test_auth_token);
  const cases = [
    ["+15005550001", "+14155550211", 21212],
    ["+15005550006", "+15005550002", 21612],
    ["+15005550006", "+15005550004", 21610],
    ["+15005550006", "+15005550009", 21614],
  ];
  for (const [from, to, code] of cases) {
    await assert.rejects(c.messages.create({ to, from, body: "m" }), (err) => err.code === code);
  }
});
