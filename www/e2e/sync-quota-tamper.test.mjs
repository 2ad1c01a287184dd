// The storage budget against an attacker with IndexedDB write access (review
// RB5): altering the oldest summaries must not make the budget evict nothing in
// silence. Eviction quarantines a summary that fails authentication and goes
// on to the next oldest.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { startOrgServer } from "../org-server.mjs";
import { launchBrowser, reportQuota } from "./browser.mjs";
import { startSite } from "./site.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const COUNT = 300;
const BODY = 30 * 1024;
const MiB = 1024 * 1024;
const TAMPER = 200;

let site;
let org;
let browser;

before(async () => {
  site = await startSite({ "/pkg/": join(root, "pkg") });
  const messages = Array.from({ length: COUNT }, (_, i) => ({
    id: `big-${i}`, parentFolderId: "AAMkInbox", subject: `Large ${i}`, isRead: false,
    receivedDateTime: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString(),
    body: { contentType: "text", content: randomBytes(BODY).toString("base64") },
  }));
  org = await startOrgServer({ appOrigin: site.origin, graph: { mailFolders: [{ id: "AAMkInbox", displayName: "Inbox", wellKnownName: "inbox" }], messages } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await org?.close();
  site?.close();
});

async function pageReporting(reported) {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(300_000);
  if (reported) {
    await reportQuota(page, reported);
  }
  await page.goto(`${site.origin}/`);
  return page;
}

const setUp = `(async () => {
  const { default: init, OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
  await init();
  const mailbox = await OfflineMailbox.open({ userId: "quota-tamper", key: new Uint8Array(32).fill(9), orgServer: window.orgServer,
    retention: { mailDays: 36500, calendarPastDays: 36500, maxMessagesPerFolder: 100000 } });
  await mailbox.enableOffline();
  const options = { getAccessToken: () => "token", folders: ["inbox"], contacts: false, pageSize: 25 };
  return { mailbox, options };
})()`;

test("altered oldest summaries are reported, and do not stop the budget from evicting bodies", async () => {
  const first = await pageReporting(null);
  const one = await first.evaluate(async ({ orgServer, setUp, tamper }) => {
    window.orgServer = orgServer;
    window.tamperCount = tamper;
    const { mailbox, options } = await eval(setUp);
    const report = await mailbox.sync(options).catch((e) => ({ error: e.code, message: e.message }));
    mailbox.close?.();
    // The attacker: flips one byte of the 200 oldest summaries (largest recency).
    const dbs = await indexedDB.databases();
    let altered = 0;
    for (const { name } of dbs) {
      const db = await new Promise((ok, ko) => { const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); r.onerror = ko; });
      if ([...db.objectStoreNames].includes("messageBodies")) {
        const store = [...db.objectStoreNames].find((s) => s === "messages");
        const all = await new Promise((ok) => { const r = db.transaction(store).objectStore(store).getAll(); r.onsuccess = () => ok(r.result); });
        all.sort((a, b) => b.r - a.r);
        const tx = db.transaction(store, "readwrite");
        for (const record of all.slice(0, window.tamperCount)) {
          const bytes = new Uint8Array(record.v);
          bytes[bytes.length - 20] ^= 1;
          record.v = bytes;
          tx.objectStore(store).put(record, record.k);
          altered += 1;
        }
        await new Promise((ok) => { tx.oncomplete = ok; });
      }
      db.close();
    }
    return { report, altered };
  }, { orgServer: org.origin, setUp, tamper: TAMPER });
  assert.equal(one.report.error, undefined, JSON.stringify(one));
  assert.equal(one.altered, TAMPER, JSON.stringify(one));
  await first.close();
  // The newest 100 change on the server: the next sync pulls 4 pages of ~1 MiB each.
  for (let i = COUNT - 100; i < COUNT; i++) {
    org.graph.patchMessage(`big-${i}`, { body: { contentType: "text", content: randomBytes(BODY).toString("base64") } });
  }
  const second = await pageReporting(10 * MiB);
  const two = await second.evaluate(async ({ orgServer, setUp }) => {
    window.orgServer = orgServer;
    const { mailbox, options } = await eval(setUp);
    const usage = (await navigator.storage.estimate()).usage;
    const report = await mailbox.sync(options).catch((e) => ({ error: e.code, message: e.message }));
    const quarantined = (await mailbox.quarantine()).length;
    await mailbox.wipe();
    return { usage, report, quarantined };
  }, { orgServer: org.origin, setUp });
  const detail = JSON.stringify(two);
  assert.ok(two.usage > 7.5 * MiB, `the origin is past the high-water mark: ${detail}`);
  assert.ok(two.report.evictedBodies > 0 || two.quarantined > 0,
    `over budget, bodies are evicted or the altered summaries that stop it are reported: ${detail}`);
});
