/*
 * test_state_lock.c - one daemon per state_dir (daemon/state_lock.c): while a process holds
 * the lock, another's take fails with a reason naming the directory and the holder's pid (the
 * pid a child process wrote, compared with the one fork() gave); the lock goes with its
 * holder, however it ends (SIGKILL), and can then be taken; a state_dir that does not exist
 * yet is made.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "state_lock.h"

/* A child that takes the lock, says so on the pipe and waits to be killed; its pid, or -1. */
static pid_t
holder(const char *dir)
{
	int ready[2];
	char byte = 0, error[512];
	pid_t pid;

	if (pipe(ready) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		byte = state_lock_take(dir, error, sizeof error) >= 0 ? 'y' : 'n';
		if (write(ready[1], &byte, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (read(ready[0], &byte, 1) != 1 || byte != 'y') {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(ready[0]);
	return pid;
}

static void
test_a_second_taker_is_refused_with_the_holders_pid(void)
{
	char dir[64] = "/tmp/wiresift-lock-XXXXXX", error[512] = "", pid_text[32], path[128];
	pid_t pid;
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	pid = holder(dir);
	CHECK(pid > 0);
	if (pid <= 0)
		return;
	CHECK(state_lock_take(dir, error, sizeof error) == -1);
	CHECK_CONTAINS(error, dir);
	snprintf(pid_text, sizeof pid_text, "pid %ld", (long)pid);
	CHECK_CONTAINS(error, pid_text);
	kill(pid, SIGKILL);			/* the kernel drops its lock */
	waitpid(pid, NULL, 0);
	error[0] = '\0';
	fd = state_lock_take(dir, error, sizeof error);
	CHECK(fd >= 0);
	CHECK_STR(error, "");
	state_lock_release(fd);
	snprintf(path, sizeof path, "%s/wiresift.lock", dir);
	unlink(path);
	rmdir(dir);
}

static void
test_a_missing_state_dir_is_made(void)
{
	char base[64] = "/tmp/wiresift-lock-XXXXXX", dir[128], path[160], error[512] = "";
	struct stat info;
	int fd;

	CHECK(mkdtemp(base) != NULL);
	snprintf(dir, sizeof dir, "%s/a/b", base);
	fd = state_lock_take(dir, error, sizeof error);
	CHECK(fd >= 0);
	CHECK(stat(dir, &info) == 0 && S_ISDIR(info.st_mode));
	state_lock_release(fd);
	snprintf(path, sizeof path, "%s/wiresift.lock", dir);
	unlink(path);
	rmdir(dir);
	snprintf(path, sizeof path, "%s/a", base);
	rmdir(path);
	rmdir(base);
}

int
main(void)
{
	RUN(test_a_second_taker_is_refused_with_the_holders_pid);
	RUN(test_a_missing_state_dir_is_made);
	return check_finish();
}
