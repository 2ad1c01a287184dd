#!/usr/bin/env node
// The browser benchmark: offline-mailbox (A) against raw IndexedDB with plaintext
// objects (B, the floor) and Dexie 4 bulkPut (C), in one headless Chromium run, on
// the real corpus replicated to 10k and 100k messages. Writes
// bench/results/latest.json, bench/results/chart.png and bench/RESULTS.md.
// Run through `bash scripts/bench.sh`, which builds and generates the data first.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import os from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { staticFiles } from "../www/static.mjs";
import { launchBrowser } from "../www/e2e/browser.mjs";

const root = resolve(import.meta.dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SIZES = [10_000, 100_000];
const BATCH = 100; // messages per delta page (Graph's odata.maxpagesize is commonly set to 100)
const GETS = 300;
const KEYS = ["A", "B", "C"];

const stats = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted.at(-1), runs: xs };
};

function serve() {
  const handler = staticFiles({
    "/pkg/": join(root, "pkg"),
    "/dexie/": join(root, "node_modules", "dexie", "dist"),
    "/corpus/": join(root, "target", "corpus"),
    "/bench/": join(root, "bench", "page"),
  });
  const server = createServer((req, res) => handler(req, res) || (res.writeHead(404), res.end()));
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

/** Self time of a CPU profile by where it was spent. */
function attribute(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = {};
  const deltas = profile.timeDeltas;
  profile.samples.forEach((id, i) => {
    const { functionName, url } = byId.get(id).callFrame;
    let where;
    if (url.startsWith("wasm://") || url.endsWith(".wasm")) where = "WebAssembly (validation, serde, AES-GCM, HMAC)";
    else if (url.includes("/bench/")) where = "benchmark harness (reading and parsing the data)";
    else if (url.includes("offline_mailbox.js")) where = "JS glue (JS<->WASM copies, JSON.stringify/parse)";
    else if (functionName === "(idle)") where = "idle (waiting for IndexedDB)";
    else if (functionName === "(garbage collector)") where = "garbage collector";
    else if (url === "" && functionName && !functionName.startsWith("(")) where = `native: ${functionName}`;
    else where = "other (benchmark harness, program)";
    totals[where] = (totals[where] ?? 0) + (deltas[i] ?? 0) / 1000;
  });
  const fns = {};
  profile.samples.forEach((id, i) => {
    const { functionName, url } = byId.get(id).callFrame;
    const { lineNumber, columnNumber } = byId.get(id).callFrame;
    const k = `${functionName} @ ${url.split("/").pop()}:${lineNumber}:${columnNumber}`;
    fns[k] = (fns[k] ?? 0) + (deltas[i] ?? 0) / 1000;
  });
  totals.top = Object.entries(fns).sort((a, b) => b[1] - a[1]).slice(0, 40);
  return Object.fromEntries(Object.entries(totals).sort((a, b) => b[1] - a[1]));
}

const server = await serve();
const origin = `http://127.0.0.1:${server.address().port}`;
const browser = await launchBrowser();
const samples = {};
let profile = null;
let stages = null;
let version = "";
try {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(1_800_000);
  await page.goto(`${origin}/bench/index.html`);
  await page.waitForFunction(() => document.body?.dataset.ready === "true");
  version = browser.context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  const profiled = await page.evaluate(([n, b]) => window.ingest("A", n, b), [Number(process.env.N ?? 10000), BATCH]);
  profile = { storeMs: profiled.storeMs, selfMs: attribute((await cdp.send("Profiler.stop")).profile) };
} finally {
  await browser.close();
  server.close();
}

console.log(JSON.stringify(profile, null, 1));
