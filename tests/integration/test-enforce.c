/*
 * test-enforce.c: the enforcement the broker records for each grant, as
 * qshm_list_handles() shows it (team brief, "Enforcement of a grant"):
 * same-uid grants (seals, full access, sub-ranges, NOFD), other-uid grants
 * decided by the inode mode (root only: the recipient drops to an
 * unprivileged uid), by the seals (which must stop resizes too) and by
 * the recipient's capabilities, each shown by the other uid's attempts
 * to write or resize, and --require-enforced refusing advisory grants,
 * at the grant and again at the open.
 *
 * Each test starts its own broker and runs its body in a fresh child.
 */

#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include <linux/capability.h>

#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	/* Sealed against writes and resizes: the kernel refuses anyone. */
	QT_CHECK((sealed = qt_memfd(2 * pg, 'S')) >= 0);
	QT_CHECK_OK(fcntl(sealed, F_ADD_SEALS, F_SEAL_FUTURE_WRITE |
	    F_SEAL_SHRINK | F_SEAL_GROW));
	TE_EXPECT(sealed, me, O_RDONLY, 0, 0, 0, QSHM_ENF_KERNEL,
	    QSHM_WHY_SEALED);
	TE_EXPECT(sealed, me, O_RDONLY, 0, pg, 0, QSHM_ENF_ADVISORY,
	    QSHM_WHY_SUBRANGE);
	TE_EXPECT(sealed, me, O_RDONLY, SHM_CREATE_HANDLE_OPT_NOFD, 0, 0,
	    QSHM_ENF_ADVISORY, QSHM_WHY_NOFD);
	close(sealed);
	QT_CHECK((sealed = qt_memfd(pg, 'S')) >= 0);
	QT_CHECK_OK(fcntl(sealed, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK |
	    F_SEAL_GROW));
	TE_EXPECT(sealed, me, O_RDONLY, 0, 0, 0, QSHM_ENF_KERNEL,
	    QSHM_WHY_SEALED);
	close(sealed);
	/* Sealed against writes only: it could still reopen and resize. */
	QT_CHECK((sealed = qt_memfd(pg, 'S')) >= 0);
	QT_CHECK_OK(fcntl(sealed, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
	TE_EXPECT(sealed, me, O_RDONLY, 0, 0, 0, QSHM_ENF_ADVISORY,
	    QSHM_WHY_RESIZE);
	QT_CHECK_OK(fcntl(sealed, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK));
	TE_EXPECT(sealed, me, O_RDONLY, 0, 0, 0, QSHM_ENF_ADVISORY,
	    QSHM_WHY_RESIZE);
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

/*
 * An attacker of another uid: a child that connects (as root, so the
 * broker's socket lets it in), becomes nobody keeping exactly the
 * capabilities asked for, in its permitted and effective sets, then
 * opens each handle it is sent read-only and tries what it is told.
 */
struct te_attacker {
	pid_t	pid;
	int	to, from;
};

enum te_try {
	TE_TRY_WRITE = 1,	/* reopen (or fchmod, reopen) rw, write */
	TE_TRY_RESIZE,		/* reopen rw, shrink, grow, truncate(2) */
	TE_TRY_EXEC,		/* exec this program again */
	TE_TRY_USERNS,		/* enter a new user namespace */
};

/*
 * The path TE_TRY_EXEC runs (this test, with file capabilities), in a
 * directory only TE_FCAP_UID (which nothing else runs as) may enter.
 */
#define TE_FCAP_UID		65533
static char		 te_exec_dir[64];
static char		 te_exec_path[96];
/* The uid attackers become. */
static uid_t		 te_attacker_uid = QT_NOBODY;
/* The broker's directory, shown at /run/qshm to the attacker, or NULL. */
static const char	*te_sysdir;

/* What TE_TRY_RESIZE got (a bit for each that worked). */
#define TE_REOPENED	0x01
#define TE_SHRUNK	0x02
#define TE_GREW		0x04
#define TE_GREW_ALLOC	0x08
#define TE_TRUNCATED	0x10
#define TE_OPEN_FAILED	0x100

#define TE_CAP(c)	(1ULL << (c))

static int
te_become_caps(uint64_t caps)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[2];

	if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) == -1 ||
	    qt_become(te_attacker_uid, te_attacker_uid, 0, NULL, false) == -1)
		return (-1);
	memset(&hdr, 0, sizeof hdr);
	memset(data, 0, sizeof data);
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[0].permitted = data[0].effective = (uint32_t)caps;
	data[1].permitted = data[1].effective = (uint32_t)(caps >> 32);
	return ((int)syscall(SYS_capset, &hdr, data));
}

