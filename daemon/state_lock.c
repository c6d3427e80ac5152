/*
 * state_lock.c - one daemon per state_dir (see state_lock.h): an exclusive, non-blocking
 * flock(2) on state_dir/wiresift.lock. The kernel drops it when the process ends, however it
 * ends (SIGKILL included), so a stale file never blocks a start; the file is never removed
 * (removing it would let a second daemon lock a new file while the first holds the old one).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state_lock.h"

#define LOCK_FILE	"wiresift.lock"

/* mkdir -p: each parent in turn; one that exists is fine. */
static int
make_dir(const char *dir)
{
	char path[4096];
	size_t length = strlen(dir);

	if (length == 0 || length >= sizeof path)
		return length == 0 ? 0 : -1;
	memcpy(path, dir, length + 1);
	for (char *slash = path + 1; (slash = strchr(slash, '/')) != NULL; slash++) {
		*slash = '\0';
		if (mkdir(path, 0750) < 0 && errno != EEXIST)
			return -1;
		*slash = '/';
	}
	return mkdir(path, 0750) < 0 && errno != EEXIST ? -1 : 0;
}

/* The pid the holder wrote, 0 when the file does not say. */
static long
holder_pid(int fd)
{
	char text[32];
	ssize_t got = pread(fd, text, sizeof text - 1, 0);

	if (got <= 0)
		return 0;
	text[got] = '\0';
	return strtol(text, NULL, 10);
}

static void
write_pid(int fd)
{
	char text[32];
	int length = snprintf(text, sizeof text, "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == 0 && pwrite(fd, text, (size_t)length, 0) != length)
		return;		/* the pid is a courtesy: the lock is the flock */
}

int
state_lock_take(const char *dir, char *error, size_t error_size)
{
	char path[4200];
	long pid;
	int fd;

	snprintf(path, sizeof path, "%s/" LOCK_FILE, dir);
	if (make_dir(dir) < 0 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		snprintf(error, error_size, "state_dir %s: cannot open %s: %s", dir, LOCK_FILE,
		    strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		write_pid(fd);
		return fd;
	}
	if (errno == EWOULDBLOCK && (pid = holder_pid(fd)) > 0)
		snprintf(error, error_size, "state_dir %s is in use by another wiresift (pid %ld, "
		    "lock %s): each daemon needs its own state_dir", dir, pid, path);
	else if (errno == EWOULDBLOCK)
		snprintf(error, error_size, "state_dir %s is in use by another wiresift (lock %s): "
		    "each daemon needs its own state_dir", dir, path);
	else
		snprintf(error, error_size, "state_dir %s: cannot lock %s: %s", dir, path,
		    strerror(errno));
	close(fd);
	return -1;
}

void
state_lock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
