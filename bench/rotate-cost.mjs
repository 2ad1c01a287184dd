#!/usr/bin/env node
// Measures what `rotateDataKey()` costs in headless Chromium on the real corpus
// (6,046 SpamAssassin messages, their folders and contacts), against the release
// build: records re-sealed per second, the time a read waits while a rotation runs,
// and the same store's ingest for comparison.
// Run after a build: `node scripts/build-package.mjs && node bench/rotate-cost.mjs`.
import { startDemo } from "../www/server.mjs";
import { launchBrowser } from "../www/e2e/browser.mjs";

const RUNS = 3;
const demo = await startDemo({ port: 0, orgPort: 0 });
const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  await page.goto(demo.url);
  await page.waitForSelector("body[data-ready=true]");
  const results = await page.evaluate(async (runs) => {
    const { OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    const load = async (name) => (await fetch(`/corpus/${name}.json`)).json();
    const [folders, messages, contacts] = await Promise.all(["folders", "messages", "contacts"].map(load));
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const out = [];
    for (let run = 0; run < runs; run++) {
      const userId = `rotate-bench-${run}`;
      const mailbox = await OfflineMailbox.open({ userId, key: new Uint8Array(32).fill(3) });
      await mailbox.enableOffline();
      const t0 = performance.now();
      await mailbox.putFolders(folders);
      for (let i = 0; i < messages.length; i += 1000) await mailbox.putMessages(messages.slice(i, i + 1000));
      for (let i = 0; i < contacts.length; i += 1000) await mailbox.putContacts(contacts.slice(i, i + 1000));
      const ingestMs = performance.now() - t0;
      let total = 0;
      const reads = [];
      const t1 = performance.now();
      const rotation = mailbox.rotateDataKey({ onProgress: (p) => { total = p.total; } });
      // Reads issued while the rotation runs: how long the reading pane waits.
      let rotating = true;
      rotation.finally(() => { rotating = false; });
      while (rotating) {
        const t = performance.now();
        await mailbox.getMessage(messages[Math.floor(Math.random() * messages.length)].id);
        reads.push(performance.now() - t);
      }
      await rotation;
      const rotateMs = performance.now() - t1;
      out.push({ ingestMs, rotateMs, total, readMedianMs: median(reads), readMaxMs: Math.max(...reads), reads: reads.length });
      await mailbox.wipe();
    }
    return {
      records: out[0].total,
      ingestMs: median(out.map((r) => r.ingestMs)),
      rotateMs: median(out.map((r) => r.rotateMs)),
      readMedianMs: median(out.map((r) => r.readMedianMs)),
      readMaxMs: median(out.map((r) => r.readMaxMs)),
    };
  }, RUNS);
  const version = (await browser.context.browser()?.version()) ?? "chromium";
  console.log(`rotateDataKey on the real corpus, median of ${RUNS} runs (${version}):`);
  console.log(`  ${results.records} records re-sealed in ${results.rotateMs.toFixed(0)} ms (${((results.records / results.rotateMs) * 1000).toFixed(0)} records/s)`);
  console.log(`  ingest of the same records: ${results.ingestMs.toFixed(0)} ms`);
  console.log(`  getMessage during the rotation: median ${results.readMedianMs.toFixed(1)} ms, slowest ${results.readMaxMs.toFixed(1)} ms`);
} finally {
  await browser.close();
  await demo.close();
}
