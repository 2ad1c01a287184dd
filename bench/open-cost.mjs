#!/usr/bin/env node
// Measures what unlocking costs in headless Chromium: opening a mailbox with a
// 32-byte key versus a passphrase (WebCrypto PBKDF2-HMAC-SHA256 at the default
// 600,000 iterations), first open (create + wrap) and reopen (unwrap).
// Run after a build: `node scripts/build-package.mjs && node bench/open-cost.mjs`.
import { startDemo } from "../www/server.mjs";
import { launchBrowser } from "../www/e2e/browser.mjs";

const RUNS = 5;
const demo = await startDemo({ port: 0, orgPort: 0 });
const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  await page.goto(demo.url);
  await page.waitForSelector("body[data-ready=true]");
  const results = await page.evaluate(async (runs) => {
    const { OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const time = async (fn) => { const t = performance.now(); await fn(); return performance.now() - t; };
    const measure = async (label, options) => {
      const first = [], again = [];
      for (let i = 0; i < runs; i++) {
        const userId = `bench-${label}-${i}`;
        first.push(await time(async () => {
          const mailbox = await OfflineMailbox.open({ userId, ...options });
          await mailbox.enableOffline();
          mailbox.close();
        }));
        again.push(await time(async () => (await OfflineMailbox.open({ userId, ...options })).close()));
        await OfflineMailbox.wipeUser(userId);
      }
      return { label, firstOpenMs: median(first), reopenMs: median(again), min: Math.min(...again), max: Math.max(...again) };
    };
    return [
      await measure("key", { key: new Uint8Array(32).fill(7) }),
      await measure("passphrase-600k", { passphrase: "correct horse battery staple" }),
    ];
  }, RUNS);
  console.log(`open cost, median of ${RUNS} runs (${await browser.context.browser()?.version() ?? "chromium"}):`);
  for (const r of results) {
    console.log(`  ${r.label.padEnd(16)} first open ${r.firstOpenMs.toFixed(1)} ms, reopen ${r.reopenMs.toFixed(1)} ms (min ${r.min.toFixed(1)}, max ${r.max.toFixed(1)})`);
  }
} finally {
  await browser.close();
  await demo.close();
}
