// The page side of bench/cipher: AES-256-GCM in wasm (without and with simd128)
// against WebCrypto, and lz4_flex against miniz_oxide deflate on the real corpus.
// Every function returns one sample; run.mjs repeats them and takes medians.

const BUILDS = ["base", "simd", "codec3"];
const wasm = {};
for (const name of BUILDS) {
  wasm[name] = await import(`/wasm/${name}/cipher_bench.js`);
  await wasm[name].default();
}

const KEY = crypto.getRandomValues(new Uint8Array(32));
// The shape of the library's AAD: store name, record key, envelope version, key id.
const AAD = new TextEncoder().encode("offline-mailbox/messages/msg-easy-ham-1-00001/v1/k1");
const subtleKey = await crypto.subtle.importKey("raw", KEY, "AES-GCM", false, ["encrypt", "decrypt"]);
const sealers = { base: new wasm.base.Sealer(KEY, 1), simd: new wasm.simd.Sealer(KEY, 1) };

/** One record sealed by WebCrypto into the library's envelope layout (5-byte header, nonce, ciphertext+tag). */
async function webSeal(plaintext) {
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: AAD }, subtleKey, plaintext));
  const out = new Uint8Array(17 + ct.length);
  out[0] = 1;
  out[4] = 1;
  out.set(nonce, 5);
  out.set(ct, 17);
  return out;
}
async function webOpen(sealed) {
  const iv = sealed.subarray(5, 17);
  return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: AAD }, subtleKey, sealed.subarray(17)));
}

/** A batch operation: seal or open every record of `records`, all at once for WebCrypto. */
function batchOp(variant, op) {
  if (variant === "webcrypto") {
    const one = op === "seal" ? webSeal : webOpen;
    return (records) => Promise.all(records.map(one));
  }
  const s = sealers[variant];
  return op === "seal" ? (records) => records.map((r) => s.seal(AAD, r)) : (records) => records.map((r) => s.open(AAD, r));
}

const inputs = new Map();
/** `batch` random plaintexts of `size` bytes and their envelopes under `variant`, made once. */
async function recordsFor(variant, size, batch) {
  const id = `${variant}/${size}/${batch}`;
  if (!inputs.has(id)) {
    const plain = Array.from({ length: batch }, () => {
      const r = new Uint8Array(size);
      for (let i = 0; i < size; i += 65536) crypto.getRandomValues(r.subarray(i, i + 65536));
      return r;
    });
    const sealed = await batchOp(variant, "seal")(plain);
    const opened = await batchOp(variant, "open")(sealed);
    if (!opened.every((o, i) => o.length === size && o.every((b, j) => b === plain[i][j]))) throw new Error(`${id}: round trip failed`);
    inputs.set(id, { plain, sealed });
  }
  return inputs.get(id);
}

/** Repeats `fn` (awaited) for at least `minMs`; milliseconds per call. */
async function perCall(fn, minMs) {
  await fn(); // warm-up
  let n = 0;
  const t0 = performance.now();
  let t;
  do {
    await fn();
    n++;
    t = performance.now() - t0;
  } while (t < minMs);
  return t / n;
}

/** Throughput of sealing or opening a batch: plaintext MB (10^6 bytes) per second. */
window.cipher = async (variant, op, size, batch, minMs = 250) => {
  const { plain, sealed } = await recordsFor(variant, size, batch);
  const run = batchOp(variant, op);
  const input = op === "seal" ? plain : sealed;
  const ms = await perCall(() => run(input), minMs);
  return { msPerBatch: ms, mbPerSecond: (size * batch) / 1e6 / (ms / 1000) };
};

/** Latency of one record, one call at a time: sync wasm calls, awaited WebCrypto calls. Microseconds per record. */
window.latency = async (variant, op, size = 1300, minMs = 250) => {
  const { plain, sealed } = await recordsFor(variant, size, 1);
  if (variant === "webcrypto") {
    const one = op === "seal" ? () => webSeal(plain[0]) : () => webOpen(sealed[0]);
    return { usPerRecord: (await perCall(one, minMs)) * 1000 };
  }
  const s = sealers[variant];
  const one = op === "seal" ? () => s.seal(AAD, plain[0]) : () => s.open(AAD, sealed[0]);
  one();
  let n = 0;
  const t0 = performance.now();
  let t;
  do {
    for (let i = 0; i < 100; i++) one();
    n += 100;
    t = performance.now() - t0;
  } while (t < minMs);
  return { usPerRecord: (t / n) * 1000 };
};

