// The naive inline server that `voxanne bench vs-naive` measures Voxanne against: what a clinic's
// developer would write instead of Voxanne (the seed's Phase 2 approach). One HTTP handler that
// reads the organization's credentials, then calls Twilio inline with a fresh twilio-node client
// per request. No outbox, no retries, no status callbacks: the answer waits on Twilio.
//
// Run by the benchmark only:  node server.js CREDENTIALS.json
// The credentials file (written by the benchmark) holds
//   {"api_key", "account_sid", "auth_token", "from", "twilio_base_url"}.
// Prints "naive listening on http://127.0.0.1:PORT" once bound (port 0 picks a free one).
"use strict";

const fs = require("node:fs/promises");
const http = require("node:http");
const twilio = require("twilio");

const credentialsFile = process.argv[2];
if (!credentialsFile) {
  console.error("usage: node server.js CREDENTIALS.json");
  process.exit(2);
}

// twilio-node always calls https://api.twilio.com; the benchmark's Twilio is the local sandbox.
class SandboxRequestClient extends twilio.RequestClient {
  constructor(baseUrl) {
    super();
    this.baseUrl = baseUrl;
  }
  request(opts) {
    opts.uri = opts.uri.replace("https://api.twilio.com", this.baseUrl);
    return super.request(opts);
  }
}

function answer(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

async function sendMessage(req, res, raw) {
  // "Fetches the org's credentials": read on every request, as a handler reading its database would.
  const org = JSON.parse(await fs.readFile(credentialsFile, "utf8"));
  if (req.headers.authorization !== `Bearer ${org.api_key}`) {
    return answer(res, 401, { error: "unknown API key" });
  }
  let input;
  try {
    input = JSON.parse(raw);
  } catch {
    return answer(res, 422, { error: "the body is not JSON" });
  }
  if (typeof input.to !== "string" || typeof input.body !== "string") {
    return answer(res, 422, { error: "`to` and `body` are required" });
  }
  const client = twilio(org.account_sid, org.auth_token, {
    httpClient: new SandboxRequestClient(org.twilio_base_url),
  });
  try {
    const message = await client.messages.create({
      to: input.to,
      from: org.from,
      body: input.body,
    });
    answer(res, 202, { id: message.sid, status: message.status });
  } catch (err) {
    answer(res, 502, { error: String(err && err.message) });
  }
}

const server = http.createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/api/messages") {
    return answer(res, 404, { error: "not found" });
  }
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    sendMessage(req, res, Buffer.concat(chunks).toString("utf8")).catch((err) =>
      answer(res, 500, { error: String(err && err.message) }),
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  console.log(`naive listening on http://127.0.0.1:${server.address().port}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
