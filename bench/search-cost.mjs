#!/usr/bin/env node
// Measures search in headless Chromium on the real corpus replicated to SEARCH_N
// messages (default 100,000; the 6,046-message corpus when SEARCH_N=6046):
// - ingest through applyDelta pages of 100, with the index kept in step, and, when
//   SEARCH_BASE names a package built from a commit before search (its pkg/
//   folder), the same ingest with that package: SEARCH_RUNS (default 3) of each,
//   alternating, each in a browser with a fresh profile (a deleted database goes
//   on costing LevelDB compaction for minutes, which would slow whatever runs
//   next), medians compared;
// - the bytes of the index (searchPostings + searchDocs) against the sealed bytes
//   of the messages (messages + messageBodies), read with IndexedDB's own API;
// - the first query after open, then warm one-word and three-word queries
//   (medians of 20 each; the first query is the median of 7 words, each after
//   opening again), and the plain decrypt-and-scan of the same store
//   (`scan: true`, median of 3);
// - MiniSearch 7, plaintext and in memory, on the same messages: building its index
//   and the same queries (AND, last word as a prefix), as a reference point.
// Writes bench/results/search.json. Run after a build and the corpus:
// `node scripts/build-package.mjs && node bench/search-cost.mjs`.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { launchBrowser } from "../www/e2e/browser.mjs";
import { startSite } from "../www/e2e/site.mjs";

const root = resolve(import.meta.dirname, "..");
const N = Number(process.env.SEARCH_N ?? 100_000);
const BASE = process.env.SEARCH_BASE;
const RUNS = Number(process.env.SEARCH_RUNS ?? 3);
const file = N === 6046 ? "messages.json" : `messages-${N}.json`;
if (!existsSync(join(root, "target", "corpus", file))) {
  throw new Error(`target/corpus/${file} is missing: cargo run --release -p offline-mailbox-corpus -- --out target/corpus --replicate ${N}`);
}

// Query words from the corpus itself: frequent and middling words of subjects and bodies.
const sample = JSON.parse(readFileSync(join(root, "target", "corpus", "messages.json"), "utf8"));
const frequency = new Map();
for (const m of sample) {
  const text = `${m.subject ?? ""} ${(m.body?.content ?? "").replace(/<[^>]*>/g, " ")}`.toLowerCase();
  for (const w of new Set(text.match(/\b[a-z]{4,}\b/g) ?? [])) frequency.set(w, (frequency.get(w) ?? 0) + 1);
}
const byBand = (low, high) => [...frequency].filter(([, n]) => n >= low && n <= high).map(([w]) => w).sort();
const pick = (list, count, step) => Array.from({ length: count }, (_, i) => list[(i * step) % list.length]);
const common = pick(byBand(600, 3000), 20, 7);
const medium = pick(byBand(30, 300), 40, 13);
const oneWord = [...common.slice(0, 10), ...medium.slice(0, 10)];
const threeWord = Array.from({ length: 20 }, (_, i) => `${common[i]} ${common[(i + 5) % 20]} ${medium[20 + i]}`);

