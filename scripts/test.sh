#!/usr/bin/env bash
# The whole test suite: set-up, the release build, then the three layers —
#   1. host unit tests and fuzzing (cargo test, native)
#   2. browser wasm tests          (wasm-bindgen-test in headless Chromium, then Firefox)
#   3. browser end-to-end tests    (node --test + playwright-core driving Chromium, then Firefox)
# Prints each layer's pass/fail counts per browser; fails if any layer fails in
# either browser or runs no test.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
set +e

logs=$(mktemp -d)
declare -a names passed failed skipped

# Sums libtest-style "test result: ... N passed; M failed; K ignored" lines.
count_cargo() {
  awk '/test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
       END { printf "%d %d %d\n", p, f, s }' "$1"
}
# Reads node's test runner summary ("# pass N", "# fail N", "# skipped N").
count_node() {
  awk '/^# pass / { p = $3 } /^# fail / { f = $3 } /^# skipped / { s = $3 } END { printf "%d %d %d\n", p, f, s }' "$1"
}

layer() { # name, counter, log, exit status
  read -r p f s < <("$2" "$3")
  if [ "$4" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # a crash or build error counts as a failure
  names+=("$1"); passed+=("$p"); failed+=("$f"); skipped+=("$s")
}

echo "== release build (npm package)"
node scripts/build-package.mjs
build_status=$?

echo "== layer 1: host unit tests"
cargo test --workspace 2>&1 | tee "$logs/host.log"
layer "host unit tests (cargo test)" count_cargo "$logs/host.log" "${PIPESTATUS[0]}"

# Layers 2 and 3 run in each browser, Chromium and Firefox side by side (the
# tests do not depend on timing, and this keeps the suite near 20 minutes on two
# cores); each browser's log is printed whole when both are done, and its counts
# are reported apart.
wasm_run() { # browser name, driver variable, driver path
  env -u CHROMEDRIVER -u GECKODRIVER "$2=$3" WASM_BINDGEN_TEST_TIMEOUT=300 \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --no-fail-fast --target wasm32-unknown-unknown --test '*' >"$logs/wasm-$1.log" 2>&1
  echo $? >"$logs/wasm-$1.status"
}
e2e_run() { # browser name, E2E_BROWSER value
  E2E_BROWSER="$2" node --test --test-concurrency=1 www/e2e/ >"$logs/e2e-$1.log" 2>&1
  echo $? >"$logs/e2e-$1.status"
}
report() { # layer title, counter, log name
  echo "== $1"
  cat "$logs/$3.log"
  layer "$1" "$2" "$logs/$3.log" "$(cat "$logs/$3.status")"
}

echo "== layer 2: wasm tests in headless Chromium and Firefox"
# Built once before the two runs, so they do not wait on each other's build.
cargo test --no-run --target wasm32-unknown-unknown --test '*' 2>&1 | tail -n 1
wasm_run Chromium CHROMEDRIVER "$(command -v chromedriver)" &
wasm_run Firefox GECKODRIVER "$(command -v geckodriver)" &
wait
report "wasm tests, Chromium (wasm-bindgen-test)" count_cargo wasm-Chromium
report "wasm tests, Firefox (wasm-bindgen-test)" count_cargo wasm-Firefox

echo "== layer 3: end-to-end tests in Chromium and Firefox"
e2e_run Chromium chromium &
e2e_run Firefox firefox &
wait
report "end-to-end tests, Chromium (playwright)" count_node e2e-Chromium
report "end-to-end tests, Firefox (playwright)" count_node e2e-Firefox

echo
echo "== summary"
status=$build_status
[ "$build_status" -eq 0 ] || echo "release build: FAILED"
total_p=0; total_f=0
for i in "${!names[@]}"; do
  printf '%-46s %4d passed, %d failed' "${names[$i]}:" "${passed[$i]}" "${failed[$i]}"
  if [ "${skipped[$i]}" -ne 0 ]; then printf ', %d skipped (named in the log)' "${skipped[$i]}"; fi
  printf '\n'
  total_p=$((total_p + passed[i])); total_f=$((total_f + failed[i]))
  if [ "${failed[$i]}" -ne 0 ]; then status=1; fi
  if [ "${passed[$i]}" -eq 0 ]; then echo "  ^ this layer ran no test"; status=1; fi
done
echo "total: $total_p passed, $total_f failed"
exit "$status"
