/*
 * test-limits.c: the per-process limit on unconsumed handles
 * (RLIMIT_SHM_HANDLES_NP, qshm_handle_limit(), the getrlimit/setrlimit
 * wrappers) and the broker's per-uid and global caps.  A full limit gives
 * EAGAIN and frees again when a handle is consumed, deleted, or its
 * recipient exits (reclaim is asynchronous: polled with a bound).
 *
 * Each test starts its own broker (the caps are broker options) and runs
 * its body in a fresh child, so every body connects anew.
 */

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"
#include "proto.h"

/* Grant fd to pid read-only; 0 or the errno. */
static int
tl_grant(int fd, pid_t pid, shm_handle_t *h)
{
	return (shm_create_handle(fd, pid, O_RDONLY, h, 0) == -1 ? errno : 0);
}

/*
 * Poll, within the bound, until a grant to pid succeeds (EAGAIN while
 * the broker has not reclaimed yet); 0 or the last errno.
 */
static int
tl_grant_eventually(int fd, pid_t pid, shm_handle_t *h)
{
	int64_t	deadline = qt_now_ms() + QT_TIMEOUT_MS;
	int	e;

	while ((e = tl_grant(fd, pid, h)) == EAGAIN &&
	    qt_now_ms() < deadline)
		qt_nap(2);
	return (e);
}

static int
tl_body_limit(void *arg)
{
	struct qt_peer		a, r;
	struct qt_rep		rep;
	struct qshm_stats	st;
	struct rlimit		nl, ol;
	shm_handle_t		h[8];
	int			fd;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(qshm_handle_limit(0, NULL, &ol));
	QT_CHECK_EQ(ol.rlim_cur, 1024);
	QT_CHECK_EQ(ol.rlim_max, 65536);
	nl.rlim_cur = 3;
	nl.rlim_max = ol.rlim_max;
	QT_CHECK_OK(qshm_handle_limit(0, &nl, &ol));
	QT_CHECK_EQ(ol.rlim_cur, 1024);		/* the value before */
	QT_CHECK_OK(qshm_handle_limit(getpid(), NULL, &ol));
	QT_CHECK_EQ(ol.rlim_cur, 3);
	QT_CHECK_EQ(ol.rlim_max, 65536);

	QT_CHECK_OK(qt_peer_start(&a));
	QT_CHECK_OK(qt_peer_start(&r));		/* never connects */
	QT_CHECK_EQ(tl_grant(fd, a.pid, &h[0]), 0);
	QT_CHECK_EQ(tl_grant(fd, a.pid, &h[1]), 0);
	QT_CHECK_EQ(tl_grant(fd, a.pid, &h[2]), 0);
	QT_CHECK_EQ(tl_grant(fd, a.pid, &h[3]), EAGAIN);
	QT_CHECK_EQ(tl_grant(fd, r.pid, &h[3]), EAGAIN);
	QT_CHECK_ERR(shm_create_subrange_handle(fd, r.pid, O_RDONLY, &h[3], 0,
	    qt_page(), 0), EAGAIN);
	QT_CHECK_ERR(shm_create_handle(fd, r.pid, O_RDWR, &h[3],
	    SHM_CREATE_HANDLE_OPT_NOFD), EAGAIN);

	/* Consumed by an open. */
	QT_CHECK(qt_peer_open(&a, h[0], O_RDONLY, 0, 0, &rep) >= 0);
	QT_CHECK_EQ(tl_grant(fd, r.pid, &h[4]), 0);
	QT_CHECK_EQ(tl_grant(fd, r.pid, &h[5]), EAGAIN);
	/* Consumed by a map. */
	QT_CHECK_EQ(qt_peer_map(&a, h[1], qt_page(), PROT_READ, MAP_SHARED,
	    0, 0, 0, &rep), 0);
	QT_CHECK_EQ(tl_grant(fd, r.pid, &h[5]), 0);
	QT_CHECK_EQ(tl_grant(fd, r.pid, &h[6]), EAGAIN);
	/* Deleted by the creator, and by the recipient. */
	QT_CHECK_OK(shm_delete_handle(h[4]));
	QT_CHECK_EQ(tl_grant(fd, a.pid, &h[4]), 0);
	QT_CHECK_EQ(tl_grant(fd, a.pid, &h[6]), EAGAIN);
	QT_CHECK_EQ(qt_peer_delete(&a, h[4]), 0);
	QT_CHECK_EQ(tl_grant(fd, a.pid, &h[4]), 0);
	QT_CHECK_EQ(tl_grant(fd, a.pid, &h[6]), EAGAIN);
	/* Pending now: h[2], h[4] for a; h[5] for r. */

	/* The recipient exits: its handles go back, asynchronously. */
	QT_CHECK_OK(qshm_stats(&st));
	qt_peer_kill(&r);
	QT_CHECK_EQ(tl_grant_eventually(fd, a.pid, &h[6]), 0);
	QT_CHECK_EQ(tl_grant(fd, a.pid, &h[7]), EAGAIN);
	qt_peer_kill(&a);
	QT_CHECK_OK(qt_peer_start(&r));
	QT_CHECK_EQ(tl_grant_eventually(fd, r.pid, &h[0]), 0);
	QT_CHECK_EQ(tl_grant(fd, r.pid, &h[1]), 0);
	QT_CHECK_EQ(tl_grant(fd, r.pid, &h[2]), 0);
	QT_CHECK_EQ(tl_grant(fd, r.pid, &h[3]), EAGAIN);
	{
		struct qshm_stats	st2;

		QT_CHECK_OK(qshm_stats(&st2));
		QT_CHECK(st2.reclaimed >= st.reclaimed + 4);
		QT_CHECK_EQ(st2.handles, 3);
	}
	qt_peer_kill(&r);
	close(fd);
	return (0);
}

