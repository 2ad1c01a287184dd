#!/usr/bin/env node
// Measures the two record-layout questions in headless Chromium and writes
// bench/results/cipher.json and bench/results/cipher.md:
//  A) AES-256-GCM in wasm (the library's crates and profile), the same with
//     simd128, and WebCrypto with a non-extractable key, batch and single record;
//  B) lz4_flex against miniz_oxide raw deflate (levels 1 and 6) in wasm on the
//     real corpus split into summary and rest parts, plus each codec's code size.
// Usage: node bench/cipher/run.mjs   (CIPHER_RUNS=n repetitions, default 7;
// CORPUS=path to messages.json, default target/corpus/messages.json).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { parse } from "smol-toml";
import { staticFiles } from "../../www/static.mjs";
import { launchBrowser } from "../../www/e2e/browser.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const here = import.meta.dirname;
const RUNS = Number(process.env.CIPHER_RUNS ?? 7);
const CORPUS = resolve(process.env.CORPUS ?? join(root, "target", "corpus", "messages.json"));
const out = join(root, "target", "cipher");
const SIZES = [600, 1300, 4600, 65536];
const BATCHES = [50, 100];
const VARIANTS = ["base", "simd", "webcrypto"];
const OPS = ["seal", "open"];
const CODECS = ["lz4", "deflate1", "deflate6"];
const PARTS = ["summary", "rest"];
const CODEC_BUILDS = ["base", "codec3"];
const wasmOptFlags = parse(readFileSync(join(root, "wasm-pack.toml"), "utf8")).wasm_opt.flags;
const cargoEnv = { ...process.env, PATH: `${process.env.HOME}/.cargo/bin:${process.env.PATH}` };

if (!existsSync(CORPUS)) throw new Error(`no corpus at ${CORPUS}: generate it (scripts/bench.sh does) or set CORPUS`);

function run(command, args, env = cargoEnv, cwd = here) {
  execFileSync(command, args, { cwd, env, stdio: ["ignore", "inherit", "inherit"] });
}

/** cargo build + wasm-bindgen --target web + wasm-opt (the library's flags); the optimized wasm's path. */
function build({ crate, name, stem, rustflags = "", cargoArgs = [], optFlags = [] }) {
  const targetDir = join(root, "target", `cipher-${name.split("/")[0]}`);
  console.log(`building ${name}`);
  run("cargo", ["build", "--release", "--locked", "--target", "wasm32-unknown-unknown", ...cargoArgs],
    { ...cargoEnv, CARGO_TARGET_DIR: targetDir, RUSTFLAGS: rustflags }, join(here, crate));
  const dir = join(out, name);
  run("wasm-bindgen", ["--target", "web", "--out-dir", dir, "--out-name", stem,
    join(targetDir, "wasm32-unknown-unknown", "release", `${stem}.wasm`)]);
  const wasm = join(dir, `${stem}_bg.wasm`);
  run(join(root, "node_modules", ".bin", "wasm-opt"), [...wasmOptFlags, ...optFlags, wasm, "-o", wasm]);
  return wasm;
}

const size = (file) => {
  const bytes = readFileSync(file);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};

// The measured builds: the library's profile, the same with simd128, and with the codecs at opt-level 3.
const o3 = ["--config", "profile.release.package.lz4_flex.opt-level=3", "--config", "profile.release.package.miniz_oxide.opt-level=3"];
const builds = {
  base: build({ crate: ".", name: "base", stem: "cipher_bench" }),
  simd: build({ crate: ".", name: "simd", stem: "cipher_bench", rustflags: "-C target-feature=+simd128", optFlags: ["--enable-simd"] }),
  codec3: build({ crate: ".", name: "codec3", stem: "cipher_bench", cargoArgs: o3 }),
};

