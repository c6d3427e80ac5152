#!/bin/sh
# broker.sh - runs a real Apache Kafka broker (KRaft, combined broker+controller) on 127.0.0.1
# for wiresift's end-to-end tests and benchmarks: one node by default, or a cluster of N nodes.
#
#   broker.sh start DIR     start (or find running) the broker whose data, config and log live in
#                           DIR; prints "bootstrap=127.0.0.1:PORT" once it answers metadata requests
#   broker.sh start DIR --brokers N
#                           a cluster of N nodes (N >= 2; every node a broker and a controller
#                           voter) in DIR/node-1 ... DIR/node-N: replication factor N (topics,
#                           consumer offsets, transaction state) and min.insync.replicas 2; prints
#                           "bootstrap=127.0.0.1:P1,127.0.0.1:P2,..." once every node answers
#   broker.sh stop DIR      SIGTERM by DIR/pid, SIGKILL after 20 s; quiet if already stopped
#                           (a cluster's DIR: all nodes at once)
#   broker.sh kill DIR      SIGKILL by DIR/pid (a cluster's DIR: all nodes at once) and wait until
#                           it is gone: for a broker whose data is thrown away, no clean shutdown
#   broker.sh restart DIR   stop, then start again on the same ports with the data kept
#   broker.sh status DIR    "running pid=N bootstrap=..." (exit 0) or "stopped" (exit 3); for a
#                           cluster one line per node, exit 0 only when all run
#
# (broker.sh spawn DIR, used by a cluster's start, launches one node without waiting for it.)
# One node of a cluster is stopped and started again by its own directory:
# broker.sh stop DIR/node-2, broker.sh start DIR/node-2 (it rejoins with its cluster settings).
#
# Files in DIR: server.properties, log4j.properties, ports (listener and controller port, kept so
# a restart comes back on the same address), cluster.id, data/ (the log dirs), broker.log (the
# broker's own log4j output), stdout.log (JVM output), pid. A cluster's DIR holds brokers (N) and
# cluster.id; each DIR/node-K holds the files above and node (its id, the controller voters and
# the replication settings).
#
# The jars come from scripts/deps.sh: $KAFKA_LIBS, default ~/.cache/wiresift/kafka-$KAFKA_VERSION.
# KAFKA_HEAP_OPTS and KAFKA_JVM_OPTS override the small-heap, fast-start JVM flags used here
# (benchmarks that want the full JIT set KAFKA_JVM_OPTS="-XX:+UseSerialGC").
# BROKER_START_TIMEOUT (seconds, default 60) bounds the wait for the broker to answer,
# BROKER_STOP_TIMEOUT (default 20) the wait for it to stop after SIGTERM.
# BROKER_AUTO_CREATE=false starts a broker that does not create topics on first use.
# BROKER_INITIAL_REBALANCE_DELAY_MS (default 0; Kafka's own default is 3000) is how long a new
# consumer group's coordinator waits for more members before its first assignment.
# BROKER_OWNER_PID: when set, a watchdog stops the broker once that process is gone, so a test
# runner killed before its teardown leaves no broker behind.
#
# Start-up time: the first broker that stops cleanly leaves a class-data-sharing archive of the
# classes it loaded ($KAFKA_LIBS.jsa, KAFKA_CDS=0 turns this off); later starts map it and
# answer in about half the time (1.2 s instead of 2.5 s here). Likewise the first format of a
# node's storage by Kafka's StorageTool keeps its bootstrap.checkpoint ($KAFKA_LIBS.bootstrap.
# checkpoint); later formats write the same files by hand, no JVM (KAFKA_FAST_FORMAT=0: always
# StorageTool).

set -eu

