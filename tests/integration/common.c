/*
 * common.c: helpers of the integration tests (see common.h).  Nothing
 * here asserts: every helper reports failure by its return value, so the
 * same code serves cmocka bodies and bodies run in child processes.
 */

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>

#include <cmocka.h>

#include "common.h"

const char *
qt_qshmctl(void)
{
	const char	*p = getenv("QSHMCTL");

	return (p != NULL && *p != '\0' ? p : "build/qshmctl");
}

void
qt_fail(const char *file, int line, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "CHECK FAILED %s:%d [pid %ld]: ", file, line,
	    (long)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *
qt_errname(int e)
{
	const char	*n = strerrorname_np(e);

	return (n != NULL ? n : (e == 0 ? "0" : "?"));
}

int64_t
qt_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

void
qt_nap(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

size_t
qt_page(void)
{
	return ((size_t)sysconf(_SC_PAGESIZE));
}

int
qt_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			s;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	strcpy(sun.sun_path, path);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s == -1)
		return (-1);
	if (connect(s, (struct sockaddr *)&sun, sizeof sun) == -1) {
		int	saved = errno;

		close(s);
		errno = saved;
		return (-1);
	}
	return (s);
}

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD	77
#endif

/* Load a seccomp filter of n instructions; 0 or -1. */
static int
qt_seccomp(struct sock_filter *f, unsigned short n)
{
	struct sock_fprog	prog = { n, f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) == -1)
		return (-1);
	return (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0L, 0L));
}

/*
 * Make this process (and what it execs) a machine without pidfds: the
 * pidfd_open() syscall fails ENOSYS and SO_PEERPIDFD ENOPROTOOPT, as on
 * kernels before 5.3 or under valgrind 3.19.
 */
int
qt_forbid_pidfds(void)
{
	struct sock_filter	f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getsockopt, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SO_PEERPIDFD, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOPROTOOPT),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};

	return (qt_seccomp(f, sizeof f / sizeof f[0]));
}

/*
 * Make SO_PEERPIDFD alone fail with err, pidfd_open() still working:
 * ENOPROTOOPT as on Linux 5.3 to 6.4 (Debian 12's 6.1), EINVAL as 6.5 to
 * 6.15 answer for a peer that has exited.
 */
int
qt_forbid_peerpidfd(int err)
{
	struct sock_filter	f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getsockopt, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SO_PEERPIDFD, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO |
		    ((unsigned)err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};

	return (qt_seccomp(f, sizeof f / sizeof f[0]));
}

/*
 * The kernel the broker child is to see, from $QT_BROKER_NO_PIDFD: unset,
 * this one; "peer", no SO_PEERPIDFD (before 6.5); "gone", SO_PEERPIDFD
 * failing as for an exited peer; anything else, no pidfds at all.
 */
static int
qt_broker_kernel(void)
{
	const char	*how = getenv("QT_BROKER_NO_PIDFD");

	if (how == NULL)
		return (0);
	if (strcmp(how, "peer") == 0)
		return (qt_forbid_peerpidfd(ENOPROTOOPT));
	if (strcmp(how, "gone") == 0)
		return (qt_forbid_peerpidfd(EINVAL));
	return (qt_forbid_pidfds());
}

/*
 * The broker child: drop to uid if asked, then exec qshmctl broker, under
 * $QT_BROKER_WRAPPER (words split on spaces: valgrind and its options)
 * and without pidfds if $QT_BROKER_NO_PIDFD is set.
 */
