#!/usr/bin/env bash
# Runs the whole test suite (type check, then jest) and ends with one line: `tests: N passed, N failed, N skipped`.
# Extra arguments go to jest, e.g. `./nfv test test/platform/http.test.ts`.
# The dataplane and OVS tests create network namespaces: run as root (CI does).
set -uo pipefail
cd "$(dirname "$0")/.."

results=$(mktemp -t nfv-jest-XXXXXX.json)
trap 'rm -f "$results"' EXIT

if ! npm run --silent typecheck; then
  echo "typecheck failed"
  echo "tests: 0 passed, 1 failed"
  exit 1
fi

NODE_OPTIONS=--experimental-vm-modules npx --no-install jest --json --outputFile="$results" "$@"
jest_status=$?

summary=$(node -e '
  const fs = require("fs");
  let r;
  try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { console.log("0 0 0 1"); process.exit(0); }
  // A suite that failed to load has no test results but is a failure all the same.
  const brokenSuites = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
  console.log(r.numPassedTests, r.numFailedTests + brokenSuites, r.numPendingTests + r.numTodoTests, r.numTotalTests);
' "$results")
read -r passed failed skipped total <<<"$summary"
if [ "$jest_status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$total" -eq 0 ]; then
  echo "no test ran"
  failed=$((failed + 1))
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