KAFKA_VERSION=${KAFKA_VERSION:-3.9.1}
KAFKA_LIBS=${KAFKA_LIBS:-$HOME/.cache/wiresift/kafka-$KAFKA_VERSION}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}
KAFKA_JVM_OPTS=${KAFKA_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto}
BROKER_START_TIMEOUT=${BROKER_START_TIMEOUT:-60}
KAFKA_CDS=${KAFKA_CDS:-1}
CDS_ARCHIVE=$KAFKA_LIBS.jsa
KAFKA_FAST_FORMAT=${KAFKA_FAST_FORMAT:-1}
BOOTSTRAP_CHECKPOINT=$KAFKA_LIBS.bootstrap.checkpoint
STOP_TIMEOUT=${BROKER_STOP_TIMEOUT:-20}

usage() {
	echo "usage: broker.sh start|stop|kill|restart|status DIR [--brokers N]" >&2
	exit 2
}

die() {
	echo "broker.sh: $*" >&2
	exit 1
}

# The pid in DIR/pid when that process is alive and is this directory's broker; else nothing.
# Checking the command line guards against a recycled pid after a crash.
running_pid() {
	[ -f "$DIR/pid" ] || return 0
	pid=$(cat "$DIR/pid" 2>/dev/null || true)
	case "$pid" in
	''|*[!0-9]*) return 0 ;;
	esac
	alive "$pid" || return 0
	if [ -r "/proc/$pid/cmdline" ]; then
		tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "kafka.Kafka $DIR/server.properties" ||
			return 0
	fi
	echo "$pid"
}

listener_port() {
	sed -n 's/^listener=//p' "$DIR/ports"
}

controller_port() {
	sed -n 's/^controller=//p' "$DIR/ports"
}

# COUNT distinct free TCP ports on 127.0.0.1 (default 2), one a line, held open together so they
# differ.
free_ports() {
	python3 - "${1:-2}" <<'EOF'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
	s = socket.socket()
	s.bind(("127.0.0.1", 0))
	held.append(s)
for s in held:
	print(s.getsockname()[1])
EOF
}

# A single node's listener and controller port, as DIR/ports holds them.
pick_ports() {
	free_ports 2 | sed '1s/^/listener=/; 2s/^/controller=/'
}

port_is_free() {
	python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
	s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
	sys.exit(1)' "$1"
}

# A Kafka cluster id: 16 random bytes in unpadded URL-safe base64, not starting with '-'
# (the same rule as org.apache.kafka.common.Uuid.randomUuid), made without starting a JVM.
new_cluster_id() {
	python3 -c '
import base64, os
while True:
	text = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
	if not text.startswith("-"):
		print(text)
		break'
}

# node_setting NAME DEFAULT: a value of DIR/node (a cluster's node), or DEFAULT for a single node.
node_setting() {
	value=""
	[ -f "$DIR/node" ] && value=$(sed -n "s/^$1=//p" "$DIR/node")
	echo "${value:-$2}"
}

write_config() {
	port=$(listener_port)
	cport=$(controller_port)
	replicas=$(node_setting replicas 1)
	min_isr=$(node_setting min_isr 1)
	cat > "$DIR/server.properties" <<EOF
# Written by tests/kafka/broker.sh; rewritten on every start.
process.roles=broker,controller
node.id=$(node_setting id 1)
controller.quorum.voters=$(node_setting voters "1@127.0.0.1:$cport")
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DIR/data
auto.create.topics.enable=${BROKER_AUTO_CREATE:-true}
delete.topic.enable=true
num.partitions=3
default.replication.factor=$replicas
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$replicas
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=$replicas
transaction.state.log.min.isr=$min_isr
transaction.state.log.num.partitions=3
# A dead client's open transaction is aborted once its timeout passed: looked for every
# second, not every 10 s, so read_committed readers (and cluster takeovers) wait less.
transaction.abort.timed.out.transaction.cleanup.interval.ms=1000
group.initial.rebalance.delay.ms=${BROKER_INITIAL_REBALANCE_DELAY_MS:-0}
# After a crash the controller waits out the dead incarnation's session before it takes the
# new one (9 s by default): keep that short, the broker and controller share one process.
broker.session.timeout.ms=2000
broker.heartbeat.interval.ms=500
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.cleaner.dedupe.buffer.size=8388608
log.cleaner.threads=1
EOF
	cat > "$DIR/log4j.properties" <<EOF
# Written by tests/kafka/broker.sh: everything the broker logs goes to broker.log.
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$DIR/broker.log
log4j.appender.file.Append=true
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.org.apache.kafka.clients=WARN
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
EOF
}

