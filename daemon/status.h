/*
 * status.h - what the daemon says about itself: Prometheus text for /metrics, a JSON list of
 * feeds for /feeds, and whether it is ready (/readyz). Read-only views of the ingest state.
 */
#ifndef WIRESIFT_STATUS_H
#define WIRESIFT_STATUS_H

#include "util.h"

struct ingest;

void	 status_metrics(const struct ingest *ingest, struct buffer *out);
char	*status_feeds_json(const struct ingest *ingest);
/* 1 when ready; otherwise 0 and a reason. */
int	 status_ready(const struct ingest *ingest, char *reason, size_t reason_size);

#endif
