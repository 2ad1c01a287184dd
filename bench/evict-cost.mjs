#!/usr/bin/env node
// Measures what the storage budget costs a sync in headless Chromium: the same
// first sync of EVICT_N messages (default 20,000, oldest first, 2 KiB bodies)
// from the Graph stand-in, once with the quota Chromium reports (no eviction)
// and once with a reported quota so small that every page is over budget and
// evicts the oldest bodies first (the worst case: each round scans past the
// bodies already evicted). Run after a build:
// `node scripts/build-package.mjs && node bench/evict-cost.mjs`.
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { startOrgServer } from "../www/org-server.mjs";
import { launchBrowser, reportQuota } from "../www/e2e/browser.mjs";
import { startSite } from "../www/e2e/site.mjs";

const COUNT = Number(process.env.EVICT_N ?? 20_000);
const PAGE = 1000;
const root = resolve(import.meta.dirname, "..");
const messages = Array.from({ length: COUNT }, (_, i) => ({
  id: `m-${i}`, parentFolderId: "AAMkInbox", subject: `Message ${i}`, isRead: false,
  receivedDateTime: new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString(),
  body: { contentType: "text", content: randomBytes(1536).toString("base64") },
}));
const site = await startSite({ "/pkg/": join(root, "pkg") });
const org = await startOrgServer({ appOrigin: site.origin, graph: { mailFolders: [{ id: "AAMkInbox", displayName: "Inbox", wellKnownName: "inbox" }], messages } });
const browser = await launchBrowser();

/** One first sync in a fresh page; `reported` (bytes) makes estimate() report that quota. */
async function syncOnce(label, reported) {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(600_000);
  if (reported) {
    await reportQuota(page, reported);
  }
  await page.goto(`${site.origin}/`);
  const result = await page.evaluate(async ({ orgServer, label, pageSize }) => {
    const { default: init, OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    await init();
    const mailbox = await OfflineMailbox.open({ userId: `evict-${label}`, key: new Uint8Array(32).fill(3), orgServer,
      retention: { mailDays: 36500, calendarPastDays: 36500, maxMessagesPerFolder: 100000 } });
    await mailbox.enableOffline();
    const rounds = [];
    let last = performance.now();
    const started = last;
    const report = await mailbox.sync({ getAccessToken: () => "token", folders: ["inbox"], contacts: false, pageSize,
      onProgress: (p) => {
        const now = performance.now();
        if (p.phase === "evict") rounds.push(now - last);
        last = now;
      } });
    const ms = performance.now() - started;
    await mailbox.wipe();
    return { ms, evictedBodies: report.evictedBodies, rounds };
  }, { orgServer: org.origin, label, pageSize: PAGE });
  await page.close();
  return result;
}

try {
  const plain = await syncOnce("plain", null);
  const budget = await syncOnce("budget", 1024 * 1024);
  const { rounds } = budget;
  const tenth = Math.max(1, Math.floor(rounds.length / 10));
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  console.log(`first sync of ${COUNT} messages, pages of ${PAGE}:`);
  console.log(`  no eviction            ${(plain.ms / 1000).toFixed(1)} s`);
  console.log(`  every page over budget ${(budget.ms / 1000).toFixed(1)} s, ${budget.evictedBodies} bodies evicted in ${rounds.length} rounds`);
  console.log(`  time to the evict event, first tenth of rounds ${mean(rounds.slice(0, tenth)).toFixed(0)} ms, last tenth ${mean(rounds.slice(-tenth)).toFixed(0)} ms`);
} finally {
  await browser.close();
  await org.close();
  site.close();
}
