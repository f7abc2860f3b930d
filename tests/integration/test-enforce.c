/*
 * test-enforce.c: the enforcement the broker records for each grant, as
 * qshm_list_handles() shows it (team brief, "Enforcement of a grant"):
 * same-uid grants (seals, full access, sub-ranges, NOFD), other-uid grants
 * decided by the inode mode (root only: the recipient drops to an
 * unprivileged uid), and --require-enforced refusing advisory grants.
 *
 * Each test starts its own broker and runs its body in a fresh child.
 */

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"

/*
 * Grant fd to pid (size != 0: the sub-range [off, off + size)) and check
 * the listed record: enforcement, reason and the fields the grant set.
 */
static int
te_expect(int fd, pid_t pid, int flags, unsigned opts, size_t size,
    off_t off, unsigned enf, unsigned why)
{
	struct qshm_handle_info	i;
	struct stat		st;
	shm_handle_t		h = 0;
	int			rv;

	if (size != 0)
		rv = shm_create_subrange_handle(fd, pid, flags, &h, opts,
		    size, off);
	else
		rv = shm_create_handle(fd, pid, flags, &h, opts);
	QT_CHECK_OK(rv);
	QT_CHECK_OK(qt_find_handle(h, &i));
	QT_CHECK_OK(fstat(fd, &st));
	if (i.enforcement != enf || i.reason != why) {
		qt_fail(__FILE__, __LINE__, "grant %s%s%s to pid %ld (uid "
		    "%u), object mode %04o uid %u: enforcement %u reason %u "
		    "(%s), expected %u reason %u (%s)",
		    flags == O_RDONLY ? "ro" : flags == O_WRONLY ? "wo" : "rw",
		    opts & SHM_CREATE_HANDLE_OPT_NOFD ? " nofd" : "",
		    size != 0 ? " subrange" : "", (long)pid,
		    i.recipient_uid, st.st_mode & 07777, st.st_uid,
		    i.enforcement, i.reason, qshm_reason_str(i.reason), enf,
		    why, qshm_reason_str(why));
		return (1);
	}
	QT_CHECK_EQ(i.dev, st.st_dev);
	QT_CHECK_EQ(i.ino, st.st_ino);
	QT_CHECK_EQ(i.access, flags);
	QT_CHECK_EQ(i.recipient_pid, pid);
	QT_CHECK_EQ(i.creator_pid, getpid());
	QT_CHECK_EQ(i.creator_uid, geteuid());
	QT_CHECK_EQ(i.state, QSHM_STATE_PENDING);
	QT_CHECK_EQ(i.options & SHM_CREATE_HANDLE_OPT_NOFD,
	    opts & SHM_CREATE_HANDLE_OPT_NOFD);
	if (size != 0) {
		QT_CHECK(i.options & SHM_CREATE_HANDLE_OPT_SUBRANGE);
		QT_CHECK_EQ(i.offset, off);
		QT_CHECK_EQ(i.length, size);
	}
	QT_CHECK(memchr(i.path, '\0', sizeof i.path) != NULL);
	QT_CHECK(i.path[0] != '\0');
	QT_CHECK_OK(shm_delete_handle(h));
	return (0);
}

#define TE_EXPECT(...) do {						\
	if (te_expect(__VA_ARGS__) != 0)				\
		return (1);						\
} while (0)

