#!/usr/bin/env bash
# tests/run.sh - runs every test wiresift has and prints one closing line "N passed, N failed".
#
#   tests/run.sh [--unit-only] BUILD_DIR
#
# Unit tests: each BUILD_DIR/tests/test_* binary (C, tests/unit/) prints its own
# "N passed, N failed" line. End-to-end tests: pytest over tests/e2e/ against a real Kafka
# broker (tests/kafka/broker.sh) and real HTTP servers on loopback, and in the same pytest run
# tests/tsan/ (how make tsan reads ThreadSanitizer's reports, on a stored one; how the e2e
# waits are stretched for a sanitizer build's daemon). The seeds in
# ../shared/seeds are used when present; tests that need them say so and skip when absent.
set -u
unit_only=0
if [ "${1:-}" = "--unit-only" ]; then unit_only=1; shift; fi
build=${1:-build}
cd "$(dirname "$0")/.." || exit 1

export WIRESIFT_BUILD="$build"
export WIRESIFT_PLUGIN_DIR="$PWD/$build/plugins"
passed=0
failed=0
skipped=0
failures=()

number_before() {	# number_before WORD LINE: the count written before WORD, or 0
	local found
	found=$(grep -oE "(^|[^0-9])[0-9]+ $1" <<<"$2" | head -n 1 | grep -oE '[0-9]+')
	echo "${found:-0}"
}

count_from() {	# count_from NAME OUTPUT_FILE STATUS
	local name=$1 output=$2 status=$3 line p f s
	line=$(grep -E '[0-9]+ passed' "$output" | tail -n 1)
	p=$(number_before passed "$line")
	f=$(number_before failed "$line")
	s=$(number_before skipped "$line")
	local errors
	errors=$(number_before 'errors?' "$line")
	f=$((f + errors))
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi	# crashed or printed nothing
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	if [ "$f" -ne 0 ]; then failures+=("$name"); fi
	printf '%-28s %s passed, %s failed%s\n' "$name" "$p" "$f" \
	    "$([ "$s" -ne 0 ] && echo ", $s skipped")"
}

echo "== unit tests ($build/tests)"
for test in "$build"/tests/test_*; do
	[ -x "$test" ] || continue
	name=unit/$(basename "$test")
	output=$(mktemp)
	timeout 300 "$test" >"$output" 2>&1
	status=$?
	count_from "$name" "$output" "$status"
	if [ "$status" -ne 0 ]; then sed 's/^/    /' "$output" | tail -n 40; fi
	grep -E '^SKIP' "$output" | sed 's/^/    /'
	rm -f "$output"
done

if [ "$unit_only" -eq 0 ]; then
	echo "== end-to-end tests (tests/e2e, real Kafka broker and HTTP servers on loopback)"
	output=$(mktemp)
	# 20 minutes, stretched as the tests' waits are for a sanitizer build's slower daemon
	# (tests/e2e/helpers.py time_factor): an ASan run on a loaded machine outlasted them.
	limit=$(python3 -c 'import sys; sys.path.insert(0, "tests/e2e"); import helpers
print(int(1200 * helpers.time_factor()))')
	timeout "$limit" python3 -m pytest -q -rs -p no:cacheprovider tests/e2e tests/tsan \
	    >"$output" 2>&1
	status=$?
	if [ "$status" -eq 5 ]; then status=0; fi	# no tests collected is not a failure here
	if [ "$status" -eq 124 ]; then echo "    (pytest stopped at the run's limit, $limit s)"; fi
	count_from "e2e/pytest" "$output" "$status"
	if [ "$status" -ne 0 ]; then tail -n 80 "$output" | sed 's/^/    /'; else
		grep -E '^SKIPPED' "$output" | sed 's/^/    /'; fi
	rm -f "$output"
fi

if [ ${#failures[@]} -ne 0 ]; then echo "failing: ${failures[*]}"; fi
if [ "$skipped" -ne 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
