/*
 * test-pidns.c: a recycled pid never matches a handle meant for a dead
 * process, nor lends a connection the identity of a live one.  In a new
 * pid namespace (with its own /proc, in a new mount namespace) a broker
 * runs beside the test; pids are handed out through ns_last_pid.
 *
 * - A handle is granted to a process with pid N, that process exits, a
 *   new process is given pid N, and it must not be able to use the handle
 *   (ESRCH), while a handle granted to it afresh works.
 * - On kernels without SO_PEERPIDFD (simulated by seccomp): a child with
 *   pid N connects while the broker is stopped, hands its socket to the
 *   attacker and exits; a victim is given pid N; a handle is granted to
 *   the victim.  The attacker's connection must not act as the victim
 *   (before 6.5: the broker proves who holds the socket; 6.5 to 6.15: it
 *   refuses when SO_PEERPIDFD fails), and the victim still opens it.
 *
 * Needs root.
 */

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"
#include "proto.h"

#define TP_PID	300		/* the pid to recycle */
#define TP_CONN_PID 400		/* the pid of the connection's maker */

/* Make the next fork() in this pid namespace return pid. */
static int
tp_next_pid(pid_t pid)
{
	char	buf[32];
	int	fd, n, rv;

	if ((fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY |
	    O_CLOEXEC)) == -1)
		return (-1);
	n = snprintf(buf, sizeof buf, "%ld", (long)pid - 1);
	rv = write(fd, buf, (size_t)n) == n ? 0 : -1;
	close(fd);
	return (rv);
}

/* A descriptor the next tp_proc must not inherit (-1: none). */
static int	tp_not_inherited = -1;

struct tp_proc {
	pid_t	pid;
	int	to;		/* handle (0: just exit) */
	int	from;		/* results */
};

/*
 * The process that gets pid TP_PID: read handles, try each (open, then
 * map), send back the errno (0: it worked), until handle 0.
 */
static int
tp_proc_main(int in, int out)
{
	uint64_t	 h;
	void		*p;
	int		 fd;

	while (qt_recv_u64(in, &h) == 0 && h != 0) {
		uint64_t	res[3];

		res[0] = (uint64_t)getpid();
		fd = shm_open_handle(h, O_RDONLY);
		res[1] = fd == -1 ? (uint64_t)errno : 0;
		if (fd != -1)
			close(fd);
		p = mmap_handle(NULL, qt_page(), PROT_READ, MAP_SHARED, h, 0);
		res[2] = p == MAP_FAILED ? (uint64_t)errno : 0;
		if (p != MAP_FAILED)
			munmap(p, qt_page());
		if (qt_send_u64(out, res[0]) == -1 ||
		    qt_send_u64(out, res[1]) == -1 ||
		    qt_send_u64(out, res[2]) == -1)
			return (1);
	}
	return (0);
}

static int
tp_proc_start_at(struct tp_proc *t, pid_t pid)
{
	uint64_t	ready;
	int		down[2], up[2];

	if (tp_next_pid(pid) == -1 || pipe2(down, O_CLOEXEC) == -1 ||
	    pipe2(up, O_CLOEXEC) == -1)
		return (-1);
	fflush(NULL);
	t->pid = fork();
	if (t->pid == -1)
		return (-1);
	if (t->pid == 0) {
		close(down[1]);
		close(up[0]);
		if (tp_not_inherited != -1)
			close(tp_not_inherited);
		/* Ready: what it must not hold, it no longer does. */
		if (qt_send_u64(up[1], (uint64_t)getpid()) == -1)
			qt_exit(1);
		qt_exit(tp_proc_main(down[0], up[1]));
	}
	close(down[0]);
	close(up[1]);
	t->to = down[1];
	t->from = up[0];
	return (qt_recv_u64(t->from, &ready));
}

static int
tp_proc_start(struct tp_proc *t)
{
	return (tp_proc_start_at(t, TP_PID));
}

/* Hand t a handle; its pid as it sees it, and the errnos of its tries. */
static int
tp_proc_try(struct tp_proc *t, shm_handle_t h, uint64_t res[3])
{
	if (qt_send_u64(t->to, h) == -1 || qt_recv_u64(t->from, &res[0]) ||
	    qt_recv_u64(t->from, &res[1]) || qt_recv_u64(t->from, &res[2]))
		return (-1);
	return (0);
}

