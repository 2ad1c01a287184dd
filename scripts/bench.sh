#!/usr/bin/env bash
# The benchmark (not part of the test command): set-up, the release build, the
# corpus replicated to 100k and 300k messages, then bench/run.mjs in headless
# Chromium. Writes bench/results/latest.json, bench/results/chart.png and
# bench/RESULTS.md. BENCH_RUNS=N sets the number of runs (default 3); BENCH_SMOKE=1
# checks the harness on small sizes (see bench/run.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
node scripts/build-package.mjs
# tools/corpus writes messages-N.json for --replicate N (1.35 GB for 300k, ~45 s).
for n in 100000 300000; do
  if [ ! -s "target/corpus/messages-$n.json" ]; then
    cargo run --quiet --release -p offline-mailbox-corpus -- --out target/corpus --replicate "$n"
  fi
done
node bench/run.mjs
