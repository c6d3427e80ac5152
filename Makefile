# Makefile - builds wiresift, its plugins and tests; fetches what they need on a fresh machine.
#
#   make            build/wiresift and build/plugins/*.so
#   make run        the daemon on the demo feeds, publishing to librdkafka's in-process broker
#   make test       unit tests + end-to-end tests against a real Kafka broker and HTTP server
#   make asan       ASan+UBSan build in build-asan/, unit tests run under it
#   make tsan       TSan build in build-tsan/; the threaded unit tests and cluster mode's e2e
#                   tests (the committer thread beside the loop, the workers) run under it, and
#                   any report fails it
#                   (tests/tsan/reports.py: but races with no frame outside librdkafka, and
#                   librdkafka freeing a fetch buffer after fprecord.c read its record)
#   make bench      throughput and memory figures against peers measured in the same run
#   make deps       install Debian -dev packages (as root) and fetch the Kafka broker jars
#   make install    PREFIX=/usr/local DESTDIR= ; make clean

VERSION	 = 0.1.0
PREFIX	?= /usr/local
DESTDIR	?=
BUILD	?= build
CC	?= cc
KAFKA_VERSION ?= 3.9.1
KAFKA_LIBS ?= $(HOME)/.cache/wiresift/kafka-$(KAFKA_VERSION)
export KAFKA_LIBS KAFKA_VERSION

PKGS	 = libcurl libevent rdkafka libxml-2.0 jansson libutf8proc libsystemd sqlite3 libxxhash \
	   libdeflate zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

OPTIMIZE ?= -O2
SANITIZE ?=
CFLAGS	?=
CFLAGS	+= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
	   -g $(OPTIMIZE) $(SANITIZE) -fPIC -Idaemon $(PKG_CFLAGS) \
	   -DWIRESIFT_VERSION='"$(VERSION)"' -DWIRESIFT_PLUGIN_DIR='"$(PREFIX)/lib/wiresift/plugins"'
CXX	?= c++
CXXFLAGS ?=
CXXFLAGS += -std=c++17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -g $(OPTIMIZE) \
	   $(SANITIZE) -fPIC -Idaemon
LDFLAGS	+= $(SANITIZE)
LIBS	 = $(PKG_LIBS) -ldl -lm -lpthread
# The daemon allocates with jemalloc, as Redis does: articles are built on the loop thread,
# cleaned on the workers and freed on the loop again, and glibc's malloc spent 10% of the
# daemon's CPU on that (the cold start ran 10-20% faster with jemalloc, same run, same
# machine). Sanitizer builds keep the C library's malloc, which the sanitizers replace; the
# unit tests and benchmarks that measure the heap (mallinfo2) keep it too. jemalloc's options
# are compiled into the daemon (malloc_conf in daemon/main.c, which says what they measured).
DAEMON_MALLOC = $(if $(SANITIZE),,-ljemalloc)
# The TSan build's daemon, unit tests, tools and benchmarks run librdkafka's C11 threads on
# pthreads TSan sees (the file says why; without it a unit test that starts librdkafka, e.g.
# test_cluster, dies in librdkafka's first thread).
DAEMON_TSAN = $(if $(findstring thread,$(SANITIZE)),$(BUILD)/obj/tests/tsan/c11threads.o)

