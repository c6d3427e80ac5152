/*
 * bench_feedstate.c - the cost of writing one cluster state record (daemon/cluster/feedstate.c)
 * as a transaction that delivered from its feed does: "updated" set, the whole record encoded.
 * The record is full (CLUSTER_DELIVERED_MAX ids, most with a version: feedstate_records.h), as
 * a long-lived feed's is. Prints the record's size and, for jansson's json_dumps(JSON_COMPACT)
 * (what feedstate.c used) and feedstate_encode() (json_write.c), microseconds per write (best
 * of five rounds) and whether their bytes agree. It asserts nothing about time; for
 * instruction counts run it under callgrind with one of the two arguments:
 *
 *   bench_feedstate [dumps|encode] [WRITES]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feedstate_records.h"
#include "cluster/cluster_internal.h"
#include "clock.h"

/* One write as the transaction path makes it; returns the value's length. */
static size_t
write_once(json_t *record, int use_dumps, struct buffer *out)
{
	size_t length;
	char *value;

	json_object_set_new(record, "updated", json_integer((json_int_t)time(NULL)));
	if (!use_dumps) {
		feedstate_encode(record, out);
		return out->length;
	}
	value = json_dumps(record, JSON_COMPACT);
	length = strlen(value);
	free(value);
	return length;
}

/* Best of five rounds of writes, in microseconds per write. */
static double
measure(json_t *record, int use_dumps, int writes)
{
	struct buffer out = { 0 };
	double best = 0;
	size_t total = 0;

	for (int round = 0; round < 5; round++) {
		double start = clock_seconds(CLOCK_MONOTONIC), elapsed;

		for (int i = 0; i < writes; i++)
			total += write_once(record, use_dumps, &out);
		elapsed = (clock_seconds(CLOCK_MONOTONIC) - start) * 1e6 / writes;
		if (round == 0 || elapsed < best)
			best = elapsed;
	}
	buffer_free(&out);
	return total > 0 ? best : -1;
}

int
main(int argc, char **argv)
{
	json_t *record = records_make(1, CLUSTER_DELIVERED_MAX, 0);
	int writes = argc > 2 ? atoi(argv[2]) : 200;
	struct buffer out = { 0 };
	char *dumped = json_dumps(record, JSON_COMPACT);

	feedstate_encode(record, &out);
	printf("feedstate: record of %zu ids, %zu with versions, %zu bytes; bytes agree: %s\n",
	    json_array_size(json_object_get(record, "delivered")),
	    json_object_size(json_object_get(record, "versions")), strlen(dumped),
	    out.length == strlen(dumped) && memcmp(out.data, dumped, out.length) == 0 ?
	    "yes" : "NO");
	if (argc < 2 || strcmp(argv[1], "dumps") == 0)
		printf("feedstate: json_dumps        %8.1f us per write\n",
		    measure(record, 1, writes));
	if (argc < 2 || strcmp(argv[1], "encode") == 0)
		printf("feedstate: feedstate_encode  %8.1f us per write\n",
		    measure(record, 0, writes));
	free(dumped);
	buffer_free(&out);
	json_decref(record);
	return 0;
}
