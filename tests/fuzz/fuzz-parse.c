/*
 * fuzz-parse.c: libFuzzer target for qshmctl's checked number parsers
 * (cli/parse.c).  The first byte picks the parser, the rest is the
 * string.  Each must fail with EINVAL or ERANGE, or succeed with a value
 * in its documented range; a success must round-trip where the syntax
 * allows it.
 */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static void
fuzz_errno_ok(void)
{
	if (errno != EINVAL && errno != ERANGE)
		abort();
}

static void
fuzz_size(const char *s)
{
	uint64_t	v;

	if (parse_size(s, &v) == -1)
		fuzz_errno_ok();
	else if (v > INT64_MAX)
		abort();
}

static void
fuzz_handle(const char *s)
{
	char		buf[32];
	uint64_t	v, w;

	if (parse_handle(s, &v) == -1) {
		fuzz_errno_ok();
		return;
	}
	if (v == 0)
		abort();
	/* What qshmctl prints, it reads back. */
	snprintf(buf, sizeof buf, "0x%016" PRIx64, v);
	if (parse_handle(buf, &w) == -1 || w != v)
		abort();
}

static void
fuzz_pid(const char *s)
{
	char	buf[32];
	pid_t	v, w;

	if (parse_pid(s, &v) == -1) {
		fuzz_errno_ok();
		return;
	}
	if (v <= 0)
		abort();
	snprintf(buf, sizeof buf, "%ld", (long)v);
	if (parse_pid(buf, &w) == -1 || w != v)
		abort();
}

static void
fuzz_other(unsigned which, const char *s)
{
	uint64_t	u;
	mode_t		m;
	uid_t		id;
	int		a;

	switch (which) {
	case 0:
		if (parse_u64(s, &u) == -1)
			fuzz_errno_ok();
		break;
	case 1:
		if (parse_mode(s, &m) == -1)
			fuzz_errno_ok();
		else if (m > 0777)
			abort();
		break;
	case 2:
		if (parse_uid(s, &id) == -1)
			fuzz_errno_ok();
		break;
	default:
		if (parse_access(s, &a) == -1)
			fuzz_errno_ok();
		else if (strcmp(parse_access_str(a), s) != 0)
			abort();
		break;
	}
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if (size == 0)
		return (0);
	/* The parsers take C strings: an exact-size NUL-terminated copy. */
	if ((s = malloc(size)) == NULL)
		return (0);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 7) {
	case 0:
		fuzz_size(s);
		break;
	case 1:
		fuzz_handle(s);
		break;
	case 2:
		fuzz_pid(s);
		break;
	default:
		fuzz_other(data[0] % 7 - 3, s);
		break;
	}
	free(s);
	return (0);
}
