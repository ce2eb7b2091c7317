#!/usr/bin/env bash
# Filters `go test -v` output: prints every test and subtest result (so the
# store suite's sqlite and postgres halves and the testenv tests are
# visible), package results, and the whole log of any failing run; ends with
# a "N passed, N failed, N skipped" line. Usage: go test -v ... 2>&1 | test-summary.sh
set -uo pipefail
log="$(mktemp)"
cat >"$log"
grep -E '^(ok|FAIL|panic:)|^\s*--- |^\s+\S+_test.go:[0-9]+: ' "$log" || true
passed=$(grep -cE '^\s*--- PASS' "$log")
failed=$(grep -cE '^\s*--- FAIL' "$log")
skipped=$(grep -cE '^\s*--- SKIP' "$log")
status=0
if grep -qE '^(FAIL|panic:)|^\s*--- FAIL' "$log"; then
	status=1
	echo
	echo "==== full log of the failing run ===="
	cat "$log"
fi
rm -f "$log"
echo
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