static int
te_body_same_uid(void *arg)
{
	unsigned	same = geteuid() == 0 ? QSHM_WHY_ROOT :
			    QSHM_WHY_SAME_UID;
	size_t		pg = qt_page();
	pid_t		me = getpid();
	int		fd, sealed;

	(void)arg;
	QT_CHECK((fd = qt_memfd(4 * pg, 'A')) >= 0);
	QT_CHECK_OK(fchmod(fd, 0600));
	/* ro of an unsealed object: the recipient could reopen it rw. */
	TE_EXPECT(fd, me, O_RDONLY, 0, 0, 0, QSHM_ENF_ADVISORY, same);
	TE_EXPECT(fd, me, O_WRONLY, 0, 0, 0, QSHM_ENF_ADVISORY, same);
	/* rw withholds nothing. */
	TE_EXPECT(fd, me, O_RDWR, 0, 0, 0, QSHM_ENF_KERNEL, QSHM_WHY_FULL);
	/* A part of the object, or no fd: only the library keeps to it. */
	TE_EXPECT(fd, me, O_RDWR, 0, pg, pg, QSHM_ENF_ADVISORY,
	    QSHM_WHY_SUBRANGE);
	TE_EXPECT(fd, me, O_RDWR, 0, 4 * pg, 0, QSHM_ENF_KERNEL,
	    QSHM_WHY_FULL);
	TE_EXPECT(fd, me, O_RDWR, SHM_CREATE_HANDLE_OPT_NOFD, 0, 0,
	    QSHM_ENF_ADVISORY, QSHM_WHY_NOFD);
	/* Sealed against writes: the kernel refuses them to anyone. */
	QT_CHECK((sealed = qt_memfd(2 * pg, 'S')) >= 0);
	QT_CHECK_OK(fcntl(sealed, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
	TE_EXPECT(sealed, me, O_RDONLY, 0, 0, 0, QSHM_ENF_KERNEL,
	    QSHM_WHY_SEALED);
	TE_EXPECT(sealed, me, O_RDONLY, 0, pg, 0, QSHM_ENF_ADVISORY,
	    QSHM_WHY_SUBRANGE);
	TE_EXPECT(sealed, me, O_RDONLY, SHM_CREATE_HANDLE_OPT_NOFD, 0, 0,
	    QSHM_ENF_ADVISORY, QSHM_WHY_NOFD);
	close(sealed);
	QT_CHECK((sealed = qt_memfd(pg, 'S')) >= 0);
	QT_CHECK_OK(fcntl(sealed, F_ADD_SEALS, F_SEAL_WRITE));
	TE_EXPECT(sealed, me, O_RDONLY, 0, 0, 0, QSHM_ENF_KERNEL,
	    QSHM_WHY_SEALED);
	close(sealed);
	close(fd);
	return (0);
}

/* Same-uid grants (as this uid; root recipients are "root"). */
static void
test_same_uid(void **state)
{
	(void)state;
	qt_with_broker(NULL, te_body_same_uid, NULL);
}

static int
te_body_unprivileged(void *arg)
{
	struct qt_peer	p;
	size_t		pg = qt_page();
	int		fd;

	(void)arg;
	QT_CHECK_OK(qt_become(QT_NOBODY, QT_NOBODY, 0, NULL, false));
	QT_CHECK((fd = qt_memfd(2 * pg, 'A')) >= 0);
	QT_CHECK_OK(fchmod(fd, 0600));
	TE_EXPECT(fd, getpid(), O_RDONLY, 0, 0, 0, QSHM_ENF_ADVISORY,
	    QSHM_WHY_SAME_UID);
	QT_CHECK_OK(qt_peer_start(&p));
	TE_EXPECT(fd, p.pid, O_RDONLY, 0, 0, 0, QSHM_ENF_ADVISORY,
	    QSHM_WHY_SAME_UID);
	TE_EXPECT(fd, p.pid, O_RDWR, 0, 0, 0, QSHM_ENF_KERNEL,
	    QSHM_WHY_FULL);
	QT_CHECK_EQ(qt_peer_stop(&p), 0);
	close(fd);
	return (0);
}

/* Same uid, not root: a broker and clients all running as nobody. */
static void
test_same_uid_unprivileged(void **state)
{
	struct qt_broker	b;
	int			status, stop;

	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (to run as another uid)\n");
		skip();
	}
	assert_int_equal(qt_broker_start_as(&b, QT_NOBODY, QT_NOBODY, NULL),
	    0);
	status = qt_run(te_body_unprivileged, &b);
	stop = qt_broker_stop(&b);
	assert_int_equal(status, 0);
	assert_int_equal(stop, 0);
}

/*
 * A broker that cannot open the object itself (nobody, a root file of
 * mode 0600) keeps the creator's fd when its mode is the one needed;
 * else the grant fails EACCES.  Opening a handle then needs a new open
 * file description, which it cannot make (EACCES, the handle kept); a
 * shared mapping may use the kept fd.
 */
static int
te_body_unreachable(void *arg)
{
	char		 path[] = "/tmp/qshm-test-unreach-XXXXXX";
	shm_handle_t	 h, h2;
	unsigned char	*p;
	int		 rw, ro;

	(void)arg;
	QT_CHECK((rw = mkstemp(path)) >= 0);
	QT_CHECK_OK(fchmod(rw, 0600));
	QT_CHECK_OK(ftruncate(rw, (off_t)qt_page()));
	QT_CHECK_EQ(pwrite(rw, "u", 1, 0), 1);
	QT_CHECK((ro = open(path, O_RDONLY | O_CLOEXEC)) >= 0);
	unlink(path);
	QT_CHECK_ERR(shm_create_handle(rw, getpid(), O_RDONLY, &h, 0),
	    EACCES);
	QT_CHECK_OK(shm_create_handle(ro, getpid(), O_RDONLY, &h, 0));
	QT_CHECK_ERR(shm_open_handle(h, O_RDONLY), EACCES);
	QT_CHECK_OK(qt_find_handle(h, NULL));
	p = mmap_handle(NULL, qt_page(), PROT_READ, MAP_SHARED, h, 0);
	QT_CHECK(p != MAP_FAILED);
	QT_CHECK_EQ(p[0], 'u');
	QT_CHECK_EQ(qt_find_handle(h, NULL), -1);
	/* The rw fd is kept as it is: an rw grant works. */
	QT_CHECK_OK(shm_create_handle(rw, getpid(), O_RDWR, &h2, 0));
	QT_CHECK_OK(shm_delete_handle(h2));
	munmap(p, qt_page());
	close(ro);
	close(rw);
	return (0);
}

static void
test_broker_cannot_reopen(void **state)
{
	struct qt_broker	b;
	int			status, stop;

	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (to run as another uid)\n");
		skip();
	}
	assert_int_equal(qt_broker_start_as(&b, QT_NOBODY, QT_NOBODY, NULL),
	    0);
	status = qt_run(te_body_unreachable, &b);
	stop = qt_broker_stop(&b);
	assert_int_equal(status, 0);
	assert_int_equal(stop, 0);
}