/* The limit, lowered to N: the N+1th grant is EAGAIN; it frees again. */
static void
test_limit_eagain(void **state)
{
	(void)state;
	qt_with_broker(NULL, tl_body_limit, NULL);
}

static int
tl_body_rlimit(void *arg)
{
	struct rlimit	rl, real;
	shm_handle_t	h;
	int		fd;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(getrlimit(RLIMIT_SHM_HANDLES_NP, &rl));
	QT_CHECK_EQ(rl.rlim_cur, 1024);
	QT_CHECK_EQ(rl.rlim_max, 65536);
	rl.rlim_cur = 2;
	QT_CHECK_OK(setrlimit(RLIMIT_SHM_HANDLES_NP, &rl));
	memset(&rl, 0, sizeof rl);
	QT_CHECK_OK(getrlimit(RLIMIT_SHM_HANDLES_NP, &rl));
	QT_CHECK_EQ(rl.rlim_cur, 2);
	QT_CHECK_EQ(rl.rlim_max, 65536);
	QT_CHECK_EQ(tl_grant(fd, getpid(), &h), 0);
	QT_CHECK_EQ(tl_grant(fd, getpid(), &h), 0);
	QT_CHECK_EQ(tl_grant(fd, getpid(), &h), EAGAIN);
	/* soft above hard */
	rl.rlim_cur = 70000;
	QT_CHECK_ERR(setrlimit(RLIMIT_SHM_HANDLES_NP, &rl), EINVAL);
	QT_CHECK_ERR(qshm_handle_limit(0, &rl, NULL), EINVAL);
	/* Lower the hard limit; root may raise it again. */
	rl.rlim_cur = 2;
	rl.rlim_max = 100;
	QT_CHECK_OK(setrlimit(RLIMIT_SHM_HANDLES_NP, &rl));
	QT_CHECK_OK(getrlimit(RLIMIT_SHM_HANDLES_NP, &rl));
	QT_CHECK_EQ(rl.rlim_max, 100);
	if (geteuid() == 0) {
		rl.rlim_cur = RLIM_INFINITY;
		rl.rlim_max = RLIM_INFINITY;
		QT_CHECK_OK(setrlimit(RLIMIT_SHM_HANDLES_NP, &rl));
		memset(&rl, 0, sizeof rl);
		QT_CHECK_OK(getrlimit(RLIMIT_SHM_HANDLES_NP, &rl));
		QT_CHECK(rl.rlim_cur == RLIM_INFINITY);
		QT_CHECK(rl.rlim_max == RLIM_INFINITY);
		QT_CHECK_EQ(tl_grant(fd, getpid(), &h), 0);
	} else {
		rl.rlim_max = 200;
		QT_CHECK_ERR(setrlimit(RLIMIT_SHM_HANDLES_NP, &rl), EPERM);
	}
	/* Other resources reach the kernel. */
	QT_CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	QT_CHECK_OK(prlimit(0, RLIMIT_NOFILE, NULL, &real));
	QT_CHECK_EQ(rl.rlim_cur, real.rlim_cur);
	QT_CHECK_EQ(rl.rlim_max, real.rlim_max);
	rl.rlim_cur = real.rlim_cur - 1;
	QT_CHECK_OK(setrlimit(RLIMIT_NOFILE, &rl));
	QT_CHECK_OK(prlimit(0, RLIMIT_NOFILE, NULL, &real));
	QT_CHECK_EQ(real.rlim_cur, rl.rlim_cur);
	QT_CHECK_OK(getrlimit(RLIMIT_CORE, &rl));
	QT_CHECK_OK(prlimit(0, RLIMIT_CORE, NULL, &real));
	QT_CHECK_EQ(rl.rlim_cur, real.rlim_cur);
	close(fd);
	return (0);
}

