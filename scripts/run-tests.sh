#!/usr/bin/env bash
# Runs every test: the Criterion unit test binaries given as arguments, then the API tests
# (node --test tests/api/) against the sanitized server build/test/kizuna, then the browser
# tests (tests/web/: playwright-core driving Debian's chromium against that server serving
# web/dist; one file at a time, a browser is heavy). Prints a final "N passed, N failed"
# line and exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0 failed=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for t in "$@"; do
  echo "== unit: $t"
  out=$("$t" -j1 2>&1); rc=$?
  printf '%s\n' "$out" | grep -vE '^\[----\] .*(Passed|passed)' | tail -n 30
  line=$(printf '%s\n' "$out" | grep -E 'Synthesis: Tested' | tail -n1)
  if [ -z "$line" ]; then
    echo "!! $t produced no synthesis (exit $rc)"; failed=$((failed + 1)); continue
  fi
  p=$(sed -E 's/.*Passing: ([0-9]+).*/\1/' <<<"$line")
  f=$(sed -E 's/.*Failing: ([0-9]+).*Crashing: ([0-9]+).*/\1+\2/' <<<"$line")
  passed=$((passed + p)); failed=$((failed + f))
  if [ $rc -ne 0 ] && [ "$((f))" -eq 0 ]; then failed=$((failed + 1)); echo "!! $t exited $rc"; fi
done

# node --test over a directory; adds its pass/fail counts. Usage: node_suite NAME DIR [node flags]
node_suite() {
  local name=$1 dir=$2; shift 2
  compgen -G "$dir/*.test.mjs" >/dev/null || return 0
  echo "== $name: node --test $dir/"
  local tap; tap=$(mktemp)
  KIZUNA_BIN=${KIZUNA_BIN:-build/test/kizuna} node --test "$@" \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "$dir/"
  local rc=$?
  local p f
  p=$(grep -E '^# pass ' "$tap" | awk '{print $3}'); p=${p:-0}
  f=$(grep -E '^# fail ' "$tap" | awk '{print $3}'); f=${f:-0}
  rm -f "$tap"
  passed=$((passed + p)); failed=$((failed + f))
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); echo "!! node --test $dir exited $rc"; fi
}

node_suite api tests/api
node_suite web tests/web --test-concurrency=1

# Vitest component tests of the web app (web/test/, happy-dom); adds their pass/fail counts
# from its JSON report, as node_suite does from TAP.
vitest_suite() {
  compgen -G "web/test/*.test.ts*" >/dev/null || return 0
  echo "== web components: vitest run (web/test/)"
  local json; json=$(mktemp)
  (cd web && npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$json")
  local rc=$?
  local p f
  p=$(node -e 'try { const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r.numPassedTests ?? 0) } catch { console.log(0) }' "$json")
  f=$(node -e 'try { const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log((r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0)) } catch { console.log(0) }' "$json")
  rm -f "$json"
  passed=$((passed + p)); failed=$((failed + f))
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); echo "!! vitest exited $rc"; fi
}
vitest_suite

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
