/*
 * test-admin.c: the qshm_ administration calls against a real broker:
 * listing handles and objects (who sees what; more records than the
 * broker writes at once), statistics, parked anonymous objects (park,
 * open_parked, unpark and their errnos) and qshm_admin_revoke() with its
 * counts and EPERM.
 *
 * Each test starts its own broker (so counters and parked ids start
 * fresh) and runs its body in a fresh child.
 */

#include "proto.h"

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

static void
ta_run(int (*body)(void *))
{
	struct qt_broker	b;
	int			status, stop;

	assert_int_equal(qt_broker_start(&b, NULL), 0);
	status = qt_run(body, &b);
	stop = qt_broker_stop(&b);
	assert_int_equal(status, 0);
	assert_int_equal(stop, 0);
}

/* The object with this fd's (dev, ino) as the broker lists it. */
static int
ta_find_object(int fd, struct qshm_object_info *out)
{
	struct qshm_object_info	*list = NULL;
	struct stat		 st;
	size_t			 n = 0, i;
	int			 rv = -1;

	if (fstat(fd, &st) == -1 || qshm_list_objects(&list, &n) == -1)
		return (-1);
	for (i = 0; i < n; i++) {
		if (list[i].dev == st.st_dev && list[i].ino == st.st_ino) {
			if (out != NULL)
				*out = list[i];
			rv = 0;
		}
	}
	free(list);
	return (rv);
}

static int
ta_body_list(void *arg)
{
	struct qshm_handle_info	*hl, i;
	struct qshm_object_info	 oi;
	struct qshm_stats	 st;
	struct qt_peer		 a;
	struct qt_rep		 rep;
	struct stat		 sb;
	shm_handle_t		 h1, h2, h3;
	size_t			 n, pg = qt_page();
	int			 fd, o;

	(void)arg;
	QT_CHECK((fd = qt_memfd(4 * pg, 'A')) >= 0);
	QT_CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
	QT_CHECK_OK(fstat(fd, &sb));
	/* Nothing yet. */
	QT_CHECK_OK(qshm_list_handles(&hl, &n));
	QT_CHECK_EQ(n, 0);
	free(hl);
	QT_CHECK(ta_find_object(fd, NULL) == -1);

	QT_CHECK_OK(qt_peer_start(&a));
	QT_CHECK_OK(shm_create_handle(fd, getpid(), O_RDONLY, &h1, 0));
	QT_CHECK_OK(shm_create_handle(fd, a.pid, O_RDWR, &h2,
	    SHM_CREATE_HANDLE_OPT_NOFD));
	QT_CHECK_OK(shm_create_subrange_handle(fd, a.pid, O_RDONLY, &h3, 0,
	    2 * pg, pg));
	QT_CHECK_OK(qshm_list_handles(&hl, &n));
	QT_CHECK_EQ(n, 3);
	free(hl);
	QT_CHECK_OK(qt_find_handle(h2, &i));
	QT_CHECK_EQ(i.recipient_pid, a.pid);
	QT_CHECK_EQ(i.recipient_uid, geteuid());
	QT_CHECK_EQ(i.creator_pid, getpid());
	QT_CHECK_EQ(i.access, O_RDWR);
	QT_CHECK_EQ(i.options, SHM_CREATE_HANDLE_OPT_NOFD);
	QT_CHECK_EQ(i.dev, sb.st_dev);
	QT_CHECK_EQ(i.ino, sb.st_ino);
	QT_CHECK_EQ(i.length, 0);
	QT_CHECK(strncmp(i.path, "/memfd:", 7) == 0);
	QT_CHECK_OK(qt_find_handle(h3, &i));
	QT_CHECK_EQ(i.offset, pg);
	QT_CHECK_EQ(i.length, 2 * pg);

	QT_CHECK_OK(ta_find_object(fd, &oi));
	QT_CHECK_EQ(oi.pending, 3);
	QT_CHECK_EQ(oi.size, 4 * pg);
	QT_CHECK_EQ(oi.uid, sb.st_uid);
	QT_CHECK_EQ(oi.mode, sb.st_mode);
	QT_CHECK_EQ(oi.seals, F_SEAL_SHRINK | F_SEAL_GROW);
	QT_CHECK_EQ(oi.object_id, 0);
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.handles, 3);
	QT_CHECK_EQ(st.objects, 1);

	/* Consumed handles leave the list; the last takes the object. */
	QT_CHECK((o = shm_open_handle(h1, O_RDONLY)) >= 0);
	close(o);
	QT_CHECK(qt_find_handle(h1, NULL) == -1);
	QT_CHECK_OK(ta_find_object(fd, &oi));
	QT_CHECK_EQ(oi.pending, 2);
	QT_CHECK_EQ(qt_peer_map(&a, h2, pg, PROT_READ, MAP_SHARED, 0, 0, 0,
	    &rep), 0);
	QT_CHECK_EQ(qt_peer_delete(&a, h3), 0);
	QT_CHECK_OK(qshm_list_handles(&hl, &n));
	QT_CHECK_EQ(n, 0);
	free(hl);
	QT_CHECK(ta_find_object(fd, NULL) == -1);
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.objects, 0);
	QT_CHECK_EQ(qt_peer_stop(&a), 0);
	close(fd);
	return (0);
}