/* A recipient of another uid, waiting to be granted to. */
static int
te_peer_as(struct qt_peer *p, uid_t uid, gid_t gid)
{
	return (qt_peer_start_as(p, uid, gid, false));
}

static int
te_body_other_uid(void *arg)
{
	struct qt_peer	nobody, root;
	size_t		pg = qt_page();
	int		fd;

	(void)arg;
	QT_CHECK((fd = qt_memfd(pg, 'A')) >= 0);
	QT_CHECK_OK(te_peer_as(&nobody, QT_NOBODY, QT_NOBODY));
	QT_CHECK_OK(qt_peer_start(&root));
	/* 0644 root's: the other uid cannot write: the kernel enforces. */
	QT_CHECK_OK(fchown(fd, 0, 0));
	QT_CHECK_OK(fchmod(fd, 0644));
	TE_EXPECT(fd, nobody.pid, O_RDONLY, 0, 0, 0, QSHM_ENF_KERNEL,
	    QSHM_WHY_MODE);
	TE_EXPECT(fd, nobody.pid, O_RDWR, 0, 0, 0, QSHM_ENF_KERNEL,
	    QSHM_WHY_FULL);
	/* ... but it could read, so a wo grant is advisory. */
	TE_EXPECT(fd, nobody.pid, O_WRONLY, 0, 0, 0, QSHM_ENF_ADVISORY,
	    QSHM_WHY_MODE_ALLOWS);
	/* A root recipient could reopen anything. */
	TE_EXPECT(fd, root.pid, O_RDONLY, 0, 0, 0, QSHM_ENF_ADVISORY,
	    QSHM_WHY_ROOT);
	/* 0666: anyone may write: advisory. */
	QT_CHECK_OK(fchmod(fd, 0666));
	TE_EXPECT(fd, nobody.pid, O_RDONLY, 0, 0, 0, QSHM_ENF_ADVISORY,
	    QSHM_WHY_MODE_ALLOWS);
	/* 0600: nothing for others, even wo. */
	QT_CHECK_OK(fchmod(fd, 0600));
	TE_EXPECT(fd, nobody.pid, O_WRONLY, 0, 0, 0, QSHM_ENF_KERNEL,
	    QSHM_WHY_MODE);
	/* Group bits count when the recipient's gid is the inode's. */
	QT_CHECK_OK(fchown(fd, 0, QT_NOBODY));
	QT_CHECK_OK(fchmod(fd, 0660));
	TE_EXPECT(fd, nobody.pid, O_RDONLY, 0, 0, 0, QSHM_ENF_ADVISORY,
	    QSHM_WHY_MODE_ALLOWS);
	QT_CHECK_OK(fchmod(fd, 0640));
	TE_EXPECT(fd, nobody.pid, O_RDONLY, 0, 0, 0, QSHM_ENF_KERNEL,
	    QSHM_WHY_MODE);
	/* A kernel-enforced read-only grant, but for a sub-range. */
	QT_CHECK_OK(fchmod(fd, 0644));
	TE_EXPECT(fd, nobody.pid, O_RDONLY, 0, pg, 0, QSHM_ENF_KERNEL,
	    QSHM_WHY_MODE);
	QT_CHECK_EQ(qt_peer_stop(&nobody), 0);
	QT_CHECK_EQ(qt_peer_stop(&root), 0);
	close(fd);
	return (0);
}

