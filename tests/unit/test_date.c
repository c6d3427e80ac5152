/*
 * test_date.c - feed_date_parse(): RFC 822/1123/2822 and the variants real feeds use,
 * RFC 3339 / W3CDTF, zones, and what must be rejected. Expected instants are built with
 * timegm() from the calendar fields, independently of the parser.
 */
#include <time.h>

#include "check.h"
#include "feed/feed.h"

static time_t
utc(int year, int month, int day, int hour, int minute, int second)
{
	struct tm fields = {
		.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day,
		.tm_hour = hour, .tm_min = minute, .tm_sec = second
	};

	return timegm(&fields);
}

#define CHECK_DATE(text, expected) do {						\
	const char *text_ = (text);						\
	time_t got_ = feed_date_parse(text_), want_ = (expected);		\
	if (got_ != want_) {							\
		check_current_failures++;					\
		fprintf(stderr, "%s:%d: feed_date_parse(\"%s\") = %lld, want %lld\n",\
		    __FILE__, __LINE__, text_ ? text_ : "(null)", (long long)got_,	\
		    (long long)want_);						\
	}									\
} while (0)

static void
test_rfc822_canonical(void)
{
	time_t when = utc(2025, 9, 21, 6, 19, 0);

	CHECK_DATE("Sun, 21 Sep 2025 06:19:00 GMT", when);
	CHECK_DATE("Sun, 21 Sep 2025 06:19:00 +0000", when);
	CHECK_DATE("Sun, 21 Sep 2025 06:19:00 UT", when);
	CHECK_DATE("Sun, 21 Sep 2025 06:19:00 UTC", when);
	CHECK_DATE("Sun, 21 Sep 2025 06:19:00 Z", when);
	CHECK_DATE("  Sun, 21 Sep 2025 06:19:00 GMT \n", when);
}

static void
test_rfc822_variants(void)
{
	time_t when = utc(2025, 9, 21, 6, 19, 0);

	CHECK_DATE("21 Sep 2025 06:19:00 GMT", when);		/* no weekday */
	CHECK_DATE("Sun, 21 Sep 2025 06:19 GMT", when);		/* no seconds */
	CHECK_DATE("Sunday, 21 September 2025 06:19:00 GMT", when);	/* full names */
	CHECK_DATE("Sun, 21 Sept 2025 06:19:00 GMT", when);
	CHECK_DATE("Dim, 21 Sep 2025 06:19:00 GMT", when);		/* French weekday */
	CHECK_DATE("Snu, 21 Sep 2025 06:19:00 GMT", when);		/* misspelled */
	CHECK_DATE("Mon, 21 Sep 2025 06:19:00 GMT", when);		/* wrong weekday */
	CHECK_DATE("Sun,21 Sep 2025 06:19:00 GMT", when);
	CHECK_DATE("sun, 21 sep 2025 06:19:00 gmt", when);
	CHECK_DATE("Sun, 21 Sep 25 06:19:00 GMT", when);		/* two-digit year */
	CHECK_DATE("Sun, 21-Sep-2025 06:19:00 GMT", when);
	CHECK_DATE("Sun, 21 Sep 2025 06:19:00", when);		/* no zone: UTC */
	CHECK_DATE("Sun Sep 21 06:19:00 2025", when);		/* asctime */
	CHECK_DATE("Sep 21, 2025 06:19:00 GMT", when);
	CHECK_DATE("September 21, 2025 6:19 AM GMT", when);
	CHECK_DATE("Sun, 21 Sep 2025 06:19:00.250 GMT", when);
	CHECK_DATE("Thu, 4 Sep 2025 06:19:00 GMT", utc(2025, 9, 4, 6, 19, 0));	/* one digit */
	CHECK_DATE("Thu, 04 Sep 2025 6:19:00 GMT", utc(2025, 9, 4, 6, 19, 0));
}

static void
test_rfc822_pm(void)
{
	CHECK_DATE("Sep 21, 2025 6:19 PM", utc(2025, 9, 21, 18, 19, 0));
	CHECK_DATE("Sep 21, 2025 12:05 AM", utc(2025, 9, 21, 0, 5, 0));
	CHECK_DATE("Sep 21, 2025 12:05 PM", utc(2025, 9, 21, 12, 5, 0));
}

static void
test_two_digit_years(void)
{
	/* RFC 2822 4.3: 00-49 -> 20xx, 50-99 -> 19xx */
	CHECK_DATE("Fri, 01 Jan 49 00:00:00 GMT", utc(2049, 1, 1, 0, 0, 0));
	CHECK_DATE("Sun, 01 Jan 50 00:00:00 GMT", utc(1950, 1, 1, 0, 0, 0));
	CHECK_DATE("Fri, 31 Dec 99 23:59:59 GMT", utc(1999, 12, 31, 23, 59, 59));
	CHECK_DATE("Sat, 01 Jan 00 00:00:00 GMT", utc(2000, 1, 1, 0, 0, 0));
	CHECK_DATE("Sun, 01 Jan 103 00:00:00 GMT", utc(2003, 1, 1, 0, 0, 0));	/* 3 digits */
}