/* Handles and objects are listed with what their grants said. */
static void
test_list(void **state)
{
	(void)state;
	ta_run(ta_body_list);
}

#define TA_MANY		150	/* handles: more than two batches of 64 */
#define TA_MANY_OBJS	70

/* Listings of more records than the broker writes at once. */
static int
ta_body_list_many(void *arg)
{
	struct qshm_handle_info	*hl;
	struct qshm_object_info	*ol;
	shm_handle_t		 h[TA_MANY];
	struct stat		 st[TA_MANY_OBJS];
	int			 fd[TA_MANY_OBJS], seen[TA_MANY];
	size_t			 n, i, j;

	(void)arg;
	for (i = 0; i < TA_MANY; i++) {
		if (i < TA_MANY_OBJS) {
			QT_CHECK((fd[i] = qt_memfd(qt_page(), 'M')) >= 0);
			QT_CHECK_OK(fstat(fd[i], &st[i]));
		}
		QT_CHECK_OK(shm_create_handle(fd[i % TA_MANY_OBJS], getpid(),
		    O_RDONLY, &h[i], 0));
	}
	/* Every handle once, each with its own object. */
	QT_CHECK_OK(qshm_list_handles(&hl, &n));
	QT_CHECK_EQ(n, TA_MANY);
	memset(seen, 0, sizeof seen);
	for (i = 0; i < n; i++)
		for (j = 0; j < TA_MANY; j++)
			if (hl[i].handle == h[j] &&
			    hl[i].ino == st[j % TA_MANY_OBJS].st_ino)
				seen[j]++;
	free(hl);
	for (j = 0; j < TA_MANY; j++)
		QT_CHECK_EQ(seen[j], 1);
	QT_CHECK_OK(qshm_list_objects(&ol, &n));
	QT_CHECK_EQ(n, TA_MANY_OBJS);
	memset(seen, 0, sizeof seen);
	for (i = 0; i < n; i++)
		for (j = 0; j < TA_MANY_OBJS; j++)
			if (ol[i].ino == st[j].st_ino)
				seen[j] += (int)ol[i].pending;
	free(ol);
	for (j = 0; j < TA_MANY_OBJS; j++)
		QT_CHECK_EQ(seen[j], j < TA_MANY - 2 * TA_MANY_OBJS ? 3 : 2);
	for (i = 0; i < TA_MANY; i++)
		QT_CHECK_OK(shm_delete_handle(h[i]));
	for (i = 0; i < TA_MANY_OBJS; i++)
		close(fd[i]);
	return (0);
}

static void
test_list_many(void **state)
{
	(void)state;
	ta_run(ta_body_list_many);
}

static int
ta_body_visibility(void *arg)
{
	struct qt_peer	u, v;
	struct qt_req	rq = { .op = QT_OP_STATS };
	struct qt_rep	rep;
	shm_handle_t	mine, theirs;
	int		fd;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(qt_peer_start_nobody(&u));
	QT_CHECK_OK(qt_peer_start(&v));
	/* Root's grant to root: nobody must not see it. */
	QT_CHECK_OK(shm_create_handle(fd, v.pid, O_RDONLY, &mine, 0));
	/* Root's grant to nobody: the recipient's uid sees it. */
	QT_CHECK_OK(shm_create_handle(fd, u.pid, O_RDONLY, &theirs, 0));
	rq.op = QT_OP_LIST;
	rq.handle = mine;
	QT_CHECK_OK(qt_peer_call(&u, &rq, &rep));
	QT_CHECK_EQ(rep.ret, -1);
	rq.handle = theirs;
	QT_CHECK_OK(qt_peer_call(&u, &rq, &rep));
	QT_CHECK_EQ(rep.ret, 0);
	/* Root sees both. */
	QT_CHECK_OK(qt_find_handle(mine, NULL));
	QT_CHECK_OK(qt_find_handle(theirs, NULL));
	QT_CHECK_EQ(qt_peer_stop(&u), 0);
	QT_CHECK_EQ(qt_peer_stop(&v), 0);
	close(fd);
	return (0);
}