/* Other-uid recipients: the inode mode decides. */
static void
test_other_uid(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (to make another uid's process)\n");
		skip();
	}
	qt_with_broker(NULL, te_body_other_uid, NULL);
}

static int
te_body_supplementary(void *arg)
{
	struct qt_peer	p;
	gid_t		groups[1] = { 4242 };
	int		fd, down[2], up[2];
	uint64_t	x;
	pid_t		pid;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(fchown(fd, 0, 4242));
	QT_CHECK_OK(fchmod(fd, 0660));
	/* A recipient of uid/gid nobody with supplementary group 4242. */
	QT_CHECK_OK(pipe2(down, O_CLOEXEC));
	QT_CHECK_OK(pipe2(up, O_CLOEXEC));
	fflush(NULL);
	pid = fork();
	QT_CHECK(pid != -1);
	if (pid == 0) {
		if (qt_become(QT_NOBODY, QT_NOBODY, 1, groups, false) == -1)
			_exit(1);
		qt_send_u64(up[1], 1);
		qt_recv_u64(down[0], &x);
		_exit(0);
	}
	QT_CHECK_OK(qt_recv_u64(up[0], &x));
	p.pid = pid;
	TE_EXPECT(fd, p.pid, O_RDONLY, 0, 0, 0, QSHM_ENF_ADVISORY,
	    QSHM_WHY_MODE_ALLOWS);
	QT_CHECK_OK(fchmod(fd, 0640));
	TE_EXPECT(fd, p.pid, O_RDONLY, 0, 0, 0, QSHM_ENF_KERNEL,
	    QSHM_WHY_MODE);
	qt_send_u64(down[1], 1);
	QT_CHECK_EQ(qt_wait(pid), 0);
	close(fd);
	return (0);
}

/* A supplementary group of the recipient counts like its gid. */
static void
test_supplementary_group(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (to set groups)\n");
		skip();
	}
	qt_with_broker(NULL, te_body_supplementary, NULL);
}

