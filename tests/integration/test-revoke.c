/*
 * test-revoke.c: shm_ctl() and shm_revoke() against a real broker.
 *
 * A creator (the test body, in a fresh child) makes a revocable object
 * and grants it to a recipient process, which maps it with mmap_handle()
 * or with mmap() of an fd from shm_open_handle().  After the revoke the
 * recipient's next access raises SIGSEGV (caught with sigsetjmp), its
 * forked children never had the mapping, its unused handles are gone.
 * A recipient that cannot answer (stopped with SIGSTOP) is killed under
 * --revoke-enforce kill and reported under report.  Sealed objects refuse
 * every change of layout or flags with EPERM, yet stay writable.  SIGHUP
 * waits for a revoke, then carries grants and watchers over; a watcher
 * outlives its broker; one without a descriptor to read its maps answers
 * with that errno.
 */

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
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
#include "proto.h"

#define TR_PAGES	4
#define TR_BYTE		'Q'
#define TR_SEGV		(-1)		/* what a revoked access reads */

enum tr_how {
	TR_MAP_HANDLE = 1,		/* mmap_handle() */
	TR_MAP_FD			/* shm_open_handle(), then mmap() */
};

enum tr_cmd {
	TR_TOUCH = 1,			/* read the first byte */
	TR_FORK_TOUCH,			/* a forked child reads it */
	TR_NOFILE,			/* use up every descriptor */
	TR_EXIT
};

/* A recipient process and its two pipes. */
struct tr_rcpt {
	pid_t	pid;
	int	to;
	int	from;
};

static sigjmp_buf	tr_env;

static void
tr_segv(int sig)
{
	(void)sig;
	siglongjmp(tr_env, 1);
}

/* The byte at p, or TR_SEGV if reading it raised SIGSEGV. */
static int
tr_touch(volatile const unsigned char *p)
{
	struct sigaction	sa, old;
	int			r;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tr_segv;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(tr_env, 1) == 0)
		r = p[0];
	else
		r = TR_SEGV;
	sigaction(SIGSEGV, &old, NULL);
	return (r);
}

/* What a forked child of this process reads at p (TR_SEGV: nothing). */
static int
tr_fork_touch(volatile const unsigned char *p)
{
	pid_t	pid;
	int	st;

	if ((pid = fork()) == -1)
		return (-2);
	if (pid == 0)
		_exit(tr_touch(p) == TR_SEGV ? 0 : 1);
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st))
		return (-2);
	return (WEXITSTATUS(st) == 0 ? TR_SEGV : TR_BYTE);
}

static int	tr_nofile_fds[64];
static int	tr_nofile_n;

/* Leave this process no descriptor to open; how many it took. */
static int
tr_nofile(void)
{
	struct rlimit	rl = { 64, 64 };
	int		fd;

	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		return (-1);
	while (tr_nofile_n < 64 && (fd = dup(0)) != -1)
		tr_nofile_fds[tr_nofile_n++] = fd;
	return (errno == EMFILE ? tr_nofile_n : -1);
}

/* Give them back (qt_exit() needs some to write coverage counts). */
static void
tr_nofile_undo(void)
{
	while (tr_nofile_n > 0)
		close(tr_nofile_fds[--tr_nofile_n]);
}

/* The recipient's mapping, made as asked; NULL and errno on failure. */
static unsigned char *
tr_map(uint64_t how, shm_handle_t h, size_t len)
{
	void	*p;
	int	 fd;

	if (how == TR_MAP_HANDLE) {
		p = mmap_handle(NULL, len, PROT_READ, MAP_SHARED, h, 0);
		return (p == MAP_FAILED ? NULL : p);
	}
	if ((fd = shm_open_handle(h, O_RDONLY)) == -1)
		return (NULL);
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	return (p == MAP_FAILED ? NULL : p);
}

/* The recipient: map what it is sent, then read on command. */
static int
tr_rcpt_main(int in, int out)
{
	unsigned char	*p;
	uint64_t	 how, h, cmd;
	int64_t		 r;

	if (qt_recv_u64(in, &how) == -1 || qt_recv_u64(in, &h) == -1)
		return (1);
	p = tr_map(how, h, TR_PAGES * qt_page());
	if (qt_send_u64(out, p == NULL ? (uint64_t)errno : 0) == -1 ||
	    p == NULL)
		return (1);
	while (qt_recv_u64(in, &cmd) == 0) {
		tr_nofile_undo();	/* TR_NOFILE lasts until the next */
		if (cmd == TR_TOUCH)
			r = tr_touch(p);
		else if (cmd == TR_FORK_TOUCH)
			r = tr_fork_touch(p);
		else if (cmd == TR_NOFILE)
			r = tr_nofile();
		else
			return (0);
		if (qt_send_u64(out, (uint64_t)r) == -1)
			return (1);
	}
	tr_nofile_undo();
	return (0);
}

