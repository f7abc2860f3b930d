/*
 * test-hostile.c: a hostile local process against a live broker.  Each
 * case asserts a clear errno, reply or hang-up, and that nothing changed:
 * the broker's pending handles and objects (qshm_stats), and its
 * descriptors (/proc/PID/fd: every fd a bad message carried was closed).
 *
 *   malformed messages (raw socket): truncated, oversized, empty, wrong
 *     magic, version or opcode, reserved bits, wrong fd counts;
 *   grants of bad fds and targets: sockets, pipes, directories, devices,
 *     O_PATH, escalated modes, wrapping sub-ranges, bad pids, a zombie;
 *   parkings of bad fds: O_PATH, pipes, directories, sockets;
 *   handles: 0, random, another's, replayed, escalated, NOFD, wrapping;
 *   10,000 handle guesses (rate limited by uid and audited);
 *   a connection flood to the broker's fd limit, an idle client, a client
 *   killed mid-request;
 *   another uid (root only): no access beyond its grants, and for every
 *   kernel-enforced grant each way to write fails.
 *
 * Malformed CTL, REVOKE, WATCH and NOTICE messages are in the table;
 * hostile watchers and revokers are in test-hostile-revoke.
 */

#include "proto.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"

static struct qt_broker	th_b;
static char		th_audit[200];

/* What must not change across a hostile case. */
struct th_snap {
	uint64_t	handles;
	uint64_t	objects;
	uint64_t	bad;
	int		fds;
};

/* A settled snapshot: stats is a barrier (the broker is one loop). */
static int
th_snap(struct th_snap *s)
{
	struct qshm_stats	st;

	if (qshm_stats(&st) == -1)
		return (-1);
	s->handles = st.handles;
	s->objects = st.objects;
	s->bad = st.bad_messages;
	s->fds = qt_count_fds(th_b.pid);
	return (s->fds > 0 ? 0 : -1);
}

/* The broker is as it was (fds may take a moment to close). */
static int
th_same(const struct th_snap *a)
{
	struct th_snap	b;

	QT_CHECK_EQ(qt_wait_fds(th_b.pid, a->fds), a->fds);
	QT_CHECK_OK(th_snap(&b));
	QT_CHECK_EQ(b.handles, a->handles);
	QT_CHECK_EQ(b.objects, a->objects);
	QT_CHECK_EQ(b.fds, a->fds);
	return (0);
}

/* Run body in a child (a fresh connection) with the shared broker. */
static void
th_run(int (*body)(void *), void *arg)
{
	assert_int_equal(qt_run(body, arg), 0);
}

/* Send raw bytes with the given fds attached. */
static int
th_send(int s, const void *buf, size_t len, const int *fds, int nfds)
{
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(sizeof(int) * 32)];
	} cbuf;
	struct iovec	 iov = { (void *)(uintptr_t)buf, len };
	struct msghdr	 mh;
	struct cmsghdr	*c;

	memset(&mh, 0, sizeof mh);
	memset(&cbuf, 0, sizeof cbuf);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	return (sendmsg(s, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1);
}

/*
 * Wait for the broker to hang up; *version gets the version a reply
 * named before that (0: no reply).  0 if it hung up.
 */