format_storage() {
	[ -f "$DIR/data/meta.properties" ] && return 0
	[ -f "$DIR/cluster.id" ] || new_cluster_id > "$DIR/cluster.id"
	format_by_hand && return 0
	if [ "$KAFKA_CDS" = 1 ] && [ -s "$CDS_ARCHIVE" ]; then
		run_storage_tool "-XX:SharedArchiveFile=$CDS_ARCHIVE -Xlog:cds=off" &&
			keep_bootstrap && return 0
		echo "broker.sh: formatting failed with $CDS_ARCHIVE; removed it, retrying" >&2
		rm -f "$CDS_ARCHIVE"
	fi
	run_storage_tool "" || {
		tail -n 20 "$DIR/stdout.log" >&2
		die "formatting storage in $DIR/data failed"
	}
	keep_bootstrap
}

# What StorageTool's format writes, without its JVM (5-19 s of a cluster's start at a load of
# 20-30): the bootstrap.checkpoint of an earlier format by this Kafka version (it holds the
# metadata version and nothing of the cluster; two formats differ only in timestamps and CRC),
# then meta.properties, written last. Fails when there is no such checkpoint yet.
format_by_hand() {
	[ "$KAFKA_FAST_FORMAT" = 1 ] && [ -s "$BOOTSTRAP_CHECKPOINT" ] || return 1
	cp "$BOOTSTRAP_CHECKPOINT" "$DIR/data/bootstrap.checkpoint" || return 1
	{
		echo "# Written by tests/kafka/broker.sh as kafka-storage format writes it"
		echo "node.id=$(node_setting id 1)"
		echo "directory.id=$(new_cluster_id)"
		echo "version=1"
		echo "cluster.id=$(cat "$DIR/cluster.id")"
	} > "$DIR/data/meta.properties.tmp" && mv "$DIR/data/meta.properties.tmp" "$DIR/data/meta.properties"
}

# After a format by StorageTool: its bootstrap.checkpoint kept for format_by_hand (copied then
# renamed, so no other start reads half a file).
keep_bootstrap() {
	[ ! -s "$BOOTSTRAP_CHECKPOINT" ] && [ -s "$DIR/data/bootstrap.checkpoint" ] || return 0
	if cp "$DIR/data/bootstrap.checkpoint" "$BOOTSTRAP_CHECKPOINT.$$" 2>/dev/null; then
		mv -f "$BOOTSTRAP_CHECKPOINT.$$" "$BOOTSTRAP_CHECKPOINT"
	fi
	rm -f "$BOOTSTRAP_CHECKPOINT.$$"
}

run_storage_tool() {
	# shellcheck disable=SC2086
	java $KAFKA_HEAP_OPTS $KAFKA_JVM_OPTS $1 $JAVA_FLAGS -cp "$KAFKA_LIBS/*" \
		kafka.tools.StorageTool format --ignore-formatted \
		-t "$(cat "$DIR/cluster.id")" -c "$DIR/server.properties" >> "$DIR/stdout.log" 2>&1
}

# JVM flags that use the shared class archive, or record one at exit when there is none yet.
cds_options() {
	[ "$KAFKA_CDS" = 1 ] || return 0
	if [ -s "$CDS_ARCHIVE" ]; then
		echo "-XX:SharedArchiveFile=$CDS_ARCHIVE -Xlog:cds=off -Xlog:cds+dynamic=off"
	elif [ -w "$(dirname "$CDS_ARCHIVE")" ]; then
		echo "-XX:ArchiveClassesAtExit=$DIR/classes.jsa -Xlog:cds=off -Xlog:cds+dynamic=off"
	fi
}