/* Fork a recipient; it closes the creator's object fd (keep). */
static int
tr_rcpt_start(struct tr_rcpt *r, int keep)
{
	int	down[2], up[2];

	if (pipe2(down, O_CLOEXEC) == -1 || pipe2(up, O_CLOEXEC) == -1)
		return (-1);
	qt_settle();
	fflush(NULL);
	if ((r->pid = fork()) == -1)
		return (-1);
	if (r->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(keep);
		close(down[1]);
		close(up[0]);
		qt_exit(tr_rcpt_main(down[0], up[1]));
	}
	close(down[0]);
	close(up[1]);
	r->to = down[1];
	r->from = up[0];
	return (0);
}

/* Send the recipient its handle; 0 once it has mapped it, else errno. */
static int
tr_rcpt_map(struct tr_rcpt *r, enum tr_how how, shm_handle_t h)
{
	uint64_t	err;

	if (qt_send_u64(r->to, how) == -1 || qt_send_u64(r->to, h) == -1 ||
	    qt_recv_u64(r->from, &err) == -1)
		return (EPIPE);
	return ((int)err);
}

/* Run a command in the recipient; its answer, or -2 if it is gone. */
static int
tr_rcpt_do(struct tr_rcpt *r, enum tr_cmd cmd)
{
	uint64_t	v;

	if (qt_send_u64(r->to, cmd) == -1 || qt_recv_u64(r->from, &v) == -1)
		return (-2);
	return ((int)(int64_t)v);
}

/* Stop the recipient; its exit status (128 + signal if killed). */
static int
tr_rcpt_stop(struct tr_rcpt *r)
{
	(void)qt_send_u64(r->to, TR_EXIT);
	close(r->to);
	close(r->from);
	return (qt_wait(r->pid));
}

/* SIGSTOP pid and wait until every thread of it has stopped. */
static int
tr_stop(pid_t pid)
{
	siginfo_t	si;

	if (kill(pid, SIGSTOP) == -1)
		return (-1);
	memset(&si, 0, sizeof si);
	return (waitid(P_PID, (id_t)pid, &si, WSTOPPED | WNOWAIT));
}

/* An anonymous object of TR_PAGES pages of TR_BYTE with extra flags. */
static int
tr_object(int flags)
{
	unsigned char	buf[256];
	size_t		len = TR_PAGES * qt_page(), off;
	int		fd;

	if ((fd = shm_open(SHM_ANON, O_RDWR | O_CREAT, 0600)) == -1)
		return (-1);
	if (shm_ctl(fd, SHMCTL_ANON | flags, 0, len) == -1) {
		close(fd);
		return (-1);
	}
	memset(buf, TR_BYTE, sizeof buf);
	for (off = 0; off < len; off += sizeof buf)
		if (pwrite(fd, buf, sizeof buf, (off_t)off) != sizeof buf)
			return (-1);
	return (fd);
}

/* The state of pid's grant of fd's object as the broker lists it. */
static int
tr_state(int fd, pid_t pid)
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

/* Poll (bounded) until pid's grant reaches state; the last state. */
static int
tr_wait_state(int fd, pid_t pid, int want)
{
	int64_t	deadline = qt_now_ms() + QT_TIMEOUT_MS;
	int	s;

	while ((s = tr_state(fd, pid)) != want && qt_now_ms() < deadline)
		qt_nap(5);
	return (s);
}

/*
 * The main case, for either way of mapping: the recipient reads, its
 * child has nothing, a second handle waits; after shm_revoke() the next
 * access raises SIGSEGV, the handle is gone, the grant acknowledged.
 */