// Code size: one codec (compress + decompress) against a copy with the same exports.
const codeSize = {};
for (const [level, extra] of [["z", []], ["3", o3]]) {
  const sizes = {};
  for (const feature of ["none", "lz4", "deflate1", "deflate6"]) {
    const features = feature === "none" ? [] : ["--features", feature];
    sizes[feature] = size(build({ crate: "size", name: `size/${level}/${feature}`, stem: "codec_size", cargoArgs: [...features, ...extra] }));
  }
  codeSize[`opt-level ${level}`] = Object.fromEntries(["lz4", "deflate1", "deflate6"].map((c) => [c, {
    raw: sizes[c].raw - sizes.none.raw, gzip: sizes[c].gzip - sizes.none.gzip, total: sizes[c],
  }]).concat([["baseline", sizes.none]]));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Cross-origin isolated, so performance.now() has 5 µs rather than 100 µs resolution.
const isolation = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };
const handler = staticFiles({ "/page/": join(here, "page"), "/wasm/": out }, isolation);
const server = createServer((req, res) => {
  if (new URL(req.url, "http://x").pathname === "/corpus/messages.json") {
    res.writeHead(200, { "content-type": "application/json", ...isolation });
    res.end(readFileSync(CORPUS));
    return;
  }
  handler(req, res) || (res.writeHead(404), res.end());
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await launchBrowser();
const samples = { cipher: {}, latency: {}, codec: {} };
let corpus;
let chromium;
let isolated;
try {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(600_000);
  page.on("pageerror", (e) => console.error("page error:", e));
  await page.goto(`${origin}/page/index.html`);
  await page.waitForFunction(() => document.body?.dataset.ready === "true");
  chromium = browser.context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));
  isolated = await page.evaluate(() => window.crossOriginIsolated_);
  corpus = await page.evaluate(() => window.loadCorpus());
  console.log(`corpus: ${corpus.messages} messages, summary ${corpus.summaryBytes} B, rest ${corpus.restBytes} B`);
  for (let r = 1; r <= RUNS; r++) {
    for (const size of SIZES) {
      for (const batch of BATCHES) {
        for (const op of OPS) {
          for (const variant of VARIANTS) {
            const s = await page.evaluate((a) => window.cipher(...a), [variant, op, size, batch]);
            (samples.cipher[`${variant}/${op}/${size}/${batch}`] ??= []).push(s.mbPerSecond);
          }
        }
      }
    }
    for (const op of OPS) {
      for (const variant of VARIANTS) {
        const s = await page.evaluate((a) => window.latency(...a), [variant, op]);
        (samples.latency[`${variant}/${op}`] ??= []).push(s.usPerRecord);
      }
    }
    for (const build of CODEC_BUILDS) {
      for (const codec of CODECS) {
        for (const part of PARTS) {
          const s = await page.evaluate((a) => window.codec(...a), [build, codec, part]);
          (samples.codec[`${build}/${codec}/${part}`] ??= []).push(s);
        }
      }
    }
    console.log(`run ${r}/${RUNS} done`);
  }
} finally {
  await browser.close();
  server.close();
}

const cipher = {};
for (const [id, xs] of Object.entries(samples.cipher)) cipher[id] = median(xs);
const latency = {};
for (const [id, xs] of Object.entries(samples.latency)) latency[id] = median(xs);
const codec = {};
for (const [id, runs] of Object.entries(samples.codec)) {
  const { records, originalBytes, compressedBytes, smaller, ratio, medianRatio } = runs[0];
  codec[id] = {
    records, originalBytes, compressedBytes, smaller, ratio, medianRatio,
    compressMbPerSecond: median(runs.map((s) => s.compressMbPerSecond)),
    decompressMbPerSecond: median(runs.map((s) => s.decompressMbPerSecond)),
  };
}
const machine = {
  cpu: os.cpus()[0]?.model, cores: os.cpus().length, os: `${os.type()} ${os.release()}`, node: process.version, chromium,
  crossOriginIsolated: isolated, rustc: execFileSync("rustc", ["--version"], { encoding: "utf8", env: cargoEnv }).trim(),
  date: new Date().toISOString(),
};
const lock = readFileSync(join(here, "Cargo.lock"), "utf8");
const versions = Object.fromEntries(["aes-gcm", "aes", "ghash", "polyval", "ctr", "lz4_flex", "miniz_oxide", "wasm-bindgen"].map((n) =>
  [n, lock.match(new RegExp(`name = "${n}"\\nversion = "([^"]+)"`))?.[1]]));
const results = {
  machine, versions,
  settings: { runs: RUNS, sizes: SIZES, batches: BATCHES, unit: "MB = 10^6 bytes of plaintext", wasmOptFlags },
  wasmSize: Object.fromEntries(Object.entries(builds).map(([k, f]) => [k, size(f)])),
  corpus, cipher, latency, codec, codeSize, samples,
};
mkdirSync(join(root, "bench", "results"), { recursive: true });
writeFileSync(join(root, "bench", "results", "cipher.json"), JSON.stringify(results, null, 2) + "\n");
const { cipherReport } = await import("./report.mjs");
writeFileSync(join(root, "bench", "results", "cipher.md"), cipherReport(results));
console.log("wrote bench/results/cipher.json and bench/results/cipher.md");
