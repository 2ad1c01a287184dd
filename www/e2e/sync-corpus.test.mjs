// The first sync of the real corpus through the stand-in's Graph subset: all
// 6,046 messages in their 5 folders, the 8,824 contacts and a year of calendar
// come down page by page with progress events, and the offline copy then equals
// the server's data item by item (compared as SHA-256 digests of canonical JSON).
// Needs target/corpus (scripts/test.sh generates it with tools/corpus).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { startOrgServer } from "../org-server.mjs";
import { guardNetwork, launchBrowser } from "./browser.mjs";
import { startSite } from "./site.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const load = (name) => JSON.parse(readFileSync(join(root, "target", "corpus", `${name}.json`), "utf8"));
const WINDOW = { start: "2024-01-01T00:00:00Z", end: "2025-01-01T00:00:00Z" };

/** JSON with every object's keys sorted: equal values give equal text. */
const canonical = (value) => JSON.stringify(value, (_, x) =>
  x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x);
const digest = (value) => createHash("sha256").update(canonical(value)).digest("hex");

let site;
let org;
let browser;
let requests;
let page;
const corpus = { mailFolders: load("folders"), messages: load("messages"), contacts: load("contacts"), events: load("events") };

before(async () => {
  site = await startSite({ "/pkg/": join(root, "pkg") });
  org = await startOrgServer({ appOrigin: site.origin, graph: corpus });
  browser = await launchBrowser();
  requests = await guardNetwork(browser.context);
  page = await browser.context.newPage();
  page.setDefaultTimeout(600_000);
  await page.goto(`${site.origin}/`);
});

after(async () => {
  await browser?.close();
  await org?.close();
  site?.close();
});

test("a first sync of the 6,046-message corpus reports progress and stores exactly the server's items", async () => {
  const folderIds = corpus.mailFolders.map((f) => f.id);
  const result = await page.evaluate(async ({ orgServer, folderIds, WINDOW }) => {
    const { default: init, OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    await init();
    const mailbox = await OfflineMailbox.open({ userId: "sync-corpus", key: new Uint8Array(32).fill(6), orgServer,
      retention: { mailDays: 36500, maxMessagesPerFolder: 100000, calendarPastDays: 36500, calendarFutureDays: 36500 } });
    await mailbox.enableOffline();
    const progress = [];
    const report = await mailbox.sync({ getAccessToken: () => "token", folders: folderIds, calendarWindow: WINDOW, pageSize: 200,
      onProgress: (p) => progress.push({ phase: p.phase, kind: p.kind, pages: p.pages, created: p.created }) });
    const canonical = (value) => JSON.stringify(value, (_, x) =>
      x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x);
    const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
    const digest = async (value) => hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical(value))));
    const messages = {};
    for (const folderId of folderIds) {
      let cursor;
      do {
        const page = await mailbox.listMessages(folderId, { limit: 1000, cursor });
        for (const { id } of page.value) {
          if (id in messages) messages[id] = "listed twice";
          else messages[id] = await digest(await mailbox.getMessage(id));
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
    const folders = Object.fromEntries((await mailbox.folders()).map((f) => [f.id, [f.totalItemCount, f.unreadItemCount]]));
    return { report, progress, messages, folders };
  }, { orgServer: org.origin, folderIds, WINDOW });

  assert.equal(result.report.phase, "done");
  const pulls = result.progress.filter((p) => p.phase === "pull");
  assert.ok(pulls.length >= 6046 / 200, `a progress event per page: ${pulls.length}`);
  assert.ok(pulls.every((p, i) => i === 0 || p.pages >= pulls[i - 1].pages), "pages only go up");
  assert.deepEqual(result.progress.at(-1).phase, "done");

  const server = [...org.graph.live("messages").values()];
  assert.equal(server.length, 6046);
  const expected = Object.fromEntries(server.map((m) => [m.id, digest(m)]));
  const differing = Object.keys(expected).filter((id) => result.messages[id] !== expected[id]);
  const extra = Object.keys(result.messages).filter((id) => !(id in expected));
  assert.deepEqual({ differing: differing.slice(0, 5), count: differing.length, extra }, { differing: [], count: 0, extra: [] });

  for (const folder of corpus.mailFolders) {
    const inFolder = server.filter((m) => m.parentFolderId === folder.id);
    assert.deepEqual(result.folders[folder.id], [inFolder.length, inFolder.filter((m) => !m.isRead).length], folder.id);
  }
  assert.deepEqual(requests.filter((url) => url.origin !== site.origin && url.origin !== org.origin).map(String), []);
});

test("every contact and every event of the calendar window equals the server's", async () => {
  const contacts = [...org.graph.live("contacts").values()];
  // calendarView's rule: an event is in the window when it overlaps it (an event
  // of no length at the window's start is not).
  const utc = (dateTime) => Date.parse(`${dateTime}Z`);
  const events = [...org.graph.live("events").values()]
    .filter((e) => utc(e.start.dateTime) < Date.parse(WINDOW.end) && utc(e.end.dateTime) > Date.parse(WINDOW.start));
  assert.equal(contacts.length, 8824);
  assert.ok(events.length > 1000, `events in the window: ${events.length}`);
  const stored = await page.evaluate(async ({ contactIds, eventIds }) => {
    const { OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    const mailbox = await OfflineMailbox.open({ userId: "sync-corpus", key: new Uint8Array(32).fill(6) });
    const canonical = (value) => JSON.stringify(value, (_, x) =>
      x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x);
    const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
    const digest = async (value) => value === null ? null : hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical(value))));
    const contacts = [];
    for (const id of contactIds) contacts.push(await digest(await mailbox.getContact(id)));
    const events = [];
    for (const id of eventIds) events.push(await digest(await mailbox.getEvent(id)));
    const inWindow = (await mailbox.events({ start: "2024-01-01T00:00:00Z", end: "2025-01-01T00:00:00Z" })).length;
    await mailbox.wipe();
    return { contacts, events, inWindow };
  }, { contactIds: contacts.map((c) => c.id), eventIds: events.map((e) => e.id) });
  const wrong = (items, digests) => items.filter((item, i) => digests[i] !== digest(item)).map((item) => item.id);
  assert.deepEqual(wrong(contacts, stored.contacts), []);
  assert.deepEqual(wrong(events, stored.events), []);
  assert.equal(stored.inWindow, events.length);
});
