/*
 * test-limits.c: the per-process limit on unconsumed handles
 * (RLIMIT_SHM_HANDLES_NP, qshm_handle_limit(), the getrlimit/setrlimit
 * wrappers) and the broker's per-uid and global caps.  A full limit gives
 * EAGAIN and frees again when a handle is consumed, deleted, or its
 * recipient exits (reclaim is asynchronous: polled with a bound).  A hog
 * (uid QT_NOBODY) that takes all it can of connections, parkings, fds in
 * unread replies or the broker's fd table leaves another uid served.
 *
 * Each test starts its own broker (the caps are broker options) and runs
 * its body in a fresh child, so every body connects anew.
 */

#include <sys/mman.h>
#include <sys/poll.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <dirent.h>

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

/* A grant to ourselves and its open: 0, or -1 with errno. */
static int
tl_cycle(void)
{
	shm_handle_t	h;
	int		fd, o, saved;

	if ((fd = qt_memfd(qt_page(), 'C')) == -1)
		return (-1);
	if (shm_create_handle(fd, getpid(), O_RDONLY, &h, 0) == -1 ||
	    (o = shm_open_handle(h, O_RDONLY)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	close(o);
	close(fd);
	return (0);
}

/* uid's row of qshm_list_uids() into *u; -1 if it has none. */
static int
tl_uid_info(uid_t uid, struct qshm_uid_info *u)
{
	struct qshm_uid_info	*v;
	size_t			 n, i;
	int			 rc = -1;

	if (qshm_list_uids(&v, &n) == -1)
		return (-1);
	for (i = 0; i < n; i++)
		if (v[i].uid == uid) {
			*u = v[i];
			rc = 0;
		}
	free(v);
	return (rc);
}

/*
 * A hog: a child that becomes uid QT_NOBODY (keeping CAP_DAC_OVERRIDE to
 * reach the broker) and runs fn, reporting through up, waiting for the
 * test on down.
 */
struct tl_hog {
	const struct qt_broker	*b;
	int			(*fn)(struct tl_hog *);
	int			 up[2];
	int			 down[2];
	pid_t			 pid;
};

static int
tl_hog_main(void *arg)
{
	struct tl_hog	*h = arg;

	close(h->up[0]);
	close(h->down[1]);
	if (qt_become(QT_NOBODY, QT_NOBODY, 0, NULL, true) == -1)
		return (1);
	return (h->fn(h));
}

static int
tl_hog_start(struct tl_hog *h, const struct qt_broker *b,
    int (*fn)(struct tl_hog *))
{
	h->b = b;
	h->fn = fn;
	if (pipe2(h->up, O_CLOEXEC) == -1 || pipe2(h->down, O_CLOEXEC) == -1)
		return (-1);
	if ((h->pid = qt_fork(tl_hog_main, h)) == -1)
		return (-1);
	close(h->up[1]);
	close(h->down[0]);
	return (0);
}

/* Tell the hog to go on, and its exit status. */
static int
tl_hog_finish(struct tl_hog *h)
{
	int	status;

	(void)qt_send_u64(h->down[1], 1);
	status = qt_wait(h->pid);
	close(h->up[0]);
	close(h->down[1]);
	return (status);
}

/* Connections served until one is refused; report how many; hold them. */
static int
tl_hog_connect(struct tl_hog *h)
{
	uint64_t	go;
	int		n = 0, s;

	while (n < 200 && (s = qt_connect(h->b->sock)) != -1 &&
	    tl_served(s) == 0)
		n++;
	if (qt_send_u64(h->up[1], (uint64_t)n) == -1)
		return (1);
	return (qt_recv_u64(h->down[0], &go) == -1);
}

/*
 * (a) Uid QT_NOBODY opens connections until refused: past its share (a
 * quarter of --max-connections 64) only while a share stays free, so 48;
 * root still connects and is served.
 */
static int
tl_body_conn_share(void *arg)
{
	struct tl_hog		h;
	struct qshm_uid_info	u;
	uint64_t		n;

	QT_CHECK_OK(tl_hog_start(&h, arg, tl_hog_connect));
	QT_CHECK_OK(qt_recv_u64(h.up[0], &n));
	QT_CHECK_OK(tl_cycle());	/* our first connection */
	QT_CHECK_EQ(n, 48);
	QT_CHECK_OK(tl_uid_info(QT_NOBODY, &u));
	QT_CHECK_EQ(u.connections, 48);
	QT_CHECK_EQ(u.max_connections, 16);
	QT_CHECK_EQ(tl_hog_finish(&h), 0);
	return (0);
}

static void
test_share_connections(void **state)
{
	const char *const	extra[] = { "--max-connections", "64", NULL };

	(void)state;
	if (geteuid() != 0)
		skip();
	qt_with_broker(extra, tl_body_conn_share, NULL);
}

struct tl_low {
	uid_t	  uid;
	rlim_t	  nofile;
	int	(*body)(void *);
};

/*
 * In a child (the limit, once lowered, cannot be raised again without
 * CAP_SYS_RESOURCE): lower RLIMIT_NOFILE, start a broker (as uid, -1:
 * ours) that inherits it, run body in a child of its own, stop it.
 */
static int
tl_low_outer(void *arg)
{
	const struct tl_low	*t = arg;
	struct rlimit		 low = { t->nofile, t->nofile };
	struct qt_broker	 b;
	int			 status;

	QT_CHECK_OK(setrlimit(RLIMIT_NOFILE, &low));
	QT_CHECK_OK(t->uid == (uid_t)-1 ? qt_broker_start(&b, NULL) :
	    qt_broker_start_as(&b, t->uid, t->uid, NULL));
	status = qt_run(t->body, &b);
	QT_CHECK_OK(qt_broker_stop(&b));
	return (status);
}

static void
tl_broker_low_run(uid_t uid, rlim_t nofile, int (*body)(void *))
{
	struct tl_low	t = { uid, nofile, body };

	/* valgrind keeps its own copy of the limit: lowering it breaks it. */
	if (geteuid() != 0 || getenv("QT_BROKER_WRAPPER") != NULL)
		skip();
	assert_int_equal(qt_run(tl_low_outer, &t), 0);
}

/* Park empty memfds until refused; report how many and the errno. */
static int
tl_hog_park(struct tl_hog *h)
{
	uint64_t	go;
	uint32_t	id;
	int		n = 0, e = 0, fd;

	while (n < 1000 && e == 0) {
		if ((fd = qt_memfd(0, 'P')) == -1)
			return (1);
		if (qshm_park(fd, &id) == -1)
			e = errno;
		else
			n++;
		close(fd);
	}
	if (qt_send_u64(h->up[1], (uint64_t)n) == -1 ||
	    qt_send_u64(h->up[1], (uint64_t)e) == -1)
		return (1);
	return (qt_recv_u64(h->down[0], &go) == -1);	/* then exit */
}

/*
 * (b) With 256 fds, parkings may take 32 (1/8), a uid 16: the hog parks
 * 16, EAGAIN, exits; its parkings stay (they outlive their parker), and
 * root still parks, grants and opens, with the fds to do it.
 */
static int
tl_body_park_share(void *arg)
{
	struct qt_broker	*b = arg;
	struct qshm_stats	 st;
	struct qshm_uid_info	 u;
	struct tl_hog		 h;
	uint64_t		 n, e;
	uint32_t		 id;
	int			 fd;

	QT_CHECK_OK(tl_hog_start(&h, b, tl_hog_park));
	QT_CHECK_OK(qt_recv_u64(h.up[0], &n));
	QT_CHECK_OK(qt_recv_u64(h.up[0], &e));
	QT_CHECK_EQ(tl_hog_finish(&h), 0);
	QT_CHECK((fd = qt_memfd(0, 'R')) >= 0);
	QT_CHECK_OK(qshm_park(fd, &id));
	close(fd);
	QT_CHECK_OK(tl_cycle());
	QT_CHECK_EQ(n, 16);
	QT_CHECK_EQ(e, EAGAIN);
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.max_parked, 32);
	QT_CHECK_OK(tl_uid_info(QT_NOBODY, &u));
	QT_CHECK_EQ(u.parked, 16);
	QT_CHECK_EQ(u.max_parked, 16);
	QT_CHECK(qt_count_fds(b->pid) < 256 - 16);
	return (0);
}

static void
test_share_parked(void **state)
{
	(void)state;
	tl_broker_low_run((uid_t)-1, 256, tl_body_park_share);
}

#define TL_HOG_CONNS	4
#define TL_HOG_DEPTH	64

/*
 * Read, as they come (bounded), the replies of TL_HOG_DEPTH list requests
 * on each of the n connections in s; each must carry its memfd.
 */
static int
tl_recv_lists(const int *s, int n)
{
	struct pollfd		pfd[TL_HOG_CONNS];
	struct proto_msg	m;
	int			left[TL_HOG_CONNS], total = 0, c, ok;

	for (c = 0; c < n; c++) {
		pfd[c].fd = s[c];
		pfd[c].events = POLLIN;
		left[c] = TL_HOG_DEPTH;
	}
	while (total < n * TL_HOG_DEPTH) {
		if (poll(pfd, (nfds_t)n, QT_TIMEOUT_MS) < 1)
			return (-1);
		for (c = 0; c < n; c++) {
			if (!(pfd[c].revents & POLLIN) || left[c] == 0)
				continue;
			if (proto_recv(s[c], &m) == -1)
				return (-1);
			ok = m.hdr.type == (PROTO_LIST | PROTO_REPLY) &&
			    m.fd >= 0;
			proto_msg_clear(&m);
			if (!ok)
				return (-1);
			left[c]--;
			total++;
		}
	}
	return (0);
}

/*
 * Pipeline TL_HOG_DEPTH list requests (each reply carries a memfd) on
 * each of TL_HOG_CONNS connections, read nothing until told, then every
 * reply: the broker must resume its connections once it reads.
 */
static int
tl_hog_pipeline(struct tl_hog *h)
{
	struct proto_list	l = { .what = PROTO_LIST_UIDS };
	uint64_t		go;
	int			s[TL_HOG_CONNS], c, i;

	for (c = 0; c < TL_HOG_CONNS; c++) {
		QT_CHECK((s[c] = qt_connect(h->b->sock)) >= 0);
		for (i = 0; i < TL_HOG_DEPTH; i++)
			QT_CHECK_OK(proto_send(s[c], PROTO_LIST,
			    (uint32_t)i + 1, &l, sizeof l, -1));
	}
	QT_CHECK_OK(qt_send_u64(h->up[1], 1));
	QT_CHECK_OK(qt_recv_u64(h->down[0], &go));
	QT_CHECK_OK(tl_recv_lists(s, TL_HOG_CONNS));
	return (0);
}

/*
 * (c) The broker runs as uid 65533 with 128 fds: the kernel refuses it
 * a 129th fd in flight, for every uid.  The hog's 256 unread list
 * replies would pass that; it is held at its share (16 of 64), and root's
 * grants, opens and lists, whose replies carry fds, go on.
 */
static int
tl_body_inflight_share(void *arg)
{
	struct qshm_handle_info	*v;
	struct qshm_stats	 st;
	struct qshm_uid_info	 u;
	struct tl_hog		 h;
	uint64_t		 sent;
	size_t			 n;
	int			 i;

	QT_CHECK_OK(tl_hog_start(&h, arg, tl_hog_pipeline));
	QT_CHECK_OK(qt_recv_u64(h.up[0], &sent));
	for (i = 0; i < 100; i++) {
		QT_CHECK_OK(tl_cycle());
		QT_CHECK_OK(qshm_list_handles(&v, &n));
		free(v);
	}
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.max_inflight, 64);
	QT_CHECK_OK(tl_uid_info(QT_NOBODY, &u));
	QT_CHECK_EQ(u.max_inflight, 16);
	QT_CHECK(u.inflight > 0 && u.inflight <= 16);
	QT_CHECK_EQ(u.connections, TL_HOG_CONNS);	/* throttled, not cut */
	QT_CHECK_EQ(tl_hog_finish(&h), 0);
	return (0);
}