# After a clean stop: publish the archive the broker wrote at exit, copied then renamed so no
# other start ever maps a half-written file.
keep_cds_archive() {
	[ -s "$DIR/classes.jsa" ] || return 0
	if [ ! -s "$CDS_ARCHIVE" ] && cp "$DIR/classes.jsa" "$CDS_ARCHIVE.$$" 2>/dev/null; then
		mv -f "$CDS_ARCHIVE.$$" "$CDS_ARCHIVE"
	fi
	rm -f "$DIR/classes.jsa" "$CDS_ARCHIVE.$$"
}

# True when kcat gets metadata naming this broker.
broker_answers() {
	kcat -L -b "127.0.0.1:$1" -m 2 2>/dev/null |
		grep -q "broker $(node_setting id 1) at 127.0.0.1:$1"
}

fail_start() {
	echo "broker.sh: $1; last lines of $DIR/broker.log and stdout.log:" >&2
	tail -n 30 "$DIR/broker.log" >&2 2>/dev/null || true
	tail -n 10 "$DIR/stdout.log" >&2 2>/dev/null || true
	exit 1
}

start() {
	pid=$(running_pid)
	if [ -n "$pid" ]; then
		port=$(listener_port)
		broker_answers "$port" || wait_ready "$pid" "$port" ||
			fail_start "broker exited during start-up"
		echo "bootstrap=127.0.0.1:$port"
		return 0
	fi
	prepare
	port=$(listener_port)
	cds_options=$(cds_options)
	launch
	if ! wait_ready "$pid" "$port" && [ -n "$cds_options" ]; then
		# A class archive the JVM cannot map (disk full while it was written, another JDK)
		# makes it crash at once: drop the archive and start plainly.
		echo "broker.sh: broker died at start with $CDS_ARCHIVE; removed it, retrying" >&2
		rm -f "$CDS_ARCHIVE"
		KAFKA_CDS=0
		cds_options=""
		launch
		wait_ready "$pid" "$port" || fail_start "broker exited during start-up"
	elif [ -z "$pid" ]; then
		fail_start "broker exited during start-up"
	fi
	watch_owner
	echo "bootstrap=127.0.0.1:$port"
}

# Checks, ports, configuration and formatted storage of a broker about to be launched.
prepare() {
	rm -f "$DIR/pid"
	ls "$KAFKA_LIBS"/kafka_2.13-*.jar >/dev/null 2>&1 ||
		die "no Kafka jars in $KAFKA_LIBS; run scripts/deps.sh (make deps)"
	command -v java >/dev/null || die "java not found; run scripts/deps.sh (make deps)"
	command -v kcat >/dev/null || die "kcat not found; run scripts/deps.sh (make deps)"

	mkdir -p "$DIR/data"
	if [ -f "$DIR/ports" ]; then
		for port in $(listener_port) $(controller_port); do
			port_is_free "$port" || die "port $port of $DIR is taken by another process"
		done
	else
		pick_ports > "$DIR/ports.tmp" && mv "$DIR/ports.tmp" "$DIR/ports"
	fi
	write_config
	format_storage
	rm -f "$DIR/classes.jsa"	# left by a broker killed while writing it
}

# A cluster's node launched without waiting for it (it cannot answer before a quorum of the
# controllers runs); start then waits for each.
spawn() {
	[ -n "$(running_pid)" ] && return 0
	prepare
	cds_options=$(cds_options)
	launch
	watch_owner
}

# With BROKER_OWNER_PID: polls every second while owner and broker both live, then stops the
# broker if it still runs. Ends by itself when the broker stops first.
watch_owner() {
	case "${BROKER_OWNER_PID:-}" in
	''|*[!0-9]*) return 0 ;;
	esac
	# shellcheck disable=SC2016
	setsid sh -c 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done
		kill -0 "$2" 2>/dev/null && exec "$3" stop "$4"' broker-watchdog \
		"$BROKER_OWNER_PID" "$pid" "$SCRIPT" "$DIR" > /dev/null 2>&1 < /dev/null &
}

