/*
 * test-broker-policy.c: the broker's pure rules: access ordering, the
 * enforcement of a grant (every reason of the brief's table), sub-range
 * and mapping bounds with overflowing inputs, limit changes, and the
 * parsers of /proc/PID/status and /proc/PID/stat with hostile text.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>

#include <cmocka.h>

#include "proto.h"
#include "ident.h"
#include "policy.h"

static void
test_access_le(void **state)
{
	(void)state;
	assert_true(policy_access_le(O_RDONLY, O_RDONLY));
	assert_true(policy_access_le(O_RDONLY, O_RDWR));
	assert_true(policy_access_le(O_WRONLY, O_RDWR));
	assert_true(policy_access_le(O_RDWR, O_RDWR));
	assert_false(policy_access_le(O_RDWR, O_RDONLY));
	assert_false(policy_access_le(O_WRONLY, O_RDONLY));
	assert_false(policy_access_le(O_RDONLY, O_WRONLY));
	assert_false(policy_access_le(O_RDWR, O_WRONLY));
}

/* A grant of a 0600 object owned by uid 1000 to a process of uid 2000. */
static void
grant_init(struct policy_grant *g, struct ident_creds *c, int access)
{
	int	i;

	memset(c, 0, sizeof *c);
	for (i = 0; i < 4; i++) {
		c->uid[i] = 2000;
		c->gid[i] = 2000;
	}
	memset(g, 0, sizeof *g);
	g->access = access;
	g->inode_uid = 1000;
	g->inode_gid = 1000;
	g->inode_mode = S_IFREG | 0600;
	g->creator_uid = 1000;
	g->recipient = c;
}

static void
expect(const struct policy_grant *g, unsigned enf, unsigned why)
{
	unsigned	e, w;

	policy_enforcement(g, &e, &w);
	assert_int_equal(e, enf);
	assert_int_equal(w, why);
}

static void
test_enforcement_withheld(void **state)
{
	struct policy_grant	g;
	struct ident_creds	c;
	gid_t			groups[2] = { 5, 1000 };

	(void)state;
	grant_init(&g, &c, O_RDWR);
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_FULL);
	grant_init(&g, &c, O_RDONLY);
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_MODE);
	grant_init(&g, &c, O_WRONLY);
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_MODE);

	/* Root, by any of its ids. */
	grant_init(&g, &c, O_RDONLY);
	c.uid[2] = 0;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_ROOT);

	/* Same uid as the inode, or as the creator. */
	grant_init(&g, &c, O_RDONLY);
	c.uid[1] = 1000;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_SAME_UID);
	grant_init(&g, &c, O_RDONLY);
	g.creator_uid = 2000;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_SAME_UID);

	/* Group bits count only for a member; other bits for anyone. */
	grant_init(&g, &c, O_RDONLY);
	g.inode_mode = S_IFREG | 0620;
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_MODE);
	c.groups = groups;
	c.ngroups = 2;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_MODE_ALLOWS);
	grant_init(&g, &c, O_RDONLY);
	g.inode_mode = S_IFREG | 0620;
	c.gid[0] = 1000;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_MODE_ALLOWS);
	grant_init(&g, &c, O_RDONLY);
	g.inode_mode = S_IFREG | 0602;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_MODE_ALLOWS);
	/* Read bits do not matter to a ro grant, write bits not to wo. */
	grant_init(&g, &c, O_RDONLY);
	g.inode_mode = S_IFREG | 0644;
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_MODE);
	grant_init(&g, &c, O_WRONLY);
	g.inode_mode = S_IFREG | 0622;
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_MODE);
	g.inode_mode = S_IFREG | 0604;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_MODE_ALLOWS);
}

static void
test_enforcement_seals(void **state)
{
	struct policy_grant	g;
	struct ident_creds	c;

	(void)state;
	/* A write seal beats even root, for a ro grant only. */
	grant_init(&g, &c, O_RDONLY);
	c.uid[1] = 0;
	g.seals = F_SEAL_FUTURE_WRITE;
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_SEALED);
	g.seals = F_SEAL_WRITE | F_SEAL_SHRINK;
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_SEALED);
	g.seals = F_SEAL_SHRINK | F_SEAL_GROW;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_ROOT);
	grant_init(&g, &c, O_WRONLY);
	c.uid[1] = 0;
	g.seals = F_SEAL_WRITE;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_ROOT);
}

static void
test_enforcement_range_nofd(void **state)
{
	struct policy_grant	g;
	struct ident_creds	c;

	(void)state;
	grant_init(&g, &c, O_RDWR);
	g.partial = true;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_SUBRANGE);
	g.nofd = true;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_SUBRANGE);
	g.partial = false;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_NOFD);
	/* A reason from step 1 wins over the range and NOFD. */
	grant_init(&g, &c, O_RDONLY);
	c.uid[0] = 0;
	g.partial = g.nofd = true;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_ROOT);
	grant_init(&g, &c, O_RDONLY);
	g.nofd = true;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_NOFD);
}