static int
tr_body_revoke(void *arg)
{
	enum tr_how	 how = *(enum tr_how *)arg;
	struct tr_rcpt	 r;
	shm_handle_t	 h, h2;
	int		 fd;

	QT_CHECK((fd = tr_object(SHMCTL_REVOCABLE)) >= 0);
	QT_CHECK_OK(tr_rcpt_start(&r, fd));
	QT_CHECK_OK(shm_create_handle(fd, r.pid, O_RDONLY, &h,
	    how == TR_MAP_HANDLE ? SHM_CREATE_HANDLE_OPT_NOFD : 0));
	QT_CHECK_EQ(tr_rcpt_map(&r, how, h), 0);
	QT_CHECK_EQ(tr_rcpt_do(&r, TR_TOUCH), TR_BYTE);
	QT_CHECK_EQ(tr_state(fd, r.pid), QSHM_STATE_IN_USE);
	/* Not inherited: the child has no mapping to read. */
	QT_CHECK_EQ(tr_rcpt_do(&r, TR_FORK_TOUCH), TR_SEGV);
	QT_CHECK_EQ(tr_rcpt_do(&r, TR_TOUCH), TR_BYTE);
	QT_CHECK_OK(shm_create_handle(fd, r.pid, O_RDONLY, &h2, 0));
	QT_CHECK_OK(qt_find_handle(h2, NULL));

	QT_CHECK_OK(shm_revoke(fd, r.pid));
	QT_CHECK_EQ(tr_rcpt_do(&r, TR_TOUCH), TR_SEGV);
	QT_CHECK_EQ(qt_find_handle(h2, NULL), -1);
	QT_CHECK_EQ(tr_state(fd, r.pid), QSHM_STATE_ACKNOWLEDGED);
	/* The creator's own fd is untouched, as on QNX. */
	QT_CHECK_EQ(shm_ctl(fd, SHMCTL_GET_FLAGS, 0, 0),
	    SHMCTL_ANON | SHMCTL_REVOCABLE);
	QT_CHECK_EQ(tr_rcpt_stop(&r), 0);
	close(fd);
	return (0);
}

/* A mapping made by mmap_handle() is revoked; SIGSEGV follows. */
static void
test_revoke_mmap_handle(void **state)
{
	enum tr_how	how = TR_MAP_HANDLE;

	(void)state;
	qt_with_broker(NULL, tr_body_revoke, &how);
}

/* A mapping made by mmap() of an fd from a handle is revoked too. */
static void
test_revoke_mmap_fd(void **state)
{
	enum tr_how	how = TR_MAP_FD;

	(void)state;
	qt_with_broker(NULL, tr_body_revoke, &how);
}

/* pid -1 reaches every recipient and the creator's own mapping. */
static int
tr_body_everyone(void *arg)
{
	struct tr_rcpt	 r;
	unsigned char	*p;
	shm_handle_t	 h;
	int		 fd;

	(void)arg;
	QT_CHECK((fd = tr_object(SHMCTL_REVOCABLE)) >= 0);
	p = mmap(NULL, qt_page(), PROT_READ, MAP_SHARED, fd, 0);
	QT_CHECK(p != MAP_FAILED);
	QT_CHECK_OK(tr_rcpt_start(&r, fd));
	QT_CHECK_OK(shm_create_handle(fd, r.pid, O_RDONLY, &h, 0));
	QT_CHECK_EQ(tr_rcpt_map(&r, TR_MAP_HANDLE, h), 0);
	QT_CHECK_EQ(tr_touch(p), TR_BYTE);
	QT_CHECK_OK(shm_revoke(fd, -1));
	QT_CHECK_EQ(tr_rcpt_do(&r, TR_TOUCH), TR_SEGV);
	QT_CHECK_EQ(tr_touch(p), TR_SEGV);
	QT_CHECK_EQ(tr_state(fd, getpid()), QSHM_STATE_ACKNOWLEDGED);
	QT_CHECK_EQ(tr_rcpt_stop(&r), 0);
	close(fd);
	return (0);
}

static void
test_revoke_everyone(void **state)
{
	(void)state;
	qt_with_broker(NULL, tr_body_everyone, NULL);
}

/* In a recipient: shm_revoke() of an fd it got from a handle. */
static int
tr_body_not_creator(void *arg)
{
	shm_handle_t	*hp = arg;
	int		 fd;

	QT_CHECK((fd = shm_open_handle(*hp, O_RDWR)) >= 0);
	QT_CHECK_ERR(shm_revoke(fd, -1), EPERM);
	QT_CHECK_ERR(shm_revoke(fd, getppid()), EPERM);
	return (0);
}

/* The errnos of shm_revoke(). */
static int
tr_body_errors(void *arg)
{
	shm_handle_t	h;
	pid_t		pid;
	int		fd, plain, pfd[2];

	(void)arg;
	QT_CHECK((fd = tr_object(SHMCTL_REVOCABLE)) >= 0);
	QT_CHECK((plain = tr_object(0)) >= 0);
	QT_CHECK_ERR(shm_revoke(-1, -1), EBADF);
	QT_CHECK_ERR(shm_revoke(1000, -1), EBADF);
	QT_CHECK_OK(pipe2(pfd, O_CLOEXEC));
	QT_CHECK_ERR(shm_revoke(pfd[0], -1), EINVAL);
	QT_CHECK_ERR(shm_revoke(plain, -1), EINVAL);
	QT_CHECK_ERR(shm_revoke(fd, -2), EINVAL);
	QT_CHECK_ERR(shm_revoke(fd, 0), ESRCH);
	QT_CHECK_ERR(shm_revoke(fd, 0x3ffffff0), ESRCH);
	/* A process the broker never met holds nothing: success. */
	QT_CHECK_OK(shm_revoke(fd, getppid()));
	/* Someone else's revoke: EPERM, even for a recipient with rw. */
	qt_settle();
	pid = fork();
	QT_CHECK(pid != -1);
	if (pid == 0) {
		uint64_t	v;

		close(pfd[1]);
		if (qt_recv_u64(pfd[0], &v) == -1)
			_exit(1);
		h = v;
		qt_exit(tr_body_not_creator(&h));
	}
	close(pfd[0]);
	QT_CHECK_OK(shm_create_handle(fd, pid, O_RDWR, &h, 0));
	QT_CHECK_OK(qt_send_u64(pfd[1], h));
	QT_CHECK_EQ(qt_wait(pid), 0);
	close(pfd[1]);
	close(plain);
	close(fd);
	return (0);
}