static int
th_hangup(int s, uint16_t *version)
{
	unsigned char		buf[512];
	struct pollfd		pfd = { s, POLLIN, 0 };
	struct proto_hdr	hdr;
	int32_t			err;
	ssize_t			n;

	*version = 0;
	for (;;) {
		if (poll(&pfd, 1, QT_TIMEOUT_MS) != 1)
			return (-1);
		n = recv(s, buf, sizeof buf, MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return (0);
		if (n < (ssize_t)(sizeof hdr + sizeof err) || *version != 0)
			return (-1);
		memcpy(&hdr, buf, sizeof hdr);
		memcpy(&err, buf + sizeof hdr, sizeof err);
		if (hdr.magic != PROTO_MAGIC || err != EPROTONOSUPPORT)
			return (-1);
		*version = hdr.version;
	}
}

/* One request over a raw connection; the reply's errno, or -1. */
static int
th_ask(int s, uint16_t type, const void *pay, size_t len, int fd,
    struct proto_msg *reply)
{
	static uint32_t	id = 100;

	if (proto_send(s, type, ++id, pay, len, fd) == -1 ||
	    proto_recv(s, reply) == -1)
		return (-1);
	if (reply->hdr.type != (type | PROTO_REPLY) || reply->hdr.id != id)
		return (-1);
	return (reply->u.status.err);
}

/* ---- malformed messages ---- */

struct th_raw {
	const char	*name;
	uint32_t	 magic;		/* 0: PROTO_MAGIC */
	uint16_t	 version;	/* 0: PROTO_VERSION */
	uint16_t	 type;
	int32_t		 declared;	/* hdr.len; -1: the type's size */
	int32_t		 sent;		/* payload bytes; -1: the type's */
	int		 poke;		/* payload offset to set, -1: none */
	uint32_t	 value;
	int		 nfds;		/* memfds attached */
	bool		 named;		/* a reply names our version */
};

#define TH_OFF(s, f)	((int)offsetof(struct s, f))

static const struct th_raw th_raws[] = {
	{ "raw: truncated header", 0, 0, PROTO_STATS, 0, -9, -1, 0, 0, 0 },
	{ "raw: truncated payload", 0, 0, PROTO_GRANT, -1, 16, -1, 0, 1, 0 },
	{ "raw: payload longer than declared", 0, 0, PROTO_DELETE, -1, 16,
	    -1, 0, 0, 0 },
	{ "raw: oversized message", 0, 0, PROTO_STATS, 600, 600, -1, 0, 0,
	    0 },
	{ "raw: 64 KiB message", 0, 0, PROTO_STATS, 65536, 65536, -1, 0, 1,
	    0 },
	{ "raw: zero-length message", 0, 0, 0, 0, -16, -1, 0, 0, 0 },
	{ "raw: wrong magic", 0x51534d48, 0, PROTO_STATS, -1, -1, -1, 0, 0,
	    0 },
	{ "raw: version 0", 0, 0xffff, PROTO_STATS, -1, -1, -1, 0, 0, 1 },
	{ "raw: newer version", 0, PROTO_VERSION + 1, PROTO_GRANT, -1, -1,
	    -1, 0, 1, 1 },
	{ "raw: opcode 0", 0, 0, 0, 0, 0, -1, 0, 0, 0 },
	{ "raw: opcode past the last", 0, 0, PROTO_TYPE_MAX, 0, 0, -1, 0, 0,
	    0 },
	{ "raw: opcode 0x7fff", 0, 0, 0x7fff, 0, 0, -1, 0, 0, 0 },
	{ "raw: a reply as request", 0, 0, PROTO_DELETE | PROTO_REPLY, -1,
	    -1, -1, 0, 0, 0 },
	{ "raw: grant padding set", 0, 0, PROTO_GRANT, -1, -1,
	    TH_OFF(proto_grant, pad), 1, 1, 0 },
	{ "raw: grant reserved option bit", 0, 0, PROTO_GRANT, -1, -1,
	    TH_OFF(proto_grant, options), 0x80, 1, 0 },
	{ "raw: grant access 3", 0, 0, PROTO_GRANT, -1, -1,
	    TH_OFF(proto_grant, access), 3, 1, 0 },
	{ "raw: grant flags beyond access", 0, 0, PROTO_GRANT, -1, -1,
	    TH_OFF(proto_grant, access), O_RDONLY | O_CREAT, 1, 0 },
	{ "raw: grant range without SUBRANGE", 0, 0, PROTO_GRANT, -1, -1,
	    TH_OFF(proto_grant, length), 4096, 1, 0 },
	{ "raw: open unknown purpose", 0, 0, PROTO_OPEN, -1, -1,
	    TH_OFF(proto_open, purpose), 2, 0, 0 },
	{ "raw: open fd with prot", 0, 0, PROTO_OPEN, -1, -1,
	    TH_OFF(proto_open, prot), PROT_READ, 0, 0 },
	{ "raw: map of length 0", 0, 0, PROTO_OPEN, -1, -1,
	    TH_OFF(proto_open, purpose), PROTO_OPEN_MAP, 0, 0 },
	{ "raw: limit reserved flag", 0, 0, PROTO_LIMIT, -1, -1,
	    TH_OFF(proto_limit, flags), 2, 0, 0 },
	{ "raw: limit read with values", 0, 0, PROTO_LIMIT, -1, -1,
	    TH_OFF(proto_limit, cur), 5, 0, 0 },
	{ "raw: list unknown kind", 0, 0, PROTO_LIST, -1, -1,
	    TH_OFF(proto_list, what), 4, 0, 0 },
	{ "raw: list padding set", 0, 0, PROTO_LIST, -1, -1,
	    TH_OFF(proto_list, pad), 1, 0, 0 },
	{ "raw: park with an id", 0, 0, PROTO_PARK, -1, -1,
	    TH_OFF(proto_parked, id), 1, 1, 0 },
	{ "raw: revoke pid -2", 0, 0, PROTO_ADMIN_REVOKE, -1, -1,
	    TH_OFF(proto_admin_revoke, pid), (uint32_t)-2, 1, 0 },
	{ "fds: grant without its fd", 0, 0, PROTO_GRANT, -1, -1, -1, 0, 0,
	    0 },
	{ "fds: grant with two", 0, 0, PROTO_GRANT, -1, -1, -1, 0, 2, 0 },
	{ "fds: stats with one", 0, 0, PROTO_STATS, -1, -1, -1, 0, 1, 0 },
	{ "fds: delete with three", 0, 0, PROTO_DELETE, -1, -1, -1, 0, 3,
	    0 },
	{ "fds: stats with 28", 0, 0, PROTO_STATS, -1, -1, -1, 0, 28, 0 },
	{ "raw: ctl padding set", 0, 0, PROTO_CTL, -1, -1,
	    TH_OFF(proto_ctl, pad), 1, 1, 0 },
	{ "raw: ctl without flags", 0, 0, PROTO_CTL, -1, -1,
	    TH_OFF(proto_ctl, flags), 0, 1, 0 },
	{ "raw: ctl reserved flag bit", 0, 0, PROTO_CTL, -1, -1,
	    TH_OFF(proto_ctl, flags), 0x0100, 1, 0 },
	{ "raw: ctl query and change at once", 0, 0, PROTO_CTL, -1, -1,
	    TH_OFF(proto_ctl, flags), SHMCTL_GET_FLAGS | SHMCTL_LAZY, 1, 0 },
	{ "raw: ctl size without ANON", 0, 0, PROTO_CTL, -1, -1,
	    TH_OFF(proto_ctl, size), 4096, 1, 0 },
	{ "raw: ctl physical memory", 0, 0, PROTO_CTL, -1, -1,
	    TH_OFF(proto_ctl, flags), SHMCTL_PHYS, 1, 0 },
	{ "fds: ctl without its fd", 0, 0, PROTO_CTL, -1, -1, -1, 0, 0, 0 },
	{ "fds: ctl with two", 0, 0, PROTO_CTL, -1, -1, -1, 0, 2, 0 },
	{ "raw: revoke padding set", 0, 0, PROTO_REVOKE, -1, -1,
	    TH_OFF(proto_revoke, pad), 1, 1, 0 },
	{ "raw: revoke pid 0", 0, 0, PROTO_REVOKE, -1, -1,
	    TH_OFF(proto_revoke, pid), 0, 1, 0 },
	{ "raw: revoke pid -2", 0, 0, PROTO_REVOKE, -1, -1,
	    TH_OFF(proto_revoke, pid), (uint32_t)-2, 1, 0 },
	{ "fds: revoke without its fd", 0, 0, PROTO_REVOKE, -1, -1, -1, 0,
	    0, 0 },
	{ "fds: revoke with two", 0, 0, PROTO_REVOKE, -1, -1, -1, 0, 2, 0 },
	{ "raw: watch with a payload", 0, 0, PROTO_WATCH, 8, 8, -1, 0, 0,
	    0 },
	{ "fds: watch with an fd", 0, 0, PROTO_WATCH, -1, -1, -1, 0, 1, 0 },
	{ "fds: notice sent as a request, with an fd", 0, 0, PROTO_NOTICE,
	    -1, -1, -1, 0, 1, 0 },
	{ "raw: notice answer truncated", 0, 0, PROTO_NOTICE | PROTO_REPLY,
	    4, 4, -1, 0, 0, 0 },
	{ "raw: notice answer with a negative errno", 0, 0,
	    PROTO_NOTICE | PROTO_REPLY, -1, -1, 0, (uint32_t)-1, 0, 0 },
	{ "fds: notice answer with an fd", 0, 0, PROTO_NOTICE | PROTO_REPLY,
	    -1, -1, -1, 0, 1, 0 },
};

/* A valid payload for type (what th_raws then spoils). */
static void
th_raw_payload(uint16_t type, unsigned char *pay)
{
	struct proto_grant	g = { .pid = getpid(), .access = O_RDONLY };
	struct proto_open	o = { .handle = 1, .access = O_RDONLY };
	struct proto_list	l = { .what = PROTO_LIST_HANDLES };
	struct proto_ctl	c = { .flags = SHMCTL_LAZY };
	struct proto_revoke	r = { .pid = getpid() };

	memset(pay, 0, 65536);
	if (type == PROTO_GRANT)
		memcpy(pay, &g, sizeof g);
	else if (type == PROTO_OPEN)
		memcpy(pay, &o, sizeof o);
	else if (type == PROTO_LIST)
		memcpy(pay, &l, sizeof l);
	else if (type == PROTO_CTL)
		memcpy(pay, &c, sizeof c);
	else if (type == PROTO_REVOKE)
		memcpy(pay, &r, sizeof r);
}

static int
th_body_raw(void *arg)
{
	const struct th_raw	*r = arg;
	struct proto_hdr	 hdr;
	struct th_snap		 snap;
	unsigned char		*buf;
	ssize_t			 size = proto_payload_size(r->type);
	size_t			 len;
	uint16_t		 named;
	int			 s, fds[32], i;

	QT_CHECK_OK(th_snap(&snap));
	QT_CHECK((buf = malloc(sizeof hdr + 65536)) != NULL);
	hdr.magic = r->magic != 0 ? r->magic : PROTO_MAGIC;
	hdr.version = r->version == 0 ? PROTO_VERSION :
	    r->version == 0xffff ? 0 : r->version;
	hdr.type = r->type;
	hdr.id = 7;
	hdr.len = (uint32_t)(r->declared >= 0 ? r->declared : size);
	th_raw_payload(r->type, buf + sizeof hdr);
	if (r->poke >= 0)
		memcpy(buf + sizeof hdr + r->poke, &r->value, sizeof r->value);
	memcpy(buf, &hdr, sizeof hdr);
	len = sizeof hdr + (size_t)(r->sent >= 0 ? r->sent : size);
	if (r->sent < -1)
		len = sizeof hdr + (size_t)r->sent;	/* cut into the header */
	for (i = 0; i < r->nfds; i++)
		QT_CHECK((fds[i] = qt_memfd(qt_page(), 'h')) >= 0);
	QT_CHECK((s = qt_connect(th_b.sock)) >= 0);
	QT_CHECK_OK(th_send(s, buf, len, fds, r->nfds));
	for (i = 0; i < r->nfds; i++)
		close(fds[i]);
	free(buf);
	QT_CHECK_OK(th_hangup(s, &named));
	QT_CHECK_EQ(named, r->named ? PROTO_VERSION : 0);
	close(s);
	return (th_same(&snap));
}

/* Pipelined garbage after a good request: one reply, then a hang-up. */
static int
th_body_pipelined(void *arg)
{
	struct th_snap		snap;
	struct proto_msg	m;
	unsigned char		junk[64];
	uint16_t		named;
	int			s;

	(void)arg;
	QT_CHECK_OK(th_snap(&snap));
	QT_CHECK((s = qt_connect(th_b.sock)) >= 0);
	memset(junk, 0xa5, sizeof junk);
	QT_CHECK_OK(proto_send(s, PROTO_STATS, 1, NULL, 0, -1));
	QT_CHECK_OK(th_send(s, junk, sizeof junk, NULL, 0));
	QT_CHECK_OK(proto_recv(s, &m));
	QT_CHECK_EQ(m.hdr.type, PROTO_STATS | PROTO_REPLY);
	QT_CHECK_OK(th_hangup(s, &named));
	close(s);
	return (th_same(&snap));
}

static void
test_pipelined(void **state)
{
	(void)state;
	th_run(th_body_pipelined, NULL);
}

static void
test_raw(void **state)
{
	th_run(th_body_raw, *state);
}

/* ---- grants of bad fds and targets (raw: the library checks too) ---- */

enum th_fd {
	TH_FD_MEMFD_RW, TH_FD_MEMFD_RO, TH_FD_MEMFD_WO, TH_FD_SOCKET,
	TH_FD_PIPE, TH_FD_DIR, TH_FD_DEVNULL, TH_FD_OPATH
};

enum th_pid { TH_PID_SELF, TH_PID_ZERO, TH_PID_NEG, TH_PID_MAX,
	TH_PID_ZOMBIE, TH_PID_GONE };

struct th_grant {
	const char	*name;
	enum th_fd	 fd;
	uint32_t	 access;
	uint32_t	 options;
	uint64_t	 offset, length;	/* in pages */
	enum th_pid	 pid;
	int		 want;
	bool		 bytes;			/* offset/length in bytes */
};

#define TH_SUB	SHM_CREATE_HANDLE_OPT_SUBRANGE

static const struct th_grant th_grants[] = {
	{ "grant: a socket", TH_FD_SOCKET, O_RDONLY, 0, 0, 0, 0, EINVAL, 0 },
	{ "grant: a pipe", TH_FD_PIPE, O_RDONLY, 0, 0, 0, 0, EINVAL, 0 },
	{ "grant: a directory", TH_FD_DIR, O_RDONLY, 0, 0, 0, 0, EINVAL, 0 },
	{ "grant: /dev/null", TH_FD_DEVNULL, O_RDONLY, 0, 0, 0, 0, EINVAL,
	    0 },
	{ "grant: an O_PATH fd", TH_FD_OPATH, O_RDONLY, 0, 0, 0, 0, EBADF,
	    0 },
	{ "grant: rw of a ro fd", TH_FD_MEMFD_RO, O_RDWR, 0, 0, 0, 0, EACCES,
	    0 },
	{ "grant: wo of a ro fd", TH_FD_MEMFD_RO, O_WRONLY, 0, 0, 0, 0,
	    EACCES, 0 },
	{ "grant: ro of a wo fd", TH_FD_MEMFD_WO, O_RDONLY, 0, 0, 0, 0,
	    EACCES, 0 },
	{ "grant: sub-range offset + size wraps", TH_FD_MEMFD_RW, O_RDONLY,
	    TH_SUB, UINT64_MAX - 4095, 8192, 0, EINVAL, 1 },
	{ "grant: sub-range offset above INT64_MAX", TH_FD_MEMFD_RW,
	    O_RDONLY, TH_SUB, (uint64_t)INT64_MAX + 1, 4096, 0, EINVAL, 1 },
	{ "grant: sub-range past the end", TH_FD_MEMFD_RW, O_RDONLY, TH_SUB,
	    2, 4, 0, EINVAL, 0 },
	{ "grant: sub-range of size 0", TH_FD_MEMFD_RW, O_RDONLY, TH_SUB, 0,
	    0, 0, EINVAL, 0 },
	{ "grant: sub-range not page-aligned", TH_FD_MEMFD_RW, O_RDONLY,
	    TH_SUB, 1, 4096, 0, EINVAL, 1 },
	{ "grant: pid 0", TH_FD_MEMFD_RW, O_RDONLY, 0, 0, 0, TH_PID_ZERO,
	    ESRCH, 0 },
	{ "grant: pid -1", TH_FD_MEMFD_RW, O_RDONLY, 0, 0, 0, TH_PID_NEG,
	    ESRCH, 0 },
	{ "grant: pid INT_MAX", TH_FD_MEMFD_RW, O_RDONLY, 0, 0, 0,
	    TH_PID_MAX, ESRCH, 0 },
	{ "grant: a zombie", TH_FD_MEMFD_RW, O_RDONLY, 0, 0, 0,
	    TH_PID_ZOMBIE, ESRCH, 0 },
	{ "grant: a reaped pid", TH_FD_MEMFD_RW, O_RDONLY, 0, 0, 0,
	    TH_PID_GONE, ESRCH, 0 },
};

static int
th_make_fd(enum th_fd kind, int *extra)
{
	int	fd, p[2];

	*extra = -1;
	switch (kind) {
	case TH_FD_MEMFD_RW:
		return (qt_memfd(4 * qt_page(), 'g'));
	case TH_FD_MEMFD_RO:
	case TH_FD_MEMFD_WO:
		if ((*extra = qt_memfd(4 * qt_page(), 'g')) == -1)
			return (-1);
		return (qt_reopen(*extra, kind == TH_FD_MEMFD_RO ? O_RDONLY :
		    O_WRONLY));
	case TH_FD_SOCKET:
		return (socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	case TH_FD_PIPE:
		if (pipe2(p, O_CLOEXEC) == -1)
			return (-1);
		*extra = p[1];
		return (p[0]);
	case TH_FD_DIR:
		return (open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	case TH_FD_DEVNULL:
		return (open("/dev/null", O_RDWR | O_CLOEXEC));
	case TH_FD_OPATH:
		if ((fd = qt_memfd(qt_page(), 'o')) == -1)
			return (-1);
		*extra = fd;
		return (qt_reopen(fd, O_PATH));
	}
	return (-1);
}

static int
th_exit0(void *arg)
{
	(void)arg;
	return (0);
}

/* A pid for the case; *child is a process to reap afterwards. */
static pid_t
th_make_pid(enum th_pid kind, pid_t *child)
{
	pid_t	pid;

	*child = -1;
	switch (kind) {
	case TH_PID_SELF:
		return (getpid());
	case TH_PID_ZERO:
		return (0);
	case TH_PID_NEG:
		return (-1);
	case TH_PID_MAX:
		return (INT_MAX);
	case TH_PID_ZOMBIE:
	case TH_PID_GONE:
		if ((pid = qt_fork(th_exit0, NULL)) == -1)
			return (-1);
		while (!qt_exited(pid))
			qt_nap(1);
		if (kind == TH_PID_GONE)
			qt_wait(pid);
		else
			*child = pid;
		return (pid);
	}
	return (-1);
}

static int
th_body_grant(void *arg)
{
	const struct th_grant	*c = arg;
	struct proto_grant	 g;
	struct proto_msg	 m;
	struct th_snap		 snap;
	uint64_t		 unit = c->bytes ? 1 : qt_page();
	pid_t			 child;
	int			 s, fd, extra;

	QT_CHECK_OK(th_snap(&snap));
	QT_CHECK((fd = th_make_fd(c->fd, &extra)) >= 0);
	memset(&g, 0, sizeof g);
	g.pid = th_make_pid(c->pid, &child);
	g.access = c->access;
	g.options = c->options;
	g.offset = c->offset * unit;
	g.length = c->length * unit;
	QT_CHECK((s = qt_connect(th_b.sock)) >= 0);
	QT_CHECK_EQ(th_ask(s, PROTO_GRANT, &g, sizeof g, fd, &m), c->want);
	QT_CHECK_EQ(m.u.grant_reply.handle, 0);
	/* The connection still serves. */
	QT_CHECK_EQ(th_ask(s, PROTO_STATS, NULL, 0, -1, &m), 0);
	close(s);
	close(fd);
	if (extra != -1)
		close(extra);
	if (child != -1)
		qt_wait(child);
	return (th_same(&snap));
}

static void
test_grant(void **state)
{
	th_run(th_body_grant, *state);
}

/* ---- parking ---- */

struct th_park {
	const char	*name;
	enum th_fd	 fd;
	int		 want;
};

static const struct th_park th_parks[] = {
	{ "park: an O_PATH fd", TH_FD_OPATH, EBADF },
	{ "park: a pipe", TH_FD_PIPE, EINVAL },
	{ "park: a directory", TH_FD_DIR, EINVAL },
	{ "park: a socket", TH_FD_SOCKET, EINVAL },
};

/* What qshm_park() refuses itself, sent raw: the broker refuses it too. */
static int
th_body_park(void *arg)
{
	const struct th_park	*c = arg;
	struct proto_parked	 pk;
	struct proto_msg	 m;
	struct th_snap		 snap;
	int			 s, fd, extra;

	QT_CHECK_OK(th_snap(&snap));
	QT_CHECK((fd = th_make_fd(c->fd, &extra)) >= 0);
	memset(&pk, 0, sizeof pk);
	QT_CHECK((s = qt_connect(th_b.sock)) >= 0);
	QT_CHECK_EQ(th_ask(s, PROTO_PARK, &pk, sizeof pk, fd, &m), c->want);
	QT_CHECK_EQ(m.u.status.value, 0);
	QT_CHECK_EQ(th_ask(s, PROTO_STATS, NULL, 0, -1, &m), 0);
	close(s);
	close(fd);
	if (extra != -1)
		close(extra);
	return (th_same(&snap));
}

static void
test_park(void **state)
{
	th_run(th_body_park, *state);
}

/* ---- handles ---- */

static int
th_body_handle_zero(void *arg)
{
	struct th_snap	snap;

	(void)arg;
	QT_CHECK_OK(th_snap(&snap));
	QT_CHECK_ERR(shm_open_handle(0, O_RDONLY), EBADF);
	QT_CHECK(mmap_handle(NULL, qt_page(), PROT_READ, MAP_SHARED, 0, 0) ==
	    MAP_FAILED && errno == EBADF);
	QT_CHECK_ERR(shm_delete_handle(0), EBADF);
	return (th_same(&snap));
}

static void
test_handle_zero(void **state)
{
	(void)state;
	th_run(th_body_handle_zero, NULL);
}

/* Random values, one of them next to a real handle. */
static int
th_body_random(void *arg)
{
	struct th_snap	snap;
	shm_handle_t	h, r;
	uint64_t	x = 0x9e3779b97f4a7c15ULL;
	int		fd, i, o;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'r')) >= 0);
	QT_CHECK_OK(shm_create_handle(fd, getpid(), O_RDONLY, &h, 0));
	QT_CHECK_OK(th_snap(&snap));
	for (i = 0; i < 100; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r = i == 0 ? h ^ 1 : i == 1 ? ~h : x;
		if (r == h)
			continue;
		QT_CHECK_ERR(shm_open_handle(r, O_RDONLY), ESRCH);
		QT_CHECK_ERR(shm_delete_handle(r), ESRCH);
	}
	QT_CHECK_EQ(th_same(&snap), 0);
	QT_CHECK((o = shm_open_handle(h, O_RDONLY)) >= 0);
	close(o);
	close(fd);
	return (0);
}

