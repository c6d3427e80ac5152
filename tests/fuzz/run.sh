#!/usr/bin/env bash
# tests/fuzz/run.sh - builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang, ASan and
# UBSan into build-fuzz/, seeds their corpora from the repository's own test inputs, runs each
# for FUZZ_SECONDS (default 30) and prints executions and crashes per target. `make fuzz` calls
# it. Exits non-zero when any target crashed; the inputs are kept in build-fuzz/crashes/TARGET/.
#
#   FUZZ_SECONDS=300 tests/fuzz/run.sh [TARGET...]      e.g. tests/fuzz/run.sh feed clean extract
#
# FUZZ_BUILD (default build-fuzz) and FUZZ_SANITIZE (the sanitizer flags; e.g. add
# -fno-sanitize=float-cast-overflow to look past a known finding) select another build.
# Inputs that once crashed a target are kept in tests/fuzz/regressions/TARGET/ and replayed
# before each run. Corpora live in build-fuzz/corpus/TARGET/ and grow from run to run (seeds
# are re-copied each time; what the fuzzer found stays). The library is compiled like the Makefile compiles it
# (same sources without main.c, same pkg-config libraries), with clang and the sanitizers.
set -u
cd "$(dirname "$0")/../.." || exit 1

build=${FUZZ_BUILD:-build-fuzz}
seconds=${FUZZ_SECONDS:-30}
cc=${FUZZ_CC:-clang}
packages="libcurl libevent rdkafka libxml-2.0 jansson libutf8proc libsystemd sqlite3 libxxhash \
	libdeflate zlib"
sanitize=${FUZZ_SANITIZE:-"-fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer"}
cflags="-std=c11 -D_GNU_SOURCE -g -O1 -Idaemon -Itests/unit $(pkg-config --cflags $packages) \
	-DWIRESIFT_VERSION=\"0.1.0\" -DWIRESIFT_PLUGIN_DIR=\"/nonexistent\""
libs="$(pkg-config --libs $packages) -ldl -lm -lpthread"

command -v "$cc" >/dev/null || { echo "fuzz: $cc not found (apt-get install clang)"; exit 1; }
mkdir -p "$build/obj"

# The library: every daemon source but main.c (daemon/ and each stage's folder below it),
# rebuilt when the source or any header is newer.
objects=()
newest_header=$(ls -t daemon/*.h daemon/*/*.h | head -n 1)
for source in daemon/*.c daemon/*/*.c; do
	[ "$source" = daemon/main.c ] && continue
	object="$build/obj/${source%.c}.o"
	mkdir -p "$(dirname "$object")"
	if [ ! -e "$object" ] || [ "$source" -nt "$object" ] || [ "$newest_header" -nt "$object" ]
	then
		# shellcheck disable=SC2086
		"$cc" $cflags $sanitize -fsanitize=fuzzer-no-link -c -o "$object" "$source" ||
		    { echo "fuzz: cannot compile $source"; exit 1; }
	fi
	objects+=("$object")
done

seed() {	# seed TARGET FILE...: copy seed files into the target's corpus
	local corpus="$build/corpus/$1"
	shift
	mkdir -p "$corpus"
	for file in "$@"; do
		[ -f "$file" ] && cp -f "$file" "$corpus/seed-$(basename "$file")"
	done
}

seed_corpora() {
	seed feed tests/feeds/*.xml tests/feeds/*.rdf tests/feeds/*.json tests/feeds/*.html \
	    tests/feeds/*.txt tests/feeds/*.bin conf/demo/feeds/*
	rm -f "$build"/corpus/feed/seed-*.expect.json
	seed clean tests/fixtures/html/*.html tests/feeds/error-*.html
	seed extract tests/fixtures/pages/*.html tests/fixtures/html/*.html
	seed tree tests/fixtures/pages/*.html tests/fixtures/html/*.html
	seed config conf/wiresift.conf conf/demo/wiresift.conf
	seed feeds_list conf/feeds.list conf/demo/feeds.list
	seed robots tests/fixtures/robots/*.txt
	mkdir -p "$build/corpus/dedup_log"	# an empty input is the valid log itself
}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for source in tests/fuzz/fuzz_*.c; do
		name=$(basename "$source" .c)
		targets+=("${name#fuzz_}")
	done
fi

seed_corpora
failed=0
printf '%-12s %12s %10s %8s %s\n' target executions exec/s crashes corpus
for target in "${targets[@]}"; do
	source=tests/fuzz/fuzz_$target.c
	binary=$build/fuzz_$target
	crashes=$build/crashes/$target
	[ -f "$source" ] || { echo "fuzz: no $source"; failed=1; continue; }
	mkdir -p "$crashes"
	# shellcheck disable=SC2086
	"$cc" $cflags $sanitize -fsanitize=fuzzer -o "$binary" "$source" "${objects[@]}" $libs ||
	    { echo "fuzz: cannot build $binary"; failed=1; continue; }
	# Inputs that once crashed (tests/fuzz/regressions/TARGET/) run first, every time.
	regressions=$(find "tests/fuzz/regressions/$target" -type f 2>/dev/null | sort)
	if [ -n "$regressions" ]; then
		# shellcheck disable=SC2086
		if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		    "$binary" $regressions >"$build/fuzz_$target.regressions.log" 2>&1; then
			echo "$target: a regression input fails again:"
			grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|Running: )' \
			    "$build/fuzz_$target.regressions.log" | tail -n 4 | sed 's/^/    /'
			failed=1
		fi
	fi
	dictionary=()
	[ -f "tests/fuzz/$target.dict" ] && dictionary=(-dict="tests/fuzz/$target.dict")
	log=$build/fuzz_$target.log
	before=$(find "$crashes" -type f | wc -l)
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    "$binary" "$build/corpus/$target" "${dictionary[@]}" -max_total_time="$seconds" \
	    -timeout=20 -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 \
	    -artifact_prefix="$crashes/" >"$log" 2>&1
	status=$?
	after=$(find "$crashes" -type f | wc -l)
	executions=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
	rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$')
	found=$((after - before))
	if [ "$status" -ne 0 ] && [ "$found" -eq 0 ]; then found=1; fi
	printf '%-12s %12s %10s %8s %s\n' "$target" "${executions:-?}" "${rate:-?}" "$found" \
	    "$(find "$build/corpus/$target" -type f | wc -l) files"
	if [ "$found" -ne 0 ]; then
		failed=1
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -n 5 |
		    sed 's/^/    /'
		echo "    log: $log, inputs: $crashes/"
	fi
done
exit "$failed"
