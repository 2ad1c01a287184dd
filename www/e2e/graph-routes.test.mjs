// The stand-in's Graph subset over HTTP: delta links a client follows as given,
// bearer tokens, page sizes, the outbox calls, and injected faults (status with
// Retry-After, a dropped connection, expired tokens).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startOrgServer } from "../org-server.mjs";

let org;
const auth = { authorization: "Bearer test-token" };
const messages = [...Array(7).keys()].map((i) => ({ id: `m${i}`, parentFolderId: "f-inbox", subject: `s${i}`, isRead: false }));

before(async () => {
  org = await startOrgServer({
    graph: {
      mailFolders: [
        { id: "f-inbox", displayName: "Inbox", wellKnownName: "inbox" },
        { id: "f-archive", displayName: "Archive", wellKnownName: "archive" },
        { id: "f-deleted", displayName: "Deleted Items", wellKnownName: "deleteditems" },
      ],
      messages,
    },
  });
});
after(() => org?.close());

const get = (url, headers = {}) => fetch(url, { headers: { ...auth, ...headers } });
const call = (method, path, body) => fetch(`${org.origin}${path}`, {
  method, headers: { ...auth, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body),
});

/** Follows nextLinks to the deltaLink; returns the entries and the deltaLink. */
async function drain(url, pageSize = 3) {
  const seen = [];
  for (;;) {
    const response = await get(url, { prefer: `odata.maxpagesize=${pageSize}` });
    assert.equal(response.status, 200);
    const page = await response.json();
    seen.push(...page.value);
    if (page["@odata.deltaLink"]) return { seen, deltaLink: page["@odata.deltaLink"] };
    url = page["@odata.nextLink"];
    assert.ok(url.startsWith(org.origin), url);
  }
}

test("a delta is followed link by link, then the delta link gives only what changed", async () => {
  const start = `${org.origin}/v1.0/me/mailFolders/f-inbox/messages/delta`;
  const { seen, deltaLink } = await drain(start);
  assert.deepEqual(seen.map((m) => m.id), messages.map((m) => m.id));
  assert.equal((await call("PATCH", "/v1.0/me/messages/m3", { isRead: true })).status, 200);
  assert.equal((await call("POST", "/v1.0/me/messages/m4/move", { destinationId: "archive" })).status, 201);
  const next = await drain(deltaLink);
  assert.deepEqual(next.seen, [
    { id: "m3", parentFolderId: "f-inbox", subject: "s3", isRead: true },
    { id: "m4", "@removed": { reason: "changed" } },
  ]);
});

test("requests without a bearer token are 401", async () => {
  const response = await fetch(`${org.origin}/v1.0/me/mailFolders/delta`);
  assert.equal(response.status, 401);
});

test("injected faults come in order: 429 with Retry-After, 503, a dropped connection, then normal answers", async () => {
  await fetch(`${org.origin}/control/faults`, { method: "POST", body: JSON.stringify([{ status: 429, retryAfter: 2 }, { status: 503 }, { drop: true }]) });
  const url = `${org.origin}/v1.0/me/mailFolders/delta`;
  const throttled = await get(url);
  assert.equal(throttled.status, 429);
  assert.equal(throttled.headers.get("retry-after"), "2");
  assert.equal((await get(url)).status, 503);
  await assert.rejects(get(url), "the connection is dropped without an answer");
  assert.equal((await get(url)).status, 200);
  assert.deepEqual(org.graphLog.slice(-4).map((e) => e.fault ?? e.status), [429, 503, "drop", 200]);
});

test("expired delta tokens are 410; unknown items 404; unknown routes 404", async () => {
  const { deltaLink } = await drain(`${org.origin}/v1.0/me/mailFolders/f-inbox/messages/delta`);
  await fetch(`${org.origin}/control/expire-tokens`, { method: "POST" });
  assert.equal((await get(deltaLink)).status, 410);
  assert.equal((await call("PATCH", "/v1.0/me/messages/nope", { isRead: true })).status, 404);
  assert.equal((await call("GET", "/v1.0/me/nothing")).status, 404);
  assert.equal((await call("DELETE", "/v1.0/me/messages/m0")).status, 204);
  assert.equal(org.graph.live("messages").get("m0").parentFolderId, "f-deleted");
  assert.equal((await call("POST", "/v1.0/me/sendMail", { message: { subject: "hi" } })).status, 202);
});