static void
test_numeric_offsets(void)
{
	time_t when = utc(2025, 9, 21, 6, 19, 0);

	CHECK_DATE("Sun, 21 Sep 2025 02:19:00 -0400", when);
	CHECK_DATE("Sun, 21 Sep 2025 02:19:00 -04:00", when);
	CHECK_DATE("Sun, 21 Sep 2025 11:49:00 +0530", when);
	CHECK_DATE("Sun, 21 Sep 2025 11:49:00 +05:30", when);
	CHECK_DATE("Sun, 21 Sep 2025 08:19:00 GMT+2", when);
	CHECK_DATE("Sun, 21 Sep 2025 01:19:00 UTC-05:00", when);
	CHECK_DATE("Sun, 21 Sep 2025 06:19:00 -0000", when);
}

static void
test_named_zones(void)
{
	time_t when = utc(2025, 9, 21, 12, 0, 0);

	CHECK_DATE("Sun, 21 Sep 2025 07:00:00 EST", when);
	CHECK_DATE("Sun, 21 Sep 2025 08:00:00 EDT", when);
	CHECK_DATE("Sun, 21 Sep 2025 06:00:00 CST", when);
	CHECK_DATE("Sun, 21 Sep 2025 07:00:00 CDT", when);
	CHECK_DATE("Sun, 21 Sep 2025 05:00:00 MST", when);
	CHECK_DATE("Sun, 21 Sep 2025 06:00:00 MDT", when);
	CHECK_DATE("Sun, 21 Sep 2025 04:00:00 PST", when);
	CHECK_DATE("Sun, 21 Sep 2025 05:00:00 PDT", when);
	CHECK_DATE("Sun, 21 Sep 2025 13:00:00 BST", when);
	CHECK_DATE("Sun, 21 Sep 2025 13:00:00 CET", when);
	CHECK_DATE("Sun, 21 Sep 2025 14:00:00 CEST", when);
	CHECK_DATE("Sun, 21 Sep 2025 17:30:00 IST", when);
	CHECK_DATE("Sun, 21 Sep 2025 21:00:00 JST", when);
	CHECK_DATE("Sun, 21 Sep 2025 22:00:00 AEST", when);
	/* military letters: A is UTC+1, N is UTC-1, Z is UTC */
	CHECK_DATE("Sun, 21 Sep 2025 13:00:00 A", when);
	CHECK_DATE("Sun, 21 Sep 2025 11:00:00 N", when);
	CHECK_DATE("Sun, 21 Sep 2025 00:00:00 M", utc(2025, 9, 20, 12, 0, 0));
	CHECK_DATE("Sun, 21 Sep 2025 00:00:00 Y", utc(2025, 9, 21, 12, 0, 0));
}

static void
test_rfc3339(void)
{
	time_t when = utc(2025, 9, 21, 6, 19, 0);

	CHECK_DATE("2025-09-21T06:19:00Z", when);
	CHECK_DATE("2025-09-21t06:19:00z", when);
	CHECK_DATE("2025-09-21T06:19:00.123456Z", when);
	CHECK_DATE("2025-09-21T08:19:00+02:00", when);
	CHECK_DATE("2025-09-21T01:19:00-05:00", when);
	CHECK_DATE("2025-09-21T08:19:00+0200", when);
	CHECK_DATE("2025-09-21T08:19:00+02", when);
	CHECK_DATE("2025-09-21T06:19Z", when);			/* W3CDTF: no seconds */
	CHECK_DATE("2025-09-21 06:19:00", when);			/* ISO-ish */
	CHECK_DATE("2025-09-21 06:19:00 GMT", when);
	CHECK_DATE("2025-09-21T06:19:00", when);			/* no zone: UTC */
	CHECK_DATE("20250921T061900Z", when);			/* basic format */
	CHECK_DATE("2025-09-21", utc(2025, 9, 21, 0, 0, 0));	/* date only */
	CHECK_DATE("2025-09", utc(2025, 9, 1, 0, 0, 0));	/* year-month */
	CHECK_DATE("2025", utc(2025, 1, 1, 0, 0, 0));
	CHECK_DATE("2016-12-31T23:59:60Z", utc(2016, 12, 31, 23, 59, 59));	/* leap second */
	CHECK_DATE("2024-02-29T00:00:00Z", utc(2024, 2, 29, 0, 0, 0));
}

static void
test_rejected(void)
{
	CHECK_DATE(NULL, 0);
	CHECK_DATE("", 0);
	CHECK_DATE("   ", 0);
	CHECK_DATE("not a date", 0);
	CHECK_DATE("yesterday-ish", 0);
	CHECK_DATE("2025-13-01T00:00:00Z", 0);
	CHECK_DATE("2025-02-30T00:00:00Z", 0);
	CHECK_DATE("2023-02-29", 0);
	CHECK_DATE("2025-09-21T25:00:00Z", 0);
	CHECK_DATE("Sun, 32 Sep 2025 06:19:00 GMT", 0);
	CHECK_DATE("Sun, 21 Foo 2025 06:19:00 GMT", 0);
	CHECK_DATE("Sun, 21 Sep 2025 06:61:00 GMT", 0);
}

int
main(void)
{
	RUN(test_rfc822_canonical);
	RUN(test_rfc822_variants);
	RUN(test_rfc822_pm);
	RUN(test_two_digit_years);
	RUN(test_numeric_offsets);
	RUN(test_named_zones);
	RUN(test_rfc3339);
	RUN(test_rejected);
	return check_finish();
}