static void
test_random_handles(void **state)
{
	(void)state;
	th_run(th_body_random, NULL);
}

/* A handle made for a peer: not ours to open, map or delete. */
static int
th_body_others(void *arg)
{
	struct th_snap	snap;
	struct qt_peer	w, x;
	struct qt_rep	rep;
	shm_handle_t	h;
	int		fd;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'o')) >= 0);
	QT_CHECK_OK(qt_peer_start(&w));
	QT_CHECK_OK(qt_peer_start(&x));
	QT_CHECK_EQ(qt_peer_call(&x, &(struct qt_req){ .op = QT_OP_STATS },
	    &rep), 0);
	QT_CHECK_OK(shm_create_handle(fd, w.pid, O_RDWR, &h, 0));
	QT_CHECK_OK(th_snap(&snap));
	/* A third process: nothing. */
	QT_CHECK_EQ(qt_peer_open(&x, h, O_RDONLY, 0, 0, &rep), -1);
	QT_CHECK_EQ(rep.err, ESRCH);
	QT_CHECK_EQ(qt_peer_map(&x, h, qt_page(), PROT_READ, MAP_SHARED, 0,
	    0, 0, &rep), -1);
	QT_CHECK_EQ(rep.err, ESRCH);
	QT_CHECK_EQ(qt_peer_delete(&x, h), ESRCH);
	/* Its creator may delete it but not use it. */
	QT_CHECK_ERR(shm_open_handle(h, O_RDONLY), ESRCH);
	QT_CHECK_EQ(th_same(&snap), 0);
	/* Its recipient still can; then it is gone (a replay fails). */
	QT_CHECK(qt_peer_open(&w, h, O_RDONLY, 1, getpid(), &rep) >= 0);
	QT_CHECK_EQ(qt_peer_open(&w, h, O_RDONLY, 0, 0, &rep), -1);
	QT_CHECK_EQ(rep.err, ESRCH);
	QT_CHECK_ERR(shm_delete_handle(h), ESRCH);
	QT_CHECK_EQ(qt_peer_stop(&w), 0);
	QT_CHECK_EQ(qt_peer_stop(&x), 0);
	close(fd);
	return (0);
}