static int
tp_proc_end(struct tp_proc *t)
{
	int	status;

	qt_send_u64(t->to, 0);
	close(t->to);
	close(t->from);
	status = qt_wait(t->pid);
	return (status);
}

/* Inside the namespace (pid 1): broker, grant, exit, recycle, try. */
static int
tp_ns_body(void)
{
	struct qt_broker	b;
	struct tp_proc		first, second;
	shm_handle_t		h, h2, h3;
	uint64_t		res[3] = { 0, 0, 0 };
	int			fd, rv = 1;

	QT_CHECK_OK(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV |
	    MS_NOEXEC, NULL));
	QT_CHECK_OK(qt_broker_start(&b, NULL));
	if ((fd = qt_memfd(qt_page(), 'A')) == -1)
		goto out;
	if (tp_proc_start(&first) == -1)
		goto out;
	if (first.pid != TP_PID) {
		qt_fail(__FILE__, __LINE__, "first process has pid %ld, not "
		    "%d", (long)first.pid, TP_PID);
		goto out;
	}
	if (shm_create_handle(fd, TP_PID, O_RDONLY, &h, 0) == -1 ||
	    shm_create_handle(fd, TP_PID, O_RDONLY, &h3, 0) == -1) {
		qt_fail(__FILE__, __LINE__, "grant to %d: %s", TP_PID,
		    qt_errname(errno));
		goto out;
	}
	/* The first process can use a handle: the setup is sound. */
	if (tp_proc_try(&first, h3, res) == -1 || res[0] != TP_PID ||
	    res[1] != 0) {
		qt_fail(__FILE__, __LINE__, "first process could not open "
		    "its handle: %s", qt_errname((int)res[1]));
		goto out;
	}
	if (tp_proc_end(&first) != 0)
		goto out;

	/* Pid TP_PID again, another process. */
	if (tp_proc_start(&second) == -1)
		goto out;
	if (second.pid != TP_PID) {
		qt_fail(__FILE__, __LINE__, "second process has pid %ld, "
		    "not %d", (long)second.pid, TP_PID);
		tp_proc_end(&second);
		goto out;
	}
	if (tp_proc_try(&second, h, res) == -1 || res[0] != TP_PID ||
	    res[1] != ESRCH || res[2] != ESRCH) {
		qt_fail(__FILE__, __LINE__, "recycled pid %ld: open %s, map "
		    "%s; expected ESRCH, ESRCH", (long)res[0],
		    qt_errname((int)res[1]), qt_errname((int)res[2]));
		tp_proc_end(&second);
		goto out;
	}
	/* A handle made for the new process works. */
	if (shm_create_handle(fd, TP_PID, O_RDONLY, &h2, 0) == -1 ||
	    tp_proc_try(&second, h2, res) == -1 || res[1] != 0) {
		qt_fail(__FILE__, __LINE__, "new process, new handle: %s",
		    qt_errname((int)res[1]));
		tp_proc_end(&second);
		goto out;
	}
	if (tp_proc_end(&second) != 0)
		goto out;
	rv = 0;
out:
	if (qt_broker_stop(&b) != 0)
		rv = 1;
	return (rv);
}


/* The maker of the stale connection, and whether the victim shares it. */
struct tp_stale {
	int	s;
	uid_t	uid;		/* the maker's (-1: this process's) */
	bool	shared;		/* the victim inherits the socket */
	int	hold[2];	/* the maker stays until EOF on hold[0] */
};

/* The connection's maker: connect the socket it inherited, then exit. */
static int
tp_connect_main(void *arg)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	const struct tp_stale	*t = arg;
	const char		*path = getenv("QSHM_SOCKET");

	if (path == NULL || strlen(path) >= sizeof sun.sun_path)
		return (2);
	/* The directory lets the other uid through (CAP_DAC_OVERRIDE). */
	if (t->uid != (uid_t)-1 && qt_become(t->uid, t->uid, 0, NULL,
	    true) == -1)
		return (3);
	strcpy(sun.sun_path, path);
	return (connect(t->s, (struct sockaddr *)&sun, sizeof sun) == 0 ?
	    0 : 1);
}

/*
 * A socket connected by a process with pid TP_CONN_PID that has exited,
 * and a victim now holding that pid, both made while the broker is
 * stopped so it accepts the connection only then; -1 on failure.
 */
