/*
 * test-revoke-reach.c: a revoke reaches the processes no watcher covers.
 *
 * The creator (the test body, in a fresh child) grants a revocable object
 * to a recipient R, which hands its mapping to a child the library never
 * hears of: a raw clone() system call after mmap() of an fd from
 * shm_open_handle() (no fork handler runs to apply MADV_DONTFORK), a raw
 * clone() after MADV_DOFORK undid the MADV_DONTFORK of mmap_handle() in
 * the NOFD recipe (a fork() would not do: its handler applies it again),
 * or, as another uid, the orphan a raw clone() leaves when it exits.  A
 * second grantee G, whose grant is not revoked, and G's own raw clone()
 * child (root: a uid with a grant kept accounts for its orphans) map
 * the object too.  The creator revokes R: under --revoke-enforce
 * kill, R's child dies while R is blanked and G and its child read on;
 * under report the child is reported (the revoke fails ETIMEDOUT, R's
 * grant is "uncovered", the audit log names the child) and reads what the
 * creator writes.  A stopped R is killed at the deadline, its child
 * first.  A child with maps past the scan's bound is reported, never
 * killed.  Pages R vmspliced into a pipe are out of reach.
 */

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"

#define RR_PAGES	4
#define RR_BYTE		'Q'
#define RR_LATER	'Z'		/* what the creator writes after */
#define RR_SEGV		(-1)		/* what a revoked access reads */
#define RR_GONE		(-2)		/* the process is dead */

/* How R maps, and how its child gets the mapping. */
enum rr_how {
	RR_CLONE = 1,			/* mmap() of an fd; a raw clone() */
	RR_DOFORK,			/* mmap_handle(); DOFORK, clone() */
	RR_ORPHAN			/* RR_CLONE twice; the middle exits */
};

enum rr_cmd {
	RR_TOUCH = 1,			/* read the first byte */
	RR_SPAWN,			/* make the child (rr_how follows) */
	RR_SPLICE,			/* vmsplice page 0 to the pipe */
	RR_JUNK,			/* the child: huge maps (rr_junk) */
	RR_EXIT
};

/* Mappings of a file with a long path: past the broker's scan bound. */
#define RR_JUNK_MAPS	6000
#define RR_JUNK_TRIES	(16 * RR_JUNK_MAPS)

/* Pipes to a process: its commands and its answers. */
struct rr_pipe {
	int	to;
	int	from;
};

/* A recipient, and its child's pipes (made before it, for the child). */
struct rr_rcpt {
	pid_t		pid;
	struct rr_pipe	p;
	struct rr_pipe	child;
	int		child_ends[2];	/* the child's: R closes them */
	int		splice[2];	/* RR_SPLICE's pipe */
};

/* One case: how the child gets the mapping, the policy, as whom. */
struct rr_case {
	enum rr_how	how;
	bool		kill;
	bool		nobody;
};

static char		rr_dir[64];	/* the audit log's */
static char		rr_audit[80];
static char		rr_junk[4000];	/* a file with a long path */
static sigjmp_buf	rr_env;

static void
rr_segv(int sig)
{
	(void)sig;
	siglongjmp(rr_env, 1);
}

/* The byte at p, or RR_SEGV if reading it raised SIGSEGV. */
static int
rr_touch(volatile const unsigned char *p)
{
	struct sigaction	sa, old;
	int			r;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = rr_segv;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(rr_env, 1) == 0)
		r = p[0];
	else
		r = RR_SEGV;
	sigaction(SIGSEGV, &old, NULL);
	return (r);
}

/*
 * Make maps huge: RR_JUNK_MAPS separate mappings of rr_junk, each a line
 * of some 4000 bytes, in free pages below the object's mapping at obj
 * (maps lists by address); how many, or -1.
 */
