/*
 * test-nopidfd.c: the broker on a machine without pidfds (kernels before
 * 5.3, valgrind 3.19): a seccomp filter makes pidfd_open() fail ENOSYS and
 * SO_PEERPIDFD fail ENOPROTOOPT for the broker.  It must still start and
 * serve, hold /proc/PID directories in place of pidfds, refuse zombies and
 * missing pids, and reclaim a dead recipient's handles (by its sweep).
 * Then without SO_PEERPIDFD alone (Linux 5.3 to 6.4: Debian 12's 6.1),
 * where each connection's maker is proved by the socket it holds: clients
 * are served, one with many descriptors too, and one holding more than
 * the proof reads is refused.
 */

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"
#include "broker/peerproof.h"

static void
tn_run_on(const char *kernel, int (*body)(void *))
{
	struct qt_broker	b;
	int			status, stop;

	assert_int_equal(setenv("QT_BROKER_NO_PIDFD", kernel, 1), 0);
	assert_int_equal(qt_broker_start(&b, NULL), 0);
	status = qt_run(body, &b);
	stop = qt_broker_stop(&b);
	assert_int_equal(status, 0);
	assert_int_equal(stop, 0);
}

static void
tn_run(int (*body)(void *))
{
	tn_run_on("1", body);
}

/* How many of the broker's fds are the /proc directory of pid. */
static int
tn_procdirs(pid_t broker, pid_t pid)
{
	char	path[64], want[64], link[256];
	ssize_t	n;
	int	fd, count = 0;

	snprintf(want, sizeof want, "/proc/%ld", (long)pid);
	for (fd = 0; fd < 4096; fd++) {
		snprintf(path, sizeof path, "/proc/%ld/fd/%d", (long)broker,
		    fd);
		if ((n = readlink(path, link, sizeof link - 1)) == -1)
			continue;
		link[n] = '\0';
		if (strcmp(link, want) == 0)
			count++;
	}
	return (count);
}

/* Poll until the broker holds no handle; the last count. */
static uint64_t
tn_wait_no_handles(void)
{
	struct qshm_stats	st;
	int64_t			deadline = qt_now_ms() + QT_TIMEOUT_MS;

	do {
		if (qshm_stats(&st) == -1)
			return (UINT64_MAX);
		if (st.handles == 0)
			break;
		qt_nap(10);
	} while (qt_now_ms() < deadline);
	return (st.handles);
}

/* Poll until the broker holds want /proc directories of pid; the last. */
static int
tn_wait_procdirs(pid_t broker, pid_t pid, int want)
{
	int64_t	deadline = qt_now_ms() + QT_TIMEOUT_MS;
	int	n;

	while ((n = tn_procdirs(broker, pid)) != want &&
	    qt_now_ms() < deadline)
		qt_nap(10);
	return (n);
}

static int
tn_body_serves(void *arg)
{
	struct qt_broker	*b = arg;
	struct qshm_stats	 st;
	struct qt_peer		 w;
	struct qt_rep		 rep;
	shm_handle_t		 h;
	int			 fd;

	QT_CHECK((fd = qt_memfd(4 * qt_page(), 'a')) >= 0);
	QT_CHECK_OK(qt_peer_start(&w));
	QT_CHECK_OK(shm_create_handle(fd, w.pid, O_RDONLY, &h, 0));
	/* The recipient is held by its /proc directory, not by a pidfd. */
	QT_CHECK_EQ(tn_procdirs(b->pid, w.pid), 1);
	QT_CHECK(qt_peer_open(&w, h, O_RDONLY, 1, getpid(), &rep) >= 0);
	QT_CHECK_EQ(rep.accmode, O_RDONLY);
	QT_CHECK_OK(shm_create_handle(fd, w.pid, O_RDWR, &h, 0));
	QT_CHECK_EQ(qt_peer_map(&w, h, 2 * qt_page(), PROT_READ, MAP_SHARED,
	    0, 0, qt_page(), &rep), 0);
	QT_CHECK_EQ(rep.first[0], 'b');
	/* Only the recipient may use it; its creator may delete it. */
	QT_CHECK_OK(shm_create_handle(fd, w.pid, O_RDONLY, &h, 0));
	QT_CHECK_ERR(shm_open_handle(h, O_RDONLY), ESRCH);
	QT_CHECK_OK(shm_delete_handle(h));
	/* Connected, it stays held: that fd is its proved identity. */
	QT_CHECK_EQ(tn_procdirs(b->pid, w.pid), 1);
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.handles, 0);
	QT_CHECK_EQ(qt_peer_stop(&w), 0);
	QT_CHECK_EQ(tn_wait_procdirs(b->pid, w.pid, 0), 0);
	close(fd);
	return (0);
}

/* Without pidfds the broker starts, grants, opens, maps and deletes. */
static void
test_serves(void **state)
{
	(void)state;
	tn_run(tn_body_serves);
}

static int
tn_exit_now(void *arg)
{
	(void)arg;
	return (0);
}