static int
tp_stale_conn(struct qt_broker *b, struct tp_proc *victim,
    struct tp_stale *t)
{
	pid_t	c;
	int	s;

	if (kill(b->pid, SIGSTOP) == -1 ||
	    (s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	t->s = s;
	tp_not_inherited = t->shared ? -1 : s;
	if (tp_next_pid(TP_CONN_PID) == -1 ||
	    (c = qt_fork(tp_connect_main, t)) != TP_CONN_PID ||
	    qt_wait(c) != 0 || tp_proc_start_at(victim, TP_CONN_PID) == -1 ||
	    victim->pid != TP_CONN_PID) {
		qt_fail(__FILE__, __LINE__, "could not recycle pid %d",
		    TP_CONN_PID);
		kill(b->pid, SIGCONT);
		close(s);
		return (-1);
	}
	kill(b->pid, SIGCONT);
	return (s);
}

/* Ask for handle h over the raw socket s: the reply's errno, else why. */
static int
tp_raw_open(int s, shm_handle_t h)
{
	struct proto_open	o;
	struct proto_msg	m;
	int			err;

	memset(&o, 0, sizeof o);
	o.handle = h;
	o.access = O_RDONLY;
	o.purpose = PROTO_OPEN_FD;
	if (proto_send(s, PROTO_OPEN, 1, &o, sizeof o, -1) == -1 ||
	    proto_recv(s, &m) == -1)
		return (errno == EPIPE ? ECONNRESET : errno);
	err = m.hdr.type == (PROTO_OPEN | PROTO_REPLY) ? m.u.open_reply.err :
	    EPROTO;
	proto_msg_clear(&m);
	return (err);
}

/* Inside the namespace: the stale connection cannot take the handle. */
static int
tp_conn_body(const char *kernel, struct tp_stale *t)
{
	struct qt_broker	b;
	struct tp_proc		victim;
	shm_handle_t		h;
	uint64_t		res[3] = { 0, 0, 0 };
	int			fd, s = -1, err, rv = 1;

	QT_CHECK_OK(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV |
	    MS_NOEXEC, NULL));
	QT_CHECK_OK(setenv("QT_BROKER_NO_PIDFD", kernel, 1));
	QT_CHECK_OK(qt_broker_start(&b, NULL));
	victim.pid = -1;
	if ((fd = qt_memfd(qt_page(), 'V')) == -1 ||
	    (s = tp_stale_conn(&b, &victim, t)) == -1)
		goto out;
	if (shm_create_handle(fd, TP_CONN_PID, O_RDONLY, &h, 0) == -1) {
		qt_fail(__FILE__, __LINE__, "grant to the victim: %s",
		    qt_errname(errno));
		goto out;
	}
	if ((err = tp_raw_open(s, h)) == 0) {
		qt_fail(__FILE__, __LINE__, "a connection made by a dead "
		    "process opened the handle of pid %d's new owner",
		    TP_CONN_PID);
		goto out;
	}
	if (err != ECONNRESET) {
		qt_fail(__FILE__, __LINE__, "stale connection: %s, expected a "
		    "hang-up", qt_errname(err));
		goto out;
	}
	/* The victim's own connection is proved and opens its handle. */
	if (tp_proc_try(&victim, h, res) == -1 || res[1] != 0) {
		qt_fail(__FILE__, __LINE__, "victim could not open its "
		    "handle: %s", qt_errname((int)res[1]));
		goto out;
	}
	rv = 0;
out:
	if (victim.pid > 0 && tp_proc_end(&victim) != 0)
		rv = 1;
	if (s != -1)
		close(s);
	if (qt_broker_stop(&b) != 0)
		rv = 1;
	return (rv);
}

/*
 * SO_PEERPIDFD failing as for an exited peer (6.5 to 6.15): the broker
 * must hang up, never fall back to the pid, which now names the victim.
 */
static int
tp_gone_body(const char *kernel, struct tp_stale *t)
{
	struct qt_broker	b;
	struct tp_proc		victim;
	struct proto_msg	m;
	int			s = -1, rv = 1;

	QT_CHECK_OK(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV |
	    MS_NOEXEC, NULL));
	QT_CHECK_OK(setenv("QT_BROKER_NO_PIDFD", kernel, 1));
	QT_CHECK_OK(qt_broker_start(&b, NULL));
	victim.pid = -1;
	if ((s = tp_stale_conn(&b, &victim, t)) == -1)
		goto out;
	if (proto_send(s, PROTO_STATS, 1, NULL, 0, -1) == 0 &&
	    proto_recv(s, &m) == 0) {
		proto_msg_clear(&m);
		qt_fail(__FILE__, __LINE__, "a connection whose maker is gone "
		    "was served as pid %d", TP_CONN_PID);
		goto out;
	}
	rv = 0;
out:
	if (victim.pid > 0 && tp_proc_end(&victim) != 0)
		rv = 1;
	if (s != -1)
		close(s);
	if (qt_broker_stop(&b) != 0)
		rv = 1;
	return (rv);
}