static void
test_revoke_errors(void **state)
{
	(void)state;
	qt_with_broker(NULL, tr_body_errors, NULL);
}

/* A stopped recipient cannot answer: killed through its pidfd. */
static int
tr_body_kill(void *arg)
{
	struct tr_rcpt	r;
	shm_handle_t	h;
	int		fd;

	(void)arg;
	QT_CHECK((fd = tr_object(SHMCTL_REVOCABLE | SHMCTL_SEAL)) >= 0);
	QT_CHECK_OK(tr_rcpt_start(&r, fd));
	QT_CHECK_OK(shm_create_handle(fd, r.pid, O_RDONLY, &h,
	    SHM_CREATE_HANDLE_OPT_NOFD));
	QT_CHECK_EQ(tr_rcpt_map(&r, TR_MAP_HANDLE, h), 0);
	QT_CHECK_OK(tr_stop(r.pid));
	QT_CHECK_OK(shm_revoke(fd, r.pid));
	close(r.to);
	close(r.from);
	QT_CHECK_EQ(qt_wait(r.pid), 128 + SIGKILL);
	close(fd);
	return (0);
}

static void
test_revoke_kill(void **state)
{
	const char *const extra[] = { "--revoke-timeout", "200",
	    "--revoke-enforce", "kill", NULL };

	(void)state;
	qt_with_broker(extra, tr_body_kill, NULL);
}

/*
 * Under report the stopped recipient is reported (ETIMEDOUT, state
 * "timed out"); once it runs again its watcher revokes all the same.
 */
static int
tr_body_report(void *arg)
{
	struct tr_rcpt	r;
	shm_handle_t	h;
	int		fd;

	(void)arg;
	QT_CHECK((fd = tr_object(SHMCTL_REVOCABLE)) >= 0);
	QT_CHECK_OK(tr_rcpt_start(&r, fd));
	QT_CHECK_OK(shm_create_handle(fd, r.pid, O_RDONLY, &h, 0));
	QT_CHECK_EQ(tr_rcpt_map(&r, TR_MAP_FD, h), 0);
	QT_CHECK_OK(tr_stop(r.pid));
	QT_CHECK_ERR(shm_revoke(fd, r.pid), ETIMEDOUT);
	QT_CHECK_EQ(tr_state(fd, r.pid), QSHM_STATE_TIMED_OUT);
	QT_CHECK(!qt_exited(r.pid));
	QT_CHECK_OK(kill(r.pid, SIGCONT));
	QT_CHECK_EQ(tr_wait_state(fd, r.pid, QSHM_STATE_ACKNOWLEDGED),
	    QSHM_STATE_ACKNOWLEDGED);
	QT_CHECK_EQ(tr_rcpt_do(&r, TR_TOUCH), TR_SEGV);
	QT_CHECK_EQ(tr_rcpt_stop(&r), 0);
	close(fd);
	return (0);
}

static void
test_revoke_report(void **state)
{
	const char *const extra[] = { "--revoke-timeout", "200",
	    "--revoke-enforce", "report", NULL };

	(void)state;
	qt_with_broker(extra, tr_body_report, NULL);
}

/* In a second process: the flags the creator set, seen from here. */
static int
tr_body_flags_child(void *arg)
{
	int	fd = *(int *)arg;

	QT_CHECK_EQ(shm_ctl(fd, SHMCTL_GET_FLAGS, 0, 0),
	    SHMCTL_ANON | SHMCTL_SEAL | SHMCTL_REVOCABLE);
	QT_CHECK_ERR(shm_ctl(fd, SHMCTL_LAZY, 0, 0), EPERM);
	return (0);
}

