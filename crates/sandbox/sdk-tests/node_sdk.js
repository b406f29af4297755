// The official Node SDK (npm `twilio`) against a running sandbox.
//
// Usage: NODE_PATH=/path/to/node_modules node node_sdk.js http://127.0.0.1:PORT
// Creates its own account through the control API, then creates, fetches, pages through and
// deletes messages and checks the RestException codes. Exits non-zero on the first failure.
"use strict";

const assert = require("node:assert/strict");
const twilio = require("twilio");

const base = process.argv[2].replace(/\/$/, "");

/** Sends every request to the sandbox instead of https://*.twilio.com. */
class SandboxClient extends twilio.RequestClient {
  request(opts) {
    opts.uri = opts.uri.replace(/^https:\/\/[a-z.]*twilio\.com/, base);
    return super.request(opts);
  }
}

async function control(path, body) {
  const response = await fetch(base + path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body || {}),
  });
  return response.json();
}

async function expectError(code, call) {
  try {
    await call();
  } catch (error) {
    assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
    return;
  }
  assert.fail(`expected RestException ${code}`);
}

async function main() {
  const creds = await control("/sandbox/accounts", { friendly_name: "node-sdk" });
  const sid = creds.account_sid;
  const sender = "+14155550100";
  await control(`/sandbox/accounts/${sid}/numbers`, { phone_number: sender });
  const client = twilio(sid, creds.auth_token, { httpClient: new SandboxClient() });

  const account = await client.api.v2010.accounts(sid).fetch();
  assert.equal(account.status, "active");

  const numbers = await client.incomingPhoneNumbers.list({ phoneNumber: sender });
  assert.equal(numbers.length, 1);
  assert.equal(numbers[0].capabilities.sms, true);

  const created = [];
  for (let i = 0; i < 7; i++) {
    created.push(await client.messages.create({ to: `+1415555${String(i).padStart(4, "0")}`, from: sender, body: `hello ${i}` }));
  }
  assert.equal(created[0].status, "queued");
  const fetched = await client.messages(created[0].sid).fetch();
  assert.equal(fetched.body, "hello 0");

  const listed = await client.messages.list({ pageSize: 3 });
  assert.deepEqual(listed.map((m) => m.sid), created.map((m) => m.sid).reverse());

  assert.equal(await client.messages(created[0].sid).remove(), true);
  await expectError(20404, () => client.messages(created[0].sid).fetch());
  await expectError(21211, () => client.messages.create({ to: "12", from: sender, body: "x" }));
  await expectError(21606, () => client.messages.create({ to: "+14155550199", from: "+14155550999", body: "x" }));

  const wrong = twilio(sid, "wrong-token", { httpClient: new SandboxClient() });
  await expectError(20003, () => wrong.api.v2010.accounts(sid).fetch());

  const test = twilio(creds.test_account_sid, creds.test_auth_token, { httpClient: new SandboxClient() });
  await test.messages.create({ to: "+14155550199", from: "+15005550006", body: "magic" });
  await expectError(21610, () => test.messages.create({ to: "+15005550004", from: "+15005550006", body: "x" }));
  await expectError(20008, () => test.messages.list());

  const key = await control(`/sandbox/accounts/${sid}/keys`);
  const keyClient = twilio(key.sid, key.secret, { accountSid: sid, httpClient: new SandboxClient() });
  assert.equal((await keyClient.messages.list({ limit: 2 })).length, 2);
  await expectError(20003, () => keyClient.api.v2010.accounts(sid).fetch());

  await control("/sandbox/faults", { account_sid: sid, fault: "429", retry_after: 1 });
  await expectError(20429, () => client.messages.list({ limit: 1 }));
  console.log("node sdk: ok");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
