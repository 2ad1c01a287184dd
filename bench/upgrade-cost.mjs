#!/usr/bin/env node
// What moving a schema-3 mailbox to the current layout costs at the first open:
// the schema-3 release (www/e2e/fixtures/schema3-release) stores the real corpus
// (6,046 messages), then the current build opens it and splits every message into
// a summary and a body record. Prints the time of that open and the rate.
// Run after `node scripts/build-package.mjs` and the corpus generation (see scripts/bench.sh).
import { createServer } from "node:http";
import { join, resolve } from "node:path";
import { staticFiles } from "../www/static.mjs";
import { launchBrowser } from "../www/e2e/browser.mjs";

const root = resolve(import.meta.dirname, "..");
const files = staticFiles({
  "/old/": join(root, "www", "e2e", "fixtures", "schema3-release"),
  "/pkg/": join(root, "pkg"),
  "/corpus/": join(root, "target", "corpus"),
});
const server = createServer((req, res) => {
  if (req.url === "/") return res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>upgrade cost</title>");
  if (!files(req, res)) res.writeHead(404).end();
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(900_000);
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const result = await page.evaluate(async () => {
    const old = await import("/old/offline_mailbox.js");
    await old.default();
    const messages = await (await fetch("/corpus/messages.json")).json();
    const key = new Uint8Array(32).fill(4);
    const before = await old.OfflineMailbox.open({ userId: "upgrade-cost", key });
    await before.enableOffline();
    for (let i = 0; i < messages.length; i += 500) await before.putMessages(messages.slice(i, i + 500));
    before.close();
    const { default: init, OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    await init();
    let batches = 0;
    const start = performance.now();
    const mailbox = await OfflineMailbox.open({ userId: "upgrade-cost", key, onUpgradeProgress: () => batches++ });
    const ms = performance.now() - start;
    const reopenStart = performance.now();
    mailbox.close();
    const again = await OfflineMailbox.open({ userId: "upgrade-cost", key });
    const reopenMs = performance.now() - reopenStart;
    await again.wipe();
    return { messages: messages.length, ms, batches, reopenMs };
  });
  console.log(`split ${result.messages} messages in ${(result.ms / 1000).toFixed(1)} s (${Math.round(result.messages / (result.ms / 1000))} messages/s, ${result.batches} progress reports); the next open took ${result.reopenMs.toFixed(1)} ms`);
} finally {
  await browser.close();
  server.close();
}