// The summary part of a record: what the list view and the indexes read.
const SUMMARY = new Set([
  "id", "parentFolderId", "conversationId", "subject", "bodyPreview", "from", "sender", "toRecipients", "ccRecipients",
  "receivedDateTime", "sentDateTime", "isRead", "isDraft", "flag", "importance", "hasAttachments", "categories",
  "inferenceClassification", "meetingMessageType", "@offlineMailbox.bodyWithheld",
]);
let corpus;
/** The real corpus split into summary and rest JSON, UTF-8 encoded, one entry per message. */
window.loadCorpus = async () => {
  const messages = await (await fetch("/corpus/messages.json")).json();
  const enc = new TextEncoder();
  const parts = { summary: [], rest: [] };
  for (const m of messages) {
    const summary = {};
    const rest = {};
    for (const [k, v] of Object.entries(m)) (SUMMARY.has(k) ? summary : rest)[k] = v;
    parts.summary.push(enc.encode(JSON.stringify(summary)));
    parts.rest.push(enc.encode(JSON.stringify(rest)));
  }
  corpus = parts;
  const bytes = (xs) => xs.reduce((a, x) => a + x.length, 0);
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  return {
    messages: messages.length,
    summaryBytes: bytes(parts.summary), restBytes: bytes(parts.rest),
    summaryMedianBytes: median(parts.summary.map((x) => x.length)), restMedianBytes: median(parts.rest.map((x) => x.length)),
  };
};

const CODECS = {
  lz4: (m) => [m.lz4_compress, m.lz4_decompress],
  deflate1: (m) => [(x) => m.deflate_compress(x, 1), m.deflate_decompress],
  deflate6: (m) => [(x) => m.deflate_compress(x, 6), m.deflate_decompress],
};
const checked = new Set();
/** One pass of compressing then decompressing every record of `part` (one wasm call each), with the sizes. */
window.codec = (build, name, part) => {
  const [compress, decompress] = CODECS[name](wasm[build]);
  const records = corpus[part];
  const id = `${build}/${name}/${part}`;
  if (!checked.has(id)) {
    // Warm-up, untimed, so V8 has tiered the codec up from Liftoff to TurboFan.
    for (const r of records.slice(0, 500)) decompress(compress(r));
  }
  const packed = new Array(records.length);
  const unpacked = new Array(records.length);
  const t0 = performance.now();
  for (let i = 0; i < records.length; i++) packed[i] = compress(records[i]);
  const t1 = performance.now();
  for (let i = 0; i < records.length; i++) unpacked[i] = decompress(packed[i]);
  const t2 = performance.now();
  if (!checked.has(id)) {
    records.forEach((r, i) => {
      const u = unpacked[i];
      if (u.length !== r.length || !u.every((b, j) => b === r[j])) throw new Error(`${id}: record ${i} did not round-trip`);
    });
    checked.add(id);
  }
  let original = 0;
  let compressed = 0;
  let smaller = 0;
  const ratios = [];
  records.forEach((r, i) => {
    original += r.length;
    compressed += packed[i].length;
    if (packed[i].length < r.length) smaller++;
    ratios.push(packed[i].length / r.length);
  });
  ratios.sort((a, b) => a - b);
  return {
    records: records.length, originalBytes: original, compressedBytes: compressed, smaller,
    ratio: compressed / original, medianRatio: ratios[ratios.length >> 1],
    compressMbPerSecond: original / 1e6 / ((t1 - t0) / 1000), decompressMbPerSecond: original / 1e6 / ((t2 - t1) / 1000),
  };
};

window.crossOriginIsolated_ = self.crossOriginIsolated;
document.body.dataset.ready = "true";