static void
test_others_handle(void **state)
{
	(void)state;
	th_run(th_body_others, NULL);
}

/*
 * A recipient that cannot take its fd: it shut its receiving side, so the
 * broker's reply fails.  The handle is not consumed, the description goes
 * back to the object, and the next open still gets one of its own.
 */
static int
th_body_open_hangup(void *arg)
{
	struct th_snap		before, after;
	struct proto_open	o;
	struct pollfd		pfd;
	shm_handle_t		h;
	int			fd, s, r;

	(void)arg;
	QT_CHECK_OK(th_snap(&before));
	QT_CHECK((fd = qt_memfd(qt_page(), 'h')) >= 0);
	QT_CHECK_EQ(lseek(fd, 100, SEEK_SET), 100);
	QT_CHECK_OK(shm_create_handle(fd, getpid(), O_RDWR, &h, 0));
	QT_CHECK((s = qt_connect(th_b.sock)) >= 0);
	QT_CHECK_OK(shutdown(s, SHUT_RD));
	memset(&o, 0, sizeof o);
	o.handle = h;
	o.access = O_RDWR;
	o.purpose = PROTO_OPEN_FD;
	QT_CHECK_OK(proto_send(s, PROTO_OPEN, 1, &o, sizeof o, -1));
	/* The failed reply ends the connection: both directions shut. */
	pfd.fd = s;
	pfd.events = 0;
	do
		QT_CHECK_EQ(poll(&pfd, 1, QT_TIMEOUT_MS), 1);
	while (!(pfd.revents & POLLHUP));
	close(s);
	QT_CHECK_OK(th_snap(&after));
	QT_CHECK_EQ(after.handles, before.handles + 1);
	QT_CHECK((r = shm_open_handle(h, O_RDWR)) >= 0);
	QT_CHECK_EQ(lseek(r, 0, SEEK_CUR), 0);
	QT_CHECK_EQ(fcntl(r, F_GETFL) & (O_APPEND | O_NONBLOCK), 0);
	QT_CHECK_EQ(lseek(fd, 0, SEEK_CUR), 100);
	close(r);
	close(fd);
	return (th_same(&before));
}

static void
test_open_hangup(void **state)
{
	(void)state;
	th_run(th_body_open_hangup, NULL);
}