/* Write a byte through a rw reopen, or a chmod and a reopen; 1 if so. */
static uint64_t
te_try_write(int fd)
{
	int	w;

	if ((w = qt_reopen(fd, O_RDWR)) == -1 &&
	    (fchmod(fd, 0666) == -1 || (w = qt_reopen(fd, O_RDWR)) == -1))
		return (0);
	if (pwrite(w, "W", 1, 0) != 1) {
		close(w);
		return (0);
	}
	close(w);
	return (1);
}

/* Every way to change the size from a read-only fd; TE_* bits. */
static uint64_t
te_try_resize(int fd)
{
	struct stat	st;
	char		path[64];
	uint64_t	got = 0;
	int		w;

	if (fstat(fd, &st) == -1 || (w = qt_reopen(fd, O_RDWR)) == -1)
		return (0);
	got |= TE_REOPENED;
	if (ftruncate(w, st.st_size / 2) == 0)
		got |= TE_SHRUNK;
	if (ftruncate(w, st.st_size * 2) == 0)
		got |= TE_GREW;
	if (fallocate(w, 0, 0, st.st_size * 4) == 0)
		got |= TE_GREW_ALLOC;
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	if (truncate(path, 0) == 0)
		got |= TE_TRUNCATED;
	close(w);
	return (got);
}

/* Run this program again (argv: --te-attacker TO FROM); errno. */
static int
te_attacker_exec(int to, int from)
{
	char	a[16], b[16];
	char	*argv[] = { "test-enforce", "--te-attacker", a, b, NULL };

	if (fcntl(to, F_SETFD, 0) == -1 || fcntl(from, F_SETFD, 0) == -1)
		return (errno);
	snprintf(a, sizeof a, "%d", to);
	snprintf(b, sizeof b, "%d", from);
	execv(te_exec_path, argv);
	return (errno);
}

static int
te_attacker_loop(int to, int from)
{
	uint64_t	what, h, got;
	int		fd;

	if (qt_send_u64(from, (uint64_t)getpid()) == -1)
		return (1);
	while (qt_recv_u64(to, &what) == 0 && what != 0) {
		if (qt_recv_u64(to, &h) == -1)
			return (1);
		if (what == TE_TRY_EXEC || what == TE_TRY_USERNS) {
			if (what == TE_TRY_EXEC)
				got = (uint64_t)te_attacker_exec(to, from);
			else
				got = unshare(CLONE_NEWUSER) == -1 ? errno : 0;
			if (qt_send_u64(from, got) == -1)
				return (1);
			continue;
		}
		if ((fd = shm_open_handle(h, O_RDONLY)) == -1)
			got = TE_OPEN_FAILED | (uint64_t)errno << 16;
		else if (what == TE_TRY_WRITE)
			got = te_try_write(fd);
		else
			got = te_try_resize(fd);
		if (fd != -1)
			close(fd);
		if (qt_send_u64(from, got) == -1)
			return (1);
	}
	return (0);
}

/*
 * Under AT_SECURE (an exec that gave capabilities) the library ignores
 * QSHM_SOCKET and looks for the system broker: show it this test's, in
 * a mount namespace of the attacker's own.
 */
static int
te_attacker_sysdir(const char *dir)
{
	if (unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") == -1 ||
	    mkdir("/run/qshm", 0755) == -1 ||
	    mount(dir, "/run/qshm", NULL, MS_BIND, NULL) == -1)
		return (-1);
	return (0);
}