static int
rr_junk_map(const unsigned char *obj)
{
	uintptr_t	 pg = qt_page(), at = (uintptr_t)obj;
	void		*p;
	int		 fd, n = 0, tries;

	if ((fd = open(rr_junk, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	for (tries = 0; n < RR_JUNK_MAPS && tries < RR_JUNK_TRIES &&
	    at > 4 * pg; tries++) {
		at -= 2 * pg;		/* a gap: no two of them merge */
		p = mmap((void *)at, pg, PROT_READ, MAP_SHARED |
		    MAP_FIXED_NOREPLACE, fd, 0);
		if (p == (void *)at)
			n++;
	}
	close(fd);
	return (n == RR_JUNK_MAPS ? n : -1);
}

/* The child's loop: its pid first, then a byte per RR_TOUCH. */
static void
rr_child_main(const unsigned char *p, int in, int out)
{
	uint64_t	cmd;
	int64_t		v;

	if (qt_send_u64(out, (uint64_t)getpid()) == -1)
		_exit(1);
	while (qt_recv_u64(in, &cmd) == 0 &&
	    (cmd == RR_TOUCH || cmd == RR_JUNK)) {
		v = cmd == RR_TOUCH ? rr_touch(p) : rr_junk_map(p);
		if (qt_send_u64(out, (uint64_t)v) == -1)
			_exit(1);
	}
	_exit(0);
}

/* fork() as the kernel does it, without the library's fork handlers. */
static pid_t
rr_raw_clone(void)
{
	return ((pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0));
}

/* R makes its child as asked; 0, or -1 if it could not. */
static int
rr_spawn(unsigned char *p, uint64_t how, const int ends[2])
{
	size_t	len = RR_PAGES * qt_page();
	pid_t	pid, mid;
	int	st;

	if (how == RR_DOFORK && madvise(p, len, MADV_DOFORK) == -1)
		return (-1);
	pid = rr_raw_clone();
	if (pid == 0 && how == RR_ORPHAN) {
		/* The middle one: its child outlives it, parentless. */
		if ((mid = rr_raw_clone()) == 0)
			rr_child_main(p, ends[0], ends[1]);
		_exit(mid == -1);
	}
	if (pid == 0)
		rr_child_main(p, ends[0], ends[1]);
	if (pid == -1)
		return (-1);
	if (how == RR_ORPHAN && (waitpid(pid, &st, 0) == -1 ||
	    !WIFEXITED(st) || WEXITSTATUS(st) != 0))
		return (-1);
	return (0);
}

/* R's mapping of h, made as how says; MAP_FAILED and errno. */
static void *
rr_map(uint64_t how, shm_handle_t h)
{
	size_t	 len = RR_PAGES * qt_page();
	void	*p;
	int	 fd;

	if (how == RR_DOFORK)
		return (mmap_handle(NULL, len, PROT_READ, MAP_SHARED, h, 0));
	if ((fd = shm_open_handle(h, O_RDONLY)) == -1)
		return (MAP_FAILED);
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	return (p);
}

/* R: become nobody if asked, map its handle, then act on command. */
static int
rr_rcpt_main(struct rr_rcpt *r, int in, int out)
{
	unsigned char	*p;
	uint64_t	 nobody, h, cmd, how;
	int64_t		 v;

	if (qt_recv_u64(in, &nobody) == -1 || (nobody &&
	    qt_become(QT_NOBODY, QT_NOBODY, 0, NULL, true) == -1))
		return (1);
	if (qt_send_u64(out, 0) == -1 || qt_recv_u64(in, &how) == -1 ||
	    qt_recv_u64(in, &h) == -1)
		return (1);
	p = rr_map(how, h);
	/* Nothing but the grant: no way to open the object by itself. */
	if (nobody && p != MAP_FAILED && qt_drop_caps() == -1)
		return (1);
	if (qt_send_u64(out, p == MAP_FAILED ? (uint64_t)errno : 0) == -1 ||
	    p == MAP_FAILED)
		return (1);
	while (qt_recv_u64(in, &cmd) == 0) {
		if (cmd == RR_TOUCH)
			v = rr_touch(p);
		else if (cmd == RR_SPAWN) {
			if (qt_recv_u64(in, &how) == -1)
				return (1);
			v = rr_spawn(p, how, r->child_ends);
			close(r->child_ends[0]);
			close(r->child_ends[1]);
		} else if (cmd == RR_SPLICE) {
			struct iovec	iov = { p, qt_page() };

			v = vmsplice(r->splice[1], &iov, 1, 0);
		} else
			return (0);
		if (qt_send_u64(out, (uint64_t)v) == -1)
			return (1);
	}
	return (0);
}

/* Two pipes: mine to talk, theirs (read end, write end) to answer. */
static int
rr_pipe(struct rr_pipe *mine, int theirs[2])
{
	int	down[2], up[2];

	if (pipe2(down, O_CLOEXEC) == -1 || pipe2(up, O_CLOEXEC) == -1)
		return (-1);
	mine->to = down[1];
	mine->from = up[0];
	theirs[0] = down[0];
	theirs[1] = up[1];
	return (0);
}

/* Fork a recipient; it closes the creator's object fd (keep). */
static int
rr_rcpt_start(struct rr_rcpt *r, int keep, bool nobody)
{
	uint64_t	v;
	int		ends[2];

	memset(r, 0, sizeof *r);
	if (rr_pipe(&r->p, ends) == -1 ||
	    rr_pipe(&r->child, r->child_ends) == -1 ||
	    pipe2(r->splice, O_CLOEXEC) == -1)
		return (-1);
	qt_settle();
	fflush(NULL);
	if ((r->pid = fork()) == -1)
		return (-1);
	if (r->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(keep);
		close(r->p.to);
		close(r->p.from);
		close(r->child.to);
		close(r->child.from);
		close(r->splice[0]);
		qt_exit(rr_rcpt_main(r, ends[0], ends[1]));
	}
	close(ends[0]);
	close(ends[1]);
	close(r->child_ends[0]);
	close(r->child_ends[1]);
	close(r->splice[1]);
	if (qt_send_u64(r->p.to, nobody) == -1 ||
	    qt_recv_u64(r->p.from, &v) == -1)
		return (-1);
	return (0);
}

/* Send R how to map and its handle; 0 once it has mapped, or errno. */
static int
rr_rcpt_map(struct rr_rcpt *r, enum rr_how how, shm_handle_t h)
{
	uint64_t	err;

	if (qt_send_u64(r->p.to, how) == -1 ||
	    qt_send_u64(r->p.to, h) == -1 ||
	    qt_recv_u64(r->p.from, &err) == -1)
		return (EPIPE);
	return ((int)err);
}

/* Ask a process for a byte; its answer, or RR_GONE once it is dead. */
static int
rr_do(const struct rr_pipe *p, enum rr_cmd cmd)
{
	uint64_t	v;

	if (qt_send_u64(p->to, cmd) == -1 || qt_recv_u64(p->from, &v) == -1)
		return (RR_GONE);
	return ((int)(int64_t)v);
}

/* R makes its child; the child's pid, or -1. */
static pid_t
rr_spawn_child(struct rr_rcpt *r, enum rr_how how)
{
	uint64_t	v, pid;

	if (qt_send_u64(r->p.to, RR_SPAWN) == -1 ||
	    qt_send_u64(r->p.to, how) == -1 ||
	    qt_recv_u64(r->p.from, &v) == -1 || v != 0 ||
	    qt_recv_u64(r->child.from, &pid) == -1)
		return (-1);
	return ((pid_t)pid);
}

/* Stop R (its child goes with its pipes); R's exit status. */
static int
rr_rcpt_stop(struct rr_rcpt *r)
{
	(void)qt_send_u64(r->p.to, RR_EXIT);
	close(r->p.to);
	close(r->p.from);
	close(r->child.to);
	close(r->child.from);
	close(r->splice[0]);
	return (qt_wait(r->pid));
}

/* An anonymous revocable object of RR_PAGES pages of RR_BYTE. */
static int
rr_object(void)
{
	unsigned char	buf[256];
	size_t		len = RR_PAGES * qt_page(), off;
	int		fd;

	if ((fd = shm_open(SHM_ANON, O_RDWR | O_CREAT, 0600)) == -1)
		return (-1);
	if (shm_ctl(fd, SHMCTL_ANON | SHMCTL_REVOCABLE, 0, len) == -1) {
		close(fd);
		return (-1);
	}
	memset(buf, RR_BYTE, sizeof buf);
	for (off = 0; off < len; off += sizeof buf)
		if (pwrite(fd, buf, sizeof buf, (off_t)off) != sizeof buf)
			return (-1);
	return (fd);
}

/* The state of pid's grant of fd's object as the broker lists it. */
static int
rr_state(int fd, pid_t pid)
{
	struct qshm_handle_info	*l = NULL;
	struct stat		 st;
	size_t			 n = 0, i;
	int			 state = -1;

	if (fstat(fd, &st) == -1 || qshm_list_handles(&l, &n) == -1)
		return (-1);
	for (i = 0; i < n; i++)
		if (l[i].dev == st.st_dev && l[i].ino == st.st_ino &&
		    l[i].recipient_pid == pid &&
		    l[i].state != QSHM_STATE_PENDING)
			state = (int)l[i].state;
	free(l);
	return (state);
}

/* Whether the audit log has an uncovered event for pid in state. */
static bool
rr_audited(pid_t pid, const char *state)
{
	char	 line[2048], who[48], st[48];
	FILE	*fp;
	bool	 found = false;

	snprintf(who, sizeof who, "\"recipient\":{\"pid\":%ld,", (long)pid);
	snprintf(st, sizeof st, "\"state\":\"%s\"", state);
	if ((fp = fopen(rr_audit, "re")) == NULL)
		return (false);
	while (!found && fgets(line, sizeof line, fp) != NULL)
		found = strstr(line, "\"event\":\"revoke-uncovered\"") &&
		    strstr(line, who) && strstr(line, st);
	fclose(fp);
	return (found);
}

/* A grantee that maps fd's object as how says (NOFD for DOFORK). */
static int
rr_grantee(struct rr_rcpt *r, int fd, bool nobody, enum rr_how how)
{
	shm_handle_t	h;

	if (rr_rcpt_start(r, fd, nobody) == -1 ||
	    shm_create_handle(fd, r->pid, O_RDONLY, &h,
	    how == RR_DOFORK ? SHM_CREATE_HANDLE_OPT_NOFD : 0) == -1)
		return (-1);
	return (rr_rcpt_map(r, how, h));
}

/*
 * The case: R and G map, each has a child with the mapping; revoke R.
 * R is blanked; G and G's child read on; R's child is killed or
 * reported by the policy.
 */
static int
rr_body(void *arg)
{
	const struct rr_case	*c = arg;
	struct rr_rcpt		 r, g;
	pid_t			 child;
	int			 fd;

	/* A dead child's pipe must fail a write, not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	QT_CHECK((fd = rr_object()) >= 0);
	QT_CHECK_EQ(rr_grantee(&r, fd, c->nobody, c->how), 0);
	QT_CHECK_EQ(rr_grantee(&g, fd, false, RR_CLONE), 0);
	QT_CHECK((child = rr_spawn_child(&r, c->how)) > 0);
	QT_CHECK(rr_spawn_child(&g, RR_CLONE) > 0);
	QT_CHECK_EQ(rr_do(&r.child, RR_TOUCH), RR_BYTE);
	QT_CHECK_EQ(rr_do(&g.child, RR_TOUCH), RR_BYTE);

	if (c->kill)
		QT_CHECK_OK(shm_revoke(fd, r.pid));
	else
		QT_CHECK_ERR(shm_revoke(fd, r.pid), ETIMEDOUT);
	QT_CHECK_EQ(pwrite(fd, (char[]){ RR_LATER }, 1, 0), 1);
	QT_CHECK_EQ(rr_do(&r.p, RR_TOUCH), RR_SEGV);
	if (c->kill) {
		QT_CHECK_EQ(rr_do(&r.child, RR_TOUCH), RR_GONE);
		QT_CHECK_EQ(rr_state(fd, r.pid), QSHM_STATE_ACKNOWLEDGED);
		QT_CHECK(rr_audited(child, "enforced"));
	} else {
		/* Reported, not stopped: it reads what comes after. */
		QT_CHECK_EQ(rr_do(&r.child, RR_TOUCH), RR_LATER);
		QT_CHECK_EQ(rr_state(fd, r.pid), QSHM_STATE_UNCOVERED);
		QT_CHECK(rr_audited(child, "uncovered"));
	}
	/* The other grantee's access was not revoked: it and its child. */
	QT_CHECK_EQ(rr_do(&g.p, RR_TOUCH), RR_LATER);
	QT_CHECK_EQ(rr_do(&g.child, RR_TOUCH), RR_LATER);
	QT_CHECK_EQ(rr_state(fd, g.pid), QSHM_STATE_IN_USE);
	QT_CHECK_EQ(rr_rcpt_stop(&r), 0);
	QT_CHECK_EQ(rr_rcpt_stop(&g), 0);
	close(fd);
	return (0);
}

/* Run body with a broker of these options and an audit log, then drop it. */
static void
rr_with_broker(const char *timeout, const char *policy,
    int (*body)(void *), void *arg)
{
	const char *const extra[] = { "--revoke-timeout", timeout,
	    "--revoke-enforce", policy, "--audit", rr_audit, NULL };

	snprintf(rr_dir, sizeof rr_dir, "/tmp/qshm-reach-XXXXXX");
	assert_non_null(mkdtemp(rr_dir));
	snprintf(rr_audit, sizeof rr_audit, "%s/audit.log", rr_dir);
	qt_with_broker(extra, body, arg);
	(void)unlink(rr_audit);
	(void)rmdir(rr_dir);
}

static void
rr_run(enum rr_how how, bool kill, bool nobody)
{
	struct rr_case	c = { how, kill, nobody };

	rr_with_broker("2000", kill ? "kill" : "report", rr_body, &c);
}

/* A raw clone() child of the revoked recipient is killed. */
static void
test_reach_clone_kill(void **state)
{
	(void)state;
	rr_run(RR_CLONE, true, false);
}

/* ... or reported. */
static void
test_reach_clone_report(void **state)
{
	(void)state;
	rr_run(RR_CLONE, false, false);
}

/* A raw clone() child after MADV_DOFORK, in the NOFD recipe: killed. */
static void
test_reach_dofork_kill(void **state)
{
	(void)state;
	rr_run(RR_DOFORK, true, false);
}

/* ... or reported. */
static void
test_reach_dofork_report(void **state)
{
	(void)state;
	rr_run(RR_DOFORK, false, false);
}

/*
 * A recipient of another uid (nobody, no capability left) leaves an
 * orphan with the mapping: no parent chain leads to it, but its uid
 * keeps no grant of the object, so it is killed too.
 */
static void
test_reach_orphan_kill(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	rr_run(RR_ORPHAN, true, true);
}

/* The same orphan under report. */
static void
test_reach_orphan_report(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	rr_run(RR_ORPHAN, false, true);
}

/*
 * A recipient that cannot answer (stopped) is killed at the deadline;
 * its raw clone() child first, while the parent chain still leads to it
 * (once the recipient is dead the child is an orphan of the creator's
 * uid, which accounts for its own).
 */
static int
rr_body_stopped(void *arg)
{
	struct rr_rcpt	r;
	siginfo_t	si;
	pid_t		child;
	int		fd;

	(void)arg;
	signal(SIGPIPE, SIG_IGN);
	QT_CHECK((fd = rr_object()) >= 0);
	QT_CHECK_EQ(rr_grantee(&r, fd, false, RR_CLONE), 0);
	QT_CHECK((child = rr_spawn_child(&r, RR_CLONE)) > 0);
	QT_CHECK_OK(kill(r.pid, SIGSTOP));
	memset(&si, 0, sizeof si);
	QT_CHECK_OK(waitid(P_PID, (id_t)r.pid, &si, WSTOPPED | WNOWAIT));
	QT_CHECK_OK(shm_revoke(fd, r.pid));
	QT_CHECK_EQ(pwrite(fd, (char[]){ RR_LATER }, 1, 0), 1);
	QT_CHECK_EQ(rr_do(&r.child, RR_TOUCH), RR_GONE);
	QT_CHECK(rr_audited(child, "enforced"));
	QT_CHECK_EQ(rr_rcpt_stop(&r), 128 + SIGKILL);
	close(fd);
	return (0);
}

static void
test_reach_stopped_kill(void **state)
{
	(void)state;
	rr_with_broker("200", "kill", rr_body_stopped, NULL);
}

/* A file in rr_dir whose path is nearly PATH_MAX long; 0 or -1. */
static int
rr_junk_file(void)
{
	char	comp[251];
	size_t	len;
	int	fd;

	memset(comp, 'j', sizeof comp - 1);
	comp[sizeof comp - 1] = '\0';
	len = (size_t)snprintf(rr_junk, sizeof rr_junk, "%s", rr_dir);
	while (len + sizeof comp + 16 < sizeof rr_junk) {
		len += (size_t)snprintf(rr_junk + len, sizeof rr_junk - len,
		    "/%s", comp);
		if (mkdir(rr_junk, 0700) == -1)
			return (-1);
	}
	snprintf(rr_junk + len, sizeof rr_junk - len, "/junk");
	if ((fd = open(rr_junk, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return (-1);
	len = ftruncate(fd, (off_t)qt_page()) == -1 ? 1 : 0;
	close(fd);
	return (len == 0 ? 0 : -1);
}

/* Remove what rr_junk_file() made. */
static void
rr_junk_rm(void)
{
	char	*slash;

	(void)unlink(rr_junk);
	while ((slash = strrchr(rr_junk, '/')) != NULL &&
	    strlen(rr_junk) > strlen(rr_dir)) {
		*slash = '\0';
		if (strlen(rr_junk) > strlen(rr_dir))
			(void)rmdir(rr_junk);
	}
}

/*
 * A child whose maps are too big to read to the end (the object's line
 * comes after 6000 lines of 4000 bytes) is reported as unchecked, not
 * killed, even under kill; the revoke says so with ETIMEDOUT.
 */
static int
rr_body_huge(void *arg)
{
	struct rr_rcpt	r;
	pid_t		child;
	int		fd;

	(void)arg;
	signal(SIGPIPE, SIG_IGN);
	QT_CHECK_OK(rr_junk_file());
	QT_CHECK((fd = rr_object()) >= 0);
	QT_CHECK_EQ(rr_grantee(&r, fd, false, RR_CLONE), 0);
	QT_CHECK((child = rr_spawn_child(&r, RR_CLONE)) > 0);
	QT_CHECK_EQ(rr_do(&r.child, RR_JUNK), RR_JUNK_MAPS);
	QT_CHECK_ERR(shm_revoke(fd, r.pid), ETIMEDOUT);
	QT_CHECK_EQ(rr_do(&r.p, RR_TOUCH), RR_SEGV);
	QT_CHECK_EQ(rr_do(&r.child, RR_TOUCH), RR_BYTE);
	QT_CHECK_EQ(rr_state(fd, r.pid), QSHM_STATE_UNCOVERED);
	QT_CHECK(rr_audited(child, "uncovered"));
	QT_CHECK_EQ(rr_rcpt_stop(&r), 0);
	close(fd);
	rr_junk_rm();
	return (0);
}

static void
test_reach_huge_maps(void **state)
{
	(void)state;
	rr_with_broker("2000", "kill", rr_body_huge, NULL);
}

/*
 * What cannot be taken back: a page R vmspliced into a pipe before the
 * revoke is the object's page itself, and whoever reads the pipe later
 * reads what the creator wrote after the revoke.  No revoke reaches it.
 */
static int
rr_body_vmsplice(void *arg)
{
	struct rr_rcpt	r;
	unsigned char	c;
	int		fd;

	(void)arg;
	QT_CHECK((fd = rr_object()) >= 0);
	QT_CHECK_EQ(rr_grantee(&r, fd, false, RR_DOFORK), 0);
	QT_CHECK_EQ(rr_do(&r.p, RR_SPLICE), (int)qt_page());
	QT_CHECK_OK(shm_revoke(fd, r.pid));
	QT_CHECK_EQ(rr_do(&r.p, RR_TOUCH), RR_SEGV);
	QT_CHECK_EQ(pwrite(fd, (char[]){ RR_LATER }, 1, 0), 1);
	QT_CHECK_EQ(read(r.splice[0], &c, 1), 1);
	QT_CHECK_EQ(c, RR_LATER);
	QT_CHECK_EQ(rr_rcpt_stop(&r), 0);
	close(fd);
	return (0);
}

static void
test_reach_vmsplice(void **state)
{
	const char *const extra[] = { "--revoke-enforce", "kill", NULL };

	(void)state;
	qt_with_broker(extra, rr_body_vmsplice, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reach_clone_kill),
		cmocka_unit_test(test_reach_clone_report),
		cmocka_unit_test(test_reach_dofork_kill),
		cmocka_unit_test(test_reach_dofork_report),
		cmocka_unit_test(test_reach_orphan_kill),
		cmocka_unit_test(test_reach_orphan_report),
		cmocka_unit_test(test_reach_stopped_kill),
		cmocka_unit_test(test_reach_huge_maps),
		cmocka_unit_test(test_reach_vmsplice),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