/* A recipient that connects as root, then becomes nobody in group 4242. */
static int
te_turncoat(int up, int down)
{
	struct qshm_stats	st;
	gid_t			groups[1] = { 4242 };
	uint64_t		x;

	if (qshm_stats(&st) == -1 || qt_send_u64(up, 1) == -1 ||
	    qt_recv_u64(down, &x) == -1 ||
	    qt_become(QT_NOBODY, QT_NOBODY, 1, groups, false) == -1 ||
	    qt_send_u64(up, 2) == -1 || qt_recv_u64(down, &x) == -1)
		return (1);
	return (0);
}

static int
te_body_creds_now(void *arg)
{
	int		fd, down[2], up[2];
	uint64_t	x;
	pid_t		pid;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(fchown(fd, 0, 4242));
	QT_CHECK_OK(fchmod(fd, 0640));
	QT_CHECK_OK(pipe2(down, O_CLOEXEC));
	QT_CHECK_OK(pipe2(up, O_CLOEXEC));
	fflush(NULL);
	pid = fork();
	QT_CHECK(pid != -1);
	if (pid == 0)
		_exit(te_turncoat(up[1], down[0]));
	/* Connected (so the broker watches it) and still root. */
	QT_CHECK_OK(qt_recv_u64(up[0], &x));
	TE_EXPECT(fd, pid, O_RDONLY, 0, 0, 0, QSHM_ENF_ADVISORY,
	    QSHM_WHY_ROOT);
	QT_CHECK_OK(qt_send_u64(down[1], 1));
	QT_CHECK_OK(qt_recv_u64(up[0], &x));
	/* The same process, with the same connection: its ids now count. */
	TE_EXPECT(fd, pid, O_RDONLY, 0, 0, 0, QSHM_ENF_KERNEL,
	    QSHM_WHY_MODE);
	QT_CHECK_OK(fchmod(fd, 0660));
	TE_EXPECT(fd, pid, O_RDONLY, 0, 0, 0, QSHM_ENF_ADVISORY,
	    QSHM_WHY_MODE_ALLOWS);
	QT_CHECK_OK(qt_send_u64(down[1], 1));
	QT_CHECK_EQ(qt_wait(pid), 0);
	close(fd);
	return (0);
}

/* Credentials are read at each grant, not when the recipient connected. */
static void
test_creds_at_grant(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (to change a process's uid)\n");
		skip();
	}
	qt_with_broker(NULL, te_body_creds_now, NULL);
}

static int
te_body_kernel_really(void *arg)
{
	struct qt_peer	u;
	struct qt_req	rq = { .op = QT_OP_STATS };
	struct qt_rep	rep;
	shm_handle_t	h;
	int		fd;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(fchmod(fd, 0644));
	/* A nobody that reaches the broker, then gives up the capability. */
	QT_CHECK_OK(qt_peer_start_nobody(&u));
	rq.op = QT_OP_DROP_CAPS;
	QT_CHECK_OK(qt_peer_call(&u, &rq, &rep));
	QT_CHECK_EQ(rep.ret, 0);
	/* Kernel-enforced: the read-only fd cannot be reopened rw. */
	QT_CHECK_OK(shm_create_handle(fd, u.pid, O_RDONLY, &h, 0));
	QT_CHECK(qt_peer_open(&u, h, O_RDONLY, 1, getpid(), &rep) >= 0);
	QT_CHECK_EQ(rep.accmode, O_RDONLY);
	QT_CHECK_EQ(rep.reopen_err, EACCES);
	/* Advisory (0666): it can. */
	QT_CHECK_OK(fchmod(fd, 0666));
	QT_CHECK_OK(shm_create_handle(fd, u.pid, O_RDONLY, &h, 0));
	QT_CHECK(qt_peer_open(&u, h, O_RDONLY, 0, 0, &rep) >= 0);
	QT_CHECK_EQ(rep.accmode, O_RDONLY);
	QT_CHECK_EQ(rep.reopen_err, 0);
	QT_CHECK_EQ(qt_peer_stop(&u), 0);
	close(fd);
	return (0);
}