#define TP_TICK_PID	500	/* the pid two processes share a tick on */
#define TP_TICK_TRIES	100

/* Field 22 of /proc/PID/stat: the start time in clock ticks, or 0. */
static unsigned long long
tp_starttime(pid_t pid)
{
	unsigned long long	 v = 0;
	char			 path[64], buf[1024], *p;
	ssize_t			 n;
	int			 fd, i;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return (0);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return (0);
	for (i = 2; i < 22 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		v = strtoull(p + 1, NULL, 10);
	return (v);
}

/* Wait until another process has connected s; 0 or -1. */
static int
tp_wait_connected(int s)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	int64_t			deadline = qt_now_ms() + QT_TIMEOUT_MS;

	for (;;) {
		len = sizeof sun;
		if (getpeername(s, (struct sockaddr *)&sun, &len) == 0)
			return (0);
		if (errno != ENOTCONN || qt_now_ms() > deadline)
			return (-1);
		qt_nap(1);
	}
}

/* A maker that stays until told (its pipe closes), so it is proved. */
static int
tp_linger_main(void *arg)
{
	struct tp_stale	*t = arg;
	char		 c;
	int		 rv;

	close(t->hold[1]);
	if ((rv = tp_connect_main(t)) != 0)
		return (rv);
	return (read(t->hold[0], &c, 1) == 0 ? 0 : 4);
}

/*
 * One try: a maker with pid TP_TICK_PID connects and is served, then
 * exits; a victim gets its pid.  1 if both started in one clock tick
 * (their /proc start-time keys are then the same), 0 if not, -1.
 */
static int
tp_tick_try(struct tp_proc *victim, int *sp)
{
	struct tp_stale		t = { -1, (uid_t)-1, false, { -1, -1 } };
	struct proto_msg	m;
	unsigned long long	start;
	pid_t			c = -1;
	int			s;

	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1 ||
	    pipe2(t.hold, O_CLOEXEC) == -1)
		return (-1);
	t.s = s;
	tp_not_inherited = s;
	if (tp_next_pid(TP_TICK_PID) == -1 ||
	    (c = qt_fork(tp_linger_main, &t)) != TP_TICK_PID)
		return (-1);
	close(t.hold[0]);
	if (tp_wait_connected(s) == -1 ||
	    proto_send(s, PROTO_STATS, 1, NULL, 0, -1) == -1 ||
	    proto_recv(s, &m) == -1)
		return (-1);
	proto_msg_clear(&m);
	start = tp_starttime(c);
	close(t.hold[1]);
	if (qt_wait(c) != 0 || tp_proc_start_at(victim, TP_TICK_PID) == -1)
		return (-1);
	*sp = s;
	if (start != 0 && tp_starttime(victim->pid) == start)
		return (1);
	close(s);
	return (tp_proc_end(victim) == 0 ? 0 : -1);
}

/*
 * Where keys come from /proc start times (no pidfs: Debian 12's 6.1),
 * a process given a dead one's pid within one clock tick has its key.
 * The dead one's connection, held on by another process, must not
 * receive what is granted to the new one.
 */