/* An unprivileged uid sees only the grants that concern it. */
static void
test_list_visibility(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (to make another uid's client)\n");
		skip();
	}
	ta_run(ta_body_visibility);
}

static int
ta_body_stats(void *arg)
{
	struct qt_broker	*b = arg;
	struct qshm_stats	 s0, s1;
	shm_handle_t		 h;
	void			*p;
	int			 fd, o;

	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(qshm_stats(&s0));
	QT_CHECK_EQ(s0.pid, b->pid);
	QT_CHECK_EQ(s0.protocol, PROTO_VERSION);
	QT_CHECK_EQ(s0.max_handles, 1048576);
	QT_CHECK_EQ(s0.max_handles_per_uid, 65536);
	QT_CHECK_EQ(s0.max_connections, 1024);
	QT_CHECK(s0.connections >= 1);
	QT_CHECK(s0.connections_total >= 1);
	QT_CHECK(s0.procs >= 1);
	QT_CHECK_EQ(s0.handles, 0);
	QT_CHECK_OK(shm_create_handle(fd, getpid(), O_RDONLY, &h, 0));
	QT_CHECK((o = shm_open_handle(h, O_RDONLY)) >= 0);
	close(o);
	QT_CHECK_OK(shm_create_handle(fd, getpid(), O_RDONLY, &h, 0));
	p = mmap_handle(NULL, qt_page(), PROT_READ, MAP_SHARED, h, 0);
	QT_CHECK(p != MAP_FAILED);
	munmap(p, qt_page());
	QT_CHECK_OK(shm_create_handle(fd, getpid(), O_RDONLY, &h, 0));
	QT_CHECK_OK(shm_delete_handle(h));
	QT_CHECK_OK(shm_create_handle(fd, getpid(), O_RDONLY, &h, 0));
	qt_nap(20);
	QT_CHECK_OK(qshm_stats(&s1));
	QT_CHECK_EQ(s1.grants, s0.grants + 4);
	QT_CHECK_EQ(s1.opens, s0.opens + 1);
	QT_CHECK_EQ(s1.maps, s0.maps + 1);
	QT_CHECK_EQ(s1.deletes, s0.deletes + 1);
	QT_CHECK_EQ(s1.handles, 1);
	QT_CHECK_EQ(s1.objects, 1);
	QT_CHECK(s1.uptime_ms >= s0.uptime_ms + 20);
	close(fd);
	return (0);
}

/* qshm_stats(): identity, defaults, and counters that count. */
static void
test_stats(void **state)
{
	(void)state;
	ta_run(ta_body_stats);
}