/* getrlimit()/setrlimit() through the header know the handle limit. */
static void
test_rlimit_wrappers(void **state)
{
	(void)state;
	qt_with_broker(NULL, tl_body_rlimit, NULL);
}

static int
tl_body_other_pid(void *arg)
{
	struct qt_peer	a, quiet;
	struct qt_req	rq = { .op = QT_OP_STATS };
	struct qt_rep	rep;
	struct rlimit	nl = { 1, 65536 }, ol;
	shm_handle_t	h;
	int		fd;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(qt_peer_start(&a));
	QT_CHECK_OK(qt_peer_start(&quiet));
	QT_CHECK_OK(qt_peer_call(&a, &rq, &rep));	/* a is connected */
	QT_CHECK_EQ(rep.ret, 0);
	QT_CHECK_OK(qshm_handle_limit(a.pid, NULL, &ol));
	QT_CHECK_EQ(ol.rlim_cur, 1024);
	QT_CHECK_OK(qshm_handle_limit(a.pid, &nl, NULL));
	QT_CHECK_EQ(qt_peer_grant(&a, fd, getpid(), O_RDONLY, 0, &h), 0);
	QT_CHECK_EQ(qt_peer_grant(&a, fd, getpid(), O_RDONLY, 0, &h), EAGAIN);
	/* Our own limit did not move. */
	QT_CHECK_OK(qshm_handle_limit(0, NULL, &ol));
	QT_CHECK_EQ(ol.rlim_cur, 1024);
	/* A process that never connected, and no process: ESRCH. */
	QT_CHECK_ERR(qshm_handle_limit(quiet.pid, NULL, &ol), ESRCH);
	QT_CHECK_ERR(qshm_handle_limit(INT_MAX, NULL, &ol), ESRCH);
	nl.rlim_cur = 10;
	nl.rlim_max = 5;
	QT_CHECK_ERR(qshm_handle_limit(a.pid, &nl, NULL), EINVAL);
	QT_CHECK_EQ(qt_peer_stop(&a), 0);
	QT_CHECK_EQ(qt_peer_stop(&quiet), 0);
	close(fd);
	return (0);
}

/* qshm_handle_limit() of another connected process of the same uid. */
static void
test_limit_other_pid(void **state)
{
	(void)state;
	qt_with_broker(NULL, tl_body_other_pid, NULL);
}