/* Sealed: no change of layout or flags for anyone; contents writable. */
static int
tr_body_seal(void *arg)
{
	unsigned char	*p;
	char		 c;
	int		 fd, ro;

	(void)arg;
	QT_CHECK((fd = tr_object(0)) >= 0);
	QT_CHECK_EQ(shm_ctl(fd, SHMCTL_GET_FLAGS, 0, 0), SHMCTL_ANON);
	QT_CHECK_OK(shm_ctl(fd, SHMCTL_REVOCABLE | SHMCTL_SEAL, 0, 0));
	QT_CHECK_EQ(shm_ctl(fd, SHMCTL_GET_FLAGS, 0, 0),
	    SHMCTL_ANON | SHMCTL_SEAL | SHMCTL_REVOCABLE);
	QT_CHECK_ERR(ftruncate(fd, 8 * (off_t)qt_page()), EPERM);
	QT_CHECK_ERR(ftruncate(fd, 1), EPERM);
	QT_CHECK_ERR(shm_ctl(fd, SHMCTL_ANON, 0, 8 * qt_page()), EPERM);
	QT_CHECK_ERR(shm_ctl(fd, SHMCTL_REVOCABLE, 0, 0), EPERM);
	QT_CHECK_ERR(shm_ctl(fd, SHMCTL_SEAL, 0, 0), EPERM);
	QT_CHECK_ERR(shm_ctl(fd, SHMCTL_LAZY, 0, 0), EPERM);
	/* Hints alone change nothing, so they pass. */
	QT_CHECK_OK(shm_ctl(fd, 0x10 | 0x20 | 0x40 | 0x80 | 0x200 | 0x1000,
	    0, 0));
	/* Sealing is not write protection. */
	QT_CHECK_EQ(pwrite(fd, "w", 1, 0), 1);
	p = mmap(NULL, qt_page(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	QT_CHECK(p != MAP_FAILED);
	p[1] = 'x';
	QT_CHECK_EQ(pread(fd, &c, 1, 1), 1);
	QT_CHECK_EQ(c, 'x');
	QT_CHECK_EQ(p[0], 'w');
	/* Every process sees the same flags, read-only fds too. */
	QT_CHECK((ro = qt_reopen(fd, O_RDONLY)) >= 0);
	QT_CHECK_EQ(qt_run(tr_body_flags_child, &ro), 0);
	close(ro);
	close(fd);
	return (0);
}

static void
test_revoke_seal(void **state)
{
	(void)state;
	qt_with_broker(NULL, tr_body_seal, NULL);
}

/* The errnos of shm_ctl(): what Linux cannot do, and bad arguments. */
static int
tr_body_ctl_errors(void *arg)
{
	char	path[] = "/tmp/qshm-test-ctl-XXXXXX";
	int	fd, ro, file, pfd[2];

	(void)arg;
	QT_CHECK((fd = tr_object(0)) >= 0);
	QT_CHECK_ERR(shm_ctl(-1, SHMCTL_GET_FLAGS, 0, 0), EBADF);
	QT_CHECK_OK(pipe2(pfd, O_CLOEXEC));
	QT_CHECK_ERR(shm_ctl(pfd[0], SHMCTL_GET_FLAGS, 0, 0), EINVAL);
	QT_CHECK_ERR(shm_ctl(fd, SHMCTL_PHYS, 0x1000, qt_page()), ENOTSUP);
	QT_CHECK_ERR(shm_ctl(fd, SHMCTL_ANON | SHMCTL_PHYS, 0, qt_page()),
	    ENOTSUP);
	QT_CHECK_ERR(shm_ctl(fd, SHMCTL_ANON | SHMCTL_TYMEM, 3, qt_page()),
	    ENOTSUP);
	QT_CHECK_ERR(shm_ctl(fd, SHMCTL_REPEAT, 0, 0), ENOTSUP);
	QT_CHECK_ERR(shm_ctl(fd, 0x0100, 0, 0), EINVAL);
	QT_CHECK_ERR(shm_ctl(fd, 0x10000, 0, 0), EINVAL);
	QT_CHECK_ERR(shm_ctl(fd, -1, 0, 0), EINVAL);
	QT_CHECK_ERR(shm_ctl(fd, SHMCTL_GET_FLAGS | SHMCTL_SEAL, 0, 0),
	    EINVAL);
	QT_CHECK_ERR(shm_ctl_special(fd, SHMCTL_ANON, 0, qt_page(), 1),
	    EINVAL);
	QT_CHECK_ERR(shm_ctl(fd, SHMCTL_ANON, 0, UINT64_MAX), EINVAL);
	QT_CHECK_OK(shm_ctl_special(fd, SHMCTL_ANON | SHMCTL_LAZY, 0,
	    2 * qt_page(), 0));
	QT_CHECK_EQ(lseek(fd, 0, SEEK_END), 2 * (off_t)qt_page());
	QT_CHECK_EQ(shm_ctl(fd, SHMCTL_GET_FLAGS, 0, 0),
	    SHMCTL_ANON | SHMCTL_LAZY);
	/* A change needs write access. */
	QT_CHECK((ro = qt_reopen(fd, O_RDONLY)) >= 0);
	QT_CHECK_ERR(shm_ctl(ro, SHMCTL_REVOCABLE, 0, 0), EACCES);
	QT_CHECK_EQ(shm_ctl(ro, SHMCTL_GET_FLAGS, 0, 0),
	    SHMCTL_ANON | SHMCTL_LAZY);
	/* A plain file cannot be sealed. */
	QT_CHECK((file = mkstemp(path)) >= 0);
	unlink(path);
	QT_CHECK_ERR(shm_ctl(file, SHMCTL_SEAL, 0, 0), ENOTSUP);
	QT_CHECK_EQ(shm_ctl(file, SHMCTL_GET_FLAGS, 0, 0), 0);
	close(file);
	close(ro);
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
	return (0);
}

static void
test_revoke_ctl_errors(void **state)
{
	(void)state;
	qt_with_broker(NULL, tr_body_ctl_errors, NULL);
}

/*
 * A hostile watcher: registers, then answers a notice it was never sent.
 * The broker drops that connection only, and a second watcher of the
 * same process while one is registered is refused.
 */
static int
tr_body_hostile(void *arg)
{
	const struct qt_broker		*b = arg;
	struct proto_status_reply	 r;
	struct proto_msg		 m;
	struct qshm_stats		 st;
	int				 s, s2;
	char				 c;

	QT_CHECK((s = qt_connect(b->sock)) >= 0);
	QT_CHECK_OK(proto_send(s, PROTO_WATCH, 1, NULL, 0, -1));
	QT_CHECK_OK(proto_recv(s, &m));
	QT_CHECK_EQ(m.hdr.type, PROTO_WATCH | PROTO_REPLY);
	QT_CHECK_EQ(m.u.status.err, 0);
	QT_CHECK((s2 = qt_connect(b->sock)) >= 0);
	QT_CHECK_OK(proto_send(s2, PROTO_WATCH, 1, NULL, 0, -1));
	QT_CHECK_OK(proto_recv(s2, &m));
	QT_CHECK_EQ(m.u.status.err, EBUSY);
	memset(&r, 0, sizeof r);
	QT_CHECK_OK(proto_send(s, PROTO_NOTICE | PROTO_REPLY, 12345, &r,
	    sizeof r, -1));
	QT_CHECK_EQ(read(s, &c, 1), 0);		/* hung up on */
	/* A notice sent as a request is no request either. */
	QT_CHECK_OK(proto_send(s2, PROTO_NOTICE, 2, &r, sizeof r, -1));
	QT_CHECK_EQ(read(s2, &c, 1), 0);
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK(st.bad_messages >= 1);
	close(s);
	close(s2);
	return (0);
}

static void
test_revoke_hostile_watcher(void **state)
{
	struct qt_broker	b;
	int			status, stop;

	(void)state;
	assert_int_equal(qt_broker_start(&b, NULL), 0);
	status = qt_run(tr_body_hostile, &b);
	stop = qt_broker_stop(&b);
	assert_int_equal(status, 0);
	assert_int_equal(stop, 0);
}

/* `qshmctl revoke` (an administrator of the grants) ends a live mapping. */
static int
tr_body_admin(void *arg)
{
	struct tr_rcpt	r;
	shm_handle_t	h;
	uint32_t	id;
	char		obj[16], pid[16];
	pid_t		cli;
	int		fd;

	(void)arg;
	QT_CHECK((fd = tr_object(SHMCTL_REVOCABLE)) >= 0);
	QT_CHECK_OK(qshm_park(fd, &id));
	QT_CHECK_OK(tr_rcpt_start(&r, fd));
	QT_CHECK_OK(shm_create_handle(fd, r.pid, O_RDONLY, &h, 0));
	QT_CHECK_EQ(tr_rcpt_map(&r, TR_MAP_HANDLE, h), 0);
	snprintf(obj, sizeof obj, "@%u", id);
	snprintf(pid, sizeof pid, "%ld", (long)r.pid);
	fflush(NULL);
	QT_CHECK((cli = fork()) != -1);
	if (cli == 0) {
		execl(qt_qshmctl(), qt_qshmctl(), "-q", "revoke", obj,
		    "--pid", pid, (char *)NULL);
		_exit(127);
	}
	QT_CHECK_EQ(qt_wait(cli), 0);
	QT_CHECK_EQ(tr_rcpt_do(&r, TR_TOUCH), TR_SEGV);
	QT_CHECK_EQ(tr_state(fd, r.pid), QSHM_STATE_ACKNOWLEDGED);
	QT_CHECK_EQ(tr_rcpt_stop(&r), 0);
	QT_CHECK_OK(qshm_unpark(id));
	close(fd);
	return (0);
}

static void
test_revoke_admin(void **state)
{
	(void)state;
	qt_with_broker(NULL, tr_body_admin, NULL);
}

/* In a child of the creator: an administrator's revoke of pid. */
static int
tr_body_admin_revoke(void *arg)
{
	const int	*a = arg;	/* fd, pid */

	QT_CHECK_ERR(qshm_admin_revoke(a[0], a[1]), ETIMEDOUT);
	return (0);
}

/* Poll (bounded) until the broker counts restarts; the last count. */
static uint64_t
tr_wait_restarts(uint64_t want)
{
	struct qshm_stats	st;
	int64_t			deadline = qt_now_ms() + QT_TIMEOUT_MS;

	memset(&st, 0, sizeof st);
	while ((qshm_stats(&st) == -1 || st.restarts != want) &&
	    qt_now_ms() < deadline)
		qt_nap(5);
	return (st.restarts);
}

/*
 * SIGHUP while a revoke waits: the restart waits for it, then carries
 * the grants, their states and the watchers over.  One recipient
 * (stopped) times out, the other is revoked after the restart.
 */
static int
tr_body_hup(void *arg)
{
	const struct qt_broker	*b = arg;
	struct qshm_stats	 st;
	struct tr_rcpt		 r1, r2;
	shm_handle_t		 h;
	uint32_t		 id;
	pid_t			 admin;
	int			 fd, a[2];

	QT_CHECK((fd = tr_object(SHMCTL_REVOCABLE)) >= 0);
	QT_CHECK_OK(qshm_park(fd, &id));
	QT_CHECK_OK(tr_rcpt_start(&r1, fd));
	QT_CHECK_OK(tr_rcpt_start(&r2, fd));
	QT_CHECK_OK(shm_create_handle(fd, r1.pid, O_RDONLY, &h, 0));
	QT_CHECK_EQ(tr_rcpt_map(&r1, TR_MAP_HANDLE, h), 0);
	QT_CHECK_OK(shm_create_handle(fd, r2.pid, O_RDONLY, &h, 0));
	QT_CHECK_EQ(tr_rcpt_map(&r2, TR_MAP_FD, h), 0);
	QT_CHECK_OK(tr_stop(r2.pid));
	a[0] = fd;
	a[1] = r2.pid;
	QT_CHECK((admin = qt_fork(tr_body_admin_revoke, a)) > 0);
	QT_CHECK_EQ(tr_wait_state(fd, r2.pid, QSHM_STATE_REVOKING),
	    QSHM_STATE_REVOKING);
	QT_CHECK_OK(kill(b->pid, SIGHUP));
	qt_nap(100);
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.restarts, 0);
	QT_CHECK_EQ(tr_state(fd, r2.pid), QSHM_STATE_REVOKING);
	/* The revoke is answered (timed out), then the broker restarts. */
	QT_CHECK_EQ(qt_wait(admin), 0);
	QT_CHECK_EQ(tr_wait_restarts(1), 1);
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.pid, b->pid);
	QT_CHECK_EQ(tr_state(fd, r2.pid), QSHM_STATE_TIMED_OUT);
	QT_CHECK_EQ(tr_state(fd, r1.pid), QSHM_STATE_IN_USE);
	/* Both watchers came across: the late answer counts, and so ... */
	QT_CHECK_OK(kill(r2.pid, SIGCONT));
	QT_CHECK_EQ(tr_wait_state(fd, r2.pid, QSHM_STATE_ACKNOWLEDGED),
	    QSHM_STATE_ACKNOWLEDGED);
	QT_CHECK_EQ(tr_rcpt_do(&r2, TR_TOUCH), TR_SEGV);
	/* ... does a revoke made after the restart. */
	QT_CHECK_EQ(tr_rcpt_do(&r1, TR_TOUCH), TR_BYTE);
	QT_CHECK_OK(shm_revoke(fd, r1.pid));
	QT_CHECK_EQ(tr_rcpt_do(&r1, TR_TOUCH), TR_SEGV);
	QT_CHECK_EQ(tr_state(fd, r1.pid), QSHM_STATE_ACKNOWLEDGED);
	QT_CHECK_EQ(tr_rcpt_stop(&r1), 0);
	QT_CHECK_EQ(tr_rcpt_stop(&r2), 0);
	QT_CHECK_OK(qshm_unpark(id));
	close(fd);
	return (0);
}

