/*
 * test-broker-policy.c: the broker's pure rules: access ordering, the
 * enforcement of a grant (every reason of the brief's table: ids, mode,
 * seals, capabilities in our user namespace and below), sub-range and
 * mapping bounds with overflowing inputs, limit changes, and the parsers
 * of /proc/PID/status (ids, capabilities), /proc/PID/stat and uid_map
 * with hostile text.
 */

#include <sys/stat.h>

#include <linux/capability.h>

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
	/* Sealed against writes and resizes: beats even root, ro only. */
	grant_init(&g, &c, O_RDONLY);
	c.uid[1] = 0;
	g.seals = F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW;
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_SEALED);
	assert_false(policy_needs_caps(&g));
	g.seals = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_SEALED);
	/* Write seals do not stop ftruncate(): root could resize. */
	g.seals = F_SEAL_FUTURE_WRITE;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_RESIZE);
	g.seals = F_SEAL_WRITE;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_RESIZE);
	g.seals = F_SEAL_WRITE | F_SEAL_SHRINK;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_RESIZE);
	g.seals = F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SEAL;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_RESIZE);
	g.seals = F_SEAL_SHRINK | F_SEAL_GROW;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_ROOT);
	/* Likewise the same uid, and a mode that lets it write. */
	grant_init(&g, &c, O_RDONLY);
	c.uid[3] = 1000;
	g.seals = F_SEAL_WRITE;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_RESIZE);
	grant_init(&g, &c, O_RDONLY);
	g.inode_mode = S_IFREG | 0666;
	g.seals = F_SEAL_FUTURE_WRITE | F_SEAL_GROW;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_RESIZE);
	g.seals |= F_SEAL_SHRINK;
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_SEALED);
	/* A recipient the mode keeps out can resize nothing: mode. */
	grant_init(&g, &c, O_RDONLY);
	g.seals = F_SEAL_WRITE;
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_MODE);
	/* Seals never withhold read. */
	grant_init(&g, &c, O_WRONLY);
	c.uid[1] = 0;
	g.seals = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_ROOT);
}

#define CAP(c)	(1ULL << (c))

/* A grant as grant_init(), to a recipient with these capabilities. */
static void
caps_init(struct policy_grant *g, struct ident_creds *c,
    struct ident_caps *k, int access, uint64_t permitted)
{
	grant_init(g, c, access);
	memset(k, 0, sizeof *k);
	k->permitted = permitted;
	g->caps = k;
}

static void
expect_caps(int access, uint64_t permitted, unsigned enf, unsigned why)
{
	struct policy_grant	g;
	struct ident_creds	c;
	struct ident_caps	k;

	caps_init(&g, &c, &k, access, permitted);
	assert_true(policy_needs_caps(&g));
	expect(&g, enf, why);
}

static void
test_enforcement_caps(void **state)
{
	(void)state;
	/* Override the mode, change it, own the file, get any cap. */
	expect_caps(O_RDONLY, CAP(CAP_DAC_OVERRIDE), QSHM_ENF_ADVISORY,
	    QSHM_WHY_CAPS);
	expect_caps(O_WRONLY, CAP(CAP_DAC_OVERRIDE), QSHM_ENF_ADVISORY,
	    QSHM_WHY_CAPS);
	expect_caps(O_RDONLY, CAP(CAP_FOWNER), QSHM_ENF_ADVISORY,
	    QSHM_WHY_CAPS);
	expect_caps(O_RDONLY, CAP(CAP_CHOWN), QSHM_ENF_ADVISORY,
	    QSHM_WHY_CAPS);
	expect_caps(O_RDONLY, CAP(CAP_SETUID), QSHM_ENF_ADVISORY,
	    QSHM_WHY_CAPS);
	expect_caps(O_RDONLY, CAP(CAP_SETFCAP), QSHM_ENF_ADVISORY,
	    QSHM_WHY_CAPS);
	expect_caps(O_RDONLY, CAP(CAP_SYS_PTRACE), QSHM_ENF_ADVISORY,
	    QSHM_WHY_CAPS);
	expect_caps(O_RDONLY, CAP(CAP_SYS_ADMIN), QSHM_ENF_ADVISORY,
	    QSHM_WHY_CAPS);
	expect_caps(O_RDONLY, CAP(CAP_SYS_MODULE), QSHM_ENF_ADVISORY,
	    QSHM_WHY_CAPS);
	/* Read-search reads, never writes. */
	expect_caps(O_WRONLY, CAP(CAP_DAC_READ_SEARCH), QSHM_ENF_ADVISORY,
	    QSHM_WHY_CAPS);
	expect_caps(O_RDONLY, CAP(CAP_DAC_READ_SEARCH), QSHM_ENF_KERNEL,
	    QSHM_WHY_MODE);
	/* Joining the group gains only what the group bits give (0600). */
	expect_caps(O_RDONLY, CAP(CAP_SETGID), QSHM_ENF_KERNEL,
	    QSHM_WHY_MODE);
	/* Capabilities that reach no file. */
	expect_caps(O_RDONLY, CAP(CAP_KILL) | CAP(CAP_NET_ADMIN) |
	    CAP(CAP_SYS_NICE) | CAP(CAP_IPC_LOCK), QSHM_ENF_KERNEL,
	    QSHM_WHY_MODE);
	expect_caps(O_RDONLY, 0, QSHM_ENF_KERNEL, QSHM_WHY_MODE);
	/* A range or NOFD reason does not hide a capability. */
	{
		struct policy_grant	g;
		struct ident_creds	c;
		struct ident_caps	k;

		caps_init(&g, &c, &k, O_RDONLY, CAP(CAP_DAC_OVERRIDE));
		g.partial = g.nofd = true;
		expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_CAPS);
	}
}