DAEMON_SOURCES	= $(sort $(wildcard daemon/*.c daemon/feed/*.c daemon/dedup/*.c daemon/clean/*.c \
		    daemon/ingest/*.c daemon/story/*.c daemon/cluster/*.c))
LIBRARY_SOURCES	= $(filter-out daemon/main.c,$(DAEMON_SOURCES))
LIBRARY_OBJECTS	= $(LIBRARY_SOURCES:%.c=$(BUILD)/obj/%.o)
MAIN_OBJECT	= $(BUILD)/obj/daemon/main.o
HEADERS		= $(wildcard daemon/*.h daemon/feed/*.h daemon/dedup/*.h daemon/clean/*.h \
		    daemon/ingest/*.h daemon/story/*.h daemon/cluster/*.h plugins/*/*.h \
		    plugins/*.h)

# Each plugin lives in plugins/NAME/ (C, or C++ where its library is C++ only: *.cc) and may
# add link flags in plugins/NAME/plugin.mk
# as PLUGIN_LIBS_NAME = ... ; the core Makefile names no plugin.
PLUGIN_NAMES	= $(notdir $(patsubst %/,%,$(sort $(dir $(wildcard plugins/*/*.c plugins/*/*.cc)))))
PLUGINS		= $(PLUGIN_NAMES:%=$(BUILD)/plugins/%.so)
-include $(wildcard plugins/*/plugin.mk)

UNIT_SOURCES	= $(sort $(wildcard tests/unit/test_*.c))
UNIT_TESTS	= $(UNIT_SOURCES:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SOURCES	= $(sort $(wildcard tests/tools/*.c))
TOOLS		= $(TOOL_SOURCES:tests/tools/%.c=$(BUILD)/tools/%)
BENCH_SOURCES	= $(sort $(wildcard tests/bench/bench_*.c))
BENCHES		= $(BENCH_SOURCES:tests/bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps run test unit asan tsan bench fuzz install clean check-deps
.DEFAULT_GOAL := all

all: check-deps $(BUILD)/wiresift $(BUILD)/wiresift-hooks $(PLUGINS) $(UNIT_TESTS) $(TOOLS) \
    $(BENCHES)

# Libraries without a pkg-config file are checked by their headers.
HEADER_DEPS = /usr/include/cld2/public/compact_lang_det.h /usr/include/libstemmer.h \
	      /usr/include/jemalloc/jemalloc.h

check-deps:
	@pkg-config --exists $(PKGS) 2>/dev/null && ls $(HEADER_DEPS) >/dev/null 2>&1 || { \
	  echo "wiresift: missing build dependencies; run 'make deps' (as root it installs them)"; exit 1; }

deps:
	@scripts/deps.sh

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libwiresift.a: $(LIBRARY_OBJECTS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/wiresift: $(MAIN_OBJECT) $(BUILD)/libwiresift.a $(DAEMON_TSAN)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $(MAIN_OBJECT) $(DAEMON_TSAN) -Wl,--whole-archive \
	    $(BUILD)/libwiresift.a -Wl,--no-whole-archive $(LIBS) $(DAEMON_MALLOC)

# The daemon with the tests' hooks (tests/hooks/*.c, e.g. a fingerprint record lost on
# purpose), for the e2e tests that need one; build/wiresift has none (weak symbols, NULL there).
HOOK_SOURCES	= $(sort $(wildcard tests/hooks/*.c))
$(BUILD)/wiresift-hooks: $(MAIN_OBJECT) $(BUILD)/libwiresift.a $(DAEMON_TSAN) $(HOOK_SOURCES) \
    $(HEADERS)
	$(CC) $(CFLAGS) $(LDFLAGS) -rdynamic -o $@ $(MAIN_OBJECT) $(DAEMON_TSAN) $(HOOK_SOURCES) \
	    -Wl,--whole-archive $(BUILD)/libwiresift.a -Wl,--no-whole-archive $(LIBS) \
	    $(DAEMON_MALLOC)

$(BUILD)/plugins/%.so: plugins/%/*.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -o $@ $(filter %.c,$^) $(LDFLAGS) $(PLUGIN_LIBS_$*)

$(BUILD)/plugins/%.so: plugins/%/*.cc $(HEADERS)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -shared -o $@ $(filter %.cc,$^) $(LDFLAGS) $(PLUGIN_LIBS_$*)

# Unit tests, tools and benchmarks are one source file each, but many include more (test
# headers, a plugin's .c compiled in): the compiler lists what each read (-MMD, into
# $@.d beside the binary) and the next make rebuilds it when any of those change.
DEPFLAGS = -MMD -MP -MF $@.d
-include $(wildcard $(BUILD)/tests/*.d $(BUILD)/tools/*.d $(BUILD)/bench/*.d)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/check.h $(BUILD)/libwiresift.a $(DAEMON_TSAN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -Itests/unit -rdynamic -o $@ $< $(DAEMON_TSAN) \
	    -Wl,--whole-archive $(BUILD)/libwiresift.a -Wl,--no-whole-archive $(LDFLAGS) $(LIBS)

$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/libwiresift.a $(DAEMON_TSAN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -o $@ $< $(DAEMON_TSAN) $(BUILD)/libwiresift.a $(LDFLAGS) $(LIBS)

# gofeed, the reference of the differential test (tests/feeds/differential.py): Go and the
# module from the Go module proxy are optional, so it is not part of `all`; the test builds
# it and reports itself SKIPPED when this fails.
$(BUILD)/tools/gofeed_items: tests/tools/gofeed_items/main.go tests/tools/gofeed_items/go.mod \
    tests/tools/gofeed_items/go.sum
	@mkdir -p $(dir $@)
	cd tests/tools/gofeed_items && go build -o $(abspath $@) .

$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/libwiresift.a $(DAEMON_TSAN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -Itests/unit -rdynamic -o $@ $< $(DAEMON_TSAN) \
	    -Wl,--whole-archive $(BUILD)/libwiresift.a -Wl,--no-whole-archive $(LDFLAGS) $(LIBS)

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run-demo.sh $(BUILD)

unit: all
	@tests/run.sh --unit-only $(BUILD)

test: deps
	@$(MAKE) --no-print-directory all
	@tests/run.sh $(BUILD)

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPTIMIZE=-O1 \
	    SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer" all
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    tests/run.sh --unit-only build-asan

# The unit tests where threads meet (the workers, the plugin host's threads, librdkafka's
# threads beside the cluster code) run first. TSan's reports decide, not the processes' exit
# codes (exitcode=0): tests/tsan/reports.py reads them all, also when a test failed, and leaves
# out races wholly inside librdkafka (it says why). The e2e tests' waits for the daemon's own
# work (its articles published, a log line) are stretched 8 times in a TSan build, which runs
# 5-15x slower (tests/e2e/helpers.py time_factor; WIRESIFT_TIME_FACTOR sets another factor).
TSAN_UNIT ?= test_workers test_plugins test_cluster test_cluster_join test_cluster_renew \
    test_fetch_reuse test_loop
tsan: deps
	@$(MAKE) --no-print-directory BUILD=build-tsan OPTIMIZE=-O1 \
	    SANITIZE="-fsanitize=thread -fno-omit-frame-pointer" all
	@rm -rf build-tsan/reports && mkdir -p build-tsan/reports
	@export TSAN_OPTIONS="log_path=$(CURDIR)/build-tsan/reports/tsan second_deadlock_stack=1 \
	    exitcode=0 history_size=7 suppressions=$(CURDIR)/tests/tsan/suppressions" \
	    WIRESIFT_BUILD=build-tsan WIRESIFT_PLUGIN_DIR=$(CURDIR)/build-tsan/plugins; \
	    failed=0; for test in $(TSAN_UNIT:%=build-tsan/tests/%); do \
	    $$test >$$test.out 2>&1 || { failed=1; tail -n 20 $$test.out; }; tail -n 1 $$test.out; \
	    done; python3 -m pytest -q tests/e2e/test_cluster.py \
	    tests/e2e/test_cluster_fingerprints.py tests/e2e/test_cluster_revoke.py $(TSAN_TESTS); \
	    status=$$?; python3 tests/tsan/reports.py build-tsan/reports && exit $$((status | failed))

bench: deps
	@$(MAKE) --no-print-directory all
	@tests/bench/run.sh $(BUILD)

fuzz: deps
	@tests/fuzz/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/wiresift/plugins \
	    $(DESTDIR)/etc/wiresift/rules $(DESTDIR)$(PREFIX)/share/man/man8 \
	    $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 755 $(BUILD)/wiresift $(DESTDIR)$(PREFIX)/bin/wiresift
	install -m 644 $(PLUGINS) $(DESTDIR)$(PREFIX)/lib/wiresift/plugins/
	install -d $(DESTDIR)/etc/wiresift/gazetteers
	install -m 644 conf/wiresift.conf conf/feeds.list conf/topics.rules \
	    conf/keywords.background $(DESTDIR)/etc/wiresift/
	install -m 644 conf/rules/* $(DESTDIR)/etc/wiresift/rules/
	install -m 644 conf/gazetteers/* $(DESTDIR)/etc/wiresift/gazetteers/
	install -m 644 docs/wiresift.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 644 docs/wiresift.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	sed 's|/usr/local|$(PREFIX)|g' systemd/wiresift.service \
	    > $(DESTDIR)$(PREFIX)/lib/systemd/system/wiresift.service

clean:
	rm -rf build build-asan build-*