static int
tp_tick_body(const char *kernel, struct tp_stale *unused)
{
	struct qt_broker	b;
	struct tp_proc		victim;
	shm_handle_t		h;
	uint64_t		res[3] = { 0, 0, 0 };
	int			fd, s = -1, i, rc = 0, rv = 1;

	(void)unused;
	QT_CHECK_OK(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV |
	    MS_NOEXEC, NULL));
	QT_CHECK_OK(setenv("QT_BROKER_NO_PIDFD", kernel, 1));
	QT_CHECK_OK(qt_broker_start(&b, NULL));
	victim.pid = -1;
	if ((fd = qt_memfd(qt_page(), 'T')) == -1)
		goto out;
	for (i = 0; i < TP_TICK_TRIES && rc == 0; i++)
		rc = tp_tick_try(&victim, &s);
	if (rc != 1) {
		qt_fail(__FILE__, __LINE__, "no two processes started in one "
		    "clock tick in %d tries", TP_TICK_TRIES);
		victim.pid = -1;
		goto out;
	}
	if (shm_create_handle(fd, TP_TICK_PID, O_RDONLY, &h, 0) == -1 ||
	    tp_raw_open(s, h) == 0) {
		qt_fail(__FILE__, __LINE__, "the dead maker's connection took "
		    "the handle of the process with its key");
		goto out;
	}
	if (tp_proc_try(&victim, h, res) == -1 || res[1] != 0) {
		qt_fail(__FILE__, __LINE__, "the new process could not open "
		    "its handle: %s", qt_errname((int)res[1]));
		goto out;
	}
	rv = 0;
out:
	if (victim.pid > 0 && tp_proc_end(&victim) != 0)
		rv = 1;
	if (s != -1)
		close(s);
	if (qt_broker_stop(&b) != 0)
		rv = 1;
	return (rv);
}

struct tp_case {
	int		(*body)(const char *, struct tp_stale *);
	const char	*kernel;
	struct tp_stale	 stale;
};

/* Between the namespaces: unshare, then fork the namespace's pid 1. */
static int
tp_outer(void *arg)
{
	struct tp_case		*c = arg;
	pid_t			 init;

	QT_CHECK_OK(unshare(CLONE_NEWPID | CLONE_NEWNS));
	QT_CHECK_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	fflush(NULL);
	init = fork();
	QT_CHECK(init != -1);
	if (init == 0)
		qt_exit(c->body != NULL ? c->body(c->kernel, &c->stale) :
		    tp_ns_body());
	return (qt_wait(init));
}

static void
tp_run(int (*body)(const char *, struct tp_stale *), const char *kernel,
    uid_t maker, bool shared)
{
	struct tp_case	c = { body, kernel, { -1, maker, shared, { -1, -1 } } };

	if (geteuid() != 0) {
		print_message("needs root (pid namespace, ns_last_pid)\n");
		skip();
	}
	assert_int_equal(qt_run(tp_outer, &c), 0);
}

static void
test_pid_reuse(void **state)
{
	(void)state;
	tp_run(NULL, NULL, (uid_t)-1, false);
}

/* Linux 5.3 to 6.4 (Debian 12): no SO_PEERPIDFD, pidfd_open() works. */
static void
test_conn_reuse_no_peerpidfd(void **state)
{
	(void)state;
	tp_run(tp_conn_body, "peer", (uid_t)-1, false);
}

/* No pidfds at all (before 5.3, valgrind): /proc directories. */
static void
test_conn_reuse_no_pidfd(void **state)
{
	(void)state;
	tp_run(tp_conn_body, "1", (uid_t)-1, false);
}

/* 6.5 to 6.15: SO_PEERPIDFD fails for a peer that has exited. */
static void
test_conn_reuse_peer_gone(void **state)
{
	(void)state;
	tp_run(tp_gone_body, "gone", (uid_t)-1, false);
}

/* Start-time keys (no pidfs), shared by two processes in one tick. */
static void
test_key_reuse_same_tick(void **state)
{
	(void)state;
	tp_run(tp_tick_body, "1", (uid_t)-1, false);
}

/*
 * No SO_PEERPIDFD, and the victim (root) does hold the socket that uid
 * 65534's process made: it still may not stand in for another user.
 */
static void
test_conn_reuse_other_uid(void **state)
{
	(void)state;
	tp_run(tp_conn_body, "peer", 65534, true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_conn_reuse_no_peerpidfd),
		cmocka_unit_test(test_conn_reuse_no_pidfd),
		cmocka_unit_test(test_conn_reuse_peer_gone),
		cmocka_unit_test(test_conn_reuse_other_uid),
		cmocka_unit_test(test_key_reuse_same_tick),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