static void
qt_broker_exec(struct qt_broker *b, uid_t uid, gid_t gid,
    const char *const *extra)
{
	const char	*argv[64];
	char		*wrap, *w;
	int		 i = 0, j;

	if (uid != (uid_t)-1 && qt_become(uid, gid, 0, NULL, false) == -1) {
		perror("qt_broker_exec: become");
		_exit(126);
	}
	/* After the uid change, which clears it. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (qt_broker_kernel() == -1) {
		perror("qt_broker_exec: seccomp");
		_exit(126);
	}
	if ((wrap = getenv("QT_BROKER_WRAPPER")) != NULL &&
	    (wrap = strdup(wrap)) != NULL) {
		for (w = strtok(wrap, " "); w != NULL && i < 32;
		    w = strtok(NULL, " "))
			argv[i++] = w;
	}
	argv[i++] = qt_qshmctl();
	argv[i++] = "broker";
	argv[i++] = "--socket";
	argv[i++] = b->sock;
	for (j = 0; extra != NULL && extra[j] != NULL && i < 63; j++)
		argv[i++] = extra[j];
	argv[i] = NULL;
	execvp(argv[0], (char *const *)argv);
	fprintf(stderr, "qt_broker_exec: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int
qt_broker_start(struct qt_broker *b, const char *const *extra)
{
	return (qt_broker_start_as(b, (uid_t)-1, (gid_t)-1, extra));
}

int
qt_broker_start_as(struct qt_broker *b, uid_t uid, gid_t gid,
    const char *const *extra)
{
	int64_t	deadline;
	int	s, status;

	memset(b, 0, sizeof *b);
	b->pid = -1;
	strcpy(b->dir, "/tmp/qshm-test-XXXXXX");
	if (mkdtemp(b->dir) == NULL) {
		perror("qt_broker_start: mkdtemp");
		return (-1);
	}
	if (uid != (uid_t)-1 && chown(b->dir, uid, gid) == -1) {
		perror("qt_broker_start: chown");
		rmdir(b->dir);
		return (-1);
	}
	snprintf(b->sock, sizeof b->sock, "%s/broker.sock", b->dir);
	snprintf(b->lock, sizeof b->lock, "%s.lock", b->sock);
	setenv("QSHM_SOCKET", b->sock, 1);
	setenv("QSHM_AUTOSTART", "0", 1);
	fflush(NULL);
	b->pid = fork();
	if (b->pid == -1) {
		perror("qt_broker_start: fork");
		rmdir(b->dir);
		return (-1);
	}
	if (b->pid == 0)
		qt_broker_exec(b, uid, gid, extra);
	deadline = qt_now_ms() + QT_TIMEOUT_MS;
	while ((s = qt_connect(b->sock)) == -1) {
		if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
			fprintf(stderr, "qt_broker_start: %s broker exited "
			    "(status 0x%x) before listening\n", qt_qshmctl(),
			    status);
			b->pid = -1;
			rmdir(b->dir);
			return (-1);
		}
		if (qt_now_ms() > deadline) {
			fprintf(stderr, "qt_broker_start: %s not accepting "
			    "after %d ms\n", b->sock, QT_TIMEOUT_MS);
			qt_broker_stop(b);
			return (-1);
		}
		qt_nap(5);
	}
	close(s);
	return (0);
}

/* Remove whatever is left in the directory, naming it; -1 if anything. */
static int
qt_broker_clean_dir(struct qt_broker *b)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[400];
	int		 left = 0;

	if ((d = opendir(b->dir)) == NULL)
		return (errno == ENOENT ? 0 : -1);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", b->dir, e->d_name);
		fprintf(stderr, "qt_broker_stop: %s left behind\n", path);
		unlink(path);
		left++;
	}
	closedir(d);
	if (rmdir(b->dir) == -1) {
		perror("qt_broker_stop: rmdir");
		return (-1);
	}
	return (left == 0 ? 0 : -1);
}

int
qt_broker_stop(struct qt_broker *b)
{
	int	status, rv = 0;

	if (b->pid <= 0)
		return (b->dir[0] != '\0' ? qt_broker_clean_dir(b) : 0);
	if (kill(b->pid, SIGTERM) == -1) {
		perror("qt_broker_stop: kill");
		rv = -1;
	}
	status = qt_wait(b->pid);
	if (status != 0) {
		fprintf(stderr, "qt_broker_stop: broker %ld exit status %d, "
		    "expected 0\n", (long)b->pid, status);
		rv = -1;
	}
	b->pid = -1;
	if (access(b->sock, F_OK) == 0 || errno != ENOENT) {
		fprintf(stderr, "qt_broker_stop: socket %s still there\n",
		    b->sock);
		rv = -1;
	}
	if (access(b->lock, F_OK) == 0 || errno != ENOENT) {
		fprintf(stderr, "qt_broker_stop: lock %s still there\n",
		    b->lock);
		rv = -1;
	}
	if (qt_broker_clean_dir(b) == -1)
		rv = -1;
	b->dir[0] = '\0';
	return (rv);
}

int
qt_count_fds(pid_t pid)
{
	char		 path[64];
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if (pid == 0)
		snprintf(path, sizeof path, "/proc/self/fd");
	else
		snprintf(path, sizeof path, "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL)
		return (-1);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.')
			n++;
	}
	closedir(d);
	return (pid == 0 ? n - 1 : n);
}

