// mailbox.sync against the org-server stand-in's Graph subset: a first sync pulls
// folders, messages, contacts and a calendar window page by page; offline actions
// reach the server in order; later syncs ask only for changes; throttling, expired
// tokens, refusals, vanished items, dropped connections and aborts are handled;
// and no request leaves the organization's server.
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { startOrgServer } from "../org-server.mjs";
import { guardNetwork, launchBrowser } from "./browser.mjs";
import { startSite } from "./site.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const INBOX = "AAMkInbox";
const ARCHIVE = "AAMkArchive";
const WINDOW = { start: "2024-05-01T00:00:00Z", end: "2024-06-01T00:00:00Z" };

const day = (n) => `2024-05-${String(n).padStart(2, "0")}`;
const graph = {
  mailFolders: [
    { id: INBOX, displayName: "Inbox", wellKnownName: "inbox" },
    { id: ARCHIVE, displayName: "Archive", wellKnownName: "archive" },
    { id: "AAMkDeleted", displayName: "Deleted Items", wellKnownName: "deleteditems" },
    { id: "AAMkDrafts", displayName: "Drafts", wellKnownName: "drafts" },
    { id: "AAMkSent", displayName: "Sent Items", wellKnownName: "sentitems" },
  ],
  messages: [...Array(230).keys()].map((i) => ({
    id: `msg-${i}`, parentFolderId: INBOX, conversationId: `conv-${i % 40}`, subject: `Message ${i}`,
    receivedDateTime: `${day(1 + (i % 28))}T${String(i % 24).padStart(2, "0")}:00:00Z`, isRead: false,
    flag: { flagStatus: "notFlagged" }, categories: [], body: { contentType: "text", content: `Body ${i}` },
  })),
  contacts: [...Array(12).keys()].map((i) => ({
    id: `contact-${i}`, displayName: `Person ${i}`, emailAddresses: [{ address: `person${i}@contoso.example` }],
  })),
  events: [...Array(30).keys()].map((i) => ({
    id: `event-${i}`, subject: `Meeting ${i}`,
    // Every other one falls outside the window (April).
    start: { dateTime: `${i % 2 ? "2024-04-10" : day(1 + (i % 28))}T09:00:00.0000000`, timeZone: "UTC" },
    end: { dateTime: `${i % 2 ? "2024-04-10" : day(1 + (i % 28))}T10:00:00.0000000`, timeZone: "UTC" },
  })),
};

let site;
let org;
let browser;
let page;
let requests;

