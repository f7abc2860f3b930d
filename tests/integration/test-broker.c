/*
 * test-broker.c: the broker as a process.  It survives garbage on its
 * socket and a client killed between request and reply while others keep
 * working; 1000 connections in a row leak no descriptor; one broker per
 * path; autostart starts one on the first call, QSHM_AUTOSTART=0 gives
 * ECONNREFUSED.
 *
 * Each test starts its own broker (or none) and runs its body in a fresh
 * child, so every body connects anew.
 */

#include "proto.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"

/* Send raw bytes with nfds memfds attached. */
static int
tb_send_raw(int s, const void *buf, size_t len, int nfds)
{
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(sizeof(int) * 4)];
	} cbuf;
	struct iovec	 iov = { (void *)(uintptr_t)buf, len };
	struct msghdr	 mh;
	struct cmsghdr	*c;
	int		 fds[4], i, rv;

	memset(&mh, 0, sizeof mh);
	memset(&cbuf, 0, sizeof cbuf);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	for (i = 0; i < nfds; i++)
		fds[i] = qt_memfd(qt_page(), 'g');
	if (nfds > 0) {
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	rv = sendmsg(s, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	return (rv);
}

/*
 * The broker must close this connection: within the bound we read end of
 * stream (after at most one message, which may name the broker's
 * version).  0 if it did.
 */
static int
tb_expect_closed(int s)
{
	unsigned char		buf[512];
	struct pollfd		pfd = { s, POLLIN, 0 };
	struct proto_hdr	hdr;
	int			msgs = 0;
	ssize_t			n;

	for (;;) {
		if (poll(&pfd, 1, QT_TIMEOUT_MS) != 1) {
			fprintf(stderr, "tb_expect_closed: still open\n");
			return (-1);
		}
		n = recv(s, buf, sizeof buf, MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return (0);
		if (n < 0 || ++msgs > 1)
			return (-1);
		if ((size_t)n < sizeof hdr)
			return (-1);
		memcpy(&hdr, buf, sizeof hdr);
		if (hdr.magic != PROTO_MAGIC || hdr.version != PROTO_VERSION)
			return (-1);
	}
}

/* Encode a header and payload into buf; its size. */
static size_t
tb_encode(unsigned char *buf, uint32_t magic, uint16_t version,
    uint16_t type, uint32_t len, const void *payload, size_t paylen)
{
	struct proto_hdr	hdr = { magic, version, type, 1, len };

	memcpy(buf, &hdr, sizeof hdr);
	if (paylen > 0)
		memcpy(buf + sizeof hdr, payload, paylen);
	return (sizeof hdr + paylen);
}

/* One garbage message on a fresh connection; the broker must drop it. */
static int
tb_garbage_one(const char *sock, const void *buf, size_t len, int nfds)
{
	int	s, rv;

	if ((s = qt_connect(sock)) == -1)
		return (-1);
	if (tb_send_raw(s, buf, len, nfds) == -1) {
		close(s);
		return (-1);
	}
	rv = tb_expect_closed(s);
	close(s);
	return (rv);
}

/* A grant to ourselves over the library, then an open: all is well. */
static int
tb_round_trip(void)
{
	shm_handle_t	h;
	int		fd, o;

	if ((fd = qt_memfd(qt_page(), 'A')) == -1)
		return (-1);
	if (shm_create_handle(fd, getpid(), O_RDONLY, &h, 0) == -1 ||
	    (o = shm_open_handle(h, O_RDONLY)) == -1) {
		close(fd);
		return (-1);
	}
	close(o);
	close(fd);
	return (0);
}

static int
tb_body_garbage(void *arg)
{
	struct qt_broker	*b = arg;
	struct qshm_stats	 st0, st1;
	struct proto_grant	 g = { .access = O_RDONLY };
	unsigned char		 buf[1024], pay[PROTO_MAX_PAYLOAD] = { 0 };
	uint64_t		 seed = 0xfeedfacecafebeefULL;
	size_t			 n, k;
	int			 i, fds0;

	QT_CHECK_OK(tb_round_trip());
	/*
	 * The broker drops a consumed handle after its reply: the next
	 * request is the barrier that makes the count settled.
	 */
	QT_CHECK_OK(qshm_stats(&st0));
	fds0 = qt_count_fds(b->pid);
	QT_CHECK(fds0 > 0);
	g.pid = getpid();

	/* Random bytes, random lengths, sometimes with fds. */
	for (i = 0; i < 200; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		n = 1 + (size_t)(seed % 600);
		for (k = 0; k < n; k++)
			buf[k] = (unsigned char)(seed >> (k % 56));
		QT_CHECK_OK(tb_garbage_one(b->sock, buf, n, (int)(seed >> 60) %
		    3));
	}
	/* Wrong magic; a reply type; an unknown type. */
	n = tb_encode(buf, PROTO_MAGIC ^ 0xff, PROTO_VERSION, PROTO_STATS, 0,
	    NULL, 0);
	QT_CHECK_OK(tb_garbage_one(b->sock, buf, n, 0));
	n = tb_encode(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_DELETE |
	    PROTO_REPLY, 8, pay, 8);
	QT_CHECK_OK(tb_garbage_one(b->sock, buf, n, 0));
	n = tb_encode(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_TYPE_MAX, 0,
	    NULL, 0);
	QT_CHECK_OK(tb_garbage_one(b->sock, buf, n, 0));
	/* Another protocol version. */
	n = tb_encode(buf, PROTO_MAGIC, PROTO_VERSION + 1, PROTO_STATS, 0,
	    NULL, 0);
	QT_CHECK_OK(tb_garbage_one(b->sock, buf, n, 0));
	/* Bad fds: none, two, one too many, with bad padding. */
	n = tb_encode(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_GRANT,
	    sizeof g, &g, sizeof g);
	QT_CHECK_OK(tb_garbage_one(b->sock, buf, n, 0));
	QT_CHECK_OK(tb_garbage_one(b->sock, buf, n, 2));
	QT_CHECK_OK(tb_garbage_one(b->sock, buf, n, 4));
	g.pad = 7;
	n = tb_encode(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_GRANT,
	    sizeof g, &g, sizeof g);
	QT_CHECK_OK(tb_garbage_one(b->sock, buf, n, 1));
	n = tb_encode(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_STATS, 0,
	    NULL, 0);
	QT_CHECK_OK(tb_garbage_one(b->sock, buf, n, 1));
	/* Short, long, empty. */
	QT_CHECK_OK(tb_garbage_one(b->sock, buf, 8, 0));
	memset(buf + n, 0, 600);
	QT_CHECK_OK(tb_garbage_one(b->sock, buf, n + 600, 0));
	QT_CHECK_OK(tb_garbage_one(b->sock, buf, 0, 0));

	/* The broker lives, serves, and kept none of those fds. */
	QT_CHECK_OK(qshm_stats(&st1));
	QT_CHECK_EQ(st1.pid, b->pid);
	QT_CHECK(st1.bad_messages > st0.bad_messages);
	QT_CHECK_OK(tb_round_trip());
	QT_CHECK_EQ(qt_wait_fds(b->pid, fds0), fds0);
	return (0);
}

/* Garbage on the socket closes that connection only. */
static void
test_garbage(void **state)
{
	(void)state;
	qt_with_broker(NULL, tb_body_garbage, NULL);
}

struct tb_victim {
	const char	*sock;
	int		 ready;		/* write end: "sent" */
	int		 flood;		/* pipeline without reading */
};

/* A client that sends requests, says so, and waits to be killed. */
static int
tb_victim(void *arg)
{
	struct tb_victim	*v = arg;
	struct proto_grant	 g = { .access = O_RDONLY };
	int			 s, fd, i;

	if ((s = qt_connect(v->sock)) == -1 ||
	    (fd = qt_memfd(qt_page(), 'v')) == -1)
		return (1);
	g.pid = getpid();
	if (proto_send(s, PROTO_GRANT, 1, &g, sizeof g, fd) == -1)
		return (1);
	if (v->flood) {
		fcntl(s, F_SETFL, O_NONBLOCK);
		for (i = 0; i < 100000; i++) {
			if (proto_send(s, PROTO_STATS, (uint32_t)i + 2, NULL,
			    0, -1) == -1)
				break;
		}
	}
	qt_send_u64(v->ready, 1);
	for (;;)
		pause();
}

static int
tb_kill_victim(const char *sock, int flood)
{
	struct tb_victim	v = { sock, -1, flood };
	uint64_t		x;
	pid_t			pid;
	int			p[2], status;

	if (pipe2(p, O_CLOEXEC) == -1)
		return (-1);
	v.ready = p[1];
	pid = qt_fork(tb_victim, &v);
	close(p[1]);
	if (pid == -1 || qt_recv_u64(p[0], &x) == -1) {
		close(p[0]);
		return (-1);
	}
	close(p[0]);
	kill(pid, SIGKILL);
	status = qt_wait(pid);
	return (status == 128 + SIGKILL ? 0 : -1);
}

static int
tb_body_killed(void *arg)
{
	struct qt_broker	*b = arg;
	struct qshm_stats	 st;
	struct qt_peer		 w;
	struct qt_rep		 rep;
	shm_handle_t		 h;
	int64_t			 deadline;
	int			 fd, fds0, i;

	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(qt_peer_start(&w));
	QT_CHECK_OK(shm_create_handle(fd, w.pid, O_RDONLY, &h, 0));
	QT_CHECK(qt_peer_open(&w, h, O_RDONLY, 0, 0, &rep) >= 0);
	QT_CHECK_OK(qshm_stats(&st));	/* settled: see tb_body_garbage */
	fds0 = qt_count_fds(b->pid);
	for (i = 0; i < 3; i++) {
		QT_CHECK_OK(tb_kill_victim(b->sock, 0));
		QT_CHECK_OK(shm_create_handle(fd, w.pid, O_RDONLY, &h, 0));
		QT_CHECK(qt_peer_open(&w, h, O_RDONLY, 0, 0, &rep) >= 0);
		QT_CHECK_OK(tb_kill_victim(b->sock, 1));
		QT_CHECK_OK(shm_create_handle(fd, w.pid, O_RDWR,
		    &h, SHM_CREATE_HANDLE_OPT_NOFD));
		QT_CHECK_EQ(qt_peer_map(&w, h, qt_page(), PROT_READ,
		    MAP_SHARED, 0, 0, 0, &rep), 0);
		QT_CHECK_EQ(rep.first[0], 'A');
	}
	/* The victims' connections, fds and handles all go. */
	QT_CHECK_EQ(qt_wait_fds(b->pid, fds0), fds0);
	deadline = qt_now_ms() + QT_TIMEOUT_MS;
	do {
		QT_CHECK_OK(qshm_stats(&st));
		if (st.handles == 0)
			break;
		qt_nap(5);
	} while (qt_now_ms() < deadline);
	QT_CHECK_EQ(st.handles, 0);
	QT_CHECK_EQ(st.pid, b->pid);
	QT_CHECK_EQ(qt_peer_stop(&w), 0);
	close(fd);
	return (0);
}

/* A client killed between request and reply; another keeps working. */
static void
test_client_killed(void **state)
{
	(void)state;
	qt_with_broker(NULL, tb_body_killed, NULL);
}

/* One raw connection: a stats request; with grant, a grant and an open. */
static int
tb_one_connection(const char *sock, uint32_t id, bool grant, int memfd)
{
	struct proto_msg	m;
	struct proto_grant	g = { .access = O_RDONLY };
	struct proto_open	o = { .access = O_RDONLY,
				    .purpose = PROTO_OPEN_FD };
	int			s, rv = -1;

	if ((s = qt_connect(sock)) == -1)
		return (-1);
	if (proto_send(s, PROTO_STATS, id, NULL, 0, -1) == -1 ||
	    proto_recv(s, &m) == -1)
		goto out;
	if (m.hdr.type != (PROTO_STATS | PROTO_REPLY) || m.hdr.id != id ||
	    m.u.stats_reply.err != 0)
		goto out;
	if (grant) {
		g.pid = getpid();
		if (proto_send(s, PROTO_GRANT, id + 1, &g, sizeof g,
		    memfd) == -1 || proto_recv(s, &m) == -1 ||
		    m.u.grant_reply.err != 0)
			goto out;
		o.handle = m.u.grant_reply.handle;
		if (proto_send(s, PROTO_OPEN, id + 2, &o, sizeof o,
		    -1) == -1 || proto_recv(s, &m) == -1 ||
		    m.u.open_reply.err != 0 || m.fd == -1)
			goto out;
		proto_msg_clear(&m);
	}
	rv = 0;
out:
	close(s);
	return (rv);
}

static int
tb_body_thousand(void *arg)
{
	struct qt_broker	*b = arg;
	struct qshm_stats	 st0, st1;
	int			 fd, fds0, i;

	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_OK(qshm_stats(&st0));
	/* Warm up: whatever the broker keeps for a process exists now. */
	fds0 = qt_count_fds(b->pid);
	QT_CHECK(fds0 > 0);
	QT_CHECK_OK(tb_one_connection(b->sock, 1, true, fd));
	fds0 = qt_wait_fds(b->pid, fds0);
	for (i = 0; i < 1000; i++) {
		if (tb_one_connection(b->sock, (uint32_t)i * 3 + 10,
		    i % 10 == 0, fd) == -1) {
			qt_fail(__FILE__, __LINE__, "connection %d failed",
			    i);
			return (1);
		}
	}
	QT_CHECK_EQ(qt_wait_fds(b->pid, fds0), fds0);
	QT_CHECK_OK(qshm_stats(&st1));
	QT_CHECK(st1.connections_total >= st0.connections_total + 1001);
	QT_CHECK_EQ(st1.handles, 0);
	close(fd);
	return (0);
}

/* 1000 connections in a row: no descriptor leaks in the broker. */
static void
test_thousand_connections(void **state)
{
	(void)state;
	qt_with_broker(NULL, tb_body_thousand, NULL);
}

/* Run a second broker on b's path; its exit status and stderr. */
static int
tb_body_second(void *arg)
{
	struct qt_broker	*b = arg;
	struct qshm_stats	 st;
	char			 err[512];
	int			 p[2], status;
	ssize_t			 n;
	size_t			 got = 0;
	pid_t			 pid;

	QT_CHECK_OK(pipe2(p, O_CLOEXEC));
	pid = fork();
	QT_CHECK(pid != -1);
	if (pid == 0) {
		dup2(p[1], 2);
		execl(qt_qshmctl(), qt_qshmctl(), "broker", "--socket",
		    b->sock, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (got < sizeof err - 1 &&
	    (n = read(p[0], err + got, sizeof err - 1 - got)) > 0)
		got += (size_t)n;
	err[got] = '\0';
	close(p[0]);
	status = qt_wait(pid);
	QT_CHECK_EQ(status, 1);
	if (strstr(err, "a broker is already running") == NULL ||
	    strstr(err, b->sock) == NULL) {
		qt_fail(__FILE__, __LINE__, "second broker said: %s", err);
		return (1);
	}
	/* The first one still serves, on its socket. */
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.pid, b->pid);
	QT_CHECK_OK(access(b->sock, F_OK));
	QT_CHECK_OK(access(b->lock, F_OK));
	return (0);
}

/* One broker per path: a second one exits 1 and says why. */
static void
test_one_broker_per_path(void **state)
{
	(void)state;
	qt_with_broker(NULL, tb_body_second, NULL);
}

/* A fresh directory for a socket nobody listens on. */
static int
tb_fresh_socket(char *dir, size_t dsize, char *sock, size_t ssize)
{
	snprintf(dir, dsize, "/tmp/qshm-test-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return (-1);
	snprintf(sock, ssize, "%s/broker.sock", dir);
	setenv("QSHM_SOCKET", sock, 1);
	return (0);
}

static int
tb_body_autostart(void *arg)
{
	struct qshm_stats	st;
	char			dir[64], sock[128], lock[140];
	int			status;

	(void)arg;
	QT_CHECK_OK(tb_fresh_socket(dir, sizeof dir, sock, sizeof sock));
	snprintf(lock, sizeof lock, "%s.lock", sock);
	unsetenv("QSHM_AUTOSTART");
	setenv("QSHM_BROKER", qt_qshmctl(), 1);
	/* The daemon becomes our child, to be reaped and checked. */
	QT_CHECK_OK(prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L));
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK(st.pid > 0 && (pid_t)st.pid != getpid());
	QT_CHECK_OK(access(sock, F_OK));
	QT_CHECK_OK(tb_round_trip());
	QT_CHECK_OK(kill((pid_t)st.pid, SIGTERM));
	status = qt_wait((pid_t)st.pid);
	QT_CHECK_EQ(status, 0);
	QT_CHECK_ERR(access(sock, F_OK), ENOENT);
	QT_CHECK_ERR(access(lock, F_OK), ENOENT);
	QT_CHECK_OK(rmdir(dir));
	return (0);
}

/* With no broker, the first call starts one (QSHM_BROKER) and works. */
static void
test_autostart(void **state)
{
	(void)state;
	assert_int_equal(qt_run(tb_body_autostart, NULL), 0);
}

/* Every kind of call fails ECONNREFUSED and explains. */
static int
tb_refused_calls(void)
{
	struct qshm_handle_info	*list;
	struct qshm_stats	 st;
	shm_handle_t		 h;
	size_t			 n;
	int			 fd;

	QT_CHECK((fd = qt_memfd(qt_page(), 'A')) >= 0);
	QT_CHECK_ERR(qshm_stats(&st), ECONNREFUSED);
	QT_CHECK(qshm_error_detail() != NULL && *qshm_error_detail() != '\0');
	QT_CHECK_ERR(shm_create_handle(fd, getpid(), O_RDONLY, &h, 0),
	    ECONNREFUSED);
	QT_CHECK_ERR(shm_open_handle(0x1234, O_RDONLY), ECONNREFUSED);
	errno = 0;
	QT_CHECK(mmap_handle(NULL, qt_page(), PROT_READ, MAP_SHARED, 0x1234,
	    0) == MAP_FAILED);
	QT_CHECK_EQ(errno, ECONNREFUSED);
	QT_CHECK_ERR(shm_delete_handle(0x1234), ECONNREFUSED);
	QT_CHECK_ERR(qshm_list_handles(&list, &n), ECONNREFUSED);
	close(fd);
	return (0);
}

static int
tb_body_no_autostart(void *arg)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	char			dir[64], sock[128];
	int64_t			t0;
	int			s;

	(void)arg;
	QT_CHECK_OK(tb_fresh_socket(dir, sizeof dir, sock, sizeof sock));
	setenv("QSHM_AUTOSTART", "0", 1);
	setenv("QSHM_BROKER", qt_qshmctl(), 1);
	if (tb_refused_calls() != 0)
		return (1);
	/* Nothing was started. */
	QT_CHECK_ERR(access(sock, F_OK), ENOENT);

	/* A stale socket file: still refused, and left alone. */
	strcpy(sun.sun_path, sock);
	QT_CHECK((s = socket(AF_UNIX, SOCK_SEQPACKET, 0)) >= 0);
	QT_CHECK_OK(bind(s, (struct sockaddr *)&sun, sizeof sun));
	close(s);
	if (tb_refused_calls() != 0)
		return (1);

	/* Autostart on, but the broker program fails: refused, bounded. */
	unsetenv("QSHM_AUTOSTART");
	setenv("QSHM_BROKER", "/bin/false", 1);
	t0 = qt_now_ms();
	{
		struct qshm_stats	st;

		QT_CHECK_ERR(qshm_stats(&st), ECONNREFUSED);
		QT_CHECK(*qshm_error_detail() != '\0');
	}
	QT_CHECK(qt_now_ms() - t0 < 5000);
	QT_CHECK_OK(unlink(sock));
	QT_CHECK_OK(rmdir(dir));
	return (0);
}

/* QSHM_AUTOSTART=0 with no broker: ECONNREFUSED, nothing started. */
static void
test_no_autostart(void **state)
{
	(void)state;
	assert_int_equal(qt_run(tb_body_no_autostart, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_client_killed),
		cmocka_unit_test(test_thousand_connections),
		cmocka_unit_test(test_one_broker_per_path),
		cmocka_unit_test(test_autostart),
		cmocka_unit_test(test_no_autostart),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