/* Run op LIMIT in peer p; the errno (0 on success). */
static int
tl_peer_limit(struct qt_peer *p, pid_t pid, uint64_t cur, uint64_t max)
{
	struct qt_req	rq = { .op = QT_OP_LIMIT, .pid = pid, .cur = cur,
			    .max = max };
	struct qt_rep	rep;

	if (qt_peer_call(p, &rq, &rep) == -1)
		return (EPIPE);
	return (rep.err);
}

static int
tl_body_unprivileged(void *arg)
{
	struct qt_peer	u;
	struct qt_req	rq = { .op = QT_OP_STATS };
	struct qt_rep	rep;
	struct rlimit	ol;

	(void)arg;
	QT_CHECK_OK(qshm_handle_limit(0, NULL, &ol));	/* we connect */
	QT_CHECK_OK(qt_peer_start_nobody(&u));
	rq.op = QT_OP_DROP_CAPS;
	QT_CHECK_OK(qt_peer_call(&u, &rq, &rep));
	QT_CHECK_EQ(rep.ret, 0);
	/* Raising the hard limit needs root. */
	QT_CHECK_EQ(tl_peer_limit(&u, 0, 10, 70000), EPERM);
	QT_CHECK_EQ(tl_peer_limit(&u, 0, 10, 65536), 0);
	QT_CHECK_EQ(tl_peer_limit(&u, 0, 10, 100), 0);
	QT_CHECK_EQ(tl_peer_limit(&u, 0, 10, 101), EPERM);
	/* Another uid's process: EPERM; root may. */
	QT_CHECK_EQ(tl_peer_limit(&u, getpid(), 0, 0), EPERM);
	QT_CHECK_OK(qshm_handle_limit(u.pid, NULL, &ol));
	QT_CHECK_EQ(ol.rlim_cur, 10);
	QT_CHECK_EQ(ol.rlim_max, 100);
	QT_CHECK_EQ(qt_peer_stop(&u), 0);
	return (0);
}

/* As an unprivileged uid: EPERM for a higher hard limit, another uid. */
static void
test_limit_unprivileged(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (to make an unprivileged client)\n");
		skip();
	}
	qt_with_broker(NULL, tl_body_unprivileged, NULL);
}

static int
tl_body_per_uid(void *arg)
{
	struct qt_broker	*b = arg;
	struct qshm_stats	 st;
	struct qt_peer		 c, r;
	shm_handle_t		 h[4], x;
	int			 fd;

	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.pid, b->pid);
	QT_CHECK_EQ(st.max_handles_per_uid, 4);
	QT_CHECK_OK(qt_peer_start(&c));
	QT_CHECK_OK(qt_peer_start(&r));
	QT_CHECK_EQ(tl_grant(fd, r.pid, &h[0]), 0);
	QT_CHECK_EQ(tl_grant(fd, r.pid, &h[1]), 0);
	QT_CHECK_EQ(qt_peer_grant(&c, fd, r.pid, O_RDONLY, 0, &h[2]), 0);
	QT_CHECK_EQ(qt_peer_grant(&c, fd, getpid(), O_RDONLY, 0, &h[3]), 0);
	/* Two each, far below the per-process limit, four for the uid. */
	QT_CHECK_EQ(tl_grant(fd, r.pid, &x), EAGAIN);
	QT_CHECK_EQ(qt_peer_grant(&c, fd, r.pid, O_RDONLY, 0, &x), EAGAIN);
	/* Deleting one frees one. */
	QT_CHECK_OK(shm_delete_handle(h[3]));
	QT_CHECK_EQ(qt_peer_grant(&c, fd, r.pid, O_RDONLY, 0, &x), 0);
	QT_CHECK_EQ(tl_grant(fd, r.pid, &x), EAGAIN);
	/* The recipient's exit frees all of them. */
	qt_peer_kill(&r);
	QT_CHECK_EQ(tl_grant_eventually(fd, getpid(), &h[0]), 0);
	QT_CHECK_EQ(tl_grant(fd, getpid(), &h[1]), 0);
	QT_CHECK_EQ(tl_grant(fd, getpid(), &h[2]), 0);
	QT_CHECK_EQ(tl_grant(fd, getpid(), &h[3]), 0);
	QT_CHECK_EQ(tl_grant(fd, getpid(), &x), EAGAIN);
	QT_CHECK_EQ(qt_peer_stop(&c), 0);
	close(fd);
	return (0);
}