/* Escalations that must fail without consuming the handle. */
static int
th_body_escalate(void *arg)
{
	struct th_snap	snap;
	shm_handle_t	ro, wo, nofd, sub, byother;
	size_t		pg = qt_page();
	void		*p;
	int		fd, o;

	(void)arg;
	QT_CHECK((fd = qt_memfd(4 * pg, 'e')) >= 0);
	QT_CHECK_OK(shm_create_handle(fd, getpid(), O_RDONLY, &ro, 0));
	QT_CHECK_OK(shm_create_handle(fd, getpid(), O_WRONLY, &wo, 0));
	QT_CHECK_OK(shm_create_handle(fd, getpid(), O_RDWR, &nofd,
	    SHM_CREATE_HANDLE_OPT_NOFD));
	QT_CHECK_OK(shm_create_subrange_handle(fd, getpid(), O_RDWR, &sub, 0,
	    pg, (off_t)pg));
	QT_CHECK_OK(shm_create_handle(fd, getpid(), O_RDONLY, &byother, 0));
	QT_CHECK_OK(th_snap(&snap));
	QT_CHECK_ERR(shm_open_handle(ro, O_RDWR), EACCES);
	QT_CHECK_ERR(shm_open_handle(ro, O_WRONLY), EACCES);
	QT_CHECK_ERR(shm_open_handle(wo, O_RDONLY), EACCES);
	QT_CHECK(mmap_handle(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED,
	    ro, 0) == MAP_FAILED && errno == EACCES);
	QT_CHECK(mmap_handle(NULL, pg, PROT_READ, MAP_SHARED, wo, 0) ==
	    MAP_FAILED && errno == EACCES);
	QT_CHECK_ERR(shm_open_handle(nofd, O_RDONLY), EACCES);
	QT_CHECK_ERR(shm_open_handle(sub, O_RDONLY), EACCES);
	QT_CHECK(mmap_handle(NULL, 2 * pg, PROT_READ, MAP_SHARED, sub, 0) ==
	    MAP_FAILED && errno == EINVAL);
	QT_CHECK_ERR(shm_open_handle_pid(byother, O_RDONLY, getppid()),
	    ESRCH);
	QT_CHECK_EQ(th_same(&snap), 0);
	/* Every one of them still works as granted. */
	QT_CHECK((o = shm_open_handle(ro, O_RDONLY)) >= 0);
	close(o);
	QT_CHECK((o = shm_open_handle(wo, O_WRONLY)) >= 0);
	close(o);
	QT_CHECK((p = mmap_handle(NULL, pg, PROT_READ, MAP_SHARED, nofd,
	    (off_t)pg)) != MAP_FAILED);
	QT_CHECK_EQ(((unsigned char *)p)[0], 'f');
	munmap(p, pg);
	QT_CHECK((p = mmap_handle(NULL, pg, PROT_READ, MAP_SHARED, sub,
	    0)) != MAP_FAILED);
	QT_CHECK_EQ(((unsigned char *)p)[0], 'f');
	munmap(p, pg);
	QT_CHECK((o = shm_open_handle_pid(byother, O_RDONLY, getpid())) >= 0);
	close(o);
	close(fd);
	return (0);
}

static void
test_escalate(void **state)
{
	(void)state;
	th_run(th_body_escalate, NULL);
}

/* A map request whose offset + length wraps (raw: the library checks). */
static int
th_body_map_wrap(void *arg)
{
	struct th_snap		snap;
	struct proto_open	o;
	struct proto_msg	m;
	shm_handle_t		h;
	uint64_t		pg = qt_page();
	int			fd, s, i;
	const uint64_t		offs[][2] = {
		{ UINT64_MAX - pg + 1, 2 * pg },
		{ 0, UINT64_MAX },
		{ (uint64_t)INT64_MAX + 1, pg },
		{ pg, UINT64_MAX - pg + 1 },
		{ 1, pg },
	};

	(void)arg;
	QT_CHECK((fd = qt_memfd(4 * pg, 'w')) >= 0);
	QT_CHECK((s = qt_connect(th_b.sock)) >= 0);
	QT_CHECK_OK(shm_create_subrange_handle(fd, getpid(), O_RDWR, &h, 0,
	    2 * pg, 0));
	QT_CHECK_OK(th_snap(&snap));
	for (i = 0; i < (int)(sizeof offs / sizeof offs[0]); i++) {
		memset(&o, 0, sizeof o);
		o.handle = h;
		o.access = O_RDONLY;
		o.purpose = PROTO_OPEN_MAP;
		o.prot = PROT_READ;
		o.offset = offs[i][0];
		o.length = offs[i][1];
		QT_CHECK_EQ(th_ask(s, PROTO_OPEN, &o, sizeof o, -1, &m),
		    EINVAL);
	}
	QT_CHECK_EQ(th_same(&snap), 0);
	close(s);
	QT_CHECK_OK(shm_delete_handle(h));
	close(fd);
	return (0);
}

static void
test_map_wrap(void **state)
{
	(void)state;
	th_run(th_body_map_wrap, NULL);
}

/* ---- 10,000 guesses ---- */

struct th_guess {
	int	to, from;	/* pipes: handle in, result out */
};

/* The guesser: 10,000 wrong handles, then the right one it is sent. */
static int
th_guesser(void *arg)
{
	struct th_guess	*g = arg;
	shm_handle_t	 h;
	uint64_t	 x = 0x0123456789abcdefULL, res[4];
	int		 i, esrch = 0, eagain = 0;

	if (qt_send_u64(g->from, (uint64_t)getpid()) == -1)
		return (1);
	for (i = 0; i < 10000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		if (shm_open_handle(x | 1, O_RDONLY) != -1)
			continue;
		if (errno == ESRCH)
			esrch++;
		else if (errno == EAGAIN)
			eagain++;
	}
	if (qt_recv_u64(g->to, &h) == -1)
		return (1);
	res[0] = (uint64_t)esrch;
	res[1] = (uint64_t)shm_open_handle(h, O_RDONLY);
	res[2] = (uint64_t)errno;
	res[3] = (uint64_t)eagain;
	for (i = 0; i < 4; i++)
		if (qt_send_u64(g->from, res[i]) == -1)
			return (1);
	return (0);
}

/* Lines of the audit log that contain s. */
static int
th_audit_count(const char *s)
{
	char	line[2048];
	FILE	*f;
	int	n = 0;

	if ((f = fopen(th_audit, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof line, f) != NULL)
		if (strstr(line, s) != NULL)
			n++;
	fclose(f);
	return (n);
}

static int
th_body_guesses(void *arg)
{
	struct th_guess	g;
	struct th_snap	snap;
	shm_handle_t	h, mine;
	uint64_t	pid, res[4];
	int		down[2], up[2], fd, i, pen0, status;
	pid_t		child;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'G')) >= 0);
	QT_CHECK_OK(pipe2(down, O_CLOEXEC));
	QT_CHECK_OK(pipe2(up, O_CLOEXEC));
	g.to = down[0];
	g.from = up[1];
	pen0 = th_audit_count("uid penalized");
	QT_CHECK_OK(th_snap(&snap));
	QT_CHECK((child = qt_fork(th_guesser, &g)) > 0);
	QT_CHECK_OK(qt_recv_u64(up[0], &pid));
	/* Granted while it guesses: the right value, refused all the same. */
	QT_CHECK_OK(shm_create_handle(fd, (pid_t)pid, O_RDONLY, &h, 0));
	QT_CHECK_OK(qt_send_u64(down[1], h));
	for (i = 0; i < 4; i++)
		QT_CHECK_OK(qt_recv_u64(up[0], &res[i]));
	status = qt_wait(child);
	QT_CHECK_EQ(status, 0);
	/* Every guess refused: "no such handle" until the penalty (earlier
	 * cases of this suite spent part of our uid's allowance), then "try
	 * again" (guard.h), and nothing else. */
	QT_CHECK(res[0] > 0 && res[0] <= 1000 + 100 && res[3] > 0);
	QT_CHECK_EQ(res[0] + res[3], 10000);
	QT_CHECK_EQ((int64_t)res[1], -1);
	QT_CHECK_EQ(res[2], EAGAIN);
	QT_CHECK_EQ(th_audit_count("uid penalized"), pen0 + 1);
	/* Each guess before the penalty is audited with its value. */
	QT_CHECK(th_audit_count("\"No such process\"") >= 1000);
	QT_CHECK_EQ(th_same(&snap), 0);	/* its handle was reclaimed */
	/* The penalty is the guessing uid's: ours.  Others' are unaffected
	 * (test_guesses_other_uid); we are refused even our own handle. */
	QT_CHECK_OK(shm_create_handle(fd, getpid(), O_RDONLY, &mine, 0));
	QT_CHECK_ERR(shm_open_handle(mine, O_RDONLY), EAGAIN);
	QT_CHECK_ERR(shm_delete_handle(mine), EAGAIN);
	close(fd);
	return (0);
}