before(async () => {
  site = await startSite({ "/pkg/": join(root, "pkg") });
  org = await startOrgServer({ appOrigin: site.origin, graph });
  browser = await launchBrowser();
  requests = await guardNetwork(browser.context);
  page = await browser.context.newPage();
  page.setDefaultTimeout(120_000);
  await page.goto(`${site.origin}/`);
  await page.evaluate(async ({ orgServer, WINDOW }) => {
    const { default: init, OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    await init();
    const mailbox = await OfflineMailbox.open({ userId: "sync-user", key: new Uint8Array(32).fill(4), orgServer, orgDomains: ["contoso.example"],
      // The fixture's mail is from May 2024: kept whole, whatever today is.
      retention: { mailDays: 36500, calendarPastDays: 36500 } });
    await mailbox.enableOffline();
    window.mailbox = mailbox;
    window.tokens = 0;
    window.syncNow = async (extra = {}) => {
      const progress = [];
      try {
        const report = await mailbox.sync({
          getAccessToken: async () => `token-${++window.tokens}`,
          folders: ["inbox"], calendarWindow: WINDOW, pageSize: 50,
          onProgress: (p) => progress.push(`${p.phase}:${p.kind ?? ""}:${p.pages}:${p.pushed}`), ...extra,
        });
        return { report, progress };
      } catch (error) {
        return { error: error.code, message: error.message, progress };
      }
    };
    window.state = async () => {
      const inbox = (await mailbox.listMessages(INBOX_ID, { limit: 1000 })).value;
      const folders = (await mailbox.folders()).map((f) => [f.id, f.totalItemCount, f.unreadItemCount]);
      const contacts = await mailbox.contacts({ prefix: "", limit: 100 });
      const events = await mailbox.events({ start: WINDOW.start, end: WINDOW.end });
      return { inbox, folders, contacts: contacts.length, events: events.length, pending: await mailbox.pendingActions() };
    };
  }, { orgServer: org.origin, WINDOW });
  await page.evaluate((id) => { window.INBOX_ID = id; }, INBOX);
});

after(async () => {
  await browser?.close();
  await org?.close();
  site?.close();
});

const sync = (extra) => page.evaluate((extra) => window.syncNow(extra), extra);
const state = () => page.evaluate(() => window.state());
const logSince = (from) => org.graphLog.slice(from).map((r) => `${r.method} ${r.path}${r.fault ? ` (${r.fault})` : ""} ${r.status}`);
const control = (path, body) => fetch(`${org.origin}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) });

test("a first sync pulls folders, messages, contacts and the calendar window, page by page", async () => {
  const { report, progress, error } = await sync();
  assert.equal(error, undefined, error);
  assert.equal(report.phase, "done");
  assert.equal(report.created, 5 + 230 + 12 + 15);
  assert.ok(report.pages >= 1 + 5 + 1 + 1, `pages: ${report.pages}`);
  assert.ok(progress.some((p) => p.startsWith("pull:messages:")), progress.join(" "));
  const now = await state();
  assert.equal(now.inbox.length, 230);
  assert.deepEqual(now.folders.find((f) => f[0] === INBOX), [INBOX, 230, 230]);
  assert.equal(now.contacts, 12);
  assert.equal(now.events, 15, "only the window's events");
  assert.ok(org.graphLog.every((r) => r.status !== 401), "every request carried a bearer token");
});

test("offline actions reach the server in order, then leave the outbox", async () => {
  const from = org.graphLog.length;
  await page.evaluate(async () => {
    await mailbox.markRead(["msg-1", "msg-2"], true);
    await mailbox.move(["msg-3"], "AAMkArchive");
    await mailbox.delete(["msg-4"]);
    await mailbox.setFlag(["msg-5"], { flagStatus: "flagged" });
  });
  assert.equal((await state()).pending.length, 5);
  const { report, error } = await sync();
  assert.equal(error, undefined, error);
  assert.equal(report.pushed, 5);
  assert.deepEqual(logSince(from).slice(0, 5), [
    "PATCH /v1.0/me/messages/msg-1 200",
    "PATCH /v1.0/me/messages/msg-2 200",
    "POST /v1.0/me/messages/msg-3/move 201",
    "DELETE /v1.0/me/messages/msg-4 204",
    "PATCH /v1.0/me/messages/msg-5 200",
  ]);
  const server = Object.fromEntries(org.graph.live("messages"));
  assert.equal(server["msg-1"].isRead, true);
  assert.equal(server["msg-3"].parentFolderId, ARCHIVE);
  assert.equal(server["msg-4"].parentFolderId, "AAMkDeleted", "deleted: to Deleted Items");
  assert.equal(server["msg-5"].flag.flagStatus, "flagged");
  const after = await state();
  assert.deepEqual(after.pending, []);
  assert.equal(after.inbox.find((m) => m.id === "msg-1").isRead, true);
  assert.equal(after.inbox.find((m) => m.id === "msg-3"), undefined);
  assert.equal(after.inbox.find((m) => m.id === "msg-4"), undefined);
  assert.equal(after.inbox.find((m) => m.id === "msg-5").flag.flagStatus, "flagged");
});

test("a later sync asks only for what changed, from the stored delta links", async () => {
  const from = org.graphLog.length;
  const { report, error } = await sync();
  assert.equal(error, undefined, error);
  assert.equal(report.created + report.updated + report.removed, 0, JSON.stringify(report));
  const gets = logSince(from).filter((line) => line.startsWith("GET"));
  assert.equal(gets.length, 4, gets.join("\n"));
  assert.ok(gets.every((line) => line.includes("/delta")));
  assert.ok(org.graphLog.slice(from).every((r) => r.status === 200));
});

test("throttling and server errors are waited out as Retry-After says", async () => {
  await control("/control/faults", [{ status: 429, retryAfter: 1 }, { status: 503, retryAfter: 0 }]);
  const from = org.graphLog.length;
  const started = Date.now();
  const { error } = await sync();
  assert.equal(error, undefined, error);
  const statuses = org.graphLog.slice(from).map((r) => r.status);
  assert.deepEqual(statuses.slice(0, 3), [429, 503, 200]);
  assert.ok(Date.now() - started >= 1000, "waited the second Retry-After asked for");
});

test("expired delta tokens (410 Gone) start the scopes over, with nothing lost or doubled", async () => {
  await control("/control/expire-tokens");
  const { report, error } = await sync();
  assert.equal(error, undefined, error);
  assert.ok(report.created > 0, "re-pulled");
  const now = await state();
  assert.equal(now.inbox.length, 228, "230 less the moved and the deleted one");
  assert.deepEqual(now.folders.find((f) => f[0] === INBOX), [INBOX, 228, 226]);
});

test("an action on a vanished item is dropped; one the server refuses stays with the refusal", async () => {
  await page.evaluate(async () => {
    await mailbox.markRead(["msg-404-never-existed"], true);
    await mailbox.move(["msg-10"], "AAMkNoSuchFolder");
  });
  const { report, error } = await sync();
  assert.equal(error, undefined, error);
  assert.equal(report.failed, 1);
  const pending = (await state()).pending;
  assert.equal(pending.length, 1);
  assert.equal(pending[0].id, "msg-10");
  assert.equal(pending[0].failure.status, 400);
  assert.match(pending[0].failure.message, /folder/);
  const { report: again } = await sync();
  assert.equal(again.failed, 0, "a refused action is not sent again");
});

test("a refused action is sent again after retryAction, and discardAction puts the offline copy back", async () => {
  const [refused] = (await state()).pending;
  assert.equal(refused.id, "msg-10");
  await page.evaluate((seq) => mailbox.retryAction(seq), refused.seq);
  assert.equal((await state()).pending[0].failure, undefined);
  const { report, error } = await sync();
  assert.equal(error, undefined, error);
  assert.equal(report.failed, 1, "sent again, and refused again");
  const server = org.graph.live("messages").get("msg-10").parentFolderId;
  await page.evaluate((seq) => mailbox.discardAction(seq), refused.seq);
  const after = await page.evaluate(() => Promise.all([mailbox.getMessage("msg-10"), mailbox.pendingActions()]));
  assert.equal(after[0].parentFolderId, server, "back in the folder the server has it in");
  assert.deepEqual(after[1], []);
});

test("a conflicting server change: the server's edit of other fields stays, the pending action wins its own", async () => {
  await page.evaluate(() => mailbox.markRead(["msg-30"], true));
  org.graph.patchMessage("msg-30", { isRead: false, flag: { flagStatus: "flagged" }, categories: ["From the server"] });
  const { error } = await sync();
  assert.equal(error, undefined, error);
  const server = org.graph.live("messages").get("msg-30");
  const here = await page.evaluate(() => mailbox.getMessage("msg-30"));
  for (const m of [server, here]) {
    assert.equal(m.isRead, true, "the user's action, sent after the server's change");
    assert.equal(m.flag.flagStatus, "flagged");
    assert.deepEqual(m.categories, ["From the server"]);
  }
});

test("a dropped connection rejects with Network and keeps the outbox; an abort rejects with Aborted", async () => {
  await page.evaluate(() => mailbox.markRead(["msg-20"], true));
  // Chromium retries a request dropped on a reused connection once by itself:
  // enough drops for every try of the library's, then the rest cleared.
  await control("/control/faults", Array(12).fill({ drop: true }));
  const dropped = await sync();
  await fetch(`${org.origin}/control/faults`, { method: "DELETE" });
  assert.equal(dropped.error, "Network", JSON.stringify(dropped));
  assert.ok((await state()).pending.some((p) => p.id === "msg-20"));
  const aborted = await page.evaluate(() => {
    const controller = new AbortController();
    controller.abort();
    return window.syncNow({ signal: controller.signal });
  });
  assert.equal(aborted.error, "Aborted");
  const { error } = await sync();
  assert.equal(error, undefined, error);
  assert.ok(!(await state()).pending.some((p) => p.id === "msg-20"));
});

test("aborting ends a request the server never answers", async () => {
  await control("/control/faults", [{ hang: true }]);
  const started = Date.now();
  const result = await page.evaluate(() => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    return window.syncNow({ signal: controller.signal });
  });
  await fetch(`${org.origin}/control/faults`, { method: "DELETE" });
  assert.equal(result.error, "Aborted");
  assert.ok(Date.now() - started < 10_000, "settled soon after the abort, not at the request timeout");
});

test("bad options are InvalidInput naming the option", async () => {
  const codes = await page.evaluate(async () => {
    const attempt = async (options) => mailbox.sync(options).then(() => "ok", (e) => `${e.code}:${e.field}`);
    return [
      await attempt({}),
      await attempt({ getAccessToken: () => "t", folders: "inbox" }),
      await attempt({ getAccessToken: () => "t", baseUrl: "https://graph.microsoft.com/v1.0" }),
      await attempt({ getAccessToken: () => "", folders: [] }),
      await attempt({ getAccessToken: () => "t", calendarWindow: { start: "soon", end: "later" } }),
      await attempt({ getAccessToken: () => "t", pageSize: 0 }),
    ];
  });
  assert.deepEqual(codes, [
    "InvalidInput:getAccessToken", "InvalidInput:folders", "InvalidInput:baseUrl",
    "InvalidInput:getAccessToken", "InvalidInput:calendarWindow.start", "InvalidInput:pageSize",
  ]);
});

test("a draft made offline is created on the server and takes its id; a new message is sent", async () => {
  const local = await page.evaluate(() => mailbox.saveDraft({ subject: "Offline draft", body: { contentType: "text", content: "Written on the train" } }));
  assert.match(local, /^offline-draft-/);
  await page.evaluate(() => mailbox.send({ subject: "Sent offline", toRecipients: [{ emailAddress: { address: "adele@contoso.example" } }] }));
  const { report, error } = await sync();
  assert.equal(error, undefined, error);
  assert.equal(report.pushed, 2);
  const server = [...org.graph.live("messages").values()];
  const draft = server.find((m) => m.subject === "Offline draft");
  assert.equal(draft.parentFolderId, "AAMkDrafts");
  assert.notEqual(draft.id, local);
  assert.equal(server.find((m) => m.subject === "Sent offline").parentFolderId, "AAMkSent");
  const here = await page.evaluate(([local, id]) => Promise.all([mailbox.getMessage(local), mailbox.getMessage(id), mailbox.pendingActions()]), [local, draft.id]);
  assert.equal(here[0], null, "the local id is gone");
  assert.equal(here[1].subject, "Offline draft", "stored under the server's id");
  assert.deepEqual(here[2], [], "nothing is left to send");
});

test("a sync ends by pruning to the retention window", async () => {
  const result = await page.evaluate(async ({ orgServer, WINDOW }) => {
    const { OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    const small = await OfflineMailbox.open({ userId: "sync-retention", key: new Uint8Array(32).fill(4), orgServer,
      retention: { maxMessagesPerFolder: 100, mailDays: 36500, calendarPastDays: 36500 } });
    await small.enableOffline();
    const report = await small.sync({ getAccessToken: () => "token", folders: ["inbox"], calendarWindow: WINDOW, contacts: false });
    const inbox = (await small.listMessages("AAMkInbox", { limit: 1000 })).value;
    await small.wipe();
    return { report, inbox: inbox.length, newest: inbox[0].receivedDateTime };
  }, { orgServer: org.origin, WINDOW });
  assert.equal(result.inbox, 100);
  assert.equal(result.report.pruned, 228 - 100, "the server's inbox (228 by now) beyond the newest 100");
});

test("no request left the organization's server", () => {
  const foreign = requests.filter((url) => url.origin !== site.origin && url.origin !== org.origin).map(String);
  assert.deepEqual(foreign, []);
});