# Starts the JVM in the background; its pid in $pid and DIR/pid.
launch() {
	# setsid: a Ctrl-C meant for the test runner does not reach the broker; stop() does.
	# shellcheck disable=SC2086
	setsid java $KAFKA_HEAP_OPTS $KAFKA_JVM_OPTS $cds_options $JAVA_FLAGS -cp "$KAFKA_LIBS/*" \
		kafka.Kafka "$DIR/server.properties" >> "$DIR/stdout.log" 2>&1 < /dev/null &
	pid=$!
	echo "$pid" > "$DIR/pid"
}

# A process that exists and is no zombie (a child of this shell that died is one until reaped).
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)
	[ "$state" != Z ]
}

# Polls every 0.2 s until the broker answers (0), dies (1, pid cleared) or the timeout passes
# (killed, exit).
wait_ready() {
	deadline=$(( $(date +%s) + BROKER_START_TIMEOUT ))
	while ! broker_answers "$2"; do
		if ! alive "$1"; then
			rm -f "$DIR/pid"
			pid=""
			return 1
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			kill -KILL "$1" 2>/dev/null || true
			rm -f "$DIR/pid"
			fail_start "broker did not answer within ${BROKER_START_TIMEOUT}s"
		fi
		sleep 0.2
	done
}

stop() {
	pid=$(running_pid)
	if [ -z "$pid" ]; then
		rm -f "$DIR/pid"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	waited=0
	while alive "$pid"; do
		if [ "$waited" -ge $(( STOP_TIMEOUT * 10 )) ]; then
			echo "broker.sh: broker $pid ignored SIGTERM for ${STOP_TIMEOUT}s; SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null || true
			rm -f "$DIR/classes.jsa"	# may be half written
			break
		fi
		sleep 0.1
		waited=$(( waited + 1 ))
	done
	rm -f "$DIR/pid"
	keep_cds_archive
}

kill_now() {
	pid=$(running_pid)
	if [ -n "$pid" ]; then
		kill -KILL "$pid" 2>/dev/null || true
		while alive "$pid"; do
			sleep 0.05
		done
	fi
	rm -f "$DIR/pid" "$DIR/classes.jsa"
}

status() {
	pid=$(running_pid)
	if [ -n "$pid" ]; then
		echo "running pid=$pid bootstrap=127.0.0.1:$(listener_port)"
		return 0
	fi
	echo "stopped"
	return 3
}


# ---- a cluster of nodes: DIR/brokers, DIR/node-K ----

cluster_size() {
	cat "$DIR/brokers"
}

# Ports, ids and voters of a new cluster of $1 nodes; checks an existing one has that size.
cluster_setup() {
	if [ -f "$DIR/brokers" ]; then
		[ "$(cluster_size)" = "$1" ] ||
			die "$DIR holds a cluster of $(cluster_size) brokers, not $1"
		return 0
	fi
	[ -e "$DIR/ports" ] && die "$DIR holds a single-node broker, not a cluster"
	free_ports $(( $1 * 2 )) > "$DIR/ports.tmp"
	[ -f "$DIR/cluster.id" ] || new_cluster_id > "$DIR/cluster.id"
	voters=""
	for k in $(seq 1 "$1"); do
		voters="$voters${voters:+,}$k@127.0.0.1:$(sed -n "$(( k * 2 ))p" "$DIR/ports.tmp")"
	done
	for k in $(seq 1 "$1"); do
		node="$DIR/node-$k"
		mkdir -p "$node"
		printf 'listener=%s\ncontroller=%s\n' "$(sed -n "$(( k * 2 - 1 ))p" "$DIR/ports.tmp")" \
			"$(sed -n "$(( k * 2 ))p" "$DIR/ports.tmp")" > "$node/ports"
		printf 'id=%d\nvoters=%s\nreplicas=%d\nmin_isr=2\n' "$k" "$voters" "$1" > "$node/node"
		cp "$DIR/cluster.id" "$node/cluster.id"
	done
	rm -f "$DIR/ports.tmp"
	echo "$1" > "$DIR/brokers"
}