/*
 * 10,000 guesses: all ESRCH, the broker unharmed; past the allowance the
 * guessing uid is refused even a right value, and the audit log says so.
 * Last in the list: the penalty outlives the case (for its uid).
 */
static void
test_guesses(void **state)
{
	(void)state;
	th_run(th_body_guesses, NULL);
}

/* ---- connections ---- */

static int
th_connect_nb(const char *path)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	int			s;

	strcpy(sun.sun_path, path);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(s, (struct sockaddr *)&sun, sizeof sun) == -1) {
		close(s);
		return (-1);
	}
	return (s);
}

/* A broker with 64 fds at most: flood it, keep being served. */
static int
th_body_flood(void *arg)
{
	struct qt_broker	*b = arg;
	struct qshm_stats	 st0, st;
	struct proto_msg	 m;
	int			 socks[400], n = 0, i, fd, s, fds0;
	shm_handle_t		 h;

	QT_CHECK((fd = qt_memfd(qt_page(), 'F')) >= 0);
	/* Warm up: without pidfds a sweep timer is made once, and stays. */
	QT_CHECK_OK(shm_create_handle(fd, getpid(), O_RDONLY, &h, 0));
	QT_CHECK_OK(shm_delete_handle(h));
	QT_CHECK_OK(qshm_stats(&st0));
	fds0 = qt_count_fds(b->pid);
	while (n < 400 && (socks[n] = th_connect_nb(b->sock)) != -1)
		n++;
	/* Past its limit the broker pauses accepting; we keep working. */
	for (i = 0; i < 20; i++) {
		QT_CHECK_OK(shm_create_handle(fd, getpid(), O_RDONLY, &h, 0));
		QT_CHECK_OK(shm_delete_handle(h));
	}
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK(n > 64);
	QT_CHECK(st.connections < (uint64_t)n);
	/* It left itself room to serve (16 fds under its limit). */
	QT_CHECK(qt_count_fds(b->pid) < 64);
	for (i = 0; i < n; i++)
		close(socks[i]);
	QT_CHECK_EQ(qt_wait_fds(b->pid, fds0), fds0);
	/* Accepting again (after its back-off): a new client is served. */
	QT_CHECK((s = qt_connect(b->sock)) >= 0);
	QT_CHECK_EQ(th_ask(s, PROTO_STATS, NULL, 0, -1, &m), 0);
	close(s);
	close(fd);
	return (0);
}

static void
test_connection_flood(void **state)
{
	struct qt_broker	b;
	struct rlimit		low = { 64, 64 };
	int			status, stop;

	(void)state;
	/* valgrind keeps its own copy of the limit: lowering it breaks it. */
	if (getenv("QT_BROKER_WRAPPER") != NULL)
		skip();
	assert_int_equal(qt_broker_start(&b, NULL), 0);
	/* Its own limit, lowered from outside (its fds are still few). */
	assert_int_equal(prlimit(b.pid, RLIMIT_NOFILE, &low, NULL), 0);
	status = qt_run(th_body_flood, &b);
	stop = qt_broker_stop(&b);
	setenv("QSHM_SOCKET", th_b.sock, 1);
	assert_int_equal(status, 0);
	assert_int_equal(stop, 0);
}

/* The same without pidfds: out of fds, a process is not taken for dead. */
static void
test_connection_flood_nopidfd(void **state)
{
	setenv("QT_BROKER_NO_PIDFD", "1", 1);
	test_connection_flood(state);
	unsetenv("QT_BROKER_NO_PIDFD");
}

/* A client that connects and never sends, another that dies mid-way. */
static int
th_body_idle(void *arg)
{
	struct th_snap	snap;
	shm_handle_t	h;
	int		idle, fd, i, o;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'I')) >= 0);
	QT_CHECK_OK(th_snap(&snap));
	QT_CHECK((idle = qt_connect(th_b.sock)) >= 0);
	for (i = 0; i < 50; i++) {
		QT_CHECK_OK(shm_create_handle(fd, getpid(), O_RDONLY, &h, 0));
		QT_CHECK((o = shm_open_handle(h, O_RDONLY)) >= 0);
		close(o);
	}
	close(idle);
	close(fd);
	return (th_same(&snap));
}

static void
test_idle_client(void **state)
{
	(void)state;
	th_run(th_body_idle, NULL);
}

/* Sends a grant for itself and dies before it reads the reply. */
static int
th_dier(void *arg)
{
	struct proto_grant	g = { .access = O_RDWR };
	int			*sent = arg, s, fd;

	if ((s = qt_connect(th_b.sock)) == -1 ||
	    (fd = qt_memfd(qt_page(), 'K')) == -1)
		return (1);
	g.pid = getpid();
	if (proto_send(s, PROTO_GRANT, 1, &g, sizeof g, fd) == -1)
		return (1);
	close(fd);
	qt_send_u64(*sent, 1);
	pause();
	return (0);
}

static int
th_body_killed(void *arg)
{
	struct th_snap	snap;
	uint64_t	x;
	pid_t		pid;
	int		p[2], i;

	(void)arg;
	QT_CHECK_OK(th_snap(&snap));
	for (i = 0; i < 5; i++) {
		QT_CHECK_OK(pipe2(p, O_CLOEXEC));
		QT_CHECK((pid = qt_fork(th_dier, &p[1])) > 0);
		QT_CHECK_OK(qt_recv_u64(p[0], &x));
		QT_CHECK_OK(kill(pid, SIGKILL));
		QT_CHECK_EQ(qt_wait(pid), 128 + SIGKILL);
		close(p[0]);
		close(p[1]);
	}
	/* Its handle (if made) is reclaimed, its object and fds let go. */
	{
		int64_t		deadline = qt_now_ms() + QT_TIMEOUT_MS;
		struct th_snap	now;

		do {
			QT_CHECK_OK(th_snap(&now));
			if (now.handles == snap.handles &&
			    now.objects == snap.objects)
				break;
			qt_nap(5);
		} while (qt_now_ms() < deadline);
	}
	return (th_same(&snap));
}

static void
test_killed_mid_request(void **state)
{
	(void)state;
	th_run(th_body_killed, NULL);
}

/* ---- another uid (root only) ---- */

/*
 * The other uid's side: connect (keeping CAP_DAC_OVERRIDE for the root
 * broker's socket), drop every capability, report the pid, then take the
 * handles it is sent and try each way to write.  Results go back as
 * u64s: per handle, how many write paths worked.
 */
struct th_uid {
	int	to, from;
};

/* Ways to write through a read-only fd; how many worked. */
static uint64_t
th_try_write(int fd)
{
	uint64_t	 worked = 0;
	size_t		 pg = qt_page();
	void		*p;
	char		 c = 'X';
	int		 w;

	if ((w = qt_reopen(fd, O_RDWR)) != -1) {
		worked++;
		close(w);
	}
	if ((w = qt_reopen(fd, O_WRONLY)) != -1) {
		worked++;
		close(w);
	}
	if (pwrite(fd, &c, 1, 0) == 1)
		worked++;
	if ((p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0)) != MAP_FAILED) {
		worked++;
		munmap(p, pg);
	}
	if ((p = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0)) != MAP_FAILED) {
		if (mprotect(p, pg, PROT_READ | PROT_WRITE) == 0)
			worked++;
		munmap(p, pg);
	}
	if (fchmod(fd, 0666) == 0)
		worked++;
	return (worked);
}

/* Ways to change the size from a read-only fd; how many worked. */
static uint64_t
th_try_resize(int fd)
{
	uint64_t	worked = 0;
	off_t		size = (off_t)qt_page();
	char		path[64];
	int		w;

	if (ftruncate(fd, 0) == 0)
		worked++;
	if (fallocate(fd, 0, 0, 4 * size) == 0)
		worked++;
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	if (truncate(path, 0) == 0)
		worked++;
	if (truncate(path, 4 * size) == 0)
		worked++;
	if ((w = qt_reopen(fd, O_RDWR)) != -1) {
		if (ftruncate(w, 0) == 0)
			worked++;
		if (ftruncate(w, 4 * size) == 0)
			worked++;
		if (fallocate(w, 0, 0, 8 * size) == 0)
			worked++;
		close(w);
	}
	return (worked);
}