static void
test_revoke_hup(void **state)
{
	const char *const extra[] = { "--revoke-timeout", "1000",
	    "--revoke-enforce", "report", NULL };

	(void)state;
	qt_with_broker(extra, tr_body_hup, NULL);
}

/* A self-grant of fd, mapped with mmap_handle(); NULL on failure. */
static unsigned char *
tr_map_own(int fd)
{
	shm_handle_t	h;

	if (shm_create_handle(fd, getpid(), O_RDONLY, &h, 0) == -1)
		return (NULL);
	return (tr_map(TR_MAP_HANDLE, h, TR_PAGES * qt_page()));
}

/*
 * The broker goes away under a registered watcher and another starts:
 * the watcher's thread lets its connection go, and the next mapping of a
 * revocable object registers a watcher with the new broker, which its
 * revoke then reaches.
 */
static int
tr_body_new_broker(void *arg)
{
	const char *const extra[] = { "--revoke-timeout", "2000",
	    "--revoke-enforce", "report", NULL };
	struct qt_broker	 a, b;
	unsigned char		*p;
	int			 fd, n;

	(void)arg;
	QT_CHECK_OK(qt_broker_start(&a, NULL));
	QT_CHECK((fd = tr_object(SHMCTL_REVOCABLE)) >= 0);
	QT_CHECK((p = tr_map_own(fd)) != NULL);
	QT_CHECK_EQ(tr_touch(p), TR_BYTE);
	n = qt_count_fds(0);
	QT_CHECK_OK(qt_broker_stop(&a));
	QT_CHECK_EQ(qt_wait_fds(0, n - 1), n - 1);
	QT_CHECK_OK(qt_broker_start(&b, extra));
	QT_CHECK_OK(shm_ctl(fd, SHMCTL_REVOCABLE, 0, 0));
	QT_CHECK((p = tr_map_own(fd)) != NULL);
	QT_CHECK_EQ(tr_touch(p), TR_BYTE);
	QT_CHECK_OK(shm_revoke(fd, getpid()));
	QT_CHECK_EQ(tr_touch(p), TR_SEGV);
	close(fd);
	QT_CHECK_OK(qt_broker_stop(&b));
	return (0);
}

