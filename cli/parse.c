/*
 * parse.c: the one checked parser for numbers from users: sizes with
 * K/M/G (KiB/MiB/GiB) suffixes, pids, handles, octal modes, uids and
 * access modes.  Each fails with EINVAL on bad syntax and ERANGE when the
 * value does not fit; none accepts a sign, spaces or an empty string.
 */

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static const struct {
	const char	*suffix;
	unsigned	 shift;
} parse_suffixes[] = {
	{ "", 0 }, { "B", 0 },
	{ "K", 10 }, { "KiB", 10 }, { "k", 10 },
	{ "M", 20 }, { "MiB", 20 },
	{ "G", 30 }, { "GiB", 30 },
	{ "T", 40 }, { "TiB", 40 },
};

static int
parse_fail(int errnum)
{
	errno = errnum;
	return (-1);
}

/* Digits in base 10 or 16 up to max; *endp stops at the first other. */
static int
parse_digits(const char *s, int base, uint64_t max, uint64_t *out,
    const char **endp)
{
	uint64_t	v = 0;
	unsigned	d;
	const char	*p;

	for (p = s; isxdigit((unsigned char)*p); p++) {
		if (isdigit((unsigned char)*p))
			d = (unsigned)(*p - '0');
		else
			d = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
		if (d >= (unsigned)base)
			break;
		if (v > (max - d) / (uint64_t)base)
			return (parse_fail(ERANGE));
		v = v * (uint64_t)base + d;
	}
	if (p == s)
		return (parse_fail(EINVAL));
	*out = v;
	*endp = p;
	return (0);
}

/* A whole string of digits, decimal or 0x hex, at most max. */
static int
parse_number(const char *s, uint64_t max, uint64_t *out)
{
	const char	*end;
	int		 base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (parse_digits(s, base, max, out, &end) == -1)
		return (-1);
	return (*end == '\0' ? 0 : parse_fail(EINVAL));
}

/* A byte count below 2^63: 4096, 0x1000, 4K, 4KiB, 1M, 2G, 1T. */
int
parse_size(const char *s, uint64_t *out)
{
	const char	*end;
	uint64_t	 v;
	size_t		 i;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return (parse_number(s, INT64_MAX, out));
	if (parse_digits(s, 10, UINT64_MAX, &v, &end) == -1)
		return (-1);
	for (i = 0; i < sizeof parse_suffixes / sizeof parse_suffixes[0];
	    i++) {
		if (strcmp(end, parse_suffixes[i].suffix) != 0)
			continue;
		if (v > ((uint64_t)INT64_MAX >> parse_suffixes[i].shift))
			return (parse_fail(ERANGE));
		*out = v << parse_suffixes[i].shift;
		return (0);
	}
	return (parse_fail(EINVAL));
}

/* A plain unsigned number, decimal or 0x hex. */
int
parse_u64(const char *s, uint64_t *out)
{
	return (parse_number(s, UINT64_MAX, out));
}

/* A process id: decimal, 1 to INT_MAX, or "self" for this process. */
int
parse_pid(const char *s, pid_t *out)
{
	const char	*end;
	uint64_t	 v;

	if (strcmp(s, "self") == 0) {
		*out = getpid();
		return (0);
	}
	if (parse_digits(s, 10, INT_MAX, &v, &end) == -1)
		return (-1);
	if (*end != '\0')
		return (parse_fail(EINVAL));
	if (v == 0)
		return (parse_fail(ERANGE));
	*out = (pid_t)v;
	return (0);
}

/* A handle: 0x and up to 16 hex digits, or decimal; never 0. */
int
parse_handle(const char *s, uint64_t *out)
{
	uint64_t	v;

	if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
	    strlen(s + 2) > 16))
		return (parse_fail(ERANGE));
	if (parse_number(s, UINT64_MAX, &v) == -1)
		return (-1);
	if (v == 0)
		return (parse_fail(EINVAL));
	*out = v;
	return (0);
}

/* Permission bits in octal, at most 0777. */
int
parse_mode(const char *s, mode_t *out)
{
	const char	*end;
	uint64_t	 v;

	if (parse_digits(s, 8, 07777, &v, &end) == -1)
		return (-1);
	if (*end != '\0' || strlen(s) > 5)
		return (parse_fail(EINVAL));
	if (v > 0777)
		return (parse_fail(ERANGE));
	*out = (mode_t)v;
	return (0);
}

/* A uid, as a number or a user name. */
int
parse_uid(const char *s, uid_t *out)
{
	struct passwd	*pw;
	const char	*end;
	uint64_t	 v;

	if (isdigit((unsigned char)s[0])) {
		if (parse_digits(s, 10, UINT32_MAX - 1, &v, &end) == -1)
			return (-1);
		if (*end != '\0')
			return (parse_fail(EINVAL));
		*out = (uid_t)v;
		return (0);
	}
	if (s[0] == '\0' || (pw = getpwnam(s)) == NULL)
		return (parse_fail(EINVAL));
	*out = pw->pw_uid;
	return (0);
}

/* An access mode: ro, wo or rw. */
int
parse_access(const char *s, int *out)
{
	if (strcmp(s, "ro") == 0)
		*out = O_RDONLY;
	else if (strcmp(s, "wo") == 0)
		*out = O_WRONLY;
	else if (strcmp(s, "rw") == 0)
		*out = O_RDWR;
	else
		return (parse_fail(EINVAL));
	return (0);
}

/* Name an access mode: "ro", "wo" or "rw". */
const char *
parse_access_str(int access)
{
	switch (access & O_ACCMODE) {
	case O_RDONLY:
		return ("ro");
	case O_WRONLY:
		return ("wo");
	case O_RDWR:
		return ("rw");
	}
	return ("?");
}