const site = await startSite({
  "/pkg/": join(root, "pkg"),
  "/corpus/": join(root, "target", "corpus"),
  "/minisearch/": join(root, "node_modules", "minisearch", "dist", "es"),
  ...(BASE ? { "/base/": resolve(BASE) } : {}),
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A fresh browser on a page of the site, ingesting the corpus with `module`; resolves to the browser, its page and the ms the ingest took. */
async function ingestIn(module) {
  const browser = await launchBrowser();
  const page = await browser.context.newPage();
  page.setDefaultTimeout(3_600_000);
  await page.goto(`${site.origin}/`);
  const ms = await page.evaluate(async ({ file, module }) => {
    const messages = await (await fetch(`/corpus/${file}`)).json();
    const { default: init, OfflineMailbox } = await import(module);
    await init();
    const mailbox = await OfflineMailbox.open({ userId: "search-bench", key: new Uint8Array(32).fill(4) });
    await mailbox.enableOffline();
    const started = performance.now();
    for (let i = 0; i < messages.length; i += 100) {
      await mailbox.applyDelta("messages", "inbox", { value: messages.slice(i, i + 100) });
    }
    const ms = performance.now() - started;
    mailbox.close();
    return ms;
  }, { file, module });
  return { browser, page, ms };
}

const withIndex = [];
const withoutIndex = [];
let browser;
let page;
for (let run = 0; run < RUNS; run++) {
  if (BASE) {
    const base = await ingestIn("/base/web/offline_mailbox.js");
    withoutIndex.push(base.ms);
    await base.browser.close();
  }
  await browser?.close();
  const ours = await ingestIn("/pkg/web/offline_mailbox.js");
  withIndex.push(ours.ms);
  ({ browser, page } = ours);
  console.log(`ingest run ${run + 1}: with the index ${Math.round(withIndex.at(-1))} ms${BASE ? `, without ${Math.round(withoutIndex.at(-1))} ms` : ""}`);
}

try {
  const result = await page.evaluate(async ({ file, oneWord, threeWord }) => {
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const messages = await (await fetch(`/corpus/${file}`)).json();
    const key = new Uint8Array(32).fill(4);
    const { default: init, OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
    await init();
    const out = { messages: messages.length };

    // Sealed bytes per store, read with IndexedDB's own API.
    const name = OfflineMailbox.databaseName("search-bench");
    const db = await new Promise((ok, fail) => { const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
    const bytes = {};
    for (const store of ["messages", "messageBodies", "searchPostings", "searchDocs"]) {
      bytes[store] = await new Promise((ok) => {
        let total = 0;
        const request = db.transaction(store).objectStore(store).openCursor();
        request.onsuccess = () => {
          const cursor = request.result;
          if (!cursor) return ok(total);
          total += cursor.value.v.byteLength;
          cursor.continue();
        };
      });
    }
    db.close();
    out.bytes = bytes;

    // The first query after open, for 7 words (frequent and middling), each
    // after opening the mailbox again: the median.
    const firsts = [];
    for (const word of [...oneWord.slice(0, 4), ...oneWord.slice(10, 13)]) {
      const fresh = await OfflineMailbox.open({ userId: "search-bench", key });
      const t = performance.now();
      await fresh.search(word);
      firsts.push(performance.now() - t);
      fresh.close();
    }
    out.firstQueryMs = median(firsts);
    out.firstQueryRunsMs = firsts;
    const reopened = await OfflineMailbox.open({ userId: "search-bench", key });
    let started;
    const timed = async (query, options) => {
      await reopened.search(query, options);
      const t = performance.now();
      await reopened.search(query, options);
      return performance.now() - t;
    };
    const warmOne = [];
    for (const q of oneWord) warmOne.push(await timed(q));
    const warmThree = [];
    for (const q of threeWord) warmThree.push(await timed(q));
    out.warmOneWordMs = median(warmOne);
    out.warmThreeWordMs = median(warmThree);
    const scans = [];
    for (const q of oneWord.slice(10, 13)) {
      const t = performance.now();
      await reopened.search(q, { scan: true });
      scans.push(performance.now() - t);
    }
    out.scanMs = median(scans);

    const { default: MiniSearch } = await import("/minisearch/index.js");
    const text = (m) => (m.body?.contentType === "html" ? (m.body.content ?? "").replace(/<[^>]*>/g, " ") : m.body?.content ?? "");
    const documents = messages.map((m) => ({ id: m.id, subject: m.subject ?? "", from: `${m.from?.emailAddress?.name ?? ""} ${m.from?.emailAddress?.address ?? ""}`, body: text(m) }));
    started = performance.now();
    const mini = new MiniSearch({ fields: ["subject", "from", "body"], searchOptions: { combineWith: "AND" } });
    mini.addAll(documents);
    out.miniSearchBuildMs = performance.now() - started;
    const miniTimed = (q) => {
      const t = performance.now();
      mini.search(q, { prefix: (term, i, terms) => i === terms.length - 1 }).slice(0, 50);
      return performance.now() - t;
    };
    out.miniSearchOneWordMs = median(oneWord.map(miniTimed));
    out.miniSearchThreeWordMs = median(threeWord.map(miniTimed));
    await reopened.wipe();
    return out;
  }, { file, oneWord, threeWord });
  result.ingestMs = median(withIndex);
  result.ingestRunsMs = withIndex;
  if (BASE) {
    result.ingestWithoutIndexMs = median(withoutIndex);
    result.ingestWithoutIndexRunsMs = withoutIndex;
  }

  const sealed = result.bytes.messages + result.bytes.messageBodies;
  const index = result.bytes.searchPostings + result.bytes.searchDocs;
  const at = `${Math.round(result.messages / 1000)}k, bench/search-cost.mjs`;
  const goal = (name, target, comparison, unit, measured) => {
    const met = { "<": measured < target, "<=": measured <= target, ">=": measured >= target }[comparison];
    return { name: `${name} (${at})`, target, comparison, unit, measured, met };
  };
  const goals = {
    searchWarmOneWord: goal("search, one word, warm (median of 20)", 20, "<", "ms", result.warmOneWordMs),
    searchWarmThreeWords: goal("search, three words, warm (median of 20)", 20, "<", "ms", result.warmThreeWordMs),
    searchFirstAfterOpen: goal("search, first query after open (median of 7)", 100, "<", "ms", result.firstQueryMs),
    searchVsScan: goal("search at least 50× faster than decrypt-and-scan (scan / warm one-word)", 50, ">=", "×", result.scanMs / result.warmOneWordMs),
    searchIndexBytes: goal("index bytes / sealed message bytes", 0.5, "<=", "×", index / sealed),
    ...(BASE ? { searchIngest: goal("ingest with the index / ingest without it (delta pages of 100)", 1.5, "<=", "×", result.ingestMs / result.ingestWithoutIndexMs) } : {}),
  };
  const report = { date: new Date().toISOString(), messages: result.messages, queries: { oneWord, threeWord }, result, goals };
  writeFileSync(join(root, "bench", "results", "search.json"), `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify({ ...result, goals }, null, 2));
  // The search goals join the main benchmark's goals table and RESULTS.md.
  const latestFile = join(root, "bench", "results", "latest.json");
  const latest = JSON.parse(readFileSync(latestFile, "utf8"));
  latest.goals = { ...Object.fromEntries(Object.entries(latest.goals).filter(([k]) => !k.startsWith("search"))), ...goals };
  // The module's size is the build's, whatever run measured the timings.
  const wasmBytes = readFileSync(join(root, "pkg", "web", "offline_mailbox_bg.wasm"));
  latest.wasm = { raw: wasmBytes.length, gzip: gzipSync(wasmBytes, { level: 9 }).length };
  latest.goals.wasmGzip = { ...latest.goals.wasmGzip, measured: latest.wasm.gzip, met: latest.wasm.gzip < latest.goals.wasmGzip.target };
  latest.search = report;
  writeFileSync(latestFile, `${JSON.stringify(latest, null, 2)}\n`);
  const { writeReport } = await import("./report.mjs");
  await writeReport(latest);
} finally {
  await browser?.close();
  site.close();
}