static void
test_revoke_new_broker(void **state)
{
	(void)state;
	assert_int_equal(qt_run(tr_body_new_broker, NULL), 0);
}

/*
 * A watcher that cannot read its maps (no descriptor left) answers the
 * notice with that errno: under report the revoke times out at once,
 * not at the deadline, and the mapping stays.
 */
static int
tr_body_no_maps(void *arg)
{
	struct tr_rcpt	r;
	shm_handle_t	h;
	int64_t		t0;
	int		fd;

	(void)arg;
	QT_CHECK((fd = tr_object(SHMCTL_REVOCABLE)) >= 0);
	QT_CHECK_OK(tr_rcpt_start(&r, fd));
	QT_CHECK_OK(shm_create_handle(fd, r.pid, O_RDONLY, &h, 0));
	QT_CHECK_EQ(tr_rcpt_map(&r, TR_MAP_HANDLE, h), 0);
	QT_CHECK(tr_rcpt_do(&r, TR_NOFILE) > 0);
	t0 = qt_now_ms();
	QT_CHECK_ERR(shm_revoke(fd, r.pid), ETIMEDOUT);
	QT_CHECK(qt_now_ms() - t0 < 4000);
	QT_CHECK_EQ(tr_state(fd, r.pid), QSHM_STATE_TIMED_OUT);
	QT_CHECK_EQ(tr_rcpt_do(&r, TR_TOUCH), TR_BYTE);
	QT_CHECK_EQ(tr_rcpt_stop(&r), 0);
	close(fd);
	return (0);
}

static void
test_revoke_no_maps(void **state)
{
	const char *const extra[] = { "--revoke-timeout", "8000",
	    "--revoke-enforce", "report", NULL };

	(void)state;
	qt_with_broker(extra, tr_body_no_maps, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_revoke_mmap_handle),
		cmocka_unit_test(test_revoke_mmap_fd),
		cmocka_unit_test(test_revoke_everyone),
		cmocka_unit_test(test_revoke_errors),
		cmocka_unit_test(test_revoke_kill),
		cmocka_unit_test(test_revoke_report),
		cmocka_unit_test(test_revoke_seal),
		cmocka_unit_test(test_revoke_ctl_errors),
		cmocka_unit_test(test_revoke_hostile_watcher),
		cmocka_unit_test(test_revoke_admin),
		cmocka_unit_test(test_revoke_hup),
		cmocka_unit_test(test_revoke_new_broker),
		cmocka_unit_test(test_revoke_no_maps),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
