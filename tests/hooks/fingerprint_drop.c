/*
 * fingerprint_drop.c - a test hook, linked only into build/wiresift-hooks (never into
 * build/wiresift, where daemon/cluster/fingerprints.c finds cluster_test_drop_fingerprint
 * NULL): with WIRESIFT_TEST_DROP_FINGERPRINTS=N in the environment, the first N fingerprint
 * records the instance sends are lost before the producer sees them (each logged as
 * test.fingerprint_dropped id=...), as a record lost between the producer and the reader
 * would be. tests/e2e/test_cluster_fingerprints.py watches the
 * article parked for it wait out [cluster] fingerprint_timeout.
 */
#include <stdlib.h>

#include "cluster/cluster.h"
#include "log.h"

int
cluster_test_drop_fingerprint(const char *id)
{
	static long left = -1;	/* the loop thread's only */
	const char *count;

	if (left < 0)
		left = (count = getenv("WIRESIFT_TEST_DROP_FINGERPRINTS")) != NULL ?
		    strtol(count, NULL, 10) : 0;
	if (left <= 0)
		return 0;
	left--;
	log_event(LOG_LEVEL_WARNING, "cluster", "test.fingerprint_dropped", "id=%s", id);
	return 1;
}