/* What "kernel" means: the other uid's fd really cannot become rw. */
static void
test_kernel_enforced_open(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (to make another uid's process)\n");
		skip();
	}
	qt_with_broker(NULL, te_body_kernel_really, NULL);
}

static int
te_body_require(void *arg)
{
	struct qshm_stats	st0, st1;
	shm_handle_t		h;
	size_t			pg = qt_page();
	int			fd, sealed, o;

	(void)arg;
	QT_CHECK((fd = qt_memfd(2 * pg, 'A')) >= 0);
	QT_CHECK((sealed = qt_memfd(pg, 'S')) >= 0);
	QT_CHECK_OK(fcntl(sealed, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
	QT_CHECK_OK(qshm_stats(&st0));
	/* Advisory grants are refused. */
	QT_CHECK_ERR(shm_create_handle(fd, getpid(), O_RDONLY, &h, 0),
	    EACCES);
	QT_CHECK_ERR(shm_create_handle(fd, getpid(), O_RDWR, &h,
	    SHM_CREATE_HANDLE_OPT_NOFD), EACCES);
	QT_CHECK_ERR(shm_create_subrange_handle(fd, getpid(), O_RDWR, &h, 0,
	    pg, 0), EACCES);
	QT_CHECK_ERR(shm_create_handle(sealed, getpid(), O_RDONLY, &h,
	    SHM_CREATE_HANDLE_OPT_NOFD), EACCES);
	QT_CHECK_OK(qshm_stats(&st1));
	QT_CHECK(st1.denials >= st0.denials + 4);
	QT_CHECK_EQ(st1.handles, 0);
	/* Kernel-enforced ones work. */
	QT_CHECK_OK(shm_create_handle(fd, getpid(), O_RDWR, &h, 0));
	QT_CHECK((o = shm_open_handle(h, O_RDWR)) >= 0);
	close(o);
	QT_CHECK_OK(shm_create_handle(sealed, getpid(), O_RDONLY, &h, 0));
	QT_CHECK((o = shm_open_handle(h, O_RDONLY)) >= 0);
	close(o);
	QT_CHECK_OK(shm_create_subrange_handle(fd, getpid(), O_RDWR, &h, 0,
	    2 * pg, 0));
	QT_CHECK_OK(shm_delete_handle(h));
	close(sealed);
	close(fd);
	return (0);
}

/* --require-enforced: an advisory grant fails EACCES. */
static void
test_require_enforced(void **state)
{
	const char *const	extra[] = { "--require-enforced", NULL };

	(void)state;
	qt_with_broker(extra, te_body_require, NULL);
}

/* qshm_reason_str() names every reason. */
static void
test_reason_names(void **state)
{
	unsigned	r;

	(void)state;
	for (r = QSHM_WHY_FULL; r <= QSHM_WHY_NOFD; r++) {
		assert_non_null(qshm_reason_str(r));
		assert_true(qshm_reason_str(r)[0] != '\0');
	}
	assert_string_equal(qshm_reason_str(QSHM_WHY_SAME_UID), "same uid");
	assert_string_equal(qshm_reason_str(QSHM_WHY_SEALED), "sealed");
	assert_string_not_equal(qshm_reason_str(QSHM_WHY_MODE),
	    qshm_reason_str(QSHM_WHY_MODE_ALLOWS));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_uid),
		cmocka_unit_test(test_same_uid_unprivileged),
		cmocka_unit_test(test_broker_cannot_reopen),
		cmocka_unit_test(test_other_uid),
		cmocka_unit_test(test_supplementary_group),
		cmocka_unit_test(test_creds_at_grant),
		cmocka_unit_test(test_kernel_enforced_open),
		cmocka_unit_test(test_require_enforced),
		cmocka_unit_test(test_reason_names),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