static int
tn_body_targets(void *arg)
{
	shm_handle_t	h;
	pid_t		zombie;
	int		fd;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'z')) >= 0);
	QT_CHECK((zombie = qt_fork(tn_exit_now, NULL)) > 0);
	while (!qt_exited(zombie))
		qt_nap(2);
	QT_CHECK_ERR(shm_create_handle(fd, zombie, O_RDONLY, &h, 0), ESRCH);
	QT_CHECK_EQ(qt_wait(zombie), 0);
	/* Reaped: the pid names nothing now (or someone new: not ours). */
	QT_CHECK_ERR(shm_create_handle(fd, INT_MAX, O_RDONLY, &h, 0), ESRCH);
	QT_CHECK_ERR(shm_create_handle(fd, -1, O_RDONLY, &h, 0), ESRCH);
	close(fd);
	return (0);
}

/* Zombies and missing pids are refused ESRCH, as with pidfds. */
static void
test_targets(void **state)
{
	(void)state;
	tn_run(tn_body_targets);
}

static int
tn_body_reclaim(void *arg)
{
	struct qt_broker	*b = arg;
	struct qshm_stats	 st0, st1;
	struct qt_peer		 w;
	shm_handle_t		 h;
	int			 fd, i, fds0;

	QT_CHECK((fd = qt_memfd(qt_page(), 'r')) >= 0);
	QT_CHECK_OK(qt_peer_start(&w));
	/* Warm up: the sweep's timer, made once, stays. */
	QT_CHECK_OK(shm_create_handle(fd, w.pid, O_RDONLY, &h, 0));
	QT_CHECK_OK(shm_delete_handle(h));
	QT_CHECK_OK(qshm_stats(&st0));
	fds0 = qt_count_fds(b->pid);
	for (i = 0; i < 5; i++)
		QT_CHECK_OK(shm_create_handle(fd, w.pid, O_RDONLY, &h, 0));
	QT_CHECK_OK(qshm_stats(&st1));
	QT_CHECK_EQ(st1.handles, 5);
	qt_peer_kill(&w);
	QT_CHECK_EQ(tn_wait_no_handles(), 0);
	QT_CHECK_OK(qshm_stats(&st1));
	QT_CHECK_EQ(st1.reclaimed - st0.reclaimed, 5);
	QT_CHECK_EQ(qt_wait_fds(b->pid, fds0), fds0);
	close(fd);
	return (0);
}

/* A recipient's exit is found by the sweep and its handles reclaimed. */
static void
test_reclaim(void **state)
{
	(void)state;
	tn_run(tn_body_reclaim);
}

/* With n more descriptors open, grant itself a handle and open it. */
static int
tn_many_fds(void *arg)
{
	struct rlimit	rl;
	shm_handle_t	h;
	int		n = *(int *)arg, i, fd, sfd;

	rl.rlim_cur = rl.rlim_max = (rlim_t)n + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    (fd = qt_memfd(qt_page(), 'm')) == -1)
		return (2);
	for (i = 0; i < n; i++)
		if (dup(fd) == -1)
			return (3);
	if (shm_create_handle(fd, getpid(), O_RDONLY, &h, 0) == -1)
		return (1);
	if ((sfd = shm_open_handle(h, O_RDONLY)) == -1)
		return (1);
	close(sfd);
	return (0);
}

static int
tn_body_peer(void *arg)
{
	struct qt_peer	w;
	struct qt_rep	rep;
	shm_handle_t	h;
	int		fd, n;

	(void)arg;
	QT_CHECK((fd = qt_memfd(4 * qt_page(), 'p')) >= 0);
	QT_CHECK_OK(qt_peer_start(&w));
	QT_CHECK_OK(shm_create_handle(fd, w.pid, O_RDONLY, &h, 0));
	QT_CHECK(qt_peer_open(&w, h, O_RDONLY, 1, getpid(), &rep) >= 0);
	QT_CHECK_EQ(rep.accmode, O_RDONLY);
	QT_CHECK_OK(shm_create_handle(fd, w.pid, O_RDWR, &h, 0));
	QT_CHECK_EQ(qt_peer_map(&w, h, 2 * qt_page(), PROT_READ, MAP_SHARED,
	    0, 0, qt_page(), &rep), 0);
	QT_CHECK_EQ(rep.first[0], 'q');
	QT_CHECK_EQ(qt_peer_stop(&w), 0);
	n = 3000;
	QT_CHECK_EQ(qt_run(tn_many_fds, &n), 0);
	/* Past what the proof reads: refused, not misread. */
	n = PEERPROOF_MAX_FDS + 16;
	QT_CHECK_EQ(qt_run(tn_many_fds, &n), 1);
	close(fd);
	return (0);
}

/* No SO_PEERPIDFD: makers proved by the socket they hold are served. */
static void
test_peer_proved(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (a descriptor limit over %d)\n",
		    PEERPROOF_MAX_FDS);
		skip();
	}
	tn_run_on("peer", tn_body_peer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serves),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_reclaim),
		cmocka_unit_test(test_peer_proved),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
