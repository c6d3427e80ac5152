/*
 * date.c - feed dates to UTC time_t: RFC 3339 / W3CDTF / ISO 8601-ish and RFC 822 / 1123 / 2822
 * with the variants real feeds use (no weekday, misspelled or localized weekday, no seconds,
 * single-digit day, full month names, two-digit years, named and numeric zones, asctime order).
 *
 * Named zones understood (hours from UTC; case does not matter):
 *   UT UTC GMT Z WET 0; EST -5 EDT -4 CST -6 CDT -5 MST -7 MDT -6 PST -8 PDT -7 (RFC 822);
 *   AST -4 ADT -3 NST -3:30 NDT -2:30 AKST -9 AKDT -8 HST -10;
 *   WEST BST CET MET +1; CEST MEST EET +2; EEST MSK +3; IST +5:30 (India, by far the most
 *   common IST in news feeds; not Irish or Israel time); PKT +5; ICT WIB +7;
 *   SGT HKT PHT AWST +8; JST KST +9; ACST +9:30; AEST +10; AEDT +11; NZST +12; NZDT +13.
 *   CST is always US Central (never China). Military letters: A-I and K-M are +1..+12, N-Y
 *   are -1..-12, Z is 0 (the military convention; RFC 1123 5.2.14 notes RFC 822 had the signs
 *   reversed). A zone name may be followed by an offset ("GMT+2", "UTC-05:00"). No zone at
 *   all means UTC.
 * Two-digit years follow RFC 2822 4.3: 00-49 are 2000-2049, 50-99 are 1950-1999; three-digit
 * years add 1900. libcurl's curl_getdate() is the last resort. Whatever the path, a result
 * outside 1900-01-01 .. 9999-12-31 UTC is no date (it would not print as RFC 3339: a fuzzed
 * "Sun, 21 Sep 202024" came back from curl_getdate() as year 202024).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "feed.h"

struct zone_name {
	const char	*name;
	int		 minutes;
};

static const struct zone_name zone_names[] = {
	{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 }, { "WET", 0 },
	{ "EST", -300 }, { "EDT", -240 }, { "CST", -360 }, { "CDT", -300 },
	{ "MST", -420 }, { "MDT", -360 }, { "PST", -480 }, { "PDT", -420 },
	{ "AST", -240 }, { "ADT", -180 }, { "NST", -210 }, { "NDT", -150 },
	{ "AKST", -540 }, { "AKDT", -480 }, { "HST", -600 },
	{ "WEST", 60 }, { "BST", 60 }, { "CET", 60 }, { "MET", 60 }, { "CEST", 120 },
	{ "MEST", 120 }, { "EET", 120 }, { "EEST", 180 }, { "MSK", 180 }, { "IST", 330 },
	{ "PKT", 300 }, { "ICT", 420 }, { "WIB", 420 }, { "SGT", 480 }, { "HKT", 480 },
	{ "PHT", 480 }, { "AWST", 480 }, { "JST", 540 }, { "KST", 540 }, { "ACST", 570 },
	{ "AEST", 600 }, { "AEDT", 660 }, { "NZST", 720 }, { "NZDT", 780 },
};

static const char *const month_names[12] = {
	"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december"
};

/* The fields of a date as read, before conversion. */
struct date_parts {
	int	year, month, day, hour, minute, second;
	int	offset_minutes;
	int	have_year, have_month, have_day, have_time, have_zone;
};

