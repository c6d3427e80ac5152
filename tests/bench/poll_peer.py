#!/usr/bin/env python3
"""poll_peer.py - the peer the daemon's poll capacity is compared with: a simple Python asyncio
poller doing the same conditional GETs (If-None-Match / If-Modified-Since) over keep-alive
connections, with aiohttp when it can be imported, else with a raw-socket HTTP/1.1 client on
asyncio streams.

    poll_peer.py URLS_FILE SECONDS [CONCURRENCY]

A first pass fetches every URL once to learn its validators (not counted); then CONCURRENCY
workers poll the URLs round-robin for SECONDS. Prints one line of key=value pairs:
    peer client=aiohttp polls=N seconds=S polls_per_s=X not_modified=N cpu_seconds=C
It measures; it asserts nothing about time.
"""

import asyncio
import itertools
import resource
import sys
import time
from urllib.parse import urlsplit


def cpu_seconds():
	usage = resource.getrusage(resource.RUSAGE_SELF)
	return usage.ru_utime + usage.ru_stime


class Tally:
	def __init__(self):
		self.polls = 0
		self.not_modified = 0
		self.errors = 0


# --- aiohttp -------------------------------------------------------------------------------

async def run_aiohttp(urls, seconds, concurrency):
	import aiohttp
	validators = {}
	connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=0, ttl_dns_cache=300)
	async with aiohttp.ClientSession(connector=connector) as session:
		async def fetch(url, tally):
			headers = {}
			etag, modified = validators.get(url, (None, None))
			if etag:
				headers["If-None-Match"] = etag
			if modified:
				headers["If-Modified-Since"] = modified
			try:
				async with session.get(url, headers=headers) as response:
					await response.read()
					if response.status == 200:
						validators[url] = (response.headers.get("ETag"),
								   response.headers.get("Last-Modified"))
					if tally is not None:
						tally.polls += 1
						tally.not_modified += response.status == 304
			except aiohttp.ClientError:
				if tally is not None:
					tally.errors += 1

		await run_workers(urls, seconds, concurrency, fetch)
		return await measure(urls, seconds, concurrency, fetch)


# --- raw asyncio streams ---------------------------------------------------------------------

class RawClient:
	"""HTTP/1.1 GETs over one keep-alive connection per worker and host."""

	def __init__(self):
		self.validators = {}

	async def fetch(self, connections, url, tally):
		parts = urlsplit(url)
		key = (parts.hostname, parts.port or 80)
		if key not in connections:
			connections[key] = await asyncio.open_connection(*key)
		reader, writer = connections[key]
		lines = ["GET %s HTTP/1.1" % (parts.path or "/"), "Host: %s" % parts.netloc,
			 "User-Agent: poll_peer", "Accept-Encoding: identity"]
		etag, modified = self.validators.get(url, (None, None))
		if etag:
			lines.append("If-None-Match: %s" % etag)
		if modified:
			lines.append("If-Modified-Since: %s" % modified)
		writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
		status_line = await reader.readline()
		status = int(status_line.split()[1])
		headers = {}
		while True:
			line = await reader.readline()
			if line in (b"\r\n", b""):
				break
			name, _, value = line.decode("latin-1").partition(":")
			headers[name.strip().lower()] = value.strip()
		await reader.readexactly(int(headers.get("content-length", "0")))
		if status == 200:
			self.validators[url] = (headers.get("etag"), headers.get("last-modified"))
		if tally is not None:
			tally.polls += 1
			tally.not_modified += status == 304


async def run_raw(urls, seconds, concurrency):
	client = RawClient()
	worker_connections = {}

	async def fetch(url, tally):
		task = asyncio.current_task()
		connections = worker_connections.setdefault(id(task), {})
		try:
			await client.fetch(connections, url, tally)
		except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
			connections.clear()
			if tally is not None:
				tally.errors += 1

	await run_workers(urls, seconds, concurrency, fetch)
	return await measure(urls, seconds, concurrency, fetch)


# --- the two passes --------------------------------------------------------------------------

async def run_workers(urls, seconds, concurrency, fetch):
	"""The first pass: every URL once, validators learnt, nothing counted."""
	queue = iter(urls)

	async def worker():
		for url in queue:
			await fetch(url, None)

	await asyncio.gather(*(worker() for _ in range(concurrency)))


async def measure(urls, seconds, concurrency, fetch):
	tally = Tally()
	cycle = itertools.cycle(urls)
	deadline = time.monotonic() + seconds

	async def worker():
		while time.monotonic() < deadline:
			await fetch(next(cycle), tally)

	started, cpu_started = time.monotonic(), cpu_seconds()
	await asyncio.gather(*(worker() for _ in range(concurrency)))
	return tally, time.monotonic() - started, cpu_seconds() - cpu_started


def main(argv):
	if len(argv) not in (3, 4):
		sys.stderr.write(__doc__)
		return 2
	with open(argv[1]) as source:
		urls = [line.split()[0] for line in source if line.strip() and not line.startswith("#")]
	seconds = float(argv[2])
	concurrency = int(argv[3]) if len(argv) == 4 else 64
	try:
		import aiohttp  # noqa: F401
		client, runner = "aiohttp", run_aiohttp
	except ImportError:
		client, runner = "asyncio-raw", run_raw
	tally, elapsed, cpu = asyncio.run(runner(urls, seconds, concurrency))
	print("peer client=%s polls=%d seconds=%.2f polls_per_s=%.0f not_modified=%d errors=%d "
	      "cpu_seconds=%.2f cpu_per_1000=%.3f" % (
		      client, tally.polls, elapsed, tally.polls / elapsed, tally.not_modified,
		      tally.errors, cpu, cpu / max(tally.polls, 1) * 1000))
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
