#!/bin/sh
# deps.sh - makes sure everything wiresift needs to build and test is on this machine, and
# installs what is missing: Debian packages (as root), Python modules for the python3 on PATH,
# and the Apache Kafka broker jars the end-to-end tests run (fetched with Maven).
#
# Called by `make deps`, and by `make run` / `make test` on every run: when everything is present
# it prints nothing and takes well under half a second.
#
# Environment: KAFKA_VERSION (default 3.9.1) and KAFKA_LIBS (default
# ~/.cache/wiresift/kafka-$KAFKA_VERSION), both exported by the Makefile.

set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
KAFKA_VERSION=${KAFKA_VERSION:-3.9.1}
KAFKA_LIBS=${KAFKA_LIBS:-$HOME/.cache/wiresift/kafka-$KAFKA_VERSION}

# Build (-dev, g++ for the CLD2 language plugin), test (kcat, nginx, pytest, jsonschema,
# prometheus-client, systemd-analyze, mandoc to lint the manual pages), benchmark peers
# (feedparser, xmllint, wrk, aiohttp, newsboat; python3-venv for the venv in which make bench
# installs trafilatura from PyPI) and fuzzing (clang) dependencies. Go, for the
# gofeed reference of tests/e2e/test_differential.py, is optional and not installed here: with
# no Go (or no Go module proxy) that half of the test reports itself SKIPPED.
DEBIAN_PACKAGES="pkg-config libcurl4-openssl-dev libevent-dev librdkafka-dev libxml2-dev
	libjansson-dev libutf8proc-dev libxxhash-dev libsqlite3-dev libsystemd-dev
	libdeflate-dev zlib1g-dev
	libcld2-dev libstemmer-dev libjemalloc-dev g++ kcat nginx-light python3-feedparser libxml2-utils
	python3-pytest python3-jsonschema python3-kafka python3-prometheus-client clang
	libclang-rt-14-dev systemd wrk python3-aiohttp mandoc newsboat python3-venv"

# Python modules the tests import, as "module:pip-package".
PYTHON_MODULES="pytest:pytest jsonschema:jsonschema feedparser:feedparser kafka:kafka-python
	prometheus_client:prometheus-client protego:protego"

# Removed however the script ends (an interrupted install or fetch leaves nothing behind).
CLEANUP=""
trap 'rm -rf $CLEANUP' EXIT
trap 'exit 130' INT TERM HUP

say() {
	echo "wiresift deps: $*"
}

# Prints those of the given Debian packages that are not installed, on one line.
missing_debian_packages() {
	# shellcheck disable=SC2086
	installed=" "$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null |
		sed -n 's/^ii *//p' | tr '\n' ' ')
	missing=""
	for package in "$@"; do
		case "$installed" in
		*" $package "*) ;;
		*) missing="$missing $package" ;;
		esac
	done
	echo $missing
}

# True when apt's package lists are absent or more than a day old.
apt_lists_stale() {
	[ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mtime -1 2>/dev/null |
		head -n 1)" ]
}

# Installs the named Debian packages without starting any service they ship (nginx):
# a policy-rc.d answering 101 tells invoke-rc.d not to start anything during the install.
apt_install() {
	policy=/usr/sbin/policy-rc.d
	own_policy=""
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\n# wiresift deps.sh: start no service while installing\nexit 101\n' \
			> "$policy"
		chmod 755 "$policy"
		own_policy=yes
		CLEANUP="$CLEANUP $policy"
	fi
	apt_log=$(mktemp)
	CLEANUP="$CLEANUP $apt_log"
	status=0
	if apt_lists_stale; then
		apt-get update -qq > "$apt_log" 2>&1 || status=$?
	fi
	if [ "$status" -eq 0 ]; then
		# A failure may be a stale list naming a version no longer served: update, try again.
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
			>> "$apt_log" 2>&1 ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends "$@"; } >> "$apt_log" 2>&1 ||
		status=$?
	fi
	[ "$status" -eq 0 ] || tail -n 30 "$apt_log" >&2
	rm -f "$apt_log"
	if [ -n "$own_policy" ]; then
		rm -f "$policy"
	fi
	# Belt and braces: an nginx started despite the policy (no invoke-rc.d) is stopped.
	if [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
		kill -TERM "$(cat /run/nginx.pid)" 2>/dev/null || true
	fi
	return "$status"
}

ensure_debian_packages() {
	# shellcheck disable=SC2086
	missing=$(missing_debian_packages $DEBIAN_PACKAGES)
	command -v java >/dev/null 2>&1 || missing="$missing default-jre-headless"
	command -v mvn >/dev/null 2>&1 || missing="$missing maven"
	missing=$(echo $missing)
	[ -z "$missing" ] && return 0

	if [ "$(id -u)" -ne 0 ]; then
		say "missing Debian packages; as root run:"
		echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y" \
			"--no-install-recommends $missing"
		exit 1
	fi
	say "installing Debian packages: $missing"
	# shellcheck disable=SC2086
	apt_install $missing || { say "apt-get install failed"; exit 1; }
}

# The python3 first on PATH may not be Debian's (pyenv, a venv) and then does not see the
# python3-* packages: give it the same modules from PyPI.
ensure_python_modules() {
	command -v python3 >/dev/null 2>&1 || return 0
	missing=$(python3 - $PYTHON_MODULES <<'EOF'
import importlib.util, sys
for pair in sys.argv[1:]:
	module, package = pair.split(":")
	if importlib.util.find_spec(module) is None:
		print(package)
EOF
)
	missing=$(echo $missing)
	[ -z "$missing" ] && return 0
	say "installing Python modules for $(command -v python3): $missing"
	# shellcheck disable=SC2086
	PIP_ROOT_USER_ACTION=ignore python3 -m pip install -q --disable-pip-version-check $missing ||
		{ say "pip install failed; run: python3 -m pip install $missing"; exit 1; }
}

# Fetches the broker jars into a fresh directory beside the cache, then renames it into place,
# so an interrupted fetch never leaves a half-filled cache that looks complete.
ensure_kafka_jars() {
	ls "$KAFKA_LIBS"/kafka_2.13-*.jar >/dev/null 2>&1 && return 0
	say "fetching Apache Kafka $KAFKA_VERSION broker jars with Maven into $KAFKA_LIBS"
	parent=$(dirname "$KAFKA_LIBS")
	mkdir -p "$parent"
	fetch_dir=$(mktemp -d "$parent/.kafka-fetch.XXXXXX")
	CLEANUP="$CLEANUP $fetch_dir"
	if ! mvn -q -B -Dstyle.color=never -f "$ROOT/tests/kafka/pom.xml" \
		-Dkafka.version="$KAFKA_VERSION" dependency:copy-dependencies \
		-DoutputDirectory="$fetch_dir/libs" -DincludeScope=runtime \
		> "$fetch_dir/mvn.log" 2>&1 ||
	   ! ls "$fetch_dir"/libs/kafka_2.13-*.jar >/dev/null 2>&1; then
		tail -n 30 "$fetch_dir/mvn.log" >&2
		rm -rf "$fetch_dir"
		say "fetching the Kafka jars failed"
		exit 1
	fi
	# The broker's class-data archive (tests/kafka/broker.sh) belongs to the old jars.
	rm -rf "$KAFKA_LIBS" "$KAFKA_LIBS.jsa"
	mv "$fetch_dir/libs" "$KAFKA_LIBS"
	rm -rf "$fetch_dir"
}

ensure_debian_packages
ensure_python_modules
ensure_kafka_jars