static int
th_other_uid(void *arg)
{
	struct th_uid	*u = arg;
	struct qshm_stats st;
	uint64_t	 h, what;
	void		*p;
	int		 fd;

	/* Dumpable again after the uid change, to reach /proc/self/fd. */
	if (qt_become(QT_NOBODY, QT_NOBODY, 0, NULL, true) == -1 ||
	    prctl(PR_SET_DUMPABLE, 1L, 0L, 0L, 0L) == -1 ||
	    qshm_stats(&st) == -1 || qt_drop_caps() == -1)
		return (1);
	if (qt_send_u64(u->from, (uint64_t)getpid()) == -1)
		return (1);
	/*
	 * what: 0 end, 1 open ro and try to write, 2 map ro and mprotect,
	 * 3 open ro and try to resize.
	 */
	while (qt_recv_u64(u->to, &what) == 0 && what != 0) {
		if (qt_recv_u64(u->to, &h) == -1)
			return (1);
		if (what == 1 || what == 3) {
			if ((fd = shm_open_handle(h, O_RDONLY)) == -1)
				return (2);
			qt_send_u64(u->from, what == 1 ? th_try_write(fd) :
			    th_try_resize(fd));
			close(fd);
		} else {
			p = mmap_handle(NULL, qt_page(), PROT_READ,
			    MAP_SHARED, h, 0);
			if (p == MAP_FAILED)
				return (3);
			qt_send_u64(u->from, mprotect(p, qt_page(),
			    PROT_READ | PROT_WRITE) == 0);
			munmap(p, qt_page());
		}
	}
	return (0);
}

/* Grant fd ro to pid, check the listed enforcement, have it try. */
static int
th_enforced(int fd, const struct th_uid *u, pid_t pid, uint64_t what,
    unsigned want_enf, unsigned want_why)
{
	struct qshm_handle_info	i;
	shm_handle_t		h;
	uint64_t		worked;

	QT_CHECK_OK(shm_create_handle(fd, pid, O_RDONLY, &h, 0));
	QT_CHECK_OK(qt_find_handle(h, &i));
	QT_CHECK_EQ(i.enforcement, want_enf);
	QT_CHECK_EQ(i.reason, want_why);
	QT_CHECK_OK(qt_send_u64(u->to, what));
	QT_CHECK_OK(qt_send_u64(u->to, h));
	QT_CHECK_OK(qt_recv_u64(u->from, &worked));
	/* The column is true: kernel means no way worked, advisory some. */
	if (want_enf == QSHM_ENF_KERNEL)
		QT_CHECK_EQ(worked, 0);
	else
		QT_CHECK(worked > 0);
	return (0);
}

