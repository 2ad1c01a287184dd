// Runs in the benchmark page: streams the replicated corpus, ingests it into one
// contender in delta-sized batches, and times the queries. Called by bench/run.mjs.
import { contenders, wasm } from "./contenders.js";

const FOLDER = "inbox";
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Yields the first `count` messages of the corpus file in batches, all in one folder. */
async function* batches(count, size) {
  const response = await fetch("/corpus/messages-100000.json");
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
  if (batch.length) yield batch;
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

document.body.dataset.ready = "true";