static int
is_leap_year(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int
days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month == 2 && is_leap_year(year))
		return 29;
	return days[month - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static long long
days_from_civil(int year, int month, int day)
{
	long long shifted_year = month <= 2 ? year - 1 : year;
	long long era = (shifted_year >= 0 ? shifted_year : shifted_year - 399) / 400;
	long long year_of_era = shifted_year - era * 400;
	long long day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	long long day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 +
	    day_of_year;

	return era * 146097 + day_of_era - 719468;
}

#define DATE_EARLIEST	(-2208988800LL)		/* 1900-01-01T00:00:00Z */
#define DATE_LATEST	253402300799LL		/* 9999-12-31T23:59:59Z */

static time_t
date_in_range(long long seconds)
{
	return seconds >= DATE_EARLIEST && seconds <= DATE_LATEST ? (time_t)seconds : 0;
}

static time_t
date_parts_to_time(const struct date_parts *parts)
{
	long long seconds;
	int second = parts->second;

	if (parts->year < 1900 || parts->year > 9999 || parts->month < 1 || parts->month > 12)
		return 0;
	if (parts->day < 1 || parts->day > days_in_month(parts->year, parts->month))
		return 0;
	if (parts->hour < 0 || parts->hour > 24 || parts->minute < 0 || parts->minute > 59 ||
	    second < 0 || second > 60)
		return 0;
	if (parts->hour == 24 && (parts->minute != 0 || second != 0))
		return 0;
	if (second == 60)	/* leap second: the last second of the minute */
		second = 59;
	seconds = days_from_civil(parts->year, parts->month, parts->day) * 86400LL +
	    parts->hour * 3600LL + parts->minute * 60LL + second -
	    parts->offset_minutes * 60LL;
	return date_in_range(seconds);	/* 0, the epoch itself, reads as "absent": so be it */
}

/* Read exactly `count` digits; -1 if they are not there. */
static int
read_digits(const char **cursor, int count)
{
	int value = 0;

	for (int i = 0; i < count; i++) {
		if (!isdigit((unsigned char)(*cursor)[i]))
			return -1;
		value = value * 10 + ((*cursor)[i] - '0');
	}
	*cursor += count;
	return value;
}

static const char *
skip_spaces(const char *cursor)
{
	while (isspace((unsigned char)*cursor))
		cursor++;
	return cursor;
}

/* "+05:30", "-0500", "+05", "Z": offset in minutes. Returns the end, or NULL. */
static const char *
parse_numeric_offset(const char *cursor, int *minutes)
{
	int sign, hours, mins = 0;

	if (*cursor == 'Z' || *cursor == 'z') {
		*minutes = 0;
		return cursor + 1;
	}
	if (*cursor != '+' && *cursor != '-' && strncmp(cursor, "\xe2\x88\x92", 3) != 0)
		return NULL;
	sign = *cursor == '+' ? 1 : -1;
	cursor += *cursor == '+' || *cursor == '-' ? 1 : 3;
	if ((hours = read_digits(&cursor, 2)) < 0) {
		if ((hours = read_digits(&cursor, 1)) < 0)
			return NULL;
	}
	if (*cursor == ':')
		cursor++;
	if (isdigit((unsigned char)*cursor) && (mins = read_digits(&cursor, 2)) < 0)
		return NULL;
	if (hours > 14 || mins > 59)
		return NULL;
	*minutes = sign * (hours * 60 + mins);
	return cursor;
}

static const struct zone_name *
zone_lookup(const char *word, size_t length)
{
	for (size_t i = 0; i < sizeof(zone_names) / sizeof(zone_names[0]); i++) {
		if (strlen(zone_names[i].name) == length &&
		    strncasecmp(zone_names[i].name, word, length) == 0)
			return &zone_names[i];
	}
	return NULL;
}

/* Military single letters: A-I, K-M east (+1..+12), N-Y west (-1..-12), Z zero. */
static int
military_zone(char letter, int *minutes)
{
	letter = (char)toupper((unsigned char)letter);
	if (letter >= 'A' && letter <= 'I')
		*minutes = (letter - 'A' + 1) * 60;
	else if (letter >= 'K' && letter <= 'M')
		*minutes = (letter - 'K' + 10) * 60;
	else if (letter >= 'N' && letter <= 'Y')
		*minutes = -(letter - 'N' + 1) * 60;
	else if (letter == 'Z')
		*minutes = 0;
	else
		return -1;
	return 0;
}

/*
 * RFC 3339 / W3CDTF / ISO-ish: YYYY, YYYY-MM, YYYY-MM-DD, then optionally [T ]hh:mm[:ss[.frac]]
 * and a zone (Z, +hh:mm, +hhmm, +hh, or a zone name after a space). Also YYYYMMDDThhmmss.
 */
static time_t
parse_iso(const char *text)
{
	struct date_parts parts = { .month = 1, .day = 1 };
	const char *cursor = text;
	int compact;

	if ((parts.year = read_digits(&cursor, 4)) < 0)
		return 0;
	compact = isdigit((unsigned char)*cursor);
	if (*cursor == '-' || compact) {
		if (!compact)
			cursor++;
		if ((parts.month = read_digits(&cursor, 2)) < 0)
			return 0;
		if (*cursor == '-' || (compact && isdigit((unsigned char)*cursor))) {
			if (!compact)
				cursor++;
			if ((parts.day = read_digits(&cursor, 2)) < 0)
				return 0;
		} else if (compact)
			return 0;
	}
	if (*cursor == 'T' || *cursor == 't' || (*cursor == ' ' &&
	    isdigit((unsigned char)cursor[1]))) {
		cursor++;
		if ((parts.hour = read_digits(&cursor, 2)) < 0)
			return 0;
		if (*cursor == ':')
			cursor++;
		else if (!compact)
			return 0;
		if ((parts.minute = read_digits(&cursor, 2)) < 0)
			return 0;
		if (*cursor == ':' || (compact && isdigit((unsigned char)*cursor))) {
			if (*cursor == ':')
				cursor++;
			if ((parts.second = read_digits(&cursor, 2)) < 0)
				return 0;
			if (*cursor == '.' || *cursor == ',') {
				cursor++;
				while (isdigit((unsigned char)*cursor))
					cursor++;
			}
		}
		cursor = skip_spaces(cursor);
		if (*cursor != '\0') {
			const char *end = parse_numeric_offset(cursor, &parts.offset_minutes);

			if (end == NULL) {
				size_t length = 0;
				const struct zone_name *zone;

				while (isalpha((unsigned char)cursor[length]))
					length++;
				if ((zone = zone_lookup(cursor, length)) == NULL)
					return 0;
				parts.offset_minutes = zone->minutes;
				end = cursor + length;
				if (*end == '+' || *end == '-') {
					int extra;

					if ((end = parse_numeric_offset(end, &extra)) == NULL)
						return 0;
					parts.offset_minutes += extra;
				}
			}
			cursor = end;
		}
	}
	if (*skip_spaces(cursor) != '\0')
		return 0;
	return date_parts_to_time(&parts);
}

static int
month_lookup(const char *word, size_t length)
{
	char lower[16];

	if (length < 3 || length >= sizeof(lower))
		return 0;
	for (size_t i = 0; i < length; i++)
		lower[i] = (char)tolower((unsigned char)word[i]);
	lower[length] = '\0';
	if (length == 4 && strcmp(lower, "sept") == 0)
		return 9;
	for (int month = 0; month < 12; month++) {
		if (length == 3 && strncmp(lower, month_names[month], 3) == 0)
			return month + 1;
		if (strcmp(lower, month_names[month]) == 0)
			return month + 1;
	}
	return 0;
}

/* "06:19", "06:19:00", "6:19:00.5": returns the end, or NULL. */
static const char *
parse_clock(const char *cursor, struct date_parts *parts)
{
	char *end;
	long value = strtol(cursor, &end, 10);

	if (end == cursor || end - cursor > 2 || *end != ':')
		return NULL;
	parts->hour = (int)value;
	cursor = end + 1;
	if ((parts->minute = read_digits(&cursor, 2)) < 0)
		return NULL;
	parts->second = 0;
	if (*cursor == ':') {
		cursor++;
		if ((parts->second = read_digits(&cursor, 2)) < 0)
			return NULL;
		if (*cursor == '.' && isdigit((unsigned char)cursor[1])) {
			cursor++;
			while (isdigit((unsigned char)*cursor))
				cursor++;
		}
	}
	parts->have_time = 1;
	return cursor;
}

static int
expand_year(int year, size_t digits)
{
	if (digits == 2)
		return year < 50 ? 2000 + year : 1900 + year;
	if (digits == 3)
		return 1900 + year;
	return year;
}

/* A run of letters: month, zone, AM/PM or a weekday / noise word (ignored). */
static const char *
parse_word(const char *cursor, struct date_parts *parts, int *pm_shift)
{
	size_t length = 0;
	const struct zone_name *zone;
	int month;

	while (isalpha((unsigned char)cursor[length]) || (unsigned char)cursor[length] >= 0x80)
		length++;
	if (!parts->have_month && (month = month_lookup(cursor, length)) != 0) {
		parts->month = month;
		parts->have_month = 1;
	} else if (parts->have_time && length == 2 && strncasecmp(cursor, "PM", 2) == 0)
		*pm_shift = 1;
	else if (parts->have_time && length == 2 && strncasecmp(cursor, "AM", 2) == 0)
		*pm_shift = -1;
	else if (parts->have_time && !parts->have_zone &&
	    (zone = zone_lookup(cursor, length)) != NULL) {
		parts->offset_minutes = zone->minutes;
		parts->have_zone = 1;
		if (cursor[length] == '+' || cursor[length] == '-') {
			int extra;
			const char *end = parse_numeric_offset(cursor + length, &extra);

			if (end != NULL) {
				parts->offset_minutes += extra;
				return end;
			}
		}
	} else if (parts->have_time && !parts->have_zone && length == 1 &&
	    military_zone(*cursor, &parts->offset_minutes) == 0)
		parts->have_zone = 1;
	return cursor + length;
}

static const char *
parse_number(const char *cursor, struct date_parts *parts)
{
	const char *start = cursor;
	const char *end;
	int value = 0;
	size_t digits;

	if (!parts->have_time && (end = parse_clock(cursor, parts)) != NULL)
		return end;
	while (isdigit((unsigned char)*cursor) && cursor - start < 9)
		value = value * 10 + (*cursor++ - '0');
	digits = (size_t)(cursor - start);
	while (isdigit((unsigned char)*cursor))
		cursor++;
	/* "21st", "2nd" */
	if (digits <= 2 && (strncasecmp(cursor, "st", 2) == 0 || strncasecmp(cursor, "nd", 2) == 0 ||
	    strncasecmp(cursor, "rd", 2) == 0 || strncasecmp(cursor, "th", 2) == 0) &&
	    !isalpha((unsigned char)cursor[2]))
		cursor += 2;
	if (!parts->have_day && digits <= 2 && value >= 1 && value <= 31) {
		parts->day = value;
		parts->have_day = 1;
	} else if (!parts->have_year && digits >= 2 && digits <= 4) {
		parts->year = expand_year(value, digits);
		parts->have_year = 1;
	}
	return cursor;
}

/* RFC 822 and its real-world relatives, read token by token. */
static time_t
parse_rfc822(const char *text, int *recognized)
{
	struct date_parts parts = { 0 };
	const char *cursor = text;
	int pm_shift = 0;

	while (*cursor != '\0') {
		unsigned char character = (unsigned char)*cursor;

		if (isdigit(character))
			cursor = parse_number(cursor, &parts);
		else if (isalpha(character) || character >= 0x80)
			cursor = parse_word(cursor, &parts, &pm_shift);
		else if ((character == '+' || character == '-') && parts.have_time &&
		    !parts.have_zone && isdigit((unsigned char)cursor[1])) {
			const char *end = parse_numeric_offset(cursor, &parts.offset_minutes);

			if (end == NULL)
				return 0;
			parts.have_zone = 1;
			cursor = end;
		} else
			cursor++;
	}
	if (!parts.have_day || !parts.have_month || !parts.have_year)
		return 0;
	*recognized = 1;	/* a date, maybe an impossible one: no second opinion */
	if (pm_shift == 1 && parts.hour < 12)
		parts.hour += 12;
	else if (pm_shift == -1 && parts.hour == 12)
		parts.hour = 0;
	return date_parts_to_time(&parts);
}

time_t
feed_date_parse(const char *text)
{
	char trimmed[128];
	size_t length;
	time_t result;
	int recognized = 0;

	if (text == NULL)
		return 0;
	text = skip_spaces(text);
	length = strlen(text);
	while (length > 0 && isspace((unsigned char)text[length - 1]))
		length--;
	if (length == 0 || length >= sizeof(trimmed))
		return 0;
	memcpy(trimmed, text, length);
	trimmed[length] = '\0';

	if (isdigit((unsigned char)trimmed[0]) && (result = parse_iso(trimmed)) != 0)
		return result;
	if ((result = parse_rfc822(trimmed, &recognized)) != 0 || recognized)
		return result;
	result = curl_getdate(trimmed, NULL);
	return result > 0 ? date_in_range(result) : 0;
}