# Launches every node at once (each formats its storage with a JVM of its own first: one after
# another, the last node launched 10 s after the first at a load of 25), then waits for each to
# answer; on a failure stops them all.
cluster_start() {
	cluster_setup "$1"
	spawned=""
	for k in $(seq 1 "$1"); do
		"$SCRIPT" spawn "$DIR/node-$k" &
		spawned="$spawned $!"
	done
	failed=0
	for child in $spawned; do
		wait "$child" || failed=1
	done
	[ "$failed" = 0 ] || { cluster_stop; exit 1; }
	bootstrap=""
	for k in $(seq 1 "$1"); do
		line=$("$SCRIPT" start "$DIR/node-$k") || { cluster_stop; exit 1; }
		bootstrap="$bootstrap${bootstrap:+,}${line#bootstrap=}"
	done
	echo "bootstrap=$bootstrap"
}

# All nodes at once: one by one, the last ones would wait on a controller quorum already gone.
# Even so the last node's controlled shutdown can wait for a quorum that left before it (it
# keeps calling elections): after 8 s it is killed (its data stays; the next start recovers it).
cluster_stop() {
	for k in $(seq 1 "$(cluster_size)"); do
		BROKER_STOP_TIMEOUT=8 "$SCRIPT" stop "$DIR/node-$k" &
	done
	wait
}

# Every node SIGKILLed at once, for a cluster whose data is thrown away (a test module's): no
# controlled shutdown (the last node's waits on a quorum already gone, up to 8 s).
cluster_kill() {
	for k in $(seq 1 "$(cluster_size)"); do
		"$SCRIPT" kill "$DIR/node-$k" &
	done
	wait
}

cluster_status() {
	rc=0
	for k in $(seq 1 "$(cluster_size)"); do
		line=$("$SCRIPT" status "$DIR/node-$k") || rc=3
		echo "node-$k $line"
	done
	return $rc
}

cluster_main() {
	case "$1" in
	start)		cluster_start "$2" ;;
	stop)		cluster_stop ;;
	kill)		cluster_kill ;;
	restart)	cluster_stop; cluster_start "$2" ;;
	status)		cluster_status ;;
	*)		usage ;;
	esac
}

brokers=""
case "$#:${3:-}" in
2:)		;;
4:--brokers)	brokers=$4
		case "$brokers" in
		''|*[!0-9]*|0)	usage ;;
		esac
		[ "$1" = start ] || [ "$1" = restart ] || usage ;;
*)		usage ;;
esac
SCRIPT=$(cd "$(dirname "$0")" && pwd -P)/$(basename "$0")
if [ ! -d "$2" ]; then
	case "$1" in
	stop|kill)	exit 0 ;;
	status)	echo "stopped"; exit 3 ;;
	esac
	mkdir -p "$2"
fi
DIR=$(cd "$2" && pwd -P)
JAVA_FLAGS="-Djava.awt.headless=true -Dlog4j.configuration=file:$DIR/log4j.properties
	-XX:ErrorFile=$DIR/hs_err_%p.log"

if [ -f "$DIR/brokers" ] || [ "${brokers:-1}" -gt 1 ]; then
	size=${brokers:-}
	[ -n "$size" ] || [ ! -f "$DIR/brokers" ] || size=$(cluster_size)
	cluster_main "$1" "$size"
	exit $?
fi
case "$1" in
start)		start ;;
stop)		stop ;;
kill)		kill_now ;;
restart)	stop; start ;;
status)		status ;;
spawn)		spawn ;;
*)		usage ;;
esac
