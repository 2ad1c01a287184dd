#!/usr/bin/env node
// Builds the npm package from the settings in wasm-pack.toml: one `wasm-pack
// build` per target, wasm-opt with the configured flags, then package.json,
// README.md and LICENSE. Prints the wasm size, raw and gzip.
import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join, resolve } from "node:path";
import { parse } from "smol-toml";

const root = resolve(import.meta.dirname, "..");
const settings = parse(readFileSync(join(root, "wasm-pack.toml"), "utf8"));
const { name, out_dir: outDir, targets, default_target: defaultTarget } = settings.package;
const wasmOptFlags = settings.wasm_opt.flags;
const crate = parse(readFileSync(join(root, "Cargo.toml"), "utf8")).package;
const stem = crate.name.replaceAll("-", "_");
const pkg = join(root, outDir);

if (!targets.includes(defaultTarget)) {
  throw new Error(`wasm-pack.toml: default_target "${defaultTarget}" is not one of targets ${targets}`);
}

function run(command, args) {
  execFileSync(command, args, { cwd: root, stdio: "inherit" });
}

rmSync(pkg, { recursive: true, force: true });
for (const target of targets) {
  const dir = join(pkg, target);
  run("wasm-pack", ["build", "--release", "--no-pack", "--no-opt", "--target", target, "--out-dir", dir, "--out-name", stem]);
  const wasm = join(dir, `${stem}_bg.wasm`);
  // binaryen from npm, not Debian's: Debian's wasm-opt 108 corrupts the externref table wasm-bindgen emits.
  run(join(root, "node_modules", ".bin", "wasm-opt"), [...wasmOptFlags, wasm, "-o", wasm]);
  // wasm-pack writes a .gitignore that would hide the build from `npm pack`.
  rmSync(join(dir, ".gitignore"), { force: true });
}

const entry = (target) => ({ types: `./${target}/${stem}.d.ts`, default: `./${target}/${stem}.js` });
const exports = { ".": entry(defaultTarget) };
for (const target of targets) exports[`./${target}`] = entry(target);
exports["./package.json"] = "./package.json";

const manifest = {
  name,
  version: crate.version,
  description: crate.description,
  license: crate.license,
  type: "module",
  main: `./${defaultTarget}/${stem}.js`,
  types: `./${defaultTarget}/${stem}.d.ts`,
  exports,
  files: [...targets.map((t) => `${t}/`), "README.md", "LICENSE"],
  // Only the bundler glue runs code on import (it instantiates the module).
  sideEffects: targets.includes("bundler") ? [`./bundler/${stem}.js`] : false,
  keywords: ["indexeddb", "offline", "encryption", "mail", "webassembly"],
};
writeFileSync(join(pkg, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
copyFileSync(join(root, "README.md"), join(pkg, "README.md"));
copyFileSync(join(root, "LICENSE"), join(pkg, "LICENSE"));

const wasmBytes = readFileSync(join(pkg, defaultTarget, `${stem}_bg.wasm`));
const gzip = gzipSync(wasmBytes, { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`wasm size: ${wasmBytes.length} bytes raw (${kb(wasmBytes.length)}), ${gzip} bytes gzip (${kb(gzip)})`);
