/*
 * check.h - the unit test harness: a test is a function, CHECK records a failed assertion
 * with file:line, RUN runs a test and counts it passed only if all its checks held, SKIP
 * marks the running test as one that could not run (counted as skipped, never as passed), and
 * check_finish() prints the closing "N passed, N failed[, N skipped]" line and gives the exit
 * status.
 */
#ifndef WIRESIFT_CHECK_H
#define WIRESIFT_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check_tests_passed, check_tests_failed, check_tests_skipped;
static int check_current_failures;
static int check_current_skipped __attribute__((unused));
static const char *check_current_test;

#define CHECK(condition) do {							\
	if (!(condition)) {							\
		check_current_failures++;					\
		fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n", __FILE__,	\
		    __LINE__, check_current_test, #condition);			\
	}									\
} while (0)

#define CHECK_STR(actual, expected) do {					\
	const char *check_a_ = (actual), *check_e_ = (expected);		\
	if (check_a_ == NULL || check_e_ == NULL ?				\
	    check_a_ != check_e_ : strcmp(check_a_, check_e_) != 0) {		\
		check_current_failures++;					\
		fprintf(stderr, "%s:%d: %s: %s\n  got:      %s\n  expected: %s\n",	\
		    __FILE__, __LINE__, check_current_test, #actual,		\
		    check_a_ ? check_a_ : "(null)", check_e_ ? check_e_ : "(null)");\
	}									\
} while (0)

#define CHECK_CONTAINS(haystack, needle) do {					\
	const char *check_h_ = (haystack), *check_n_ = (needle);		\
	if (check_h_ == NULL || strstr(check_h_, check_n_) == NULL) {		\
		check_current_failures++;					\
		fprintf(stderr, "%s:%d: %s: %s does not contain \"%s\"\n",	\
		    __FILE__, __LINE__, check_current_test, #haystack, check_n_);\
	}									\
} while (0)

#define CHECK_NOT_CONTAINS(haystack, needle) do {				\
	const char *check_h_ = (haystack), *check_n_ = (needle);		\
	if (check_h_ != NULL && strstr(check_h_, check_n_) != NULL) {		\
		check_current_failures++;					\
		fprintf(stderr, "%s:%d: %s: %s contains \"%s\"\n",		\
		    __FILE__, __LINE__, check_current_test, #haystack, check_n_);\
	}									\
} while (0)

/* The running test cannot run here (missing seeds, tool ...): say why on a "SKIP" line. */
#define SKIP(...) do {								\
	check_current_skipped = 1;						\
	printf("SKIP %s: ", check_current_test);				\
	printf(__VA_ARGS__);							\
	printf("\n");								\
} while (0)

/* A test that cannot run here at all: counted as skipped with the reason on a "SKIP" line. */
#define RUN_SKIPPED(test_function, ...) do {					\
	check_current_test = #test_function;					\
	check_tests_skipped++;							\
	printf("SKIP %s: ", check_current_test);				\
	printf(__VA_ARGS__);							\
	printf("\n");								\
} while (0)

#define RUN(test_function) do {							\
	check_current_test = #test_function;					\
	check_current_failures = 0;						\
	check_current_skipped = 0;						\
	test_function();							\
	if (check_current_failures == 0 && check_current_skipped)		\
		check_tests_skipped++;						\
	else if (check_current_failures == 0)					\
		check_tests_passed++;						\
	else {									\
		check_tests_failed++;						\
		fprintf(stderr, "FAIL %s\n", #test_function);			\
	}									\
} while (0)

/* Print the closing line; return the process exit status. */
static inline int
check_finish(void)
{
	if (check_tests_skipped > 0)
		printf("%d passed, %d failed, %d skipped\n", check_tests_passed,
		    check_tests_failed, check_tests_skipped);
	else
		printf("%d passed, %d failed\n", check_tests_passed, check_tests_failed);
	return check_tests_failed == 0 ? 0 : 1;
}

/* The shared seeds directory, or NULL (tests then SKIP). */
static inline const char *
check_seeds_dir(void)
{
	const char *env = getenv("WIRESIFT_SEEDS");

	if (env != NULL && *env != '\0')
		return access(env, R_OK | X_OK) == 0 ? env : NULL;
	if (access("../shared/seeds", R_OK | X_OK) == 0)
		return "../shared/seeds";
	return NULL;
}

#endif