int
qt_wait_fds(pid_t pid, int want)
{
	int64_t	deadline = qt_now_ms() + QT_TIMEOUT_MS;
	int	n;

	while ((n = qt_count_fds(pid)) > want && qt_now_ms() < deadline)
		qt_nap(5);
	return (n);
}

#ifdef QT_COVERAGE
/* libgcov's (make coverage): write this process's counts now. */
extern void	__gcov_dump(void);

static uid_t	qt_start_euid;

__attribute__((constructor)) static void
qt_note_euid(void)
{
	qt_start_euid = geteuid();
}
#endif

/*
 * _exit(2) skips the exit handlers that write coverage counts, so a
 * child's share of the library would go unmeasured; write them first
 * (not as another uid, which cannot write the build's count files).
 */
void
qt_exit(int status)
{
#ifdef QT_COVERAGE
	if (geteuid() == qt_start_euid)
		__gcov_dump();
#endif
	_exit(status);
}

/* Whether thread tid of this process waits in a system call, not a lock. */
static bool
qt_thread_idle(const char *tid)
{
	char	path[300], buf[32];
	ssize_t	n;
	int	fd;

	snprintf(path, sizeof path, "/proc/self/task/%s/syscall", tid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (true);		/* gone */
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return (true);
	buf[n] = '\0';
	return (buf[0] >= '0' && buf[0] <= '9' && atol(buf) != SYS_futex);
}

void
qt_settle(void)
{
	int64_t		 deadline = qt_now_ms() + QT_TIMEOUT_MS;
	char		 self[16];
	DIR		*d;
	struct dirent	*e;
	bool		 idle;

	snprintf(self, sizeof self, "%ld", (long)syscall(SYS_gettid));
	do {
		if ((d = opendir("/proc/self/task")) == NULL)
			return;
		idle = true;
		while (idle && (e = readdir(d)) != NULL)
			if (e->d_name[0] != '.' && strcmp(e->d_name, self) != 0)
				idle = qt_thread_idle(e->d_name);
		closedir(d);
		if (!idle)
			qt_nap(1);
	} while (!idle && qt_now_ms() < deadline);
}

pid_t
qt_fork(int (*fn)(void *), void *arg)
{
	pid_t	pid;

	qt_settle();
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		qt_exit(fn(arg) & 0xff);
	}
	return (pid);
}

int
qt_wait(pid_t pid)
{
	int64_t	deadline = qt_now_ms() + 3 * QT_TIMEOUT_MS;
	int	status;
	pid_t	r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r == -1 && errno != EINTR)
			return (-1);
		if (qt_now_ms() > deadline) {
			fprintf(stderr, "qt_wait: %ld still running, "
			    "killing it\n", (long)pid);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return (-1);
		}
		qt_nap(2);
	}
	if (WIFEXITED(status))
		return (WEXITSTATUS(status));
	return (128 + WTERMSIG(status));
}

int
qt_run(int (*fn)(void *), void *arg)
{
	pid_t	pid = qt_fork(fn, arg);

	if (pid == -1)
		return (-1);
	return (qt_wait(pid));
}

/* See common.h. */
void
qt_with_broker(const char *const *extra, int (*body)(void *), void *arg)
{
	struct qt_broker	b;
	int			status, stop;

	assert_int_equal(qt_broker_start(&b, extra), 0);
	status = qt_run(body, arg != NULL ? arg : &b);
	stop = qt_broker_stop(&b);
	assert_int_equal(status, 0);
	assert_int_equal(stop, 0);
}

bool
qt_exited(pid_t pid)
{
	siginfo_t	si;

	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1)
		return (true);
	return (si.si_pid == pid);
}

/* Wait (bounded) until fd is readable; -1 with ETIMEDOUT after the bound. */
static int
qt_wait_readable(int fd)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	int		n;

	do
		n = poll(&pfd, 1, 3 * QT_TIMEOUT_MS);
	while (n == -1 && errno == EINTR);
	if (n == 0) {
		errno = ETIMEDOUT;
		return (-1);
	}
	return (n == -1 ? -1 : 0);
}

