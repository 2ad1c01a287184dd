// Several tabs of one user at once, as a mail client lives: each committed write
// fires `change` in the writing tab and in every other tab (kinds, folders, ids,
// one increasing version per write); one tab leads and the lead passes on when it
// closes; two tabs writing the same folder at once (1,000 interleaved writes
// each, puts and delta pages over overlapping ids) end with exactly what the
// writes give when applied one after another in commit order, and `verify()`
// finds nothing wrong; a deletion in one tab closes the mailbox in the others
// with a `close` event; so does an upgrade by a newer version; a database of the
// first schema version, held open by a tab of that release, opens and upgrades
// in a tab of this one, and neither tab hangs. Deterministic: a seeded PRNG; the commit order is read
// from the `change` events, not guessed from timing.
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { launchBrowser } from "./browser.mjs";
import { prng } from "./prng.mjs";
import { startSite } from "./site.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const WRITES = 1000;
const IDS = 60;

let site;
let browser;

before(async () => {
  site = await startSite({
    "/pkg/": join(root, "pkg"),
    "/schema1/": join(root, "www", "e2e", "fixtures", "schema1-release"),
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  site?.close();
});

/** A page with the package loaded and `window.mailbox` open for `userId`, offline on. */
async function openTab(userId) {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(300_000);
  await page.goto(`${site.origin}/`);
  await page.evaluate(async (userId) => {
    const { default: init, OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    await init();
    window.OfflineMailbox = OfflineMailbox;
    window.mailbox = await OfflineMailbox.open({ userId, key: new Uint8Array(32).fill(3), computer: "private" });
    if (!window.mailbox.offlineEnabled) await window.mailbox.enableOffline();
    window.events = [];
    for (const type of ["change", "leaderchange", "close"]) {
      window.mailbox.addEventListener(type, (event) => window.events.push({ type, ...event.detail }));
    }
  }, userId);
  return page;
}

/** Resolves once `page` has recorded an event matching `predicate` (a function source). */
function waitForEvent(page, predicate) {
  return page.waitForFunction(`window.events.some(${predicate})`, null, { polling: 20 });
}

test("a write fires change in the tab that wrote it and in every other tab, naming kinds, folders and ids", async () => {
  const writer = await openTab("tabs-change");
  const reader = await openTab("tabs-change");
  // The reader shows the inbox, so it can name that folder in the notices it gets.
  await reader.evaluate(() => mailbox.listMessages("inbox"));
  await writer.evaluate(() => mailbox.putMessages([
    { id: "m1", parentFolderId: "inbox", subject: "One", receivedDateTime: "2024-05-01T10:00:00Z", isRead: false },
    { id: "m2", parentFolderId: "inbox", subject: "Two", receivedDateTime: "2024-05-01T11:00:00Z", isRead: true },
  ]));
  await waitForEvent(reader, `(e) => e.type === "change"`);
  const [mine] = await writer.evaluate(() => events.filter((e) => e.type === "change"));
  const [theirs] = await reader.evaluate(() => events.filter((e) => e.type === "change"));
  assert.deepEqual(mine.kinds, ["messages"]);
  assert.deepEqual(mine.ids, ["m1", "m2"]);
  assert.deepEqual(mine.folders, ["inbox"]);
  assert.equal(mine.local, true);
  assert.deepEqual({ ...theirs, local: true }, mine, "the other tab hears the same write");
  assert.equal(theirs.local, false);

  // A move names both folders in the tab that knows them; a contact write names contacts.
  await reader.evaluate(() => mailbox.listMessages("archive"));
  await writer.evaluate(() => mailbox.move(["m1"], "archive"));
  await writer.evaluate(() => mailbox.putContacts([{ id: "c1", displayName: "Adele Vance" }]));
  await waitForEvent(reader, `(e) => e.type === "change" && e.kinds.includes("contacts")`);
  const later = await reader.evaluate(() => events.filter((e) => e.type === "change").slice(1));
  assert.equal(later.length, 2);
  assert.deepEqual(later[0].kinds, ["messages"]);
  assert.deepEqual(later[0].ids, ["m1"]);
  assert.deepEqual(later[0].folders.sort(), ["archive", "inbox"]);
  assert.deepEqual(later[1].kinds, ["contacts"]);
  assert.deepEqual(later[1].ids, ["c1"]);
  assert.ok(later[0].version > mine.version && later[1].version > later[0].version, "versions increase");

  // Reads fire nothing.
  const before = await reader.evaluate(() => events.length);
  await writer.evaluate(async () => { await mailbox.getMessage("m1"); await mailbox.folders(); });
  await reader.evaluate(() => mailbox.putMessages([{ id: "m3", parentFolderId: "inbox", subject: "Three" }]));
  await waitForEvent(writer, `(e) => e.type === "change" && e.ids?.includes("m3")`);
  assert.equal(await reader.evaluate(() => events.length), before + 1, "only the write fired");
  await writer.close();
  await reader.close();
});

test("one tab leads at a time, and the lead passes on when the leader closes", async () => {
  const tabs = [await openTab("tabs-leader"), await openTab("tabs-leader"), await openTab("tabs-leader")];
  // The first grant may come before the listeners were added: read the getter.
  await tabs[0].waitForFunction(() => mailbox.isLeader, null, { polling: 20 });
  const leading = async () => Promise.all(tabs.map((tab) => tab.evaluate(() => mailbox.isLeader)));
  assert.deepEqual(await leading(), [true, false, false], "the first tab to ask leads");

  // The leader's mailbox closes: the next in line leads.
  await tabs[0].evaluate(() => mailbox.close());
  await waitForEvent(tabs[1], `(e) => e.type === "leaderchange" && e.isLeader`);
  assert.deepEqual(await leading(), [false, true, false]);
  assert.deepEqual(await tabs[0].evaluate(() => events.filter((e) => e.type === "leaderchange").map((e) => e.isLeader)).then((l) => l.at(-1)),
    false, "the tab that closed heard it no longer leads");

  // The leader's tab goes away without closing anything: the lock goes with it.
  await tabs[1].close();
  await waitForEvent(tabs[2], `(e) => e.type === "leaderchange" && e.isLeader`);
  assert.equal(await tabs[2].evaluate(() => mailbox.isLeader), true);
  await tabs[0].close();
  await tabs[2].close();
});

test("only a tab with offline on leads: one that turns it off steps down, one that turns it on may lead", async () => {
  const user = "tabs-lead-offline";
  const open = async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(300_000);
    await page.goto(`${site.origin}/`);
    await page.evaluate(async (user) => {
      const { default: init, OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
      await init();
      window.mailbox = await OfflineMailbox.open({ userId: user, key: new Uint8Array(32).fill(3), computer: "private" });
      window.events = [];
      mailbox.addEventListener("leaderchange", (event) => events.push({ type: "leaderchange", ...event.detail }));
    }, user);
    return page;
  };
  const off = await open();
  const on = await open();
  await on.evaluate(() => mailbox.enableOffline());
  await on.waitForFunction(() => mailbox.isLeader, null, { polling: 20 });
  assert.equal(await off.evaluate(() => mailbox.isLeader), false, "a tab with offline off never asked for the lead");
  await on.evaluate(() => mailbox.disableOffline());
  assert.equal(await on.evaluate(() => mailbox.isLeader), false, "turning offline off steps down at once");
  assert.deepEqual(await on.evaluate(() => events.map((e) => e.isLeader)), [true, false]);
  await off.evaluate(() => mailbox.enableOffline());
  await off.waitForFunction(() => mailbox.isLeader, null, { polling: 20 });
  await off.close();
  await on.close();
});

test("a sync waiting for another tab's sync gives up when its signal aborts", async () => {
  const user = "tabs-sync-wait";
  const page = await openTab(user);
  const code = await page.evaluate(async (name) => {
    // Another tab's sync, as far as the locks can tell: hold the sync lock.
    let release;
    const held = new Promise((ok) => { release = ok; });
    navigator.locks.request(`${name}/sync`, () => held);
    const controller = new AbortController();
    const waiting = mailbox.sync({ getAccessToken: () => "token", signal: controller.signal }).then(() => "resolved", (e) => e.code);
    // Aborted while it waits (or, on a slow machine, before it asks: the same end).
    await new Promise((ok) => setTimeout(ok, 50));
    controller.abort();
    const result = await waiting;
    release();
    return result;
  }, await page.evaluate((user) => OfflineMailbox.databaseName(user), user));
  assert.equal(code, "Aborted");
  await page.close();
});

/**
 * Tab `tab`'s writes: putMessages of 1–3 whole messages, or a delta page of 1–3
 * entries (whole messages, partial updates of read state, folder or subject,
 * removals), over a small pool of ids both tabs share, in the folders
 * "shared" and "other".
 */
function plan(tab, seed) {
  const random = prng(seed);
  const pick = (n) => Math.floor(random() * n);
  const id = () => `m${pick(IDS)}`;
  const folder = () => (random() < 0.8 ? "shared" : "other");
  const whole = (i, j) => ({
    id: id(), parentFolderId: folder(), subject: `${tab} ${i}.${j}`, isRead: random() < 0.5,
    receivedDateTime: `2024-05-${String(1 + pick(28)).padStart(2, "0")}T10:00:00Z`,
    body: { contentType: "text", content: `written by ${tab}, write ${i}` },
  });
  const entry = (i, j) => {
    const r = random();
    if (r < 0.3) return whole(i, j);
    if (r < 0.55) return { id: id(), isRead: random() < 0.5 };
    if (r < 0.7) return { id: id(), parentFolderId: folder() };
    if (r < 0.8) return { id: id(), subject: `${tab} ${i}.${j} renamed` };
    return { id: id(), "@removed": { reason: "deleted" } };
  };
  return [...Array(WRITES).keys()].map((i) => {
    const n = 1 + pick(3);
    const put = random() < 0.4;
    const items = [...Array(n).keys()].map((j) => (put ? whole(i, j) : entry(i, j)));
    return put ? { put: items } : { delta: items };
  });
}

/** What the writes give applied one after another: Graph's merge (top-level fields) and removals. */
function model(writes) {
  const items = new Map();
  for (const write of writes) {
    for (const item of write.put ?? []) items.set(item.id, structuredClone(item));
    for (const entry of write.delta ?? []) {
      if (entry["@removed"]) items.delete(entry.id);
      else items.set(entry.id, { ...(items.get(entry.id) ?? {}), ...structuredClone(entry) });
    }
  }
  return items;
}

test("two tabs writing one folder at once end where their writes, in commit order, lead: 0 lost", async () => {
  const tabs = [await openTab("tabs-race"), await openTab("tabs-race")];
  await tabs[0].evaluate(() => mailbox.putFolders([{ id: "shared", displayName: "Shared" }, { id: "other", displayName: "Other" }]));
  const plans = [plan("A", 1), plan("B", 2)];
  // Each tab runs its writes one after another, both tabs at once. The `change`
  // event a write fires in its own tab (dispatched before the write resolves)
  // gives the version it committed at.
  const logs = await Promise.all(tabs.map((tab, t) => tab.evaluate(async (writes) => {
    const versions = new Array(writes.length).fill(null);
    let current = -1;
    mailbox.addEventListener("change", ({ detail }) => { if (detail.local) versions[current] = detail.version; });
    for (const [i, write] of writes.entries()) {
      current = i;
      if (write.put) await mailbox.putMessages(write.put);
      else await mailbox.applyDelta("messages", "shared", { value: write.delta });
    }
    return versions;
  }, plans[t])));

  const committed = [];
  logs.forEach((versions, t) => versions.forEach((version, i) => {
    if (version !== null) committed.push({ version, write: plans[t][i] });
  }));
  const versions = committed.map((c) => c.version);
  assert.equal(new Set(versions).size, versions.length, "no two writes share a version");
  assert.ok(committed.length >= 1900, `nearly every write changed something (${committed.length})`);
  committed.sort((a, b) => a.version - b.version);
  const expected = model(committed.map((c) => c.write));

  const reader = tabs[0];
  console.log(`two tabs: ${committed.length} of ${2 * WRITES} writes changed items, versions ${Math.min(...versions)} to ${Math.max(...versions)}`);
  const report = await reader.evaluate(() => mailbox.verify());
  assert.equal(report.quarantined, 0);
  assert.equal(report.countErrors, 0, "the folder counts kept up with every write");
  const stored = await reader.evaluate(async (ids) => {
    const found = {};
    for (const id of ids) found[id] = await mailbox.getMessage(id);
    const listed = [];
    for (const folder of ["shared", "other"]) {
      let page = await mailbox.listMessages(folder, { limit: 100 });
      listed.push(...page.value.map((m) => m.id));
      while (page.nextCursor) {
        page = await mailbox.listMessages(folder, { limit: 100, cursor: page.nextCursor });
        listed.push(...page.value.map((m) => m.id));
      }
    }
    const folders = Object.fromEntries((await mailbox.folders()).map((f) => [f.id, [f.totalItemCount, f.unreadItemCount]]));
    return { found, listed, folders };
  }, [...Array(IDS).keys()].map((i) => `m${i}`));

  for (let i = 0; i < IDS; i++) {
    const id = `m${i}`;
    assert.deepEqual(stored.found[id], expected.get(id) ?? null, `message ${id}`);
  }
  const inFolders = [...expected.values()].filter((m) => ["shared", "other"].includes(m.parentFolderId));
  assert.deepEqual(stored.listed.sort(), inFolders.map((m) => m.id).sort(), "listings hold exactly the stored messages");
  for (const folder of ["shared", "other"]) {
    const mine = inFolders.filter((m) => m.parentFolderId === folder);
    assert.deepEqual(stored.folders[folder], [mine.length, mine.filter((m) => m.isRead === false).length], `counts of ${folder}`);
  }
  await Promise.all(tabs.map((tab) => tab.close()));
});

test("disableOffline in one tab closes the mailbox in the others, which hear a close event", async () => {
  const [a, b] = [await openTab("tabs-close"), await openTab("tabs-close")];
  await a.evaluate(() => mailbox.putMessages([{ id: "m1", parentFolderId: "inbox", subject: "Hello" }]));
  await a.evaluate(() => mailbox.disableOffline());
  await waitForEvent(b, `(e) => e.type === "close"`);
  const [event] = await b.evaluate(() => events.filter((e) => e.type === "close"));
  assert.equal(event.reason, "versionchange");
  const code = await b.evaluate(() => mailbox.getMessage("m1").then(() => "resolved", (e) => e.code));
  assert.equal(code, "Closed");
  // Opening again finds offline off: the data went with the database.
  const reopened = await b.evaluate(async () => {
    const again = await OfflineMailbox.open({ userId: "tabs-close", key: new Uint8Array(32).fill(3), computer: "private" });
    return again.offlineEnabled;
  });
  assert.equal(reopened, false);
  await a.close();
  await b.close();
});

/** Runs `promise` (a page call) but fails instead of hanging past `ms`. */
function within(ms, promise, what) {
  let timer;
  const late = new Promise((_, fail) => { timer = setTimeout(() => fail(new Error(`${what} hung for ${ms} ms`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

test("a database of the first schema version, held open by a tab of that release, upgrades in a tab of this one; no tab hangs", async () => {
  const user = "tabs-schema1";
  const old = await browser.context.newPage();
  await old.goto(`${site.origin}/`);
  const written = await old.evaluate(async (user) => {
    const { default: init, OfflineMailbox } = await import("/schema1/offline_mailbox.js");
    await init();
    window.oldMailbox = await OfflineMailbox.open({ userId: user, key: new Uint8Array(32).fill(3) });
    await oldMailbox.putFolders([{ id: "inbox", displayName: "Inbox" }]);
    await oldMailbox.putMessages([...Array(50).keys()].map((i) => ({
      id: `old-${i}`, parentFolderId: "inbox", subject: `Old ${i}`, receivedDateTime: "2024-05-01T10:00:00Z",
      body: { contentType: "text", content: `kept by schema 1, message ${i}` },
    })));
    const version = await new Promise((ok) => {
      const request = indexedDB.open(OfflineMailbox.databaseName(user));
      request.onsuccess = () => { ok(request.result.version); request.result.close(); };
    });
    return { version, read: (await oldMailbox.getMessage("old-7"))?.subject };
  }, user);
  assert.deepEqual(written, { version: 1, read: "Old 7" }, "the old release wrote schema 1 and holds it open");

  // This release opens it while the old tab still holds its connection.
  const fresh = await browser.context.newPage();
  await fresh.goto(`${site.origin}/`);
  const opened = await within(60_000, fresh.evaluate(async (user) => {
    const { default: init, OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    await init();
    const started = performance.now();
    window.mailbox = await OfflineMailbox.open({ userId: user, key: new Uint8Array(32).fill(3), computer: "private" });
    const ms = performance.now() - started;
    // Schema 3 dropped what schemas 1 and 2 stored: the app fetches it again.
    const before = await mailbox.getMessage("old-7");
    await mailbox.putMessages([{ id: "new-1", parentFolderId: "inbox", subject: "After the upgrade" }]);
    const version = await new Promise((ok) => {
      const request = indexedDB.open(OfflineMailbox.databaseName(user));
      request.onsuccess = () => { ok(request.result.version); request.result.close(); };
    });
    return { ms, offline: mailbox.offlineEnabled, before, after: (await mailbox.getMessage("new-1")).subject, version };
  }, user), "opening with this release");
  console.log(`schema 1 -> current, the old tab holding it open: open resolved in ${Math.round(opened.ms)} ms`);
  assert.equal(opened.offline, true, "offline stays on: the user had turned it on");
  assert.equal(opened.before, null);
  assert.equal(opened.after, "After the upgrade");
  assert.ok(opened.version >= 6, `upgraded to the current schema (${opened.version})`);

  // The old tab closed its connection for the upgrade: its calls fail, they do not hang.
  const oldCall = await within(30_000, old.evaluate(() => oldMailbox.getMessage("old-7").then(() => "resolved", (e) => e.code)),
    "a call in the old tab");
  assert.equal(oldCall, "Closed");
  const reopenOld = await within(30_000, old.evaluate(async (user) => {
    const { OfflineMailbox } = await import("/schema1/offline_mailbox.js");
    return OfflineMailbox.open({ userId: user, key: new Uint8Array(32).fill(3) }).then(() => "opened", (e) => e.code);
  }, user), "reopening with the old release");
  assert.notEqual(reopenOld, "opened", "the old release refuses the newer database");
  await old.close();
  await fresh.close();
});

test("an upgrade by a newer version in another tab closes the mailbox here with a close event, and is not blocked", async () => {
  const user = "tabs-newer";
  const here = await openTab(user);
  const newer = await browser.context.newPage();
  await newer.goto(`${site.origin}/`);
  const upgraded = await within(30_000, newer.evaluate(async (name) => {
    const current = await new Promise((ok) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => { ok(request.result.version); request.result.close(); };
    });
    return new Promise((ok, fail) => {
      const request = indexedDB.open(name, current + 1);
      request.onblocked = () => fail(new Error("blocked by the open tab"));
      request.onsuccess = () => { request.result.close(); ok(current + 1); };
      request.onerror = () => fail(request.error);
    });
  }, await here.evaluate(() => OfflineMailbox.databaseName("tabs-newer"))), "the newer version's upgrade");
  assert.ok(upgraded > 1);
  await waitForEvent(here, `(e) => e.type === "close"`);
  assert.equal(await here.evaluate(() => mailbox.putMessages([{ id: "x" }]).then(() => "resolved", (e) => e.code)), "Closed");
  const reopened = await here.evaluate(async (user) =>
    OfflineMailbox.open({ userId: user, key: new Uint8Array(32).fill(3), computer: "private" }).then(() => "opened", (e) => e.code), user);
  assert.equal(reopened, "VersionTooNew", "this release then refuses the newer database");
  await here.close();
  await newer.close();
});