static int
ta_body_park(void *arg)
{
	struct qshm_object_info	oi;
	uint32_t		id1, id2, id3;
	shm_handle_t		h;
	char			c;
	int			fd, ro, o, p[2];

	(void)arg;
	QT_CHECK((fd = qt_memfd(2 * qt_page(), 'P')) >= 0);
	QT_CHECK_OK(qshm_park(fd, &id1));
	QT_CHECK_EQ(id1, 1);
	/* A second object, parked through a read-only descriptor. */
	QT_CHECK((o = qt_memfd(qt_page(), 'R')) >= 0);
	QT_CHECK((ro = qt_reopen(o, O_RDONLY)) >= 0);
	close(o);
	QT_CHECK_OK(qshm_park(ro, &id2));
	QT_CHECK_EQ(id2, 2);
	QT_CHECK_OK(ta_find_object(fd, &oi));
	QT_CHECK_EQ(oi.object_id, id1);
	QT_CHECK_EQ(oi.uid, geteuid());
	QT_CHECK_OK(ta_find_object(ro, &oi));
	QT_CHECK_EQ(oi.object_id, id2);

	/* Open a parked object: up to the parked fd's mode. */
	QT_CHECK((o = qshm_open_parked(id1, O_RDWR)) >= 0);
	QT_CHECK_EQ(fcntl(o, F_GETFL) & O_ACCMODE, O_RDWR);
	QT_CHECK_EQ(pread(o, &c, 1, 0), 1);
	QT_CHECK_EQ(c, 'P');
	close(o);
	QT_CHECK((o = qshm_open_parked(id2, O_RDONLY)) >= 0);
	QT_CHECK_EQ(fcntl(o, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(o);
	QT_CHECK_ERR(qshm_open_parked(id2, O_RDWR), EACCES);
	QT_CHECK_ERR(qshm_open_parked(id2, O_WRONLY), EACCES);
	QT_CHECK_ERR(qshm_open_parked(99, O_RDONLY), ENOENT);
	QT_CHECK_ERR(qshm_unpark(99), ENOENT);
	/* Not a regular file. */
	QT_CHECK_OK(pipe2(p, O_CLOEXEC));
	QT_CHECK_ERR(qshm_park(p[0], &id3), EINVAL);
	close(p[0]);
	close(p[1]);

	/* Unparked: gone, and ids are never reused. */
	QT_CHECK_OK(qshm_unpark(id2));
	QT_CHECK_ERR(qshm_unpark(id2), ENOENT);
	QT_CHECK_ERR(qshm_open_parked(id2, O_RDONLY), ENOENT);
	QT_CHECK((o = qt_memfd(qt_page(), 'T')) >= 0);
	QT_CHECK_OK(qshm_park(o, &id3));
	QT_CHECK_EQ(id3, 3);
	QT_CHECK_OK(qshm_unpark(id3));
	close(o);

	/* A handle keeps an unparked object alive until it is used. */
	QT_CHECK((o = qshm_open_parked(id1, O_RDWR)) >= 0);
	QT_CHECK_OK(shm_create_handle(o, getpid(), O_RDONLY, &h, 0));
	close(o);
	close(fd);
	close(ro);
	QT_CHECK_OK(qshm_unpark(id1));
	QT_CHECK((o = shm_open_handle(h, O_RDONLY)) >= 0);
	QT_CHECK_EQ(pread(o, &c, 1, qt_page()), 1);
	QT_CHECK_EQ(c, 'Q');
	close(o);
	return (0);
}

/* qshm_park(), qshm_open_parked(), qshm_unpark(). */
static void
test_park(void **state)
{
	(void)state;
	ta_run(ta_body_park);
}

static int
ta_body_park_owner(void *arg)
{
	struct qt_peer	u;
	struct qt_req	rq = { .op = QT_OP_STATS };
	struct qt_rep	rep;
	uint32_t	id;
	int		fd;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'P')) >= 0);
	QT_CHECK_OK(qshm_park(fd, &id));
	QT_CHECK_OK(qt_peer_start_nobody(&u));
	rq.op = QT_OP_PARKED_OPEN;
	rq.handle = id;
	rq.flags = O_RDONLY;
	QT_CHECK_OK(qt_peer_call(&u, &rq, &rep));
	QT_CHECK_EQ(rep.ret, -1);
	QT_CHECK_EQ(rep.err, EACCES);
	rq.op = QT_OP_UNPARK;
	QT_CHECK_OK(qt_peer_call(&u, &rq, &rep));
	QT_CHECK_EQ(rep.ret, -1);
	QT_CHECK_EQ(rep.err, EACCES);
	rq.handle = 77;
	QT_CHECK_OK(qt_peer_call(&u, &rq, &rep));
	QT_CHECK_EQ(rep.err, ENOENT);
	/* Nor can it park the object again (which would name it). */
	rq.op = QT_OP_PARK;
	rq.fd = fd;
	QT_CHECK_OK(qt_peer_call(&u, &rq, &rep));
	QT_CHECK_EQ(rep.ret, -1);
	QT_CHECK_EQ(rep.err, EACCES);
	QT_CHECK_OK(qshm_unpark(id));
	QT_CHECK_EQ(qt_peer_stop(&u), 0);
	close(fd);
	return (0);
}

/* A parked object is its owner's (or root's): others get EACCES. */
static void
test_park_owner(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (to make another uid's client)\n");
		skip();
	}
	ta_run(ta_body_park_owner);
}