static void
test_enforcement_caps_more(void **state)
{
	struct policy_grant	g;
	struct ident_creds	c;
	struct ident_caps	k;

	(void)state;
	/* Seals stop a capability too; write seals alone do not. */
	caps_init(&g, &c, &k, O_RDONLY, CAP(CAP_DAC_OVERRIDE));
	g.seals = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW;
	assert_false(policy_needs_caps(&g));
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_SEALED);
	g.seals = F_SEAL_WRITE;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_RESIZE);
	/* Group bits: CAP_SETGID joins the inode's group. */
	caps_init(&g, &c, &k, O_RDONLY, CAP(CAP_SETGID));
	g.inode_mode = S_IFREG | 0620;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_CAPS);
	caps_init(&g, &c, &k, O_WRONLY, CAP(CAP_SETGID));
	g.inode_mode = S_IFREG | 0620;
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_MODE);
	/* The ids' reasons come first: no need to read capabilities. */
	caps_init(&g, &c, &k, O_RDONLY, CAP(CAP_DAC_OVERRIDE));
	c.uid[0] = 1000;
	assert_false(policy_needs_caps(&g));
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_SAME_UID);
	caps_init(&g, &c, &k, O_RDWR, CAP(CAP_DAC_OVERRIDE));
	assert_false(policy_needs_caps(&g));
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_FULL);
	/* No capabilities read: none. */
	grant_init(&g, &c, O_RDONLY);
	assert_true(policy_needs_caps(&g));
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_MODE);
}

/* In a user namespace below ours: only what reaches the inode counts. */
static void
test_enforcement_caps_userns(void **state)
{
	struct policy_grant	g;
	struct ident_creds	c;
	struct ident_caps	k;
	const uint64_t		inode = CAP(CAP_DAC_OVERRIDE) |
				    CAP(CAP_FOWNER) | CAP(CAP_CHOWN) |
				    CAP(CAP_SETFCAP) | CAP(CAP_DAC_READ_SEARCH);

	(void)state;
	/* Full capabilities in its namespace: the inode's ids mapped. */
	caps_init(&g, &c, &k, O_RDONLY, inode);
	k.child_ns = true;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_CAPS);
	/* Its uid, or its gid, not mapped there: nothing reaches it. */
	k.uid_unmapped = true;
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_MODE);
	k.uid_unmapped = false;
	k.gid_unmapped = true;
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_MODE);
	/* CAP_SETUID needs only the uid mapped, CAP_SETGID the gid. */
	caps_init(&g, &c, &k, O_RDONLY, CAP(CAP_SETUID));
	k.child_ns = k.gid_unmapped = true;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_CAPS);
	k.uid_unmapped = true;
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_MODE);
	caps_init(&g, &c, &k, O_RDONLY, CAP(CAP_SETGID));
	g.inode_mode = S_IFREG | 0660;
	k.child_ns = k.uid_unmapped = true;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_CAPS);
	k.gid_unmapped = true;
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_MODE);
	/* The kernel's own are nothing there; ptrace, its own processes. */
	caps_init(&g, &c, &k, O_RDONLY, CAP(CAP_SYS_ADMIN) |
	    CAP(CAP_SYS_MODULE) | CAP(CAP_SETFCAP) | CAP(CAP_SYS_PTRACE));
	k.child_ns = k.uid_unmapped = k.gid_unmapped = true;
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_MODE);
	k.child_ns = false;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_CAPS);
	caps_init(&g, &c, &k, O_RDONLY, CAP(CAP_SYS_ADMIN) |
	    CAP(CAP_SYS_MODULE));
	k.child_ns = true;
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_MODE);
	caps_init(&g, &c, &k, O_RDONLY, CAP(CAP_SYS_PTRACE));
	k.child_ns = true;
	expect(&g, QSHM_ENF_ADVISORY, QSHM_WHY_CAPS);
	k.gid_unmapped = true;
	expect(&g, QSHM_ENF_KERNEL, QSHM_WHY_MODE);
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

