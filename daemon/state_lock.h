/*
 * state_lock.h - one daemon per state_dir: an flock(2) on state_dir/wiresift.lock, held for
 * the daemon's life (both modes). In cluster mode it also means that the Kafka
 * transactional.id made from the host and the state_dir (daemon/cluster/txn.c) belongs to
 * one live instance, so a "fenced" producer was fenced by the coordinator, never by a twin.
 */
#ifndef WIRESIFT_STATE_LOCK_H
#define WIRESIFT_STATE_LOCK_H

#include <stddef.h>

/*
 * Takes the lock (creating dir and the file when missing; the file then holds our pid). The
 * descriptor to keep open, or -1 with a reason naming dir, and the pid holding it when known.
 */
int	 state_lock_take(const char *dir, char *error, size_t error_size);
/* Gives it up (-1: nothing). */
void	 state_lock_release(int fd);

#endif
