// The stand-in's Graph state on its own: delta pages and tokens, removals, 410,
// and the calls an outbox sends. The sync tests rely on it behaving like Graph.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createGraphState } from "../graph-state.mjs";

const folders = [
  { id: "f-inbox", displayName: "Inbox", wellKnownName: "inbox" },
  { id: "f-archive", displayName: "Archive", wellKnownName: "archive" },
  { id: "f-deleted", displayName: "Deleted Items", wellKnownName: "deleteditems" },
  { id: "f-sent", displayName: "Sent Items", wellKnownName: "sentitems" },
];
const message = (i, folder = "f-inbox") => ({ id: `m${i}`, parentFolderId: folder, subject: `s${i}`, isRead: false });

/** Pages a delta to its end; returns every entry and the delta token. */
function drain(query, token = null, pageSize = 3) {
  const seen = [];
  let after = 0;
  for (;;) {
    const { status, body } = query({ token, after, pageSize });
    assert.equal(status, 200);
    seen.push(...body.value);
    if (body.next.deltaToken) return { seen, token: body.next.deltaToken };
    after = body.next.after;
  }
}

test("an initial delta pages every item of the folder once, then a delta token", () => {
  const graph = createGraphState({ mailFolders: folders, messages: [...Array(10).keys()].map((i) => message(i, i % 2 ? "f-archive" : "f-inbox")) });
  const { seen, token } = drain((o) => graph.messagesDelta("f-inbox", o));
  assert.deepEqual(seen.map((m) => m.id), ["m0", "m2", "m4", "m6", "m8"]);
  assert.equal(drain((o) => graph.messagesDelta("f-inbox", o), token).seen.length, 0, "nothing changed since");
});

test("later deltas carry updates, moves out as removals (changed) and deletes (deleted)", () => {
  const graph = createGraphState({ mailFolders: folders, messages: [0, 1, 2, 3].map((i) => message(i)) });
  const { token } = drain((o) => graph.messagesDelta("f-inbox", o));
  assert.equal(graph.patchMessage("m0", { isRead: true }).status, 200);
  assert.equal(graph.moveMessage("m1", "archive").status, 201);
  assert.equal(graph.permanentlyDeleteMessage("m2").status, 204);
  assert.equal(graph.deleteMessage("m3").status, 204, "to Deleted Items");
  const { seen } = drain((o) => graph.messagesDelta("f-inbox", o), token);
  assert.deepEqual(seen, [
    { id: "m0", parentFolderId: "f-inbox", subject: "s0", isRead: true },
    { id: "m1", "@removed": { reason: "changed" } },
    { id: "m2", "@removed": { reason: "deleted" } },
    { id: "m3", "@removed": { reason: "changed" } },
  ]);
  assert.deepEqual(drain((o) => graph.messagesDelta("f-archive", o)).seen.map((m) => m.id), ["m1"]);
  assert.equal(graph.live("messages").get("m3").parentFolderId, "f-deleted");
  assert.equal(graph.deleteMessage("m3").status, 204, "deleted again: for good");
  assert.equal(graph.live("messages").has("m3"), false);
});

test("a change made while a client pages comes on a later page, never lost", () => {
  const graph = createGraphState({ mailFolders: folders, messages: [...Array(6).keys()].map((i) => message(i)) });
  const first = graph.messagesDelta("f-inbox", { pageSize: 3 });
  graph.patchMessage("m0", { isRead: true }); // already sent on the first page
  graph.patchMessage("m5", { isRead: true }); // not sent yet
  const rest = drain((o) => graph.messagesDelta("f-inbox", { ...o, after: o.after || first.body.next.after }));
  const ids = [...first.body.value, ...rest.seen].map((m) => m.id);
  assert.deepEqual(ids, ["m0", "m1", "m2", "m3", "m4", "m0", "m5"]);
  assert.equal(rest.seen.at(-1).isRead, true);
});

test("an expired or malformed token is 410 or 400", () => {
  const graph = createGraphState({ mailFolders: folders, messages: [message(0)] });
  const { token } = drain((o) => graph.messagesDelta("f-inbox", o));
  graph.expireTokens();
  assert.equal(graph.messagesDelta("f-inbox", { token }).status, 410);
  assert.equal(graph.messagesDelta("f-inbox", { token: "x" }).status, 400);
  assert.equal(graph.messagesDelta("f-inbox", { token: "999" }).status, 400);
  assert.equal(graph.messagesDelta("f-inbox", {}).status, 200, "a fresh start still works");
});

test("outbox calls: 404 for unknown items, 400 for what a client cannot change, sendMail and meeting answers", () => {
  const graph = createGraphState({
    mailFolders: folders,
    messages: [message(0)],
    events: [{ id: "e1", subject: "Standup", start: { dateTime: "2024-06-03T09:00:00" }, end: { dateTime: "2024-06-03T09:15:00" } }],
  });
  assert.equal(graph.patchMessage("nope", { isRead: true }).status, 404);
  assert.equal(graph.moveMessage("nope", "archive").status, 404);
  assert.equal(graph.patchMessage("m0", { parentFolderId: "f-archive" }).status, 400);
  assert.equal(graph.moveMessage("m0", "no-such-folder").status, 400);
  assert.equal(graph.sendMail({ subject: "hello", toRecipients: [] }).status, 202);
  const sent = [...graph.live("messages").values()].find((m) => m.subject === "hello");
  assert.equal(sent.parentFolderId, "f-sent");
  assert.equal(graph.respondToEvent("e1", "tentativelyAccept").status, 202);
  assert.deepEqual(graph.live("events").get("e1").responseStatus, { response: "tentativelyAccepted" });
  assert.equal(graph.respondToEvent("e1", "maybe").status, 400);
  const week = drain((o) => graph.eventsDelta("2024-06-03T00:00:00", "2024-06-10T00:00:00", o));
  assert.deepEqual(week.seen.map((e) => e.id), ["e1"]);
});
