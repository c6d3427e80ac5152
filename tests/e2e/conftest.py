"""conftest.py - pytest fixtures for wiresift's end-to-end tests: one real Kafka broker for the
session, nginx servers and wiresift daemons per test. The work is done in helpers.py.

	kafka            session: .bootstrap, .dir, .start(), .stop(), .restart(), .log()
	kafka_cluster    module: a three-node cluster (replication factor 3, min.insync.replicas
	                 2), same interface plus .stop_node(k), .kill_node(k), .start_node(k);
	                 only the cluster tests use it, and it is killed after their module
	http_server      factory: http_server(directory, extra_config="") -> .url(path), .requests(),
	                 .stop(); stopped after the test
	wiresift_daemon  factory: wiresift_daemon(config, args=(), env=None) -> .stop(sig), .log(),
	                 .wait_for_log(regex, timeout); stopped (SIGTERM) after the test
	seeds            the real seed articles from ../shared/seeds ({name: text}); skips when absent
"""

import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import helpers  # noqa: E402

_timings = []


@pytest.fixture(scope="session")
def kafka(tmp_path_factory):
	broker = helpers.KafkaBroker(tmp_path_factory.mktemp("kafka"))
	broker.start()
	_timings.append(("kafka broker start", broker.start_seconds))
	yield broker
	begun = time.monotonic()
	broker.stop()
	_timings.append(("kafka broker stop", time.monotonic() - begun))


@pytest.fixture(scope="module")
def kafka_cluster(tmp_path_factory):
	cluster = helpers.KafkaBroker(tmp_path_factory.mktemp("kafka-cluster"), brokers=3)
	cluster.start()
	_timings.append(("kafka 3-node cluster start", cluster.start_seconds))
	yield cluster
	begun = time.monotonic()
	# Its data is thrown away with the module: killed, not shut down node by node.
	cluster.kill()
	_timings.append(("kafka 3-node cluster kill", time.monotonic() - begun))


@pytest.fixture
def http_server(tmp_path):
	servers = []

	def start(directory, extra_config=""):
		run_dir = tmp_path / ("nginx-%d" % len(servers))
		server = helpers.HttpServer(directory, run_dir, extra_config)
		servers.append(server)
		return server.start()

	yield start
	for server in servers:
		server.stop()


@pytest.fixture
def wiresift_daemon(tmp_path):
	daemons = []

	def start(config, args=(), env=None, binary=None):
		log_path = tmp_path / ("wiresift-%d.log" % len(daemons))
		daemon = helpers.WiresiftDaemon(config, log_path, args, env, binary)
		daemons.append(daemon)
		return daemon.start()

	yield start
	for daemon in daemons:
		daemon.stop()


@pytest.fixture
def seeds():
	found = helpers.seeds()
	if not found:
		pytest.skip("no seed articles in %s (they live outside the repository)" %
			    helpers.SEEDS_DIR)
	return found


def pytest_report_header(config):
	return "wiresift build: %s (WIRESIFT_BUILD=%s)" % (
		helpers.build_dir(), os.environ.get("WIRESIFT_BUILD", "build"))


def pytest_terminal_summary(terminalreporter):
	for name, seconds in _timings:
		terminalreporter.write_line("timing: %s %.2f s" % (name, seconds))
