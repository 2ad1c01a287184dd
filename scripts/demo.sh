#!/usr/bin/env bash
# The demo: set-up, the release build, then www/ at http://127.0.0.1:8080 with the
# organization's mail server stand-in at http://127.0.0.1:8081. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
node scripts/build-package.mjs
exec node www/server.mjs