static int
te_attacker_main(uint64_t caps, int to, int from)
{
	struct qshm_stats	st;

	if (te_sysdir != NULL && te_attacker_sysdir(te_sysdir) == -1)
		return (1);
	if (qshm_stats(&st) == -1 || te_become_caps(caps) == -1)
		return (1);
	return (te_attacker_loop(to, from));
}

static int
te_attacker_start(struct te_attacker *a, uint64_t caps)
{
	int		down[2], up[2];
	uint64_t	pid;

	if (pipe2(down, O_CLOEXEC) == -1 || pipe2(up, O_CLOEXEC) == -1)
		return (-1);
	qt_settle();
	fflush(NULL);
	if ((a->pid = fork()) == -1)
		return (-1);
	if (a->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		qt_exit(te_attacker_main(caps, down[0], up[1]));
	}
	close(down[0]);
	close(up[1]);
	a->to = down[1];
	a->from = up[0];
	if (qt_recv_u64(a->from, &pid) == -1 || (pid_t)pid != a->pid)
		return (-1);
	return (0);
}

/* Have the attacker open h and try; what it got. */
static int
te_attack(struct te_attacker *a, enum te_try what, shm_handle_t h,
    uint64_t *got)
{
	if (qt_send_u64(a->to, what) == -1 || qt_send_u64(a->to, h) == -1)
		return (-1);
	return (qt_recv_u64(a->from, got));
}

static int
te_attacker_stop(struct te_attacker *a)
{
	qt_send_u64(a->to, 0);
	close(a->to);
	close(a->from);
	return (qt_wait(a->pid));
}

/* Grant fd ro to the attacker, check the label, have it try; got. */
static int
te_grant_attack(int fd, struct te_attacker *a, enum te_try what,
    unsigned enf, unsigned why, uint64_t *got)
{
	struct qshm_handle_info	i;
	shm_handle_t		h;

	QT_CHECK_OK(shm_create_handle(fd, a->pid, O_RDONLY, &h, 0));
	QT_CHECK_OK(qt_find_handle(h, &i));
	if (i.enforcement != enf || i.reason != why) {
		qt_fail(__FILE__, __LINE__, "grant ro to uid %u: %s (%s), "
		    "expected %s (%s)", i.recipient_uid,
		    i.enforcement == QSHM_ENF_KERNEL ? "kernel" : "advisory",
		    qshm_reason_str(i.reason),
		    enf == QSHM_ENF_KERNEL ? "kernel" : "advisory",
		    qshm_reason_str(why));
		return (1);
	}
	QT_CHECK_OK(te_attack(a, what, h, got));
	QT_CHECK(!(*got & TE_OPEN_FAILED));
	return (0);
}

#define TE_GRANT_ATTACK(...) do {					\
	if (te_grant_attack(__VA_ARGS__) != 0)				\
		return (1);						\
} while (0)