static void
test_subrange(void **state)
{
	(void)state;
	assert_int_equal(policy_subrange(0, 4096, 8192, 4096), 0);
	assert_int_equal(policy_subrange(4096, 4096, 8192, 4096), 0);
	assert_int_equal(policy_subrange(0, 8192, 8192, 4096), 0);
	assert_int_equal(policy_subrange(0, 0, 8192, 4096), EINVAL);
	assert_int_equal(policy_subrange(1, 4096, 8192, 4096), EINVAL);
	assert_int_equal(policy_subrange(0, 4095, 8192, 4096), EINVAL);
	assert_int_equal(policy_subrange(4096, 8192, 8192, 4096), EINVAL);
	assert_int_equal(policy_subrange(UINT64_MAX - 4095, 8192, UINT64_MAX,
	    4096), EINVAL);
	assert_int_equal(policy_subrange(4096, UINT64_MAX - 4095, UINT64_MAX,
	    4096), EINVAL);
	assert_int_equal(policy_subrange((uint64_t)INT64_MAX + 1, 4096,
	    UINT64_MAX, 4096), EINVAL);
}

static void
test_map_range(void **state)
{
	(void)state;
	assert_int_equal(policy_map_range(0, 1, 4096, 4096), 0);
	assert_int_equal(policy_map_range(0, 4096, 4096, 4096), 0);
	assert_int_equal(policy_map_range(0, 4097, 4096, 4096), EINVAL);
	assert_int_equal(policy_map_range(4096, 1, 4096, 4096), EINVAL);
	assert_int_equal(policy_map_range(4096, 1, 8192, 4096), 0);
	assert_int_equal(policy_map_range(100, 1, 8192, 4096), EINVAL);
	assert_int_equal(policy_map_range(0, 0, 8192, 4096), EINVAL);
	/* Whole-object handles: only overflow is refused here. */
	assert_int_equal(policy_map_range(1 << 30, 1 << 30, 0, 4096), 0);
	assert_int_equal(policy_map_range(0, UINT64_MAX, 0, 4096), EINVAL);
	assert_int_equal(policy_map_range(UINT64_MAX - 4095, 4096, 0, 4096),
	    EINVAL);
	assert_int_equal(policy_map_range((uint64_t)INT64_MAX - 4095, 8192,
	    0, 4096), EINVAL);
}

static void
test_limit_change(void **state)
{
	(void)state;
	assert_int_equal(policy_limit_change(1024, 65536, 10, 100, false), 0);
	assert_int_equal(policy_limit_change(1024, 65536, 101, 100, false),
	    EINVAL);
	assert_int_equal(policy_limit_change(1024, 65536, 10, 65537, false),
	    EPERM);
	assert_int_equal(policy_limit_change(1024, 65536, 10, 65537, true), 0);
	assert_int_equal(policy_limit_change(1024, 65536, UINT64_MAX,
	    UINT64_MAX, true), 0);
	assert_int_equal(policy_limit_change(1024, UINT64_MAX, UINT64_MAX,
	    UINT64_MAX, false), 0);
}

static void
test_parse_status(void **state)
{
	struct ident_creds	c;
	const char		*ok = "Name:\tcat\nUmask:\t0022\n"
	    "Uid:\t1000\t1001\t1002\t1003\nGid:\t10\t11\t12\t13\n"
	    "Groups:\t4 24 27 \nNgid:\t0\n";

	(void)state;
	assert_int_equal(ident_parse_status(ok, &c), 0);
	assert_int_equal(c.uid[0], 1000);
	assert_int_equal(c.uid[3], 1003);
	assert_int_equal(c.gid[1], 11);
	assert_int_equal(c.ngroups, 3);
	assert_int_equal(c.groups[2], 27);
	ident_creds_free(&c);
	assert_int_equal(ident_parse_status("Uid:\t1\t1\t1\t1\n"
	    "Gid:\t2\t2\t2\t2\nGroups:\n", &c), 0);
	assert_int_equal(c.ngroups, 0);
	ident_creds_free(&c);
	assert_int_equal(ident_parse_status("", &c), EINVAL);
	assert_int_equal(ident_parse_status("Uid:\t1\t1\t1\n", &c), EINVAL);
	assert_int_equal(ident_parse_status("Uid:\t1\t1\t1\t1\n", &c), EINVAL);
	assert_int_equal(ident_parse_status("Uid:\t1\t1\t1\t99999999999\n"
	    "Gid:\t2\t2\t2\t2\n", &c), EINVAL);
	assert_int_equal(ident_parse_status("Uid:\t-1\t1\t1\t1\n"
	    "Gid:\t2\t2\t2\t2\n", &c), EINVAL);
	assert_int_equal(ident_parse_status("Uid:\t1\t1\t1\t1\n"
	    "Gid:\t2\t2\t2\t2\nGroups:\t1 99999999999\n", &c), EINVAL);
}

static void
test_parse_starttime(void **state)
{
	uint64_t	t;
	char		buf[512];

	(void)state;
	snprintf(buf, sizeof buf, "123 (a b) c) S 1 2 3 4 5 6 7 8 9 10 11 12 "
	    "13 14 15 16 17 18 987654 19 20\n");
	assert_int_equal(ident_parse_starttime(buf, &t), 0);
	assert_int_equal(t, 987654);
	assert_int_equal(ident_parse_starttime("123 cat S 1", &t), EINVAL);
	assert_int_equal(ident_parse_starttime("123 (cat) S 1 2 3", &t),
	    EINVAL);
	snprintf(buf, sizeof buf, "1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 "
	    "15 16 17 18 -5 19\n");
	assert_int_equal(ident_parse_starttime(buf, &t), EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access_le),
		cmocka_unit_test(test_enforcement_withheld),
		cmocka_unit_test(test_enforcement_seals),
		cmocka_unit_test(test_enforcement_range_nofd),
		cmocka_unit_test(test_subrange),
		cmocka_unit_test(test_map_range),
		cmocka_unit_test(test_limit_change),
		cmocka_unit_test(test_parse_status),
		cmocka_unit_test(test_parse_starttime),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
