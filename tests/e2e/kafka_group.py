"""kafka_group.py - a consumer group's state as its coordinator holds it (Stable,
PreparingRebalance, CompletingRebalance, Empty, Dead), asked over Kafka's own protocol
(FindCoordinator v0, then DescribeGroups v0, both in every broker since 0.11) with no client
library: the cluster tests wait on it where they would otherwise wait a fixed time, e.g. for
a joining member's JoinGroup to have reached the coordinator while the other member is paused
(the group then stays PreparingRebalance until that member comes back). And a topic created
with configs kcat cannot give (CreateTopics v0), e.g. a fingerprints topic whose
max.message.bytes refuses every record."""

import socket
import struct

FIND_COORDINATOR = 10
DESCRIBE_GROUPS = 15
CREATE_TOPICS = 19


def _string(text):
	data = text.encode()
	return struct.pack(">h", len(data)) + data


class _Reader:
	def __init__(self, data):
		self.data, self.at = data, 0

	def take(self, fmt):
		values = struct.unpack_from(fmt, self.data, self.at)
		self.at += struct.calcsize(fmt)
		return values[0]

	def string(self):
		length = self.take(">h")
		text = self.data[self.at:self.at + max(length, 0)].decode()
		self.at += max(length, 0)
		return text


def _request(address, api_key, body, timeout):
	"""The response body (after the correlation id) of one request, version 0."""
	header = struct.pack(">hhi", api_key, 0, 1) + _string("wiresift-tests")
	message = header + body
	with socket.create_connection(address, timeout=timeout) as connection:
		connection.sendall(struct.pack(">i", len(message)) + message)
		size = struct.unpack(">i", _receive(connection, 4))[0]
		return _Reader(_receive(connection, size)[4:])


def _receive(connection, size):
	data = b""
	while len(data) < size:
		chunk = connection.recv(size - len(data))
		if not chunk:
			raise OSError("connection closed by the broker")
		data += chunk
	return data


def _address(text):
	host, _, port = text.rpartition(":")
	return host, int(port)


def group_state(bootstrap, group, timeout=10):
	"""The group's state on its coordinator, or None when no broker of bootstrap (a
	"host:port,..." list) can say now."""
	for server in bootstrap.split(","):
		try:
			found = _request(_address(server), FIND_COORDINATOR, _string(group), timeout)
			if found.take(">h") != 0:
				continue
			found.take(">i")
			coordinator = (found.string(), found.take(">i"))
			answer = _request(coordinator, DESCRIBE_GROUPS, struct.pack(">i", 1) +
					  _string(group), timeout)
			if answer.take(">i") != 1 or answer.take(">h") != 0:
				continue
			answer.string()		# the group id
			return answer.string()
		except OSError:
			continue
	return None


def create_topic(bootstrap, topic, partitions, replication, configs, timeout=30):
	"""Creates topic with configs ({name: value}); the answer's error code (0: created, 36:
	it exists). OSError when no broker of bootstrap answers."""
	body = (struct.pack(">i", 1) + _string(topic) +
		struct.pack(">ihi", partitions, replication, 0) + struct.pack(">i", len(configs)) +
		b"".join(_string(name) + _string(str(value)) for name, value in configs.items()) +
		struct.pack(">i", timeout * 1000))
	for server in bootstrap.split(","):
		try:
			answer = _request(_address(server), CREATE_TOPICS, body, timeout + 5)
		except OSError:
			continue
		if answer.take(">i") == 1:
			answer.string()		# the topic
			return answer.take(">h")
	raise OSError("no broker of %s answered CreateTopics" % bootstrap)