static int
th_shm(const char *name, mode_t mode)
{
	int	fd;

	shm_unlink(name);
	if ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, mode)) == -1)
		return (-1);
	if (fchmod(fd, mode) == -1 || ftruncate(fd, (off_t)qt_page()) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* A memfd of a page, of that mode, with those seals. */
static int
th_sealed(mode_t mode, unsigned seals)
{
	int	fd;

	if ((fd = qt_memfd(qt_page(), 'S')) == -1)
		return (-1);
	if (fchmod(fd, mode) == -1 || fcntl(fd, F_ADD_SEALS, seals) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

static int
th_body_uid_enforce(void *arg)
{
	struct th_uid	u;
	uint64_t	pid;
	pid_t		child;
	int		down[2], up[2], f600, f644, f666, sealed, wsealed;
	int		open_sealed, open_wsealed;

	(void)arg;
	QT_CHECK_OK(pipe2(down, O_CLOEXEC));
	QT_CHECK_OK(pipe2(up, O_CLOEXEC));
	u.to = down[1];
	u.from = up[0];
	{
		struct th_uid	cu = { down[0], up[1] };

		QT_CHECK((child = qt_fork(th_other_uid, &cu)) > 0);
	}
	QT_CHECK_OK(qt_recv_u64(u.from, &pid));
	QT_CHECK((f600 = th_shm("/qshm-hostile-600", 0600)) >= 0);
	QT_CHECK((f644 = th_shm("/qshm-hostile-644", 0644)) >= 0);
	QT_CHECK((f666 = th_shm("/qshm-hostile-666", 0666)) >= 0);
	QT_CHECK((sealed = th_sealed(0644, F_SEAL_WRITE | F_SEAL_SHRINK |
	    F_SEAL_GROW)) >= 0);
	QT_CHECK((wsealed = th_sealed(0644, F_SEAL_WRITE)) >= 0);
	QT_CHECK((open_sealed = th_sealed(0666, F_SEAL_WRITE |
	    F_SEAL_SHRINK | F_SEAL_GROW)) >= 0);
	QT_CHECK((open_wsealed = th_sealed(0666, F_SEAL_FUTURE_WRITE)) >= 0);
	/* The other uid reads through the fd it is given, nothing more. */
	QT_CHECK_EQ(th_enforced(f600, &u, (pid_t)pid, 1, QSHM_ENF_KERNEL,
	    QSHM_WHY_MODE), 0);
	QT_CHECK_EQ(th_enforced(f644, &u, (pid_t)pid, 1, QSHM_ENF_KERNEL,
	    QSHM_WHY_MODE), 0);
	QT_CHECK_EQ(th_enforced(f644, &u, (pid_t)pid, 2, QSHM_ENF_KERNEL,
	    QSHM_WHY_MODE), 0);
	QT_CHECK_EQ(th_enforced(sealed, &u, (pid_t)pid, 2, QSHM_ENF_KERNEL,
	    QSHM_WHY_SEALED), 0);
	/* ... and cannot change its size either. */
	QT_CHECK_EQ(th_enforced(f644, &u, (pid_t)pid, 3, QSHM_ENF_KERNEL,
	    QSHM_WHY_MODE), 0);
	QT_CHECK_EQ(th_enforced(wsealed, &u, (pid_t)pid, 3, QSHM_ENF_KERNEL,
	    QSHM_WHY_MODE), 0);
	QT_CHECK_EQ(th_enforced(sealed, &u, (pid_t)pid, 3, QSHM_ENF_KERNEL,
	    QSHM_WHY_SEALED), 0);
	/* Sealed against all of it: reopened rw, it still changes nothing. */
	QT_CHECK_EQ(th_enforced(open_sealed, &u, (pid_t)pid, 3,
	    QSHM_ENF_KERNEL, QSHM_WHY_SEALED), 0);
	QT_CHECK_EQ(th_enforced(open_sealed, &u, (pid_t)pid, 2,
	    QSHM_ENF_KERNEL, QSHM_WHY_SEALED), 0);
	/* Advisory: the mode lets it reopen read-write, and it can. */
	QT_CHECK_EQ(th_enforced(f666, &u, (pid_t)pid, 1, QSHM_ENF_ADVISORY,
	    QSHM_WHY_MODE_ALLOWS), 0);
	/* Sealed against writes only: it resizes. */
	QT_CHECK_EQ(th_enforced(open_wsealed, &u, (pid_t)pid, 3,
	    QSHM_ENF_ADVISORY, QSHM_WHY_RESIZE), 0);
	QT_CHECK_OK(qt_send_u64(u.to, 0));
	QT_CHECK_EQ(qt_wait(child), 0);
	shm_unlink("/qshm-hostile-600");
	shm_unlink("/qshm-hostile-644");
	shm_unlink("/qshm-hostile-666");
	close(f600);
	close(f644);
	close(f666);
	close(sealed);
	close(wsealed);
	close(open_sealed);
	close(open_wsealed);
	return (0);
}

/*
 * Kernel-enforced read-only grants to another uid cannot be written nor
 * resized; write seals alone leave a resize (advisory).
 */
static void
test_uid_enforced(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	th_run(th_body_uid_enforce, NULL);
}

static int
th_body_uid_isolated(void *arg)
{
	struct th_snap	snap;
	struct qt_peer	root, nob;
	struct qt_req	rq = { .op = QT_OP_LIST };
	struct qt_rep	rep;
	shm_handle_t	h, hn;
	int		fd;

	(void)arg;
	QT_CHECK((fd = th_shm(qt_shm_name("qshm-hostile-iso"), 0644)) >= 0);
	QT_CHECK_OK(qt_peer_start(&root));
	QT_CHECK_OK(qt_peer_start_as(&nob, QT_NOBODY, QT_NOBODY, true));
	QT_CHECK_EQ(qt_peer_call(&nob, &(struct qt_req){ .op = QT_OP_STATS },
	    &rep), 0);
	QT_CHECK_EQ(qt_peer_call(&nob, &(struct qt_req){
	    .op = QT_OP_DROP_CAPS }, &rep), 0);
	QT_CHECK_EQ(rep.ret, 0);
	QT_CHECK_OK(shm_create_handle(fd, root.pid, O_RDWR, &h, 0));
	QT_CHECK_OK(shm_create_handle(fd, nob.pid, O_RDONLY, &hn, 0));
	QT_CHECK_OK(th_snap(&snap));
	/* Not its handle: no open, no map, no delete, not listed. */
	QT_CHECK_EQ(qt_peer_open(&nob, h, O_RDONLY, 0, 0, &rep), -1);
	QT_CHECK_EQ(rep.err, ESRCH);
	QT_CHECK_EQ(qt_peer_map(&nob, h, qt_page(), PROT_READ, MAP_SHARED, 0,
	    0, 0, &rep), -1);
	QT_CHECK_EQ(rep.err, ESRCH);
	QT_CHECK_EQ(qt_peer_delete(&nob, h), ESRCH);
	rq.handle = h;
	QT_CHECK_EQ(qt_peer_call(&nob, &rq, &rep), 0);
	QT_CHECK_EQ(rep.ret, -1);
	/* Its own is listed; revoking root's handles is not allowed. */
	rq.handle = hn;
	QT_CHECK_EQ(qt_peer_call(&nob, &rq, &rep), 0);
	QT_CHECK_EQ(rep.ret, 0);
	QT_CHECK_EQ(qt_peer_call(&nob, &(struct qt_req){
	    .op = QT_OP_ADMIN_REVOKE, .fd = fd, .pid = -1 }, &rep), 0);
	QT_CHECK_EQ(rep.ret, -1);
	QT_CHECK_EQ(rep.err, EPERM);
	/* A wider mode than granted: refused, not consumed. */
	QT_CHECK_EQ(qt_peer_open(&nob, hn, O_RDWR, 0, 0, &rep), -1);
	QT_CHECK_EQ(rep.err, EACCES);
	QT_CHECK_EQ(th_same(&snap), 0);
	QT_CHECK(qt_peer_open(&root, h, O_RDWR, 0, 0, &rep) >= 0);
	QT_CHECK(qt_peer_open(&nob, hn, O_RDONLY, 0, 0, &rep) >= 0);
	QT_CHECK_EQ(rep.reopen_err, EACCES);
	QT_CHECK_EQ(qt_peer_stop(&root), 0);
	QT_CHECK_EQ(qt_peer_stop(&nob), 0);
	shm_unlink(qt_shm_name("qshm-hostile-iso"));
	close(fd);
	return (0);
}

/* Another uid cannot use, delete, list or revoke what is not its own. */
static void
test_uid_isolated(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	th_run(th_body_uid_isolated, NULL);
}

/* Another uid's guesses penalize that uid only. */
static int
th_body_guess_uid(void *arg)
{
	struct qt_peer	nob;
	struct qt_rep	rep;
	shm_handle_t	h;
	int		fd, i, o, err, esrch, eagain;

	(void)arg;
	QT_CHECK((fd = th_shm(qt_shm_name("qshm-hostile-guess"), 0644)) >= 0);
	QT_CHECK_OK(qt_peer_start_as(&nob, QT_NOBODY, QT_NOBODY, true));
	/* "No such handle" until the guard trips, then "try again". */
	for (i = 0, esrch = eagain = 0; i < 1100; i++) {
		err = qt_peer_delete(&nob, 0x5151000000000000ULL + (uint64_t)i);
		QT_CHECK(err == ESRCH || err == EAGAIN);
		if (err == ESRCH)
			esrch++;
		else
			eagain++;
	}
	QT_CHECK(esrch > 0 && esrch <= 1100 && eagain > 0);
	QT_CHECK_OK(shm_create_handle(fd, nob.pid, O_RDONLY, &h, 0));
	QT_CHECK_EQ(qt_peer_open(&nob, h, O_RDONLY, 0, 0, &rep), -1);
	QT_CHECK_EQ(rep.err, EAGAIN);
	/* We (root) are served as before. */
	QT_CHECK_OK(shm_create_handle(fd, getpid(), O_RDONLY, &h, 0));
	QT_CHECK((o = shm_open_handle(h, O_RDONLY)) >= 0);
	close(o);
	QT_CHECK_EQ(qt_peer_stop(&nob), 0);
	shm_unlink(qt_shm_name("qshm-hostile-guess"));
	close(fd);
	return (0);
}

static void
test_guesses_other_uid(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	th_run(th_body_guess_uid, NULL);
}

static int
th_setup(void **state)
{
	const char	*extra[] = { "--audit", th_audit, NULL };
	char		 dir[] = "/tmp/qshm-hostile-XXXXXX";

	(void)state;
	if (mkdtemp(dir) == NULL)
		return (-1);
	snprintf(th_audit, sizeof th_audit, "%s/audit.log", dir);
	return (qt_broker_start(&th_b, extra));
}

static int
th_teardown(void **state)
{
	char	dir[200], *slash;
	int	rv;

	(void)state;
	rv = qt_broker_stop(&th_b);
	unlink(th_audit);
	snprintf(dir, sizeof dir, "%s", th_audit);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	rmdir(dir);
	return (rv);
}

#define TH_NRAW		(sizeof th_raws / sizeof th_raws[0])
#define TH_NGRANT	(sizeof th_grants / sizeof th_grants[0])
#define TH_NPARK	(sizeof th_parks / sizeof th_parks[0])

int
main(void)
{
	static const struct {
		const char	*name;
		void		(*fn)(void **);
	} fixed[] = {
		{ "pipelined garbage", test_pipelined },
		{ "handle 0", test_handle_zero },
		{ "random handles", test_random_handles },
		{ "another process's handle, replayed", test_others_handle },
		{ "recipient shut before its fd came", test_open_hangup },
		{ "mode escalation", test_escalate },
		{ "map range wraps", test_map_wrap },
		{ "idle client", test_idle_client },
		{ "client killed mid-request", test_killed_mid_request },
		{ "connection flood to the fd limit", test_connection_flood },
		{ "connection flood, broker without pidfds",
		    test_connection_flood_nopidfd },
		{ "other uid: isolated", test_uid_isolated },
		{ "other uid: kernel enforcement holds",
		    test_uid_enforced },
		{ "other uid: guesses penalize it only",
		    test_guesses_other_uid },
		{ "10000 handle guesses", test_guesses },
	};
	struct CMUnitTest	 tests[TH_NRAW + TH_NGRANT + TH_NPARK +
			    sizeof fixed / sizeof fixed[0]];
	size_t			 n = 0, i;

	memset(tests, 0, sizeof tests);
	for (i = 0; i < TH_NRAW; i++) {
		tests[n].name = th_raws[i].name;
		tests[n].test_func = test_raw;
		tests[n++].initial_state = (void *)(uintptr_t)&th_raws[i];
	}
	for (i = 0; i < TH_NGRANT; i++) {
		tests[n].name = th_grants[i].name;
		tests[n].test_func = test_grant;
		tests[n++].initial_state = (void *)(uintptr_t)&th_grants[i];
	}
	for (i = 0; i < TH_NPARK; i++) {
		tests[n].name = th_parks[i].name;
		tests[n].test_func = test_park;
		tests[n++].initial_state = (void *)(uintptr_t)&th_parks[i];
	}
	for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		tests[n].name = fixed[i].name;
		tests[n++].test_func = fixed[i].fn;
	}
	return (_cmocka_run_group_tests("test-hostile", tests, n, th_setup,
	    th_teardown));
}