/* A memfd of 4 pages, mode 0666 (anyone may reopen it rw), sealed. */
static int
te_sealed(unsigned seals)
{
	int	fd;

	if ((fd = qt_memfd(4 * qt_page(), 'S')) == -1)
		return (-1);
	if (fchmod(fd, 0666) == -1 || fcntl(fd, F_ADD_SEALS, seals) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

static int
te_body_seal_resize(void *arg)
{
	struct te_attacker	a;
	struct stat		st;
	uint64_t		got;
	size_t			pg = qt_page();
	int			fd;

	(void)arg;
	QT_CHECK_OK(te_attacker_start(&a, 0));
	/* Sealed against writes only: advisory, and it does shrink it. */
	QT_CHECK((fd = te_sealed(F_SEAL_WRITE)) >= 0);
	TE_GRANT_ATTACK(fd, &a, TE_TRY_RESIZE, QSHM_ENF_ADVISORY,
	    QSHM_WHY_RESIZE, &got);
	QT_CHECK((got & (TE_REOPENED | TE_SHRUNK)) ==
	    (TE_REOPENED | TE_SHRUNK));
	QT_CHECK_OK(fstat(fd, &st));
	QT_CHECK(st.st_size != (off_t)(4 * pg));
	close(fd);
	QT_CHECK((fd = te_sealed(F_SEAL_FUTURE_WRITE)) >= 0);
	TE_GRANT_ATTACK(fd, &a, TE_TRY_RESIZE, QSHM_ENF_ADVISORY,
	    QSHM_WHY_RESIZE, &got);
	QT_CHECK(got & TE_SHRUNK);
	close(fd);
	/* Every seal: kernel; it reopens rw, and nothing else works. */
	QT_CHECK((fd = te_sealed(F_SEAL_WRITE | F_SEAL_SHRINK |
	    F_SEAL_GROW)) >= 0);
	TE_GRANT_ATTACK(fd, &a, TE_TRY_RESIZE, QSHM_ENF_KERNEL,
	    QSHM_WHY_SEALED, &got);
	QT_CHECK_EQ(got, TE_REOPENED);
	TE_GRANT_ATTACK(fd, &a, TE_TRY_WRITE, QSHM_ENF_KERNEL,
	    QSHM_WHY_SEALED, &got);
	QT_CHECK_EQ(got, 0);
	QT_CHECK_OK(fstat(fd, &st));
	QT_CHECK_EQ(st.st_size, 4 * pg);
	close(fd);
	QT_CHECK_EQ(te_attacker_stop(&a), 0);
	return (0);
}

/*
 * Write seals alone do not stop ftruncate(): a recipient of another uid
 * that the mode lets reopen the object shrinks it; such grants say
 * advisory ("resize").  Sealed also against shrinking and growing, the
 * grant is kernel and every way to resize fails.
 */
static void
test_seal_resize(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (to make another uid's process)\n");
		skip();
	}
	qt_with_broker(NULL, te_body_seal_resize, NULL);
}

/* Grant a 0644 root object to an attacker with caps; did it write? */
static int
te_caps_try(int fd, uint64_t caps, unsigned enf, unsigned why,
    uint64_t want)
{
	struct te_attacker	a;
	uint64_t		got;
	char			c;

	QT_CHECK_OK(fchmod(fd, 0644));
	QT_CHECK_EQ(pwrite(fd, "A", 1, 0), 1);
	QT_CHECK_OK(te_attacker_start(&a, caps));
	TE_GRANT_ATTACK(fd, &a, TE_TRY_WRITE, enf, why, &got);
	QT_CHECK_EQ(got, want);
	QT_CHECK_EQ(pread(fd, &c, 1, 0), 1);
	QT_CHECK_EQ(c, want ? 'W' : 'A');
	QT_CHECK_EQ(te_attacker_stop(&a), 0);
	return (0);
}

static int
te_body_caps(void *arg)
{
	struct te_attacker	a;
	int			fd;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	/* Without capabilities, nobody is kept out by the mode. */
	QT_CHECK_EQ(te_caps_try(fd, 0, QSHM_ENF_KERNEL, QSHM_WHY_MODE, 0), 0);
	/* With one that overrides the mode, it writes: advisory. */
	QT_CHECK_EQ(te_caps_try(fd, TE_CAP(CAP_DAC_OVERRIDE),
	    QSHM_ENF_ADVISORY, QSHM_WHY_CAPS, 1), 0);
	QT_CHECK_EQ(te_caps_try(fd, TE_CAP(CAP_FOWNER), QSHM_ENF_ADVISORY,
	    QSHM_WHY_CAPS, 1), 0);
	/* One that reaches no file changes nothing. */
	QT_CHECK_EQ(te_caps_try(fd, TE_CAP(CAP_KILL) | TE_CAP(CAP_NET_RAW),
	    QSHM_ENF_KERNEL, QSHM_WHY_MODE, 0), 0);
	/* Read-search reads: a write-only grant of a 0600 object. */
	QT_CHECK_OK(fchmod(fd, 0600));
	QT_CHECK_OK(te_attacker_start(&a, TE_CAP(CAP_DAC_READ_SEARCH)));
	TE_EXPECT(fd, a.pid, O_WRONLY, 0, 0, 0, QSHM_ENF_ADVISORY,
	    QSHM_WHY_CAPS);
	TE_EXPECT(fd, a.pid, O_RDONLY, 0, 0, 0, QSHM_ENF_KERNEL,
	    QSHM_WHY_MODE);
	QT_CHECK_EQ(te_attacker_stop(&a), 0);
	close(fd);
	return (0);
}

/*
 * A recipient of another uid holding CAP_DAC_OVERRIDE or CAP_FOWNER
 * writes a read-only grant of a 0644 object (reopening it, or fchmod()
 * then reopening): such grants say advisory ("capability"); without the
 * capability the mode keeps it out, and the grant stays kernel.
 */
static void
test_caps_recipient(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (to make another uid's process)\n");
		skip();
	}
	qt_with_broker(NULL, te_body_caps, NULL);
}

static int
te_body_require_caps(void *arg)
{
	struct te_attacker	a, b;
	shm_handle_t		h;
	uint64_t		got;
	int			fd, sealed;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(fchmod(fd, 0644));
	QT_CHECK_OK(te_attacker_start(&a, TE_CAP(CAP_DAC_OVERRIDE)));
	QT_CHECK_OK(te_attacker_start(&b, 0));
	QT_CHECK_ERR(shm_create_handle(fd, a.pid, O_RDONLY, &h, 0), EACCES);
	QT_CHECK_OK(shm_create_handle(fd, b.pid, O_RDONLY, &h, 0));
	QT_CHECK_OK(te_attack(&b, TE_TRY_WRITE, h, &got));
	QT_CHECK_EQ(got, 0);
	/* Sealed against writes only: refused even to the one without. */
	QT_CHECK((sealed = te_sealed(F_SEAL_WRITE)) >= 0);
	QT_CHECK_ERR(shm_create_handle(sealed, b.pid, O_RDONLY, &h, 0),
	    EACCES);
	QT_CHECK_OK(fcntl(sealed, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
	QT_CHECK_OK(shm_create_handle(sealed, b.pid, O_RDONLY, &h, 0));
	QT_CHECK_OK(te_attack(&b, TE_TRY_RESIZE, h, &got));
	QT_CHECK_EQ(got, TE_REOPENED);
	/* ... and to one with the capability: seals stop it too. */
	QT_CHECK_OK(shm_create_handle(sealed, a.pid, O_RDONLY, &h, 0));
	QT_CHECK_OK(te_attack(&a, TE_TRY_WRITE, h, &got));
	QT_CHECK_EQ(got, 0);
	QT_CHECK_EQ(te_attacker_stop(&a), 0);
	QT_CHECK_EQ(te_attacker_stop(&b), 0);
	close(sealed);
	close(fd);
	return (0);
}

/* --require-enforced refuses a recipient whose capability reaches it. */
static void
test_require_enforced_caps(void **state)
{
	const char *const	extra[] = { "--require-enforced", NULL };

	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (to make another uid's process)\n");
		skip();
	}
	qt_with_broker(extra, te_body_require_caps, NULL);
}

static int
te_body_decide_at_open(void *arg)
{
	struct te_attacker	a;
	shm_handle_t		h;
	uint64_t		got;
	int			fd;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(fchmod(fd, 0644));
	QT_CHECK_OK(te_attacker_start(&a, 0));
	QT_CHECK_OK(shm_create_handle(fd, a.pid, O_RDONLY, &h, 0));
	/* What held at the grant no longer does: refused, kept. */
	QT_CHECK_OK(fchmod(fd, 0666));
	QT_CHECK_OK(te_attack(&a, TE_TRY_WRITE, h, &got));
	QT_CHECK_EQ(got, TE_OPEN_FAILED | (uint64_t)EACCES << 16);
	QT_CHECK_OK(qt_find_handle(h, NULL));
	QT_CHECK_OK(fchmod(fd, 0644));
	QT_CHECK_OK(te_attack(&a, TE_TRY_WRITE, h, &got));
	QT_CHECK_EQ(got, 0);
	QT_CHECK_EQ(qt_find_handle(h, NULL), -1);
	QT_CHECK_EQ(te_attacker_stop(&a), 0);
	close(fd);
	return (0);
}

/* The enforcement is decided again when the fd is handed over. */
static void
test_decide_at_open(void **state)
{
	const char *const	extra[] = { "--require-enforced", NULL };

	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (to make another uid's process)\n");
		skip();
	}
	qt_with_broker(extra, te_body_decide_at_open, NULL);
}

/* Put the attacker in a user namespace of its own; map: "0 ID 1". */
static int
te_attacker_userns(struct te_attacker *a, uid_t map)
{
	char		path[64], line[64];
	uint64_t	err;
	int		fd, i;

	QT_CHECK_OK(te_attack(a, TE_TRY_USERNS, 0, &err));
	QT_CHECK_EQ(err, 0);
	if (map == (uid_t)-1)
		return (0);
	snprintf(line, sizeof line, "0 %lu 1\n", (unsigned long)map);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "/proc/%ld/%s", (long)a->pid,
		    i == 0 ? "uid_map" : "gid_map");
		QT_CHECK((fd = open(path, O_WRONLY | O_CLOEXEC)) >= 0);
		QT_CHECK_EQ(write(fd, line, strlen(line)), strlen(line));
		close(fd);
	}
	return (0);
}

static int
te_body_userns(void *arg)
{
	struct te_attacker	a, b;
	uint64_t		got;
	int			root, mapped;

	(void)arg;
	QT_CHECK((root = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(fchmod(root, 0644));
	QT_CHECK((mapped = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(fchown(mapped, 4243, 4243));
	QT_CHECK_OK(fchmod(mapped, 0644));
	/* Every capability, in a namespace that maps 4243 only. */
	QT_CHECK_OK(te_attacker_start(&a, 0));
	QT_CHECK_EQ(te_attacker_userns(&a, 4243), 0);
	TE_GRANT_ATTACK(root, &a, TE_TRY_WRITE, QSHM_ENF_KERNEL,
	    QSHM_WHY_MODE, &got);
	QT_CHECK_EQ(got, 0);
	TE_GRANT_ATTACK(mapped, &a, TE_TRY_WRITE, QSHM_ENF_ADVISORY,
	    QSHM_WHY_CAPS, &got);
	QT_CHECK_EQ(got, 1);
	/* A namespace that maps nothing reaches nothing. */
	QT_CHECK_OK(te_attacker_start(&b, 0));
	QT_CHECK_EQ(te_attacker_userns(&b, (uid_t)-1), 0);
	TE_GRANT_ATTACK(mapped, &b, TE_TRY_WRITE, QSHM_ENF_KERNEL,
	    QSHM_WHY_MODE, &got);
	QT_CHECK_EQ(got, 0);
	QT_CHECK_EQ(te_attacker_stop(&a), 0);
	QT_CHECK_EQ(te_attacker_stop(&b), 0);
	close(mapped);
	close(root);
	return (0);
}

/*
 * Capabilities in a user namespace below ours reach an inode only if its
 * uid and gid are mapped there: a recipient with all of them in its own
 * namespace writes the object of a uid that namespace maps (advisory),
 * not root's (kernel).
 */
static void
test_caps_userns(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (to map another uid)\n");
		skip();
	}
	qt_with_broker(NULL, te_body_userns, NULL);
}

/* A copy of this program that gains CAP_DAC_OVERRIDE when run. */
static int
te_fcap_copy(void)
{
	struct vfs_cap_data	cap;
	char			buf[65536];
	ssize_t			n;
	int			in, out;

	snprintf(te_exec_dir, sizeof te_exec_dir,
	    "/tmp/qshm-test-fcap-XXXXXX");
	if (mkdtemp(te_exec_dir) == NULL ||
	    chown(te_exec_dir, TE_FCAP_UID, TE_FCAP_UID) == -1)
		return (-1);
	snprintf(te_exec_path, sizeof te_exec_path, "%s/attacker",
	    te_exec_dir);
	if ((out = open(te_exec_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0500)) == -1)
		return (-1);
	if ((in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			n = -1;
	close(in);
	memset(&cap, 0, sizeof cap);
	cap.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
	cap.data[0].permitted = 1U << CAP_DAC_OVERRIDE;
	/* The owner first: a chown clears the capability. */
	if (n == -1 || fchown(out, TE_FCAP_UID, TE_FCAP_UID) == -1 ||
	    fsetxattr(out, "security.capability", &cap, XATTR_CAPS_SZ_2,
	    0) == -1) {
		close(out);
		return (-1);
	}
	return (close(out));
}

static void
te_fcap_remove(void)
{
	unlink(te_exec_path);
	rmdir(te_exec_dir);
}

static int
te_caps_at_open(int fd)
{
	struct te_attacker	a;
	shm_handle_t		h;
	uint64_t		got, pid;

	QT_CHECK_OK(te_attacker_start(&a, 0));
	QT_CHECK_OK(shm_create_handle(fd, a.pid, O_RDONLY, &h, 0));
	/* The same process, after an exec that gave it a capability. */
	QT_CHECK_OK(qt_send_u64(a.to, TE_TRY_EXEC));
	QT_CHECK_OK(qt_send_u64(a.to, 0));
	QT_CHECK_OK(qt_recv_u64(a.from, &pid));
	QT_CHECK_EQ(pid, a.pid);
	QT_CHECK_OK(te_attack(&a, TE_TRY_WRITE, h, &got));
	QT_CHECK_EQ(got, TE_OPEN_FAILED | (uint64_t)EACCES << 16);
	QT_CHECK_OK(qt_find_handle(h, NULL));
	QT_CHECK_EQ(te_attacker_stop(&a), 0);
	return (0);
}

static int
te_body_caps_at_open(void *arg)
{
	int	fd, rv;

	te_sysdir = ((const struct qt_broker *)arg)->dir;
	te_attacker_uid = TE_FCAP_UID;
	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(fchmod(fd, 0644));
	rv = te_fcap_copy() == -1 ? 1 : te_caps_at_open(fd);
	te_fcap_remove();
	close(fd);
	return (rv);
}

/*
 * Capabilities gained between the grant and the open (an exec of a
 * program with file capabilities) count at the open: refused under
 * --require-enforced, the handle kept.
 */
static void
test_caps_at_open(void **state)
{
	const char *const	extra[] = { "--require-enforced", NULL };

	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (to make another uid's process)\n");
		skip();
	}
	qt_with_broker(extra, te_body_caps_at_open, NULL);
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
	/* Sealed against writes only: a resize is left: refused. */
	QT_CHECK_ERR(shm_create_handle(sealed, getpid(), O_RDONLY, &h, 0),
	    EACCES);
	QT_CHECK_OK(fcntl(sealed, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
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
	for (r = QSHM_WHY_FULL; r <= QSHM_WHY_RESIZE; r++) {
		assert_non_null(qshm_reason_str(r));
		assert_true(qshm_reason_str(r)[0] != '\0');
	}
	assert_string_equal(qshm_reason_str(QSHM_WHY_SAME_UID), "same uid");
	assert_string_equal(qshm_reason_str(QSHM_WHY_SEALED), "sealed");
	assert_string_equal(qshm_reason_str(QSHM_WHY_CAPS), "capability");
	assert_string_equal(qshm_reason_str(QSHM_WHY_RESIZE), "resize");
	assert_string_not_equal(qshm_reason_str(QSHM_WHY_MODE),
	    qshm_reason_str(QSHM_WHY_MODE_ALLOWS));
}

int
main(int argc, char **argv)
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
		cmocka_unit_test(test_seal_resize),
		cmocka_unit_test(test_caps_recipient),
		cmocka_unit_test(test_require_enforced_caps),
		cmocka_unit_test(test_decide_at_open),
		cmocka_unit_test(test_caps_at_open),
		cmocka_unit_test(test_caps_userns),
		cmocka_unit_test(test_reason_names),
	};

	/* test_caps_at_open's attacker, run again. */
	if (argc == 4 && strcmp(argv[1], "--te-attacker") == 0)
		qt_exit(te_attacker_loop((int)strtol(argv[2], NULL, 10),
		    (int)strtol(argv[3], NULL, 10)));
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
