#!/usr/bin/env bash
# The benchmark (not part of the test command): set-up, the release build, the
# corpus replicated to 100k messages, then bench/run.mjs in headless Chromium.
# Writes bench/results/latest.json, bench/results/chart.png and bench/RESULTS.md.
# BENCH_RUNS=N sets the number of runs (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
node scripts/build-package.mjs
if [ ! -s target/corpus/messages-100000.json ]; then
  cargo run --quiet --release -p offline-mailbox-corpus -- --out target/corpus --replicate 100000
fi
node bench/run.mjs
