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
  for (let run = 1; run <= RUNS; run++) {
    for (const size of SIZES) {
      for (const key of KEYS) {
        const ingest = await page.evaluate(([k, n, b]) => window.ingest(k, n, b), [key, size, BATCH]);
        const entry = (samples[`${key}/${size}`] ??= []);
        const result = { ...ingest };
        if (size === 100_000) Object.assign(result, await page.evaluate(([k, g]) => window.queries(k, g), [key, GETS]));
        entry.push(result);
        console.log(`run ${run} ${key} ${size}: ${Math.round(ingest.perSecond)} msg/s`, size === 100_000 ? `page ${result.warmPageMs.toFixed(2)} ms warm, open+page ${result.openFirstPageMs.toFixed(1)} ms, get ${result.getMs.toFixed(2)} ms` : "");
      }
    }
  }
  stages = await page.evaluate(([n, b]) => window.stages(n, b), [10_000, BATCH]);
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  const profiled = await page.evaluate(([n, b]) => window.ingest("A", n, b), [10_000, BATCH]);
  profile = { storeMs: profiled.storeMs, selfMs: attribute((await cdp.send("Profiler.stop")).profile) };
} finally {
  await browser.close();
  server.close();
}

const wasmBytes = readFileSync(join(root, "pkg", "web", "offline_mailbox_bg.wasm"));
const summary = {};
for (const [name, runs] of Object.entries(samples)) {
  summary[name] = {};
  for (const metric of ["perSecond", "warmPageMs", "pageAfterOpenMs", "openFirstPageMs", "getMs", "wasmMemory"]) {
    const values = runs.map((r) => r[metric]).filter((v) => v !== undefined && v !== null);
    if (values.length) summary[name][metric] = stats(values);
  }
}
const ratio = (metric, size, other) => summary[`A/${size}`][metric].median / summary[`${other}/${size}`][metric].median;
const ratios = {};
for (const other of ["B", "C"]) {
  ratios[`A/${other}`] = {
    ingest10k: ratio("perSecond", 10_000, other) ** -1,
    ingest100k: ratio("perSecond", 100_000, other) ** -1,
    warmPage: ratio("warmPageMs", 100_000, other),
    openFirstPage: ratio("openFirstPageMs", 100_000, other),
    get: ratio("getMs", 100_000, other),
  };
}
const machine = {
  cpu: os.cpus()[0]?.model, cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()}`, node: process.version, chromium: version,
  rustc: execFileSync("rustc", ["--version"], { encoding: "utf8" }).trim(), date: new Date().toISOString(),
};
const wasm = { raw: wasmBytes.length, gzip: gzipSync(wasmBytes, { level: 9 }).length };
const results = { machine, settings: { runs: RUNS, sizes: SIZES, batch: BATCH, gets: GETS }, wasm, summary, ratios, stages, profile, samples };
mkdirSync(join(root, "bench", "results"), { recursive: true });
writeFileSync(join(root, "bench", "results", "latest.json"), JSON.stringify(results, null, 2) + "\n");
const { writeReport } = await import("./report.mjs");
await writeReport(results);
console.log("wrote bench/results/latest.json, bench/results/chart.png, bench/RESULTS.md");