/* Read exactly len bytes (bounded); -1 on EOF or timeout. */
static int
qt_read_all(int fd, void *buf, size_t len)
{
	unsigned char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if (qt_wait_readable(fd) == -1)
			return (-1);
		n = read(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EPIPE;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

static int
qt_write_all(int fd, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	ssize_t			 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

int
qt_send_u64(int fd, uint64_t v)
{
	return (qt_write_all(fd, &v, sizeof v));
}

int
qt_recv_u64(int fd, uint64_t *v)
{
	return (qt_read_all(fd, v, sizeof *v));
}

int
qt_become(uid_t uid, gid_t gid, int ngroups, const gid_t *groups,
    bool keep_dac)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[2];

	if (keep_dac && prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) == -1)
		return (-1);
	if (setgroups((size_t)ngroups, groups) == -1 ||
	    setresgid(gid, gid, gid) == -1 || setresuid(uid, uid, uid) == -1)
		return (-1);
	if (!keep_dac)
		return (0);
	memset(&hdr, 0, sizeof hdr);
	memset(data, 0, sizeof data);
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[0].permitted = data[0].effective = 1U << CAP_DAC_OVERRIDE;
	return ((int)syscall(SYS_capset, &hdr, data));
}

int
qt_drop_caps(void)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[2];

	memset(&hdr, 0, sizeof hdr);
	memset(data, 0, sizeof data);
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	return ((int)syscall(SYS_capset, &hdr, data));
}

/* "/base-PID", in a buffer the next call reuses. */
const char *
qt_shm_name(const char *base)
{
	static char	name[128];

	snprintf(name, sizeof name, "/%s-%ld", base, (long)getpid());
	return (name);
}

