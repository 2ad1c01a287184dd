// Renders the figures of bench/cipher/run.mjs as bench/results/cipher.md. Run on
// its own (`node bench/cipher/report.mjs`) it re-renders bench/results/cipher.json.
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const f1 = (x) => x.toLocaleString("en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const f0 = (x) => Math.round(x).toLocaleString("en-US");
const f3 = (x) => x.toFixed(3);
const pct = (x) => `${Math.round(x * 100)}%`;
const kb = (b) => (b >= 65536 ? `${b / 1024} KiB` : b >= 1000 ? `${b / 1000} KB` : `${b} B`);
const row = (cells) => `| ${cells.join(" | ")} |`;
const NAMES = { base: "wasm", simd: "wasm +simd128", webcrypto: "WebCrypto" };
const CODEC_NAMES = { lz4: "lz4_flex (block)", deflate1: "deflate level 1", deflate6: "deflate level 6" };

export function cipherReport(r) {
  const { cipher, latency, codec, codeSize, corpus, machine, versions, settings } = r;
  const c = (v, op, size, batch) => cipher[`${v}/${op}/${size}/${batch}`];
  const lines = [];
  const p = (...xs) => lines.push(...xs);

  p("# Cipher and codec measurement", "",
    "Run with `node bench/cipher/run.mjs` (builds bench/cipher into target/, serves it on 127.0.0.1, drives headless Chromium; `CORPUS=path/to/messages.json` if the corpus is not in target/corpus).", "",
    `${machine.cpu}, ${machine.cores} cores; ${machine.os}; headless Chromium ${machine.chromium} (cross-origin isolated: ${machine.crossOriginIsolated}); ${machine.rustc}; ${machine.date}. ` +
    `Medians of ${settings.runs} runs; MB = 10^6 bytes of plaintext. Crates: aes-gcm ${versions["aes-gcm"]} (aes ${versions.aes}, ghash ${versions.ghash}, polyval ${versions.polyval}, ctr ${versions.ctr}), lz4_flex ${versions.lz4_flex}, miniz_oxide ${versions.miniz_oxide}, wasm-bindgen ${versions["wasm-bindgen"]}; ` +
    "the library's release profile (opt-level z, aes/aes-gcm/ghash/polyval/ctr at 3, LTO, panic=abort) and its wasm-opt flags. Raw figures: [cipher.json](cipher.json).", "");

  p("## A. AES-256-GCM: wasm, wasm +simd128, WebCrypto", "",
    "Each record is sealed as the library does it (fresh `Aes256Gcm` from the held key, random nonce from getrandom, AAD, 5-byte header; `Uint8Array` in, `Vec<u8>` out through wasm-bindgen). " +
    "WebCrypto uses a non-extractable `CryptoKey`, a `getRandomValues` nonce and the same envelope layout, and issues a whole batch at once (`Promise.all`). Throughput in MB/s:", "",
    row(["record", "batch", "seal wasm", "seal +simd128", "seal WebCrypto", "open wasm", "open +simd128", "open WebCrypto"]),
    row(Array(8).fill("---")));
  for (const size of settings.sizes) for (const batch of settings.batches) {
    p(row([kb(size), batch, ...["seal", "open"].flatMap((op) => ["base", "simd", "webcrypto"].map((v) => f1(c(v, op, size, batch))))]));
  }
  p("", "One 1.3 KB record at a time (a sync wasm call; one awaited WebCrypto call), microseconds per record:", "",
    row(["", ...Object.values(NAMES)]), row(Array(4).fill("---")),
    ...["seal", "open"].map((op) => row([op, ...Object.keys(NAMES).map((v) => f1(latency[`${v}/${op}`]))])), "");

  p("## B. Compress, then seal: lz4_flex against miniz_oxide raw deflate", "",
    `The real corpus, ${f0(corpus.messages)} messages, each split into a summary part (the list-view fields and \`@offlineMailbox.bodyWithheld\`; ` +
    `${(corpus.summaryBytes / 1e6).toFixed(1)} MB, median ${corpus.summaryMedianBytes} B) and the rest (${(corpus.restBytes / 1e6).toFixed(1)} MB, median ${corpus.restMedianBytes} B), JSON as UTF-8, ` +
    "one wasm call per record (`Uint8Array` in, `Vec<u8>` out). Ratio = compressed/original (lz4 includes its 4-byte size prefix). " +
    "Speeds are MB of original per second, with the library's profile (codecs at opt-level z) and with the codec crates at opt-level 3.", "",
    row(["part", "codec", "total ratio", "median record ratio", "records smaller", "compress MB/s (z)", "decompress MB/s (z)", "compress MB/s (3)", "decompress MB/s (3)"]),
    row(Array(9).fill("---")));
  for (const part of ["summary", "rest"]) for (const name of Object.keys(CODEC_NAMES)) {
    const z = codec[`base/${name}/${part}`];
    const o = codec[`codec3/${name}/${part}`];
    p(row([part, CODEC_NAMES[name], f3(z.ratio), f3(z.medianRatio), `${f0(z.smaller)} / ${f0(z.records)}`,
      f1(z.compressMbPerSecond), f1(z.decompressMbPerSecond), f1(o.compressMbPerSecond), f1(o.decompressMbPerSecond)]));
  }
  const zs = codeSize["opt-level z"];
  const os3 = codeSize["opt-level 3"];
  p("", `Code size each codec adds (compress + decompress exported through wasm-bindgen, wasm-opt -Oz), against a ${f0(zs.baseline.raw)}-byte (${f0(zs.baseline.gzip)} gzip) cdylib with the same exports doing a copy:`, "",
    row(["codec", "raw bytes (z)", "gzip bytes (z)", "raw bytes (3)", "gzip bytes (3)"]), row(Array(5).fill("---")),
    ...Object.keys(CODEC_NAMES).map((n) => row([CODEC_NAMES[n], `+${f0(zs[n].raw)}`, `+${f0(zs[n].gzip)}`, `+${f0(os3[n].raw)}`, `+${f0(os3[n].gzip)}`])), "");

  // Conclusions, from the figures.
  p("Per-page times in the conclusions use the corpus' average record sizes (" +
    `${f0(corpus.summaryBytes / corpus.messages)} B summary, ${f0(corpus.restBytes / corpus.messages)} B rest) and the opt-level z speeds: a delta page compresses 100 whole messages, a list page decompresses 50 summaries.`, "");
  p("## What these figures alone suggest", "", "The library's choices, which also weigh the wasm size budget, list-page latency and its transaction design, are in bench/RESULTS.md, under \"Cipher and compression: what the library chose\".", "");
  const S = 1300, B = 100, O = 50;
  const ratioAt = (op, size, batch) => c("webcrypto", op, size, batch) / c("base", op, size, batch);
  const webWins = settings.sizes.every((s) => settings.batches.every((b) => ratioAt("seal", s, b) > 1 && ratioAt("open", s, b) > 1));
  const factors = settings.sizes.flatMap((s) => settings.batches.flatMap((b) => [ratioAt("seal", s, b), ratioAt("open", s, b)]));
  const out = [];
  out.push(webWins
    ? `On throughput alone, WebCrypto wins: it is faster than the wasm crates at every size and batch measured (×${f1(Math.min(...factors))} to ×${f1(Math.max(...factors))}); a 100-record delta page of ${kb(S)} records seals at ${f0(c("webcrypto", "seal", S, B))} MB/s against ${f0(c("base", "seal", S, B))} MB/s, and a 50-record page opens at ${f0(c("webcrypto", "open", S, O))} MB/s against ${f0(c("base", "open", S, O))} MB/s.`
    : `WebCrypto is not faster everywhere: against wasm it ranges from ×${f1(Math.min(...factors))} to ×${f1(Math.max(...factors))}; at ${kb(S)} × ${B} it seals ${f0(c("webcrypto", "seal", S, B))} MB/s against ${f0(c("base", "seal", S, B))} MB/s for wasm.`);
  const simdGain = settings.sizes.flatMap((s) => settings.batches.flatMap((b) => ["seal", "open"].map((op) => c("simd", op, s, b) / c("base", op, s, b) - 1)));
  const simdMedian = [...simdGain].sort((a, b) => a - b)[simdGain.length >> 1];
  const signed = (x) => (x >= 0 ? "+" : "") + pct(x);
  out.push(`Building the wasm with +simd128 changes its throughput by ${signed(simdMedian)} in the median (${signed(Math.min(...simdGain))} to ${signed(Math.max(...simdGain))}; ${Math.abs(simdMedian) < 0.1 ? "noise, as aes, ghash and polyval have no wasm SIMD backend" : "small next to WebCrypto"}): the wasm path stays near ${f0(c("base", "seal", 65536, B))} MB/s even at 64 KiB, where WebCrypto seals ${f0(c("webcrypto", "seal", 65536, B))} MB/s and opens ${f0(c("webcrypto", "open", 65536, O))} MB/s.`);
  const lw = (op) => latency[`webcrypto/${op}`], lb = (op) => latency[`base/${op}`];
  out.push(lw("seal") < lb("seal") && lw("open") < lb("open")
    ? `Even one ${kb(S)} record is quicker through an awaited WebCrypto call (${f1(lw("seal"))} µs seal, ${f1(lw("open"))} µs open) than through a sync wasm call (${f1(lb("seal"))} / ${f1(lb("open"))} µs), so no single-record path needs to stay in wasm for latency.`
    : `For one ${kb(S)} record a sync wasm call (${f1(lb("seal"))} µs seal, ${f1(lb("open"))} µs open) competes with an awaited WebCrypto call (${f1(lw("seal"))} / ${f1(lw("open"))} µs), so single-record paths may stay in wasm where an await would be awkward.`);
  // Codec: stored bytes of the whole corpus and the time per delta page / list page, library profile.
  const stored = (n) => codec[`base/${n}/summary`].compressedBytes + codec[`base/${n}/rest`].compressedBytes;
  const total = corpus.summaryBytes + corpus.restBytes;
  const pageMs = (n) => { // compress 100 whole messages, decompress 50 summaries (average record sizes)
    const s = codec[`base/${n}/summary`], t = codec[`base/${n}/rest`];
    const avgS = corpus.summaryBytes / corpus.messages, avgR = corpus.restBytes / corpus.messages;
    return {
      ingest: 100 * (avgS / s.compressMbPerSecond + avgR / t.compressMbPerSecond) / 1000,
      list: 50 * avgS / s.decompressMbPerSecond / 1000,
    };
  };
  const [l, d1, d6] = ["lz4", "deflate1", "deflate6"];
  const saved = 1 - stored(d1) / stored(l);
  const pl = pageMs(l), pd = pageMs(d1), p6 = pageMs(d6);
  const smallerL = codec[`base/${l}/summary`].smaller, smallerD = codec[`base/${d1}/summary`].smaller;
  const fallback = smallerL === corpus.messages && smallerD === corpus.messages
    ? "every summary shrinks under both codecs"
    : `${f0(smallerD)} of ${f0(corpus.messages)} summaries shrink under deflate 1 and ${f0(smallerL)} under lz4`;
  out.push(`Deflate level 1 stores the corpus in ${pct(stored(d1) / total)} of its size against ${pct(stored(l) / total)} for lz4 (summaries ${f3(codec[`base/${d1}/summary`].ratio)} against ${f3(codec[`base/${l}/summary`].ratio)}, rest ${f3(codec[`base/${d1}/rest`].ratio)} against ${f3(codec[`base/${l}/rest`].ratio)}; ${fallback}), ` +
    `and level 6 only reaches ${pct(stored(d6) / total)} for ${f1(p6.ingest)} ms instead of ${f1(pd.ingest)} ms of compression per 100-message delta page.`);
  // The recommendation rule: deflate 1 if it saves at least 15% of stored bytes over lz4 and keeps a 50-summary page under 2 ms and a delta page under 25 ms.
  out.push(saved >= 0.15 && pd.list < 2 && pd.ingest < 25
    ? `On these figures alone, miniz_oxide raw deflate at level 1 would be the pick: lz4 is faster (${f1(pl.ingest)} ms per delta page against ${f1(pd.ingest)} ms, ${f1(pl.list)} ms to decompress a 50-summary page against ${f1(pd.list)} ms) and smaller in code (+${f0(zs.lz4.gzip)} gzip bytes against +${f0(zs.deflate1.gzip)}), but deflate's ${pct(saved)} fewer stored bytes pay for that, since IndexedDB write and quota costs scale with stored bytes and the decompression time stays under a millisecond or two per list page.`
    : `On these figures alone, lz4_flex would be the pick: it is faster (${f1(pl.ingest)} ms per delta page against ${f1(pd.ingest)} ms for deflate 1, ${f1(pl.list)} ms to decompress a 50-summary page against ${f1(pd.list)} ms) and smaller in code (+${f0(zs.lz4.gzip)} gzip bytes against +${f0(zs.deflate1.gzip)}), and deflate's ${pct(saved)} fewer stored bytes do not pay for that.`);
  // Whether the chosen codec should join the cipher crates at opt-level 3.
  const pick = saved >= 0.15 && pd.list < 2 && pd.ingest < 25 ? d1 : l;
  const crate = pick === l ? "lz4_flex" : "miniz_oxide";
  const speed = (b, part, k) => codec[`${b}/${pick}/${part}`][k];
  const gain = (speed("codec3", "rest", "compressMbPerSecond") + speed("codec3", "summary", "compressMbPerSecond")) /
    (speed("base", "rest", "compressMbPerSecond") + speed("base", "summary", "compressMbPerSecond"));
  const codeDelta = os3[pick].gzip - zs[pick].gzip;
  out.push(gain >= 1.15 && codeDelta < 1024
    ? `Give ${crate} opt-level 3 in the release profile like the cipher crates: it then compresses summaries at ${f0(speed("codec3", "summary", "compressMbPerSecond"))} and the rest at ${f0(speed("codec3", "rest", "compressMbPerSecond"))} MB/s instead of ${f0(speed("base", "summary", "compressMbPerSecond"))} and ${f0(speed("base", "rest", "compressMbPerSecond"))}, for ${codeDelta >= 0 ? "+" : ""}${f0(codeDelta)} gzip bytes.`
    : `Leave ${crate} at the profile's opt-level z: opt-level 3 changes its compression speed by ×${f1(gain)} for ${codeDelta >= 0 ? "+" : ""}${f0(codeDelta)} gzip bytes.`);
  p(out.join(" "), "");
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = resolve(import.meta.dirname, "..", "..");
  const results = JSON.parse(readFileSync(join(root, "bench", "results", "cipher.json"), "utf8"));
  writeFileSync(join(root, "bench", "results", "cipher.md"), cipherReport(results));
  console.log("wrote bench/results/cipher.md");
}
