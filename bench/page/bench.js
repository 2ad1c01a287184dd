// Runs in the benchmark page: streams the replicated corpus, ingests it into one
// contender in delta-sized batches, times the queries and measures the storage
// each contender uses. Called by bench/run.mjs, which opens a fresh page at an
// origin of its own for each measurement.
import { contenders, wasm } from "./contenders.js";

const FOLDER = "inbox";
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const request = (r) => new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });

/** The smallest replicated corpus file holding `count` messages (bench.sh generates both). */
const corpusFile = (count) => (count <= 100_000 ? "/corpus/messages-100000.json" : "/corpus/messages-300000.json");

/**
 * Yields the first `count` messages of the corpus file in batches, all in one folder.
 * The file is one JSON object per line (1.35 GB for 300k), read as a stream: only
 * the current chunk and batch are held.
 */
async function* batches(count, size) {
  const response = await fetch(corpusFile(count));
  if (!response.ok) throw new Error(`${corpusFile(count)}: HTTP ${response.status} (run bash scripts/bench.sh to generate it)`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let batch = [];
  let seen = 0;
  for (;;) {
    const { value, done } = await reader.read();
    buffer += value ?? "";
    const lines = buffer.split("\n");
    buffer = done ? "" : lines.pop();
    for (const line of lines) {
      const text = line.trim().replace(/,$/, "");
      if (!text.startsWith("{")) continue;
      const message = JSON.parse(text);
      message.parentFolderId = FOLDER;
      batch.push(message);
      seen++;
      if (batch.length === size || seen === count) { yield batch; batch = []; }
      if (seen === count) { await reader.cancel(); return; }
    }
    if (done) break;
  }
  throw new Error(`${corpusFile(count)} holds ${seen} messages, ${count} wanted`);
}

/** Ingests `count` messages into contender `key`; returns timings and the ids written. */
window.ingest = async (key, count, batchSize) => {
  const c = contenders[key];
  await c.reset();
  await c.open();
  let storeMs = 0;
  const ids = [];
  for await (const batch of batches(count, batchSize)) {
    const start = performance.now();
    await c.put(batch);
    storeMs += performance.now() - start;
    for (const m of batch) ids.push(m.id);
  }
  window.benchIds = ids;
  return { count: ids.length, storeMs, perSecond: ids.length / (storeMs / 1000), wasmMemory: key === "A" ? wasm.memory.buffer.byteLength : null };
};

/** Newest-50 page just after open (cold) and repeated (warm); open + first page; random gets. */
window.queries = async (key, gets) => {
  const c = contenders[key];
  c.close();
  const openStart = performance.now();
  await c.open();
  const cold = await c.newest(FOLDER, 50);
  const openFirstPageMs = performance.now() - openStart;
  if (cold.length !== 50) throw new Error(`${key}: first page has ${cold.length} messages`);
  const warm = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    await c.newest(FOLDER, 50);
    warm.push(performance.now() - t);
  }
  const coldAgain = performance.now();
  c.close();
  await c.open();
  const reopenMs = performance.now() - coldAgain;
  const t = performance.now();
  await c.newest(FOLDER, 50);
  const pageAfterOpenMs = performance.now() - t;
  // Deterministic "random" ids (an LCG), the same for every contender.
  let seed = 12345;
  const getMs = [];
  for (let i = 0; i < gets; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const id = window.benchIds[seed % window.benchIds.length];
    const start = performance.now();
    const message = await c.get(id);
    getMs.push(performance.now() - start);
    if (!message || message.id !== id) throw new Error(`${key}: get ${id} failed`);
  }
  return { openFirstPageMs, reopenMs, pageAfterOpenMs, warmPageMs: median(warm), getMs: median(getMs) };
};

/** Staged ingest profile of the library: validation only (offline off) vs the full write. */
window.stages = async (count, batchSize) => {
  const { OfflineMailbox } = await import("/pkg/web/offline_mailbox.js");
  await OfflineMailbox.wipeUser("bench-stage");
  const off = await OfflineMailbox.open({ userId: "bench-stage", key: new Uint8Array(32).fill(1) });
  let stringifyMs = 0, validateMs = 0;
  const all = [];
  for await (const batch of batches(count, batchSize)) {
    all.push(batch);
    let t = performance.now();
    for (const m of batch) JSON.stringify(m);
    stringifyMs += performance.now() - t;
    t = performance.now();
    await off.putMessages(batch); // offline off: converted and validated, then dropped
    validateMs += performance.now() - t;
  }
  await off.enableOffline();
  let fullMs = 0;
  for (const batch of all) {
    const t = performance.now();
    await off.putMessages(batch);
    fullMs += performance.now() - t;
  }
  await off.wipe();
  return { count, stringifyMs, validateMs, fullMs };
};

/**
 * Chromium's estimate for IndexedDB is the size of the origin's IndexedDB folder
 * on disk (LevelDB files and blob files) as of its last recount, and it recounts
 * when a database is opened, deleted or written, not when LevelDB's background
 * compaction rewrites files or when a deleted database's files are finally
 * removed, which can come seconds later. So each reading first opens and deletes a
 * throwaway database (which makes Chromium recount), and the usage is taken once
 * five readings 500 ms apart agree within 0.1 % (compaction moves it by megabytes
 * while it runs) and, for the empty origin, once it is under 1 MiB (the deleted
 * data is gone). Gives up after 90 readings, returning `settled: false`.
 */
async function settledUsage(below = Infinity) {
  const readings = [];
  for (let i = 0; i < 90; i++) {
    const probe = await request(indexedDB.open("bench-estimate-probe"));
    probe.close();
    await request(indexedDB.deleteDatabase("bench-estimate-probe"));
    await sleep(500);
    readings.push((await navigator.storage.estimate()).usage);
    const last = readings.slice(-5);
    const [lo, hi] = [Math.min(...last), Math.max(...last)];
    if (last.length === 5 && hi - lo <= Math.max(65_536, 0.001 * hi) && hi < below) return { usage: last.at(-1), readings, settled: true };
  }
  return { usage: readings.at(-1), readings, settled: false };
}

/** Deletes every contender's data and any other database of the origin. */
window.dropAll = async () => {
  for (const c of Object.values(contenders)) await c.reset();
  for (const { name } of await indexedDB.databases()) {
    const deletion = indexedDB.deleteDatabase(name);
    const blocked = setTimeout(() => console.error(`deleting ${name} is blocked by an open connection`), 10_000);
    await request(deletion).finally(() => clearTimeout(blocked));
  }
  const left = await indexedDB.databases();
  if (left.length) throw new Error(`databases left after clearing: ${left.map((d) => d.name).join(", ")}`);
};

/** dropAll, then the settled usage of the empty origin. */
window.clearAll = async () => {
  await window.dropAll();
  return settledUsage(2 ** 20);
};

/** The origin's settled storage usage with contender `key` closed; opens it again after. */
window.storageUsage = async (key) => {
  contenders[key].close();
  const usage = await settledUsage();
  await contenders[key].open();
  return usage;
};

document.body.dataset.ready = "true";
