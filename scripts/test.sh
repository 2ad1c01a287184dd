#!/usr/bin/env bash
# The whole test suite: set-up, the release build, then the three layers —
#   1. host unit tests            (cargo test, native)
#   2. browser wasm tests         (wasm-bindgen-test in headless Chromium)
#   3. browser end-to-end tests   (node --test + playwright-core driving Chromium)
# Prints each layer's pass/fail counts; fails if any layer fails or runs no test.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
set +e

logs=$(mktemp -d)
declare -a names passed failed

# Sums libtest-style "test result: ... N passed; M failed" lines.
count_cargo() {
  awk '/test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
       END { printf "%d %d\n", p, f }' "$1"
}
# Reads node's test runner summary ("# pass N", "# fail N").
count_node() {
  awk '/^# pass / { p = $3 } /^# fail / { f = $3 } END { printf "%d %d\n", p, f }' "$1"
}

layer() { # name, counter, log, exit status
  read -r p f < <("$2" "$3")
  if [ "$4" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # a crash or build error counts as a failure
  names+=("$1"); passed+=("$p"); failed+=("$f")
}

echo "== release build (npm package)"
node scripts/build-package.mjs
build_status=$?

echo "== layer 1: host unit tests"
cargo test --workspace 2>&1 | tee "$logs/host.log"
layer "host unit tests (cargo test)" count_cargo "$logs/host.log" "${PIPESTATUS[0]}"

echo "== layer 2: wasm tests in headless Chromium"
CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=300 \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --target wasm32-unknown-unknown --test '*' 2>&1 | tee "$logs/wasm.log"
layer "browser wasm tests (wasm-bindgen-test)" count_cargo "$logs/wasm.log" "${PIPESTATUS[0]}"

echo "== layer 3: end-to-end tests in Chromium"
node --test --test-concurrency=1 www/e2e/ 2>&1 | tee "$logs/e2e.log"
layer "browser end-to-end tests (playwright)" count_node "$logs/e2e.log" "${PIPESTATUS[0]}"

echo
echo "== summary"
status=$build_status
[ "$build_status" -eq 0 ] || echo "release build: FAILED"
total_p=0; total_f=0
for i in "${!names[@]}"; do
  printf '%-42s %4d passed, %d failed\n' "${names[$i]}:" "${passed[$i]}" "${failed[$i]}"
  total_p=$((total_p + passed[i])); total_f=$((total_f + failed[i]))
  if [ "${failed[$i]}" -ne 0 ]; then status=1; fi
  if [ "${passed[$i]}" -eq 0 ]; then echo "  ^ this layer ran no test"; status=1; fi
done
echo "total: $total_p passed, $total_f failed"
exit "$status"