static void
test_share_inflight(void **state)
{
	(void)state;
	tl_broker_low_run(65533, 128, tl_body_inflight_share);
}

/* The fds of pid numbered below lim (one it inherited may be above). */
static int
tl_fds_below(pid_t pid, int lim)
{
	char		 path[64];
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	snprintf(path, sizeof path, "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL)
		return (-1);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && atoi(e->d_name) < lim)
			n++;
	closedir(d);
	return (n);
}

/*
 * (d) With 64 fds: connections until refused, then objects until the
 * broker holds 63 fds, then 16 connections closed (holes low in its fd
 * table, none free above).  A new flood must still leave the reserve
 * (16) free: the grant and open that follow need fds.  After it, new
 * connections are served again.
 */
static int
tl_body_fd_holes(void *arg)
{
	struct qt_broker	*b = arg;
	struct qshm_stats	 st;
	shm_handle_t		 h;
	int			 s[64], t[64], fds[64];
	int			 n = 0, m = 0, k = 0, i, c;

	QT_CHECK_OK(tl_cycle());	/* connected */
	while (n < 64 && (s[n] = qt_connect(b->sock)) != -1 &&
	    tl_served(s[n]) == 0)
		n++;
	QT_CHECK(n > 16 && n < 64);
	close(s[n]);
	while (k < 64 && tl_fds_below(b->pid, 64) < 63) {
		QT_CHECK((fds[k] = qt_memfd(qt_page(), 'H')) >= 0);
		QT_CHECK_OK(shm_create_handle(fds[k], getpid(), O_RDONLY,
		    &h, 0));
		k++;
	}
	/* A round trip: the last grant's own fd is closed by now. */
	QT_CHECK_OK(qshm_stats(&st));
	c = qt_count_fds(b->pid);
	for (i = 0; i < 16; i++)
		close(s[i]);
	QT_CHECK_EQ(qt_wait_fds(b->pid, c - 16), c - 16);	/* holes */
	while (m < 64 && (t[m] = qt_connect(b->sock)) != -1 &&
	    tl_served(t[m]) == 0)
		m++;
	QT_CHECK(m < 64);
	close(t[m]);

	/* Shed: the reserve is still free, and serves. */
	c = tl_fds_below(b->pid, 64);
	QT_CHECK_OK(tl_cycle());
	QT_CHECK(c <= 64 - 16);
	for (i = 16; i < n; i++)
		close(s[i]);
	for (i = 0; i < m; i++)
		close(t[i]);
	for (i = 0; i < k; i++)
		close(fds[i]);
	QT_CHECK((i = qt_connect(b->sock)) >= 0);
	QT_CHECK_OK(tl_served(i));
	close(i);
	return (0);
}