static void
test_parse_caps(void **state)
{
	uint64_t	prm = 7;

	(void)state;
	assert_int_equal(ident_parse_caps("Name:\tx\nCapInh:\t0000000000000000"
	    "\nCapPrm:\t000001ffffffffff\nCapEff:\t0000000000000000\n",
	    &prm), 0);
	assert_true(prm == 0x1ffffffffffULL);
	assert_int_equal(ident_parse_caps("CapPrm:\t0000000000000002", &prm),
	    0);
	assert_true(prm == 2);
	/* Missing, empty, signed, trailing junk, too long: refused. */
	assert_int_equal(ident_parse_caps("", &prm), EINVAL);
	assert_int_equal(ident_parse_caps("CapEff:\t0000000000000002\n",
	    &prm), EINVAL);
	assert_int_equal(ident_parse_caps("CapPrm:\t\n", &prm), EINVAL);
	assert_int_equal(ident_parse_caps("CapPrm:\t-1\n", &prm), EINVAL);
	assert_int_equal(ident_parse_caps("CapPrm:\t00zz\n", &prm), EINVAL);
	assert_int_equal(ident_parse_caps("CapPrm:\t1ffffffffffffffff\n",
	    &prm), EINVAL);
	/* A name holding "CapPrm:" is not the field. */
	assert_int_equal(ident_parse_caps("Name:\tCapPrm:\t1\n", &prm),
	    EINVAL);
}

static void
test_parse_map(void **state)
{
	const char	*init = "         0          0 4294967295\n";
	const char	*child = "         0     100000      65536\n"
	    "     65536       1000          1\n";
	bool		 in = true;

	(void)state;
	assert_true(ident_map_is_initial(init));
	assert_false(ident_map_is_initial(child));
	assert_false(ident_map_is_initial(""));
	assert_false(ident_map_is_initial("0 0 4294967295\n1 1 1\n"));
	assert_false(ident_map_is_initial("0 0 4294967294\n"));
	assert_int_equal(ident_parse_map(init, 0, &in), 0);
	assert_true(in);
	assert_int_equal(ident_parse_map(init, 4294967294U, &in), 0);
	assert_true(in);
	assert_int_equal(ident_parse_map(child, 100000, &in), 0);
	assert_true(in);
	assert_int_equal(ident_parse_map(child, 165535, &in), 0);
	assert_true(in);
	assert_int_equal(ident_parse_map(child, 1000, &in), 0);
	assert_true(in);
	assert_int_equal(ident_parse_map(child, 165536, &in), 0);
	assert_false(in);
	assert_int_equal(ident_parse_map(child, 0, &in), 0);
	assert_false(in);
	assert_int_equal(ident_parse_map(child, 1001, &in), 0);
	assert_false(in);
	/* No map written yet: nothing is mapped. */
	assert_int_equal(ident_parse_map("", 0, &in), 0);
	assert_false(in);
	/* An outer id we cannot see, and garbage, prove nothing. */
	assert_int_equal(ident_parse_map("0 4294967295 1\n", 5, &in), EINVAL);
	assert_int_equal(ident_parse_map("0 1\n", 1, &in), EINVAL);
	assert_int_equal(ident_parse_map("0 1 2 3\n", 1, &in), EINVAL);
	assert_int_equal(ident_parse_map("0 -1 2\n", 1, &in), EINVAL);
	assert_int_equal(ident_parse_map("0 4294967296 2\n", 1, &in), EINVAL);
	/* A range that would pass the top of the ids does not wrap. */
	assert_int_equal(ident_parse_map("0 4294967290 4294967295\n", 3, &in),
	    0);
	assert_false(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access_le),
		cmocka_unit_test(test_enforcement_withheld),
		cmocka_unit_test(test_enforcement_seals),
		cmocka_unit_test(test_enforcement_caps),
		cmocka_unit_test(test_enforcement_caps_more),
		cmocka_unit_test(test_enforcement_caps_userns),
		cmocka_unit_test(test_enforcement_range_nofd),
		cmocka_unit_test(test_subrange),
		cmocka_unit_test(test_map_range),
		cmocka_unit_test(test_limit_change),
		cmocka_unit_test(test_parse_status),
		cmocka_unit_test(test_parse_starttime),
		cmocka_unit_test(test_parse_caps),
		cmocka_unit_test(test_parse_map),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