static int
ta_body_revoke(void *arg)
{
	struct qt_peer	a, b;
	struct qt_rep	rep;
	shm_handle_t	ha1, ha2, hb, hs, hx;
	int		fd, other;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK((other = qt_memfd(qt_page(), 'B')) >= 0);
	QT_CHECK_OK(qt_peer_start(&a));
	QT_CHECK_OK(qt_peer_start(&b));
	QT_CHECK_EQ(qshm_admin_revoke(fd, -1), 0);	/* none match */
	QT_CHECK_OK(shm_create_handle(fd, a.pid, O_RDONLY, &ha1, 0));
	QT_CHECK_OK(shm_create_handle(fd, a.pid, O_RDONLY, &ha2, 0));
	QT_CHECK_OK(shm_create_handle(fd, b.pid, O_RDONLY, &hb, 0));
	QT_CHECK_OK(shm_create_handle(fd, getpid(), O_RDONLY, &hs, 0));
	QT_CHECK_OK(shm_create_handle(other, a.pid, O_RDONLY, &hx, 0));
	QT_CHECK_EQ(qshm_admin_revoke(fd, a.pid), 2);
	QT_CHECK_EQ(qt_peer_open(&a, ha1, O_RDONLY, 0, 0, &rep), -1);
	QT_CHECK_EQ(rep.err, ESRCH);
	QT_CHECK_EQ(qt_peer_open(&a, ha2, O_RDONLY, 0, 0, &rep), -1);
	QT_CHECK_EQ(rep.err, ESRCH);
	/* Another object's handle for a is untouched. */
	QT_CHECK(qt_peer_open(&a, hx, O_RDONLY, 0, 0, &rep) >= 0);
	QT_CHECK_EQ(qshm_admin_revoke(fd, a.pid), 0);
	QT_CHECK_EQ(qshm_admin_revoke(fd, -1), 2);
	QT_CHECK_EQ(qt_peer_open(&b, hb, O_RDONLY, 0, 0, &rep), -1);
	QT_CHECK_EQ(rep.err, ESRCH);
	QT_CHECK_ERR(shm_open_handle(hs, O_RDONLY), ESRCH);
	QT_CHECK_EQ(qshm_admin_revoke(fd, -1), 0);
	/* Any descriptor of the object names it. */
	QT_CHECK_OK(shm_create_handle(fd, b.pid, O_RDONLY, &hb, 0));
	{
		int	ro = qt_reopen(fd, O_RDONLY);

		QT_CHECK(ro >= 0);
		QT_CHECK_EQ(qshm_admin_revoke(ro, b.pid), 1);
		close(ro);
	}
	QT_CHECK_EQ(qt_peer_stop(&a), 0);
	QT_CHECK_EQ(qt_peer_stop(&b), 0);
	close(other);
	close(fd);
	return (0);
}

/* qshm_admin_revoke(): deletes the matching pending handles, counts them. */
static void
test_admin_revoke(void **state)
{
	(void)state;
	ta_run(ta_body_revoke);
}

static int
ta_body_revoke_eperm(void *arg)
{
	struct qt_peer	u, r;
	struct qt_req	rq = { .op = QT_OP_STATS };
	struct qt_rep	rep;
	shm_handle_t	h, hu;
	int		fd;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(qt_peer_start_nobody(&u));
	QT_CHECK_OK(qt_peer_start(&r));
	/* Root's handle: nobody may not delete it. */
	QT_CHECK_OK(shm_create_handle(fd, r.pid, O_RDONLY, &h, 0));
	rq.op = QT_OP_ADMIN_REVOKE;
	rq.fd = fd;
	rq.pid = r.pid;
	QT_CHECK_OK(qt_peer_call(&u, &rq, &rep));
	QT_CHECK_EQ(rep.ret, -1);
	QT_CHECK_EQ(rep.err, EPERM);
	rq.pid = -1;
	QT_CHECK_OK(qt_peer_call(&u, &rq, &rep));
	QT_CHECK_EQ(rep.ret, -1);
	QT_CHECK_EQ(rep.err, EPERM);
	QT_CHECK_OK(qt_find_handle(h, NULL));
	/* Its own handle it may; root's stays. */
	QT_CHECK_EQ(qt_peer_grant(&u, fd, r.pid, O_RDONLY, 0, &hu), 0);
	QT_CHECK_OK(qt_peer_call(&u, &rq, &rep));
	QT_CHECK_EQ(rep.ret, 1);
	QT_CHECK(qt_find_handle(hu, NULL) == -1);
	QT_CHECK_OK(qt_find_handle(h, NULL));
	/* Root may delete anyone's. */
	QT_CHECK_EQ(qt_peer_grant(&u, fd, r.pid, O_RDONLY, 0, &hu), 0);
	QT_CHECK_EQ(qshm_admin_revoke(fd, r.pid), 2);
	QT_CHECK_EQ(qt_peer_stop(&u), 0);
	QT_CHECK_EQ(qt_peer_stop(&r), 0);
	close(fd);
	return (0);
}

/* qshm_admin_revoke() by a uid that may delete none of them: EPERM. */
static void
test_admin_revoke_eperm(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (to make another uid's client)\n");
		skip();
	}
	ta_run(ta_body_revoke_eperm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_list_many),
		cmocka_unit_test(test_list_visibility),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_park),
		cmocka_unit_test(test_park_owner),
		cmocka_unit_test(test_admin_revoke),
		cmocka_unit_test(test_admin_revoke_eperm),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