static void
test_share_fd_holes(void **state)
{
	(void)state;
	tl_broker_low_run((uid_t)-1, 64, tl_body_fd_holes);
}

/* The share options set what qshm_stats() and the uid rows report. */
static int
tl_body_share_options(void *arg)
{
	struct qshm_stats	st;
	struct qshm_uid_info	u;
	uint32_t		id;
	int			fd, i;

	(void)arg;
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.max_parked, 5);
	QT_CHECK_EQ(st.max_inflight, 7);
	QT_CHECK_OK(tl_uid_info(getuid(), &u));
	QT_CHECK_EQ(u.max_connections, 3);
	QT_CHECK_EQ(u.max_parked, 2);
	QT_CHECK_EQ(u.max_inflight, 4);
	QT_CHECK((fd = qt_memfd(0, 'O')) >= 0);
	for (i = 0; i < 2; i++) {
		QT_CHECK_OK(qshm_park(fd, &id));
		close(fd);
		QT_CHECK((fd = qt_memfd(0, 'O')) >= 0);
	}
	QT_CHECK_ERR(qshm_park(fd, &id), EAGAIN);
	close(fd);
	return (0);
}

static void
test_share_options(void **state)
{
	const char *const	extra[] = { "--max-connections-per-uid", "3",
				    "--max-parked", "5", "--max-parked-per-uid",
				    "2", "--max-inflight", "7",
				    "--max-inflight-per-uid", "4", NULL };

	(void)state;
	qt_with_broker(extra, tl_body_share_options, NULL);
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
		cmocka_unit_test(test_share_connections),
		cmocka_unit_test(test_share_parked),
		cmocka_unit_test(test_share_inflight),
		cmocka_unit_test(test_share_fd_holes),
		cmocka_unit_test(test_share_options),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
