// The real corpus through the public API in Chromium: every SpamAssassin message,
// folder and contact and every calendar instance goes in and comes back equal,
// field by field; folders page newest first with each message once; folder counts
// match the data; calendar ranges match a plain filter over the same input.
// Needs target/corpus (scripts/test.sh generates it with tools/corpus).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { demoPage, startDemoEnv } from "./demo-env.mjs";

let env;
let page;

before(async () => {
  env = await startDemoEnv();
  page = await demoPage(env);
  page.setDefaultTimeout(600_000);
  await page.evaluate(async () => {
    const { OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    const load = async (name) => (await fetch(`/corpus/${name}.json`)).json();
    const [folders, messages, contacts, events] = await Promise.all(["folders", "messages", "contacts", "events"].map(load));
    const mailbox = await OfflineMailbox.open({ userId: "corpus-user", key: new Uint8Array(32).fill(5) });
    await mailbox.enableOffline();
    const inBatches = async (items, put) => {
      for (let i = 0; i < items.length; i += 500) await put(items.slice(i, i + 500));
    };
    await mailbox.putFolders(folders);
    await inBatches(messages, (b) => mailbox.putMessages(b));
    await inBatches(contacts, (b) => mailbox.putContacts(b));
    await inBatches(events, (b) => mailbox.putEvents(b));
    // Canonical JSON: equal objects stringify equally whatever their key order.
    const canonical = (v) => JSON.stringify(v, (_, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
    Object.assign(window, { mailbox, corpus: { folders, messages, contacts, events }, canonical });
  });
});

after(() => env?.close());

test("the corpus is real and large enough", async () => {
  const sizes = await page.evaluate(() => Object.fromEntries(Object.entries(corpus).map(([k, v]) => [k, v.length])));
  assert.equal(sizes.messages, 6046);
  assert.equal(sizes.folders, 5);
  assert.ok(sizes.contacts > 1000, `contacts: ${sizes.contacts}`);
  assert.ok(sizes.events >= 1000, `event instances: ${sizes.events}`);
});

test("every message, folder, contact and event comes back equal, field by field", async () => {
  const result = await page.evaluate(async () => {
    const mismatches = [];
    let nonAscii = 0;
    let unknownFields = 0;
    const check = async (kind, items, get) => {
      for (const item of items) {
        const back = await get(item.id);
        if (canonical(back) !== canonical(item)) mismatches.push(`${kind} ${item.id}`);
        if (/[^\x00-\x7f]/.test(JSON.stringify(item))) nonAscii++;
        if ("x-corpus" in item && back && canonical(back["x-corpus"]) === canonical(item["x-corpus"])) unknownFields++;
      }
    };
    await check("message", corpus.messages, (id) => mailbox.getMessage(id));
    await check("folder", corpus.folders, (id) => mailbox.getFolder(id));
    await check("contact", corpus.contacts, (id) => mailbox.getContact(id));
    await check("event", corpus.events, (id) => mailbox.getEvent(id));
    return { mismatches: mismatches.slice(0, 10), count: mismatches.length, nonAscii, unknownFields };
  });
  assert.deepEqual(result.mismatches, []);
  assert.equal(result.count, 0);
  assert.ok(result.nonAscii > 100, `items with non-ASCII text: ${result.nonAscii}`);
  assert.equal(result.unknownFields, 6046, "the unknown x-corpus field survives on every message");
});

test("paging every folder returns each message exactly once, newest first", async () => {
  const result = await page.evaluate(async () => {
    const report = {};
    for (const folder of corpus.folders) {
      const expected = corpus.messages.filter((m) => m.parentFolderId === folder.id).map((m) => m.id).sort();
      const seen = [];
      const times = [];
      let cursor;
      do {
        const page = await mailbox.listMessages(folder.id, { limit: 100, cursor });
        for (const m of page.value) { seen.push(m.id); times.push(Date.parse(m.receivedDateTime)); }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      report[folder.id] = {
        exactlyOnce: JSON.stringify([...seen].sort()) === JSON.stringify(expected),
        newestFirst: times.every((t, i) => i === 0 || times[i - 1] >= t),
        count: seen.length,
      };
    }
    return report;
  });
  for (const [folder, r] of Object.entries(result)) {
    assert.ok(r.exactlyOnce, `${folder}: each message exactly once (${r.count})`);
    assert.ok(r.newestFirst, `${folder}: newest first`);
  }
});

test("folder counts match the stored messages", async () => {
  const { actual, expected } = await page.evaluate(async () => {
    const expected = {};
    for (const m of corpus.messages) {
      const c = (expected[m.parentFolderId] ??= { total: 0, unread: 0 });
      c.total++;
      if (m.isRead === false) c.unread++;
    }
    const actual = {};
    for (const f of await mailbox.folders()) actual[f.id] = { total: f.totalItemCount, unread: f.unreadItemCount };
    return { actual, expected };
  });
  assert.deepEqual(actual, expected);
});

test("calendar ranges by day and by month match a plain filter over the same instances", async () => {
  const result = await page.evaluate(async () => {
    const ms = (dt) => Date.parse(dt.dateTime.replace(/(\.\d+)?$/, "Z"));
    const overlaps = (e, start, end) => {
      const s = ms(e.start), t = ms(e.end);
      return s < end && (t > start || (t === s && s >= start));
    };
    const order = (list) => list.map((e) => [ms(e.start), e.id]).sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1)).map((x) => x[1]);
    const windows = [];
    for (let y = 2024; y <= 2025; y++) for (let m = 0; m < 12; m++) windows.push([Date.UTC(y, m, 1), Date.UTC(y, m + 1, 1)]);
    const starts = [...new Set(corpus.events.map((e) => ms(e.start)))].sort((a, b) => a - b);
    for (let i = 0; i < starts.length; i += Math.max(1, Math.floor(starts.length / 60))) {
      const day = Math.floor(starts[i] / 86_400_000) * 86_400_000;
      windows.push([day, day + 86_400_000]);
    }
    const failures = [];
    let compared = 0;
    for (const [start, end] of windows) {
      const got = await mailbox.events({ start, end });
      const startsAscending = got.every((e, i) => i === 0 || ms(got[i - 1].start) <= ms(e.start));
      const expected = order(corpus.events.filter((e) => overlaps(e, start, end)));
      if (!startsAscending || JSON.stringify(order(got)) !== JSON.stringify(expected)) failures.push(new Date(start).toISOString());
      compared += expected.length;
    }
    return { windows: windows.length, failures, compared };
  });
  assert.deepEqual(result.failures, []);
  assert.ok(result.windows > 60 && result.compared > 1000, JSON.stringify(result));
});
