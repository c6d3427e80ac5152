/*
 * c11threads.c - linked into the TSan build only (make tsan): C11 threads on POSIX threads that
 * ThreadSanitizer sees. Debian's librdkafka starts its threads with C11 thrd_create and locks
 * with mtx_lock/cnd_wait, which glibc implements by calling its pthread code internally, past
 * TSan's interceptors: TSan then crashes in those threads (no thread state) and would not see
 * their locking. Defined here, in the executable, these interpose glibc's for librdkafka, and
 * call the pthread functions TSan intercepts (glibc's C11 types are the pthread ones).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

struct start {
	thrd_start_t	 run;
	void		*argument;
};

static int
result(int error)
{
	return error == 0 ? thrd_success : error == ETIMEDOUT ? thrd_timedout :
	    error == EBUSY ? thrd_busy : error == ENOMEM ? thrd_nomem : thrd_error;
}

static void *
trampoline(void *context)
{
	struct start start = *(struct start *)context;

	free(context);
	return (void *)(intptr_t)start.run(start.argument);
}

int
thrd_create(thrd_t *thread, thrd_start_t run, void *argument)
{
	struct start *start = malloc(sizeof *start);
	int error;

	if (start == NULL)
		return thrd_nomem;
	start->run = run;
	start->argument = argument;
	if ((error = pthread_create((pthread_t *)thread, NULL, trampoline, start)) != 0)
		free(start);
	return result(error);
}

int
thrd_join(thrd_t thread, int *status)
{
	void *value;
	int error = pthread_join((pthread_t)thread, &value);

	if (error == 0 && status != NULL)
		*status = (int)(intptr_t)value;
	return result(error);
}

int
mtx_init(mtx_t *mutex, int type)
{
	pthread_mutexattr_t attributes;
	int error;

	pthread_mutexattr_init(&attributes);
	if (type & mtx_recursive)
		pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
	error = pthread_mutex_init((pthread_mutex_t *)mutex, &attributes);
	pthread_mutexattr_destroy(&attributes);
	return result(error);
}

int
mtx_lock(mtx_t *mutex)
{
	return result(pthread_mutex_lock((pthread_mutex_t *)mutex));
}

int
mtx_trylock(mtx_t *mutex)
{
	return result(pthread_mutex_trylock((pthread_mutex_t *)mutex));
}

int
mtx_unlock(mtx_t *mutex)
{
	return result(pthread_mutex_unlock((pthread_mutex_t *)mutex));
}

void
mtx_destroy(mtx_t *mutex)
{
	pthread_mutex_destroy((pthread_mutex_t *)mutex);
}

int
cnd_init(cnd_t *condition)
{
	return result(pthread_cond_init((pthread_cond_t *)condition, NULL));
}

int
cnd_signal(cnd_t *condition)
{
	return result(pthread_cond_signal((pthread_cond_t *)condition));
}

int
cnd_broadcast(cnd_t *condition)
{
	return result(pthread_cond_broadcast((pthread_cond_t *)condition));
}

int
cnd_wait(cnd_t *condition, mtx_t *mutex)
{
	return result(pthread_cond_wait((pthread_cond_t *)condition, (pthread_mutex_t *)mutex));
}

int
cnd_timedwait(cnd_t *restrict condition, mtx_t *restrict mutex,
    const struct timespec *restrict deadline)
{
	return result(pthread_cond_timedwait((pthread_cond_t *)condition,
	    (pthread_mutex_t *)mutex, deadline));
}

void
cnd_destroy(cnd_t *condition)
{
	pthread_cond_destroy((pthread_cond_t *)condition);
}

void
call_once(once_flag *flag, void (*function)(void))
{
	pthread_once((pthread_once_t *)flag, function);
}
