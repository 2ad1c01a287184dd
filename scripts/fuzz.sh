#!/usr/bin/env bash
# Long fuzzing run of every parser (tests/fuzz.rs): at least 1,000,000 cases in
# all, from a random seed, in release mode. Prints each target's count, the
# total and the seed; a failure prints the smallest input found.
#   FUZZ_CASES   cases per target (default 150000: 7 targets, 1,050,000 in all)
#   FUZZ_SEED    replays a seed printed by an earlier run
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export FUZZ_CASES="${FUZZ_CASES:-150000}"
export FUZZ_SEED="${FUZZ_SEED:-$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')}"
log=$(mktemp)
echo "fuzzing with FUZZ_SEED=$FUZZ_SEED, $FUZZ_CASES cases per target"
status=0
cargo test --release --test fuzz -- --nocapture --test-threads=2 2>&1 | tee "$log" || status=$?
total=$(awk '/^fuzz .*: [0-9]+ cases, 0 panics/ { for (i = 1; i <= NF; i++) if ($(i+1) == "cases,") n += $i } END { print n + 0 }' "$log")
echo "fuzz total: $total cases, seed $FUZZ_SEED"
exit "$status"
