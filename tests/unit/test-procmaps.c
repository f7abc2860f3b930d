/*
 * test-procmaps.c: the parser of /proc/PID/maps lines that qshmctl's
 * `list mappings` and the broker's revoke scan share: files, memfds,
 * anonymous memory, paths with spaces and " (deleted)", and lines that
 * are not maps lines at all.
 */

#include <sys/sysmacros.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "procmaps.h"

static void
test_file(void **state)
{
	struct procmaps_line	l;

	(void)state;
	assert_int_equal(procmaps_parse("7f0000001000-7f0000003000 r--s "
	    "00002000 00:1a 4242   /dev/shm/cam0 (deleted)\n", &l), 0);
	assert_true(l.start == 0x7f0000001000ULL);
	assert_true(l.end == 0x7f0000003000ULL);
	assert_true(l.offset == 0x2000);
	assert_true(l.dev == makedev(0, 0x1a));
	assert_true(l.ino == 4242);
	assert_string_equal(l.prot, "r--s");
	assert_string_equal(l.path, "/dev/shm/cam0 (deleted)\n");
}

static void
test_memfd_and_anon(void **state)
{
	struct procmaps_line	l;

	(void)state;
	assert_int_equal(procmaps_parse("1000-2000 rw-s 00000000 00:01 "
	    "77 /memfd:a b (deleted)", &l), 0);
	assert_true(l.dev == makedev(0, 1) && l.ino == 77);
	assert_string_equal(l.path, "/memfd:a b (deleted)");
	assert_int_equal(procmaps_parse("1000-2000 rw-p 00000000 00:00 0 \n",
	    &l), 0);
	assert_true(l.ino == 0);
	assert_string_equal(l.path, "");
	assert_int_equal(procmaps_parse("ffffffffff600000-ffffffffff601000 "
	    "--xp 00000000 00:00 0                  [vsyscall]", &l), 0);
	assert_string_equal(l.path, "[vsyscall]");
	/* Major and minor numbers past 8 bits. */
	assert_int_equal(procmaps_parse("1000-2000 r--p 00000000 103:1f2 9 "
	    "/x", &l), 0);
	assert_true(l.dev == makedev(0x103, 0x1f2));
}

static void
test_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"1000-2000",
		"1000-2000 r--p 00000000 00:00",	/* no inode */
		"2000-1000 r--p 00000000 00:00 0 /x",	/* backwards */
		"1000-1000 r--p 00000000 00:00 0 /x",	/* empty */
		"x-2000 r--p 00000000 00:00 0 /x",
		"1000-2000 r--p zz 00:00 0 /x",
		"1000-2000 r--p 0 00-00 0 /x",
		"/dev/shm/x 1000-2000 r--p 0 00:00 1",
	};
	struct procmaps_line	l;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (procmaps_parse(bad[i], &l) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
}

/* A prot field longer than its buffer does not overflow it. */
static void
test_long_prot(void **state)
{
	struct procmaps_line	l;

	(void)state;
	memset(&l, 0, sizeof l);
	(void)procmaps_parse("1000-2000 rwxpqqqqqqqq 0 00:00 0 /x", &l);
	assert_true(memchr(l.prot, '\0', sizeof l.prot) != NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_memfd_and_anon),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_long_prot),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