/* --max-handles-per-uid: the uid's processes share the cap. */
static void
test_cap_per_uid(void **state)
{
	const char *const	extra[] = { "--max-handles-per-uid", "4", NULL };

	(void)state;
	qt_with_broker(extra, tl_body_per_uid, NULL);
}

static int
tl_body_global(void *arg)
{
	struct qt_broker	*b = arg;
	struct qshm_stats	 st;
	struct qt_peer		 c, u;
	shm_handle_t		 h[4], x;
	int			 fd, o;

	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.pid, b->pid);
	QT_CHECK_EQ(st.max_handles, 3);
	QT_CHECK_EQ(st.max_handles_per_uid, 2);
	QT_CHECK_OK(qt_peer_start(&c));
	QT_CHECK_EQ(tl_grant(fd, getpid(), &h[0]), 0);
	QT_CHECK_EQ(tl_grant(fd, getpid(), &h[1]), 0);
	QT_CHECK_EQ(tl_grant(fd, getpid(), &x), EAGAIN);	/* per uid */
	QT_CHECK_EQ(qt_peer_grant(&c, fd, getpid(), O_RDONLY, 0, &x), EAGAIN);
	if (geteuid() == 0) {
		/* Another uid: its first fits, its second hits the global. */
		QT_CHECK_OK(qt_peer_start_nobody(&u));
		QT_CHECK_EQ(qt_peer_grant(&u, fd, getpid(), O_RDONLY, 0,
		    &h[2]), 0);
		QT_CHECK_EQ(qt_peer_grant(&u, fd, getpid(), O_RDONLY, 0,
		    &x), EAGAIN);
		/* Consuming frees a global slot for that uid. */
		QT_CHECK((o = shm_open_handle(h[2], O_RDONLY)) >= 0);
		close(o);
		QT_CHECK_EQ(qt_peer_grant(&u, fd, getpid(), O_RDONLY, 0,
		    &h[2]), 0);
		QT_CHECK_EQ(qt_peer_stop(&u), 0);
	} else {
		QT_CHECK((o = shm_open_handle(h[1], O_RDONLY)) >= 0);
		close(o);
		QT_CHECK_EQ(qt_peer_grant(&c, fd, getpid(), O_RDONLY, 0,
		    &h[1]), 0);
	}
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.handles, geteuid() == 0 ? 3 : 2);
	QT_CHECK_EQ(tl_grant(fd, getpid(), &x), EAGAIN);
	QT_CHECK_EQ(qt_peer_stop(&c), 0);
	close(fd);
	return (0);
}

/* --max-handles: the broker-wide cap, separate from the per-uid one. */
static void
test_cap_global(void **state)
{
	const char *const	extra[] = { "--max-handles", "3",
				    "--max-handles-per-uid", "2", NULL };

	(void)state;
	qt_with_broker(extra, tl_body_global, NULL);
}

static int
tl_body_per_process(void *arg)
{
	struct rlimit	rl;
	shm_handle_t	h;
	int		fd, i;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(getrlimit(RLIMIT_SHM_HANDLES_NP, &rl));
	QT_CHECK_EQ(rl.rlim_cur, 5);
	QT_CHECK_EQ(rl.rlim_max, 10);
	for (i = 0; i < 5; i++)
		QT_CHECK_EQ(tl_grant(fd, getpid(), &h), 0);
	QT_CHECK_EQ(tl_grant(fd, getpid(), &h), EAGAIN);
	rl.rlim_cur = 10;
	QT_CHECK_OK(setrlimit(RLIMIT_SHM_HANDLES_NP, &rl));
	QT_CHECK_EQ(tl_grant(fd, getpid(), &h), 0);
	rl.rlim_cur = 11;
	QT_CHECK_ERR(setrlimit(RLIMIT_SHM_HANDLES_NP, &rl), EINVAL);
	close(fd);
	return (0);
}