int
qt_memfd(size_t size, unsigned char base)
{
	unsigned char	*buf;
	size_t		 pg = qt_page(), i;
	int		 fd;

	fd = memfd_create("qshm-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd == -1)
		return (-1);
	if (ftruncate(fd, (off_t)size) == -1 || (buf = malloc(pg)) == NULL) {
		close(fd);
		return (-1);
	}
	for (i = 0; i * pg < size; i++) {
		memset(buf, base + (int)i, pg);
		if (pwrite(fd, buf, pg, (off_t)(i * pg)) != (ssize_t)pg) {
			free(buf);
			close(fd);
			return (-1);
		}
	}
	free(buf);
	return (fd);
}

int
qt_reopen(int fd, int flags)
{
	char	path[64];

	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	return (open(path, flags | O_CLOEXEC));
}

int
qt_find_handle(shm_handle_t h, struct qshm_handle_info *out)
{
	struct qshm_handle_info	*list = NULL;
	size_t			 n = 0, i;
	int			 rv = -1;

	if (qshm_list_handles(&list, &n) == -1)
		return (-1);
	for (i = 0; i < n; i++) {
		if (list[i].handle == h) {
			if (out != NULL)
				*out = list[i];
			rv = 0;
		}
	}
	free(list);
	return (rv);
}

/* The peer's side: look at a mapping page by page. */
static void
qt_peer_look(const unsigned char *p, size_t len, struct qt_rep *rep)
{
	size_t	pg = qt_page(), i, j, end;

	rep->uniform = 1;
	for (i = 0; i * pg < len && i < QT_PAGES; i++) {
		rep->first[i] = p[i * pg];
		end = (i + 1) * pg < len ? (i + 1) * pg : len;
		for (j = i * pg; j < end; j++) {
			if (p[j] != p[i * pg])
				rep->uniform = 0;
		}
	}
	rep->npages = (uint32_t)i;
}

static void
qt_peer_open_op(const struct qt_req *rq, struct qt_rep *rep)
{
	int	fd, fd2;

	if (rq->use_pid)
		fd = shm_open_handle_pid(rq->handle, rq->flags, rq->pid);
	else
		fd = shm_open_handle(rq->handle, rq->flags);
	rep->ret = fd;
	if (fd == -1)
		return;
	rep->fdflags = fcntl(fd, F_GETFD);
	rep->accmode = fcntl(fd, F_GETFL) & O_ACCMODE;
	fd2 = qt_reopen(fd, O_RDWR);
	rep->reopen_err = fd2 == -1 ? errno : 0;
	if (fd2 != -1)
		close(fd2);
	close(fd);
}

static void
qt_peer_map_op(const struct qt_req *rq, struct qt_rep *rep)
{
	void	*p;

	if (rq->use_pid)
		p = mmap_handle_pid(NULL, rq->len, rq->prot, rq->flags,
		    rq->handle, rq->pid, rq->off);
	else
		p = mmap_handle(NULL, rq->len, rq->prot, rq->flags,
		    rq->handle, rq->off);
	if (p == MAP_FAILED) {
		rep->ret = -1;
		return;
	}
	rep->ret = 0;
	if (rq->prot & PROT_READ)
		qt_peer_look(p, rq->len, rep);
	munmap(p, rq->len);
}

static void
qt_peer_grant_op(const struct qt_req *rq, struct qt_rep *rep)
{
	shm_handle_t	h = 0;

	if (rq->subrange)
		rep->ret = shm_create_subrange_handle(rq->fd, rq->pid,
		    rq->flags, &h, rq->options, rq->len, rq->off);
	else
		rep->ret = shm_create_handle(rq->fd, rq->pid, rq->flags, &h,
		    rq->options);
	rep->val[0] = h;
}

static void
qt_peer_limit_op(const struct qt_req *rq, struct qt_rep *rep)
{
	struct rlimit	nl, ol;

	nl.rlim_cur = rq->cur;
	nl.rlim_max = rq->max;
	rep->ret = qshm_handle_limit(rq->pid,
	    rq->cur != 0 || rq->max != 0 ? &nl : NULL, &ol);
	rep->val[0] = ol.rlim_cur;
	rep->val[1] = ol.rlim_max;
}

/* Carry out one request; returns false to end the peer. */
static bool
qt_peer_do(const struct qt_req *rq, struct qt_rep *rep)
{
	struct qshm_stats	st;
	unsigned char		c;
	uint32_t		id = 0;

	errno = 0;
	switch (rq->op) {
	case QT_OP_EXIT:
		return (false);
	case QT_OP_STATS:
		rep->ret = qshm_stats(&st);
		rep->val[0] = st.pid;
		break;
	case QT_OP_OPEN:
		qt_peer_open_op(rq, rep);
		break;
	case QT_OP_MAP:
		qt_peer_map_op(rq, rep);
		break;
	case QT_OP_DELETE:
		rep->ret = shm_delete_handle(rq->handle);
		break;
	case QT_OP_GRANT:
		qt_peer_grant_op(rq, rep);
		break;
	case QT_OP_LIMIT:
		qt_peer_limit_op(rq, rep);
		break;
	case QT_OP_DROP_CAPS:
		rep->ret = qt_drop_caps();
		break;
	case QT_OP_LIST:
		rep->ret = qt_find_handle(rq->handle, NULL);
		break;
	case QT_OP_PARKED_OPEN:
		rep->ret = qshm_open_parked((uint32_t)rq->handle, rq->flags);
		if (rep->ret >= 0)
			close((int)rep->ret);
		break;
	case QT_OP_UNPARK:
		rep->ret = qshm_unpark((uint32_t)rq->handle);
		break;
	case QT_OP_ADMIN_REVOKE:
		rep->ret = qshm_admin_revoke(rq->fd, rq->pid);
		break;
	case QT_OP_WRITE_FD:
		c = (unsigned char)rq->flags;
		rep->ret = pwrite(rq->fd, &c, 1, rq->off);
		break;
	case QT_OP_PARK:
		rep->ret = qshm_park(rq->fd, &id);
		rep->val[0] = id;
		break;
	default:
		rep->ret = -1;
		errno = ENOSYS;
		break;
	}
	rep->err = rep->ret == -1 ? errno : 0;
	return (true);
}

static int
qt_peer_main(int in, int out)
{
	struct qt_req	rq;
	struct qt_rep	rep;

	for (;;) {
		if (qt_read_all(in, &rq, sizeof rq) == -1)
			return (0);
		memset(&rep, 0, sizeof rep);
		if (!qt_peer_do(&rq, &rep))
			return (0);
		if (qt_write_all(out, &rep, sizeof rep) == -1)
			return (1);
	}
}

int
qt_peer_start(struct qt_peer *p)
{
	return (qt_peer_start_as(p, (uid_t)-1, (gid_t)-1, false));
}

int
qt_peer_start_nobody(struct qt_peer *p)
{
	struct qt_req	rq = { .op = QT_OP_STATS };
	struct qt_rep	rep;

	if (qt_peer_start_as(p, QT_NOBODY, QT_NOBODY, true) == -1)
		return (-1);
	if (qt_peer_call(p, &rq, &rep) == -1 || rep.ret != 0) {
		qt_peer_kill(p);
		return (-1);
	}
	return (0);
}

int
qt_peer_start_as(struct qt_peer *p, uid_t uid, gid_t gid, bool keep_dac)
{
	uint64_t	ready;
	int		down[2], up[2];

	if (pipe2(down, O_CLOEXEC) == -1)
		return (-1);
	if (pipe2(up, O_CLOEXEC) == -1) {
		close(down[0]);
		close(down[1]);
		return (-1);
	}
	qt_settle();
	fflush(NULL);
	p->pid = fork();
	if (p->pid == -1)
		return (-1);
	if (p->pid == 0) {
		close(down[1]);
		close(up[0]);
		if (uid != (uid_t)-1 &&
		    qt_become(uid, gid, 0, NULL, keep_dac) == -1) {
			perror("qt_peer: become");
			_exit(126);
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Ready: whatever identity the peer should have, it has. */
		if (qt_send_u64(up[1], 1) == -1)
			_exit(1);
		qt_exit(qt_peer_main(down[0], up[1]));
	}
	close(down[0]);
	close(up[1]);
	p->to = down[1];
	p->from = up[0];
	if (qt_recv_u64(p->from, &ready) == -1) {
		qt_peer_kill(p);
		return (-1);
	}
	return (0);
}

int
qt_peer_call(struct qt_peer *p, const struct qt_req *rq, struct qt_rep *rep)
{
	memset(rep, 0, sizeof *rep);
	if (qt_write_all(p->to, rq, sizeof *rq) == -1)
		return (-1);
	if (rq->op == QT_OP_EXIT)
		return (0);
	return (qt_read_all(p->from, rep, sizeof *rep));
}

int
qt_peer_stop(struct qt_peer *p)
{
	struct qt_req	rq = { .op = QT_OP_EXIT };
	struct qt_rep	rep;
	int		status;

	if (p->pid <= 0)
		return (-1);
	qt_peer_call(p, &rq, &rep);
	close(p->to);
	close(p->from);
	status = qt_wait(p->pid);
	p->pid = -1;
	return (status);
}

void
qt_peer_kill(struct qt_peer *p)
{
	if (p->pid <= 0)
		return;
	kill(p->pid, SIGKILL);
	close(p->to);
	close(p->from);
	qt_wait(p->pid);
	p->pid = -1;
}

int
qt_peer_open(struct qt_peer *p, shm_handle_t h, int flags, int use_pid,
    pid_t pid, struct qt_rep *rep)
{
	struct qt_req	rq = { .op = QT_OP_OPEN, .flags = flags,
			    .use_pid = use_pid, .pid = pid, .handle = h };

	if (qt_peer_call(p, &rq, rep) == -1) {
		rep->ret = -1;
		rep->err = EPIPE;
	}
	return ((int)rep->ret);
}

int
qt_peer_map(struct qt_peer *p, shm_handle_t h, size_t len, int prot,
    int flags, int use_pid, pid_t pid, off_t off, struct qt_rep *rep)
{
	struct qt_req	rq = { .op = QT_OP_MAP, .flags = flags, .prot = prot,
			    .use_pid = use_pid, .pid = pid, .handle = h,
			    .len = len, .off = off };

	if (qt_peer_call(p, &rq, rep) == -1) {
		rep->ret = -1;
		rep->err = EPIPE;
	}
	return ((int)rep->ret);
}

int
qt_peer_delete(struct qt_peer *p, shm_handle_t h)
{
	struct qt_req	rq = { .op = QT_OP_DELETE, .handle = h };
	struct qt_rep	rep;

	if (qt_peer_call(p, &rq, &rep) == -1)
		return (EPIPE);
	return (rep.err);
}

int
qt_peer_grant(struct qt_peer *p, int fd, pid_t pid, int flags,
    unsigned options, shm_handle_t *h)
{
	struct qt_req	rq = { .op = QT_OP_GRANT, .fd = fd, .pid = pid,
			    .flags = flags, .options = options };
	struct qt_rep	rep;

	if (qt_peer_call(p, &rq, &rep) == -1)
		return (EPIPE);
	*h = rep.val[0];
	return (rep.err);
}

static sigjmp_buf	qt_touch_env;

static void
qt_touch_segv(int sig)
{
	(void)sig;
	siglongjmp(qt_touch_env, 1);
}

/* The byte at p, or QT_SEGV if reading it raised SIGSEGV. */
int
qt_touch(volatile const unsigned char *p)
{
	struct sigaction	sa, old;
	int			r;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = qt_touch_segv;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(qt_touch_env, 1) == 0)
		r = p[0];
	else
		r = QT_SEGV;
	sigaction(SIGSEGV, &old, NULL);
	return (r);
}