/* --handles-per-process and --handles-per-process-max set the defaults. */
static void
test_per_process_options(void **state)
{
	const char *const	extra[] = { "--handles-per-process", "5",
				    "--handles-per-process-max", "10", NULL };

	(void)state;
	qt_with_broker(extra, tl_body_per_process, NULL);
}

/*
 * --max-objects: a grant of one object more fails EAGAIN and registers
 * nothing; once an object's last handle goes, its place is free again.
 */
static int
tl_body_objects(void *arg)
{
	struct qshm_stats	st;
	shm_handle_t		h[3];
	int			fd[3], i;

	(void)arg;
	for (i = 0; i < 3; i++)
		QT_CHECK((fd[i] = qt_memfd(qt_page(), 'a' + i)) >= 0);
	QT_CHECK_EQ(tl_grant(fd[0], getpid(), &h[0]), 0);
	QT_CHECK_EQ(tl_grant(fd[1], getpid(), &h[1]), 0);
	QT_CHECK_EQ(tl_grant(fd[2], getpid(), &h[2]), EAGAIN);
	/* Another handle of a registered object is no new object. */
	QT_CHECK_EQ(tl_grant(fd[1], getpid(), &h[2]), 0);
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.objects, 2);
	QT_CHECK_EQ(st.handles, 3);
	QT_CHECK_OK(shm_delete_handle(h[0]));
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.objects, 1);
	QT_CHECK_EQ(tl_grant(fd[2], getpid(), &h[0]), 0);
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.objects, 2);
	for (i = 0; i < 3; i++)
		close(fd[i]);
	return (0);
}

static void
test_cap_objects(void **state)
{
	const char *const	extra[] = { "--max-objects", "2", NULL };

	(void)state;
	qt_with_broker(extra, tl_body_objects, NULL);
}

/* A STATS request on raw connection s succeeds. */
static int
tl_served(int s)
{
	struct proto_msg	m;

	if (proto_send(s, PROTO_STATS, 9, NULL, 0, -1) == -1 ||
	    proto_recv(s, &m) == -1)
		return (-1);
	return (m.hdr.type == (PROTO_STATS | PROTO_REPLY) &&
	    m.u.status.err == 0 ? 0 : -1);
}

/*
 * --max-connections: the connection over the cap is closed at once,
 * those within it are served, and a place that frees up is taken again.
 */
static int
tl_body_connections(void *arg)
{
	const struct qt_broker	*b = arg;
	struct qshm_stats	 st;
	int64_t			 deadline;
	int			 s1, s2, s3;
	char			 c;

	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.connections, 1);
	QT_CHECK_EQ(st.max_connections, 2);
	QT_CHECK((s1 = qt_connect(b->sock)) >= 0);
	QT_CHECK_OK(tl_served(s1));
	QT_CHECK((s2 = qt_connect(b->sock)) >= 0);
	QT_CHECK_EQ(read(s2, &c, 1), 0);
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.connections, 2);
	close(s1);
	deadline = qt_now_ms() + QT_TIMEOUT_MS;
	while (qshm_stats(&st) == 0 && st.connections != 1 &&
	    qt_now_ms() < deadline)
		qt_nap(2);
	QT_CHECK_EQ(st.connections, 1);
	QT_CHECK((s3 = qt_connect(b->sock)) >= 0);
	QT_CHECK_OK(tl_served(s3));
	close(s2);
	close(s3);
	return (0);
}

static void
test_cap_connections(void **state)
{
	const char *const	extra[] = { "--max-connections", "2", NULL };

	(void)state;
	qt_with_broker(extra, tl_body_connections, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_eagain),
		cmocka_unit_test(test_rlimit_wrappers),
		cmocka_unit_test(test_limit_other_pid),
		cmocka_unit_test(test_limit_unprivileged),
		cmocka_unit_test(test_cap_per_uid),
		cmocka_unit_test(test_cap_global),
		cmocka_unit_test(test_per_process_options),
		cmocka_unit_test(test_cap_objects),
		cmocka_unit_test(test_cap_connections),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
