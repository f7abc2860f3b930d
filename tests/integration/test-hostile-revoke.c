/*
 * test-hostile-revoke.c: hostile watchers, revokers and shm_ctl() callers
 * against a live broker.
 *
 * A creator (the test body, in a fresh child) makes a revocable object
 * and grants it to a recipient R.  R is a child that only connects raw
 * sockets and hands them over, so the body speaks for R message by
 * message: it consumes the handle (R gets a grant), registers a watcher,
 * and then answers notices wrongly, late, twice or never.  Each case
 * asserts the reply or hang-up, the grant's state, and that the broker's
 * descriptors, processes and handles come back to where they were.
 *
 * Malformed CTL, REVOKE, WATCH and NOTICE messages are in test-hostile's
 * table; a second watcher (EBUSY), an answer with no notice out, a notice
 * sent as a request and a stopped recipient are in test-revoke.
 */

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"
#include "proto.h"

#define HR_SOCKS	3		/* R's raw connections */
#define HR_FLOOD	10000		/* acks a flooding watcher sends */

/* R: a process whose raw connections the body holds. */
struct hr_proxy {
	pid_t	pid;
	int	ctl;			/* closing it lets R exit */
	int	s[HR_SOCKS];
};

/* One case's world: the object, R, its grant, the creator's socket. */
struct hr_fix {
	const char	*sock;
	int		 fd;		/* the creator's rw fd */
	struct stat	 st;
	struct hr_proxy	 r;
	shm_handle_t	 h;		/* R's consumed handle */
	int		 rs;		/* the creator's raw connection */
	uint32_t	 notice;	/* the id of R's notice */
	pid_t		 broker;
	int		 base_fds;	/* the broker's, before R */
	uint64_t	 base_procs;
	uint64_t	 base_bad;
};

/* In R: connect, pass the sockets up, live until told to go. */
static int
hr_proxy_main(const char *sock, int up)
{
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(sizeof(int) * HR_SOCKS)];
	} cbuf;
	struct iovec	 iov = { "r", 1 };
	struct msghdr	 mh;
	struct cmsghdr	*c;
	int		 s[HR_SOCKS], i;
	char		 b;

	for (i = 0; i < HR_SOCKS; i++)
		if ((s[i] = qt_connect(sock)) == -1)
			return (1);
	memset(&mh, 0, sizeof mh);
	memset(&cbuf, 0, sizeof cbuf);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof cbuf.buf;
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof s);
	memcpy(CMSG_DATA(c), s, sizeof s);
	if (sendmsg(up, &mh, 0) != 1)
		return (1);
	for (i = 0; i < HR_SOCKS; i++)
		close(s[i]);
	while (read(up, &b, 1) > 0)
		;
	return (0);
}

/* Start R with HR_SOCKS connections to sock; -1 on failure. */
static int
hr_proxy_start(struct hr_proxy *r, const char *sock, int keep)
{
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(sizeof(int) * HR_SOCKS)];
	} cbuf;
	struct iovec	 iov;
	struct msghdr	 mh;
	struct cmsghdr	*c;
	struct pollfd	 pfd;
	int		 sp[2];
	char		 b;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		return (-1);
	qt_settle();
	fflush(NULL);
	if ((r->pid = fork()) == -1)
		return (-1);
	if (r->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(keep);
		close(sp[0]);
		qt_exit(hr_proxy_main(sock, sp[1]));
	}
	close(sp[1]);
	r->ctl = sp[0];
	pfd.fd = r->ctl;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, QT_TIMEOUT_MS) != 1)
		return (-1);
	memset(&mh, 0, sizeof mh);
	iov.iov_base = &b;
	iov.iov_len = 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof cbuf.buf;
	if (recvmsg(r->ctl, &mh, MSG_CMSG_CLOEXEC) != 1 ||
	    (c = CMSG_FIRSTHDR(&mh)) == NULL ||
	    c->cmsg_len != CMSG_LEN(sizeof r->s))
		return (-1);
	memcpy(r->s, CMSG_DATA(c), sizeof r->s);
	return (0);
}

/* Let R exit; its exit status. */
static int
hr_proxy_stop(struct hr_proxy *r)
{
	int	i;

	for (i = 0; i < HR_SOCKS; i++)
		if (r->s[i] != -1)
			close(r->s[i]);
	close(r->ctl);
	return (qt_wait(r->pid));
}

/* Is a message (or a hang-up) waiting on s right now? */
static bool
hr_ready(int s)
{
	struct pollfd	pfd = { s, POLLIN, 0 };

	return (poll(&pfd, 1, 0) == 1);
}

/* Wait (bounded) for the next message on s. */
static int
hr_recv(int s, struct proto_msg *m)
{
	struct pollfd	pfd = { s, POLLIN, 0 };

	if (poll(&pfd, 1, QT_TIMEOUT_MS) != 1)
		return (-1);
	return (proto_recv(s, m));
}

/* One request on a raw connection; the reply's errno, or -1. */
static int
hr_ask(int s, uint16_t type, const void *pay, size_t len, int fd,
    struct proto_msg *reply)
{
	static uint32_t	id = 1000;

	if (proto_send(s, type, ++id, pay, len, fd) == -1 ||
	    hr_recv(s, reply) == -1)
		return (-1);
	if (reply->hdr.type != (type | PROTO_REPLY) || reply->hdr.id != id)
		return (-1);
	return (reply->u.status.err);
}

/* Answer notice id on s with err and a count of 1. */
static int
hr_ack(int s, uint32_t id, int err)
{
	struct proto_status_reply	r;

	memset(&r, 0, sizeof r);
	r.err = err;
	r.value = err == 0 ? 1 : 0;
	return (proto_send(s, PROTO_NOTICE | PROTO_REPLY, id, &r, sizeof r,
	    -1));
}

/* The broker hung up on s: EOF once what was queued is read. */
static int
hr_hungup(int s)
{
	struct proto_msg	m;

	for (;;) {
		if (hr_recv(s, &m) == -1)
			return (errno == ECONNRESET ? 0 : -1);
		proto_msg_clear(&m);
	}
}

/* The state of the grant of h, or -1 if the broker has none. */
static int
hr_state(shm_handle_t h)
{
	struct qshm_handle_info	i;

	if (qt_find_handle(h, &i) == -1)
		return (-1);
	return ((int)i.state);
}

/* Poll (bounded) until h's grant is in state want; the last state. */
static int
hr_wait_state(shm_handle_t h, int want)
{
	int64_t	deadline = qt_now_ms() + QT_TIMEOUT_MS;
	int	s;

	while ((s = hr_state(h)) != want && qt_now_ms() < deadline)
		qt_nap(5);
	return (s);
}

/* Send shm_revoke(fd, pid) on the creator's raw connection. */
static int
hr_revoke_send(struct hr_fix *f, pid_t pid)
{
	struct proto_revoke	rv = { .pid = pid };

	return (proto_send(f->rs, PROTO_REVOKE, 77, &rv, sizeof rv, f->fd));
}

/* The answer to hr_revoke_send(): its errno; *count the value. */
static int
hr_revoke_reply(struct hr_fix *f, uint32_t *count)
{
	struct proto_msg	m;

	if (hr_recv(f->rs, &m) == -1 ||
	    m.hdr.type != (PROTO_REVOKE | PROTO_REPLY) || m.hdr.id != 77)
		return (-1);
	*count = m.u.status.value;
	return (m.u.status.err);
}

/* The next notice on R's watcher connection s: for our object? */
static int
hr_notice(struct hr_fix *f, int s)
{
	struct proto_msg	m;

	if (hr_recv(s, &m) == -1 || m.hdr.type != PROTO_NOTICE ||
	    m.u.notice.dev != (uint64_t)f->st.st_dev ||
	    m.u.notice.ino != (uint64_t)f->st.st_ino || m.hdr.id == 0)
		return (-1);
	f->notice = m.hdr.id;
	return (0);
}

/* The broker's descriptor count, processes and bad messages now. */
static int
hr_base(struct hr_fix *f)
{
	struct qshm_stats	st;

	if (qshm_stats(&st) == -1)
		return (-1);
	f->broker = (pid_t)st.pid;
	f->base_procs = st.procs;
	f->base_bad = st.bad_messages;
	f->base_fds = qt_count_fds(f->broker);
	return (f->base_fds > 0 ? 0 : -1);
}

/*
 * The world of a case: a revocable object, R holding a grant of it (a
 * consumed handle) and a registered watcher (R's socket 1), and the
 * creator's raw connection.
 */
static int
hr_fix_start(struct hr_fix *f, const char *sock)
{
	struct proto_open	o;
	struct proto_msg	m;

	memset(f, 0, sizeof *f);
	f->sock = sock;
	QT_CHECK((f->fd = shm_open(SHM_ANON, O_RDWR | O_CREAT, 0600)) >= 0);
	QT_CHECK_OK(shm_ctl(f->fd, SHMCTL_ANON | SHMCTL_REVOCABLE, 0,
	    qt_page()));
	QT_CHECK_OK(fstat(f->fd, &f->st));
	/* The broker keeps a read-only fd of the object from the first. */
	QT_CHECK_OK(shm_create_handle(f->fd, getpid(), O_RDONLY, &f->h, 0));
	QT_CHECK_OK(shm_delete_handle(f->h));
	QT_CHECK_OK(hr_base(f));
	QT_CHECK_OK(hr_proxy_start(&f->r, sock, f->fd));
	QT_CHECK_OK(shm_create_handle(f->fd, f->r.pid, O_RDONLY, &f->h, 0));
	memset(&o, 0, sizeof o);
	o.handle = f->h;
	o.access = O_RDONLY;
	o.purpose = PROTO_OPEN_FD;
	QT_CHECK_EQ(hr_ask(f->r.s[0], PROTO_OPEN, &o, sizeof o, -1, &m), 0);
	QT_CHECK(m.fd >= 0);
	proto_msg_clear(&m);
	QT_CHECK_EQ(hr_state(f->h), QSHM_STATE_IN_USE);
	QT_CHECK_EQ(hr_ask(f->r.s[1], PROTO_WATCH, NULL, 0, -1, &m), 0);
	QT_CHECK((f->rs = qt_connect(sock)) >= 0);
	return (0);
}

/*
 * R is gone (status: how it ended): its grant went, and once the creator
 * lets go the broker's descriptors and processes are back to the start.
 */
static int
hr_fix_end(struct hr_fix *f, int status)
{
	struct qshm_stats	st;

	QT_CHECK_EQ(hr_proxy_stop(&f->r), status);
	close(f->rs);
	QT_CHECK_EQ(hr_wait_state(f->h, -1), -1);
	QT_CHECK_EQ(qt_wait_fds(f->broker, f->base_fds), f->base_fds);
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.procs, f->base_procs);
	QT_CHECK_EQ(st.handles, 0);
	close(f->fd);
	return (0);
}

/* A deadline no case reaches: answers must come from what R does. */
static const char *const hr_patient[] = { "--revoke-timeout", "600000",
    "--revoke-enforce", "report", NULL };

static char	hr_audit[200];

/* The audit line of h's revoke in state (as qshm_state_str() says it)? */
static int
hr_audited(shm_handle_t h, const char *state)
{
	char	 want[64], line[1024];
	FILE	*f;
	int	 found = -1;

	snprintf(want, sizeof want, "\"handle\":\"0x%016" PRIx64 "\"", h);
	if ((f = fopen(hr_audit, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof line, f) != NULL)
		if (strstr(line, "\"event\":\"revoke\"") != NULL &&
		    strstr(line, want) != NULL && strstr(line, state) != NULL)
			found = 0;
	fclose(f);
	return (found);
}

/*
 * An answer from R's other connection, which is not the watcher (and
 * was refused as one): that connection is hung up on, the revoke still
 * waits, and the watcher's own answer completes it; both steps audited.
 */
static int
hr_body_not_watcher(void *arg)
{
	const char		*sock = ((const struct qt_broker *)arg)->sock;
	struct hr_fix		f;
	struct proto_msg	m;
	struct qshm_stats	st;
	uint32_t		count;

	QT_CHECK_OK(hr_fix_start(&f, sock));
	QT_CHECK_OK(hr_revoke_send(&f, f.r.pid));
	QT_CHECK_OK(hr_notice(&f, f.r.s[1]));
	QT_CHECK_EQ(hr_ask(f.r.s[2], PROTO_WATCH, NULL, 0, -1, &m), EBUSY);
	QT_CHECK_OK(hr_ack(f.r.s[2], f.notice, 0));
	QT_CHECK_OK(hr_hungup(f.r.s[2]));
	QT_CHECK_EQ(hr_state(f.h), QSHM_STATE_REVOKING);
	QT_CHECK(!hr_ready(f.rs));
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.bad_messages, f.base_bad + 1);
	QT_CHECK_OK(hr_ack(f.r.s[1], f.notice, 0));
	QT_CHECK_EQ(hr_revoke_reply(&f, &count), 0);
	QT_CHECK_EQ(count, 1);
	QT_CHECK_EQ(hr_state(f.h), QSHM_STATE_ACKNOWLEDGED);
	QT_CHECK_OK(hr_audited(f.h, "\"state\":\"revoking\""));
	QT_CHECK_OK(hr_audited(f.h, "\"state\":\"acknowledged\""));
	return (hr_fix_end(&f, 0));
}

static void
test_ack_not_watcher(void **state)
{
	const char *const extra[] = { "--revoke-timeout", "600000",
	    "--audit", hr_audit, NULL };
	char	dir[] = "/tmp/qshm-hostile-revoke-XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(hr_audit, sizeof hr_audit, "%s/audit.log", dir);
	qt_with_broker(extra, hr_body_not_watcher, NULL);
	unlink(hr_audit);
	rmdir(dir);
}

/*
 * The watcher answers a notice id it was never sent: hung up on, the
 * revoke waits.  A new watcher of R is sent the notice again, under a
 * new id (the old one is no answer), and its answer completes it.
 */
static int
hr_body_unsent_id(void *arg)
{
	const char		*sock = ((const struct qt_broker *)arg)->sock;
	struct hr_fix		f;
	struct proto_msg	m;
	uint32_t		count, old;
	int			s;

	QT_CHECK_OK(hr_fix_start(&f, sock));
	QT_CHECK_OK(hr_revoke_send(&f, f.r.pid));
	QT_CHECK_OK(hr_notice(&f, f.r.s[1]));
	QT_CHECK_OK(hr_ack(f.r.s[1], f.notice + 1, 0));
	QT_CHECK_OK(hr_hungup(f.r.s[1]));
	QT_CHECK_EQ(hr_state(f.h), QSHM_STATE_REVOKING);
	QT_CHECK(!hr_ready(f.rs));
	old = f.notice;
	QT_CHECK_EQ(hr_ask(f.r.s[2], PROTO_WATCH, NULL, 0, -1, &m), 0);
	QT_CHECK_OK(hr_notice(&f, f.r.s[2]));
	QT_CHECK(f.notice != old);
	QT_CHECK_OK(hr_ack(f.r.s[2], f.notice, 0));
	QT_CHECK_EQ(hr_revoke_reply(&f, &count), 0);
	QT_CHECK_EQ(count, 1);
	QT_CHECK_EQ(hr_state(f.h), QSHM_STATE_ACKNOWLEDGED);
	/* R's first connection is gone; the others go with R. */
	s = f.r.s[1];
	f.r.s[1] = -1;
	close(s);
	return (hr_fix_end(&f, 0));
}

static void
test_ack_unsent_id(void **state)
{
	(void)state;
	qt_with_broker(hr_patient, hr_body_unsent_id, NULL);
}

/*
 * The watcher answers, then floods the broker with the same answer: the
 * revoke is answered once, the first extra answer hangs the watcher up,
 * and nothing else changes.
 */
static int
hr_body_flood(void *arg)
{
	const char		*sock = ((const struct qt_broker *)arg)->sock;
	struct hr_fix		f;
	struct qshm_stats	st;
	uint32_t		count;
	int			i, sent = 0;

	QT_CHECK_OK(hr_fix_start(&f, sock));
	QT_CHECK_OK(hr_revoke_send(&f, f.r.pid));
	QT_CHECK_OK(hr_notice(&f, f.r.s[1]));
	QT_CHECK_OK(hr_ack(f.r.s[1], f.notice, 0));
	QT_CHECK_EQ(hr_revoke_reply(&f, &count), 0);
	QT_CHECK_EQ(count, 1);
	QT_CHECK_OK(fcntl(f.r.s[1], F_SETFL, O_NONBLOCK));
	for (i = 0; i < HR_FLOOD; i++) {
		if (hr_ack(f.r.s[1], f.notice, 0) == -1) {
			QT_CHECK(errno == EAGAIN || errno == EPIPE ||
			    errno == ECONNRESET);
			if (errno != EAGAIN)
				break;
			qt_nap(1);
			continue;
		}
		sent++;
	}
	QT_CHECK(sent >= 1);
	QT_CHECK_OK(fcntl(f.r.s[1], F_SETFL, 0));
	QT_CHECK_OK(hr_hungup(f.r.s[1]));
	QT_CHECK(!hr_ready(f.rs));
	QT_CHECK_EQ(hr_state(f.h), QSHM_STATE_ACKNOWLEDGED);
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.bad_messages, f.base_bad + 1);
	return (hr_fix_end(&f, 0));
}

static void
test_ack_flood(void **state)
{
	(void)state;
	qt_with_broker(hr_patient, hr_body_flood, NULL);
}

/*
 * An answer with an errno is no answer: under report the revoke ends at
 * once with ETIMEDOUT, not at the (distant) deadline; a later good answer
 * still records the revoke as acknowledged.
 */
static int
hr_body_err_ack(void *arg)
{
	const char	*sock = ((const struct qt_broker *)arg)->sock;
	struct hr_fix	f;
	uint32_t	count;

	QT_CHECK_OK(hr_fix_start(&f, sock));
	QT_CHECK_OK(hr_revoke_send(&f, f.r.pid));
	QT_CHECK_OK(hr_notice(&f, f.r.s[1]));
	QT_CHECK_OK(hr_ack(f.r.s[1], f.notice, EIO));
	QT_CHECK_EQ(hr_revoke_reply(&f, &count), ETIMEDOUT);
	QT_CHECK_EQ(count, 1);
	QT_CHECK_EQ(hr_state(f.h), QSHM_STATE_TIMED_OUT);
	QT_CHECK(!qt_exited(f.r.pid));
	QT_CHECK_OK(hr_ack(f.r.s[1], f.notice, 0));
	QT_CHECK_EQ(hr_wait_state(f.h, QSHM_STATE_ACKNOWLEDGED),
	    QSHM_STATE_ACKNOWLEDGED);
	return (hr_fix_end(&f, 0));
}

static void
test_ack_errno(void **state)
{
	(void)state;
	qt_with_broker(hr_patient, hr_body_err_ack, NULL);
}

/*
 * R exits while its revoke waits: the revoke is answered (R can map
 * nothing any more), its grant and process records go, and the broker's
 * descriptors are back to where they were.
 */
static int
hr_body_exits(void *arg)
{
	const char	*sock = ((const struct qt_broker *)arg)->sock;
	struct hr_fix	f;
	uint32_t	count;

	QT_CHECK_OK(hr_fix_start(&f, sock));
	QT_CHECK_OK(hr_revoke_send(&f, f.r.pid));
	QT_CHECK_OK(hr_notice(&f, f.r.s[1]));
	QT_CHECK_EQ(hr_state(f.h), QSHM_STATE_REVOKING);
	QT_CHECK_OK(kill(f.r.pid, SIGKILL));
	QT_CHECK_EQ(hr_revoke_reply(&f, &count), 0);
	QT_CHECK_EQ(count, 1);
	return (hr_fix_end(&f, 128 + SIGKILL));
}

static void
test_target_exits(void **state)
{
	(void)state;
	qt_with_broker(hr_patient, hr_body_exits, NULL);
}

/* A watcher that never answers: killed under kill. */
static int
hr_body_never_kill(void *arg)
{
	const char	*sock = ((const struct qt_broker *)arg)->sock;
	struct hr_fix	f;
	uint32_t	count;

	QT_CHECK_OK(hr_fix_start(&f, sock));
	QT_CHECK_OK(hr_revoke_send(&f, f.r.pid));
	QT_CHECK_OK(hr_notice(&f, f.r.s[1]));
	QT_CHECK_EQ(hr_revoke_reply(&f, &count), 0);
	QT_CHECK_EQ(count, 1);
	return (hr_fix_end(&f, 128 + SIGKILL));
}

static void
test_never_acks_kill(void **state)
{
	const char *const extra[] = { "--revoke-timeout", "100",
	    "--revoke-enforce", "kill", NULL };

	(void)state;
	qt_with_broker(extra, hr_body_never_kill, NULL);
}

/* A watcher that never answers: reported (ETIMEDOUT) under report. */
static int
hr_body_never_report(void *arg)
{
	const char	*sock = ((const struct qt_broker *)arg)->sock;
	struct hr_fix	f;
	uint32_t	count;

	QT_CHECK_OK(hr_fix_start(&f, sock));
	QT_CHECK_OK(hr_revoke_send(&f, f.r.pid));
	QT_CHECK_OK(hr_notice(&f, f.r.s[1]));
	QT_CHECK_EQ(hr_revoke_reply(&f, &count), ETIMEDOUT);
	QT_CHECK_EQ(count, 1);
	QT_CHECK_EQ(hr_state(f.h), QSHM_STATE_TIMED_OUT);
	QT_CHECK(!qt_exited(f.r.pid));
	return (hr_fix_end(&f, 0));
}

static void
test_never_acks_report(void **state)
{
	const char *const extra[] = { "--revoke-timeout", "100",
	    "--revoke-enforce", "report", NULL };

	(void)state;
	qt_with_broker(extra, hr_body_never_report, NULL);
}

/*
 * The creator names something that is not the object: a memfd the
 * broker never saw, a pipe, an O_PATH fd.  Each is refused; R is sent
 * no notice and its grant stays in use.
 */
static int
hr_body_wrong_fd(void *arg)
{
	const char		*sock = ((const struct qt_broker *)arg)->sock;
	struct hr_fix		f;
	struct proto_revoke	rv;
	struct proto_ctl	c = { .flags = SHMCTL_GET_FLAGS };
	struct proto_msg	m;
	int			other, p[2], opath;

	QT_CHECK_OK(hr_fix_start(&f, sock));
	rv.pid = f.r.pid;
	rv.pad = 0;
	QT_CHECK((other = qt_memfd(qt_page(), 'x')) >= 0);
	QT_CHECK_OK(pipe2(p, O_CLOEXEC));
	QT_CHECK((opath = open("/proc/self/exe", O_PATH | O_CLOEXEC)) >= 0);
	QT_CHECK_EQ(hr_ask(f.rs, PROTO_REVOKE, &rv, sizeof rv, other, &m),
	    EINVAL);
	QT_CHECK_EQ(hr_ask(f.rs, PROTO_REVOKE, &rv, sizeof rv, p[0], &m),
	    EINVAL);
	QT_CHECK_EQ(hr_ask(f.rs, PROTO_REVOKE, &rv, sizeof rv, opath, &m),
	    EBADF);
	QT_CHECK_EQ(hr_ask(f.rs, PROTO_CTL, &c, sizeof c, p[0], &m),
	    EINVAL);
	QT_CHECK_EQ(hr_ask(f.rs, PROTO_CTL, &c, sizeof c, opath, &m),
	    EBADF);
	/* R, not the creator, cannot revoke with the fd it was given. */
	QT_CHECK_EQ(hr_ask(f.r.s[0], PROTO_REVOKE, &rv, sizeof rv, f.fd, &m),
	    EPERM);
	QT_CHECK(!hr_ready(f.r.s[1]));
	QT_CHECK_EQ(hr_state(f.h), QSHM_STATE_IN_USE);
	close(opath);
	close(p[0]);
	close(p[1]);
	close(other);
	return (hr_fix_end(&f, 0));
}

static void
test_wrong_fd(void **state)
{
	(void)state;
	qt_with_broker(hr_patient, hr_body_wrong_fd, NULL);
}

/* Another uid with the object's fds, read-only and read-write. */
struct hr_uid {
	int		ro, rw;
	pid_t		target;
};

static int
hr_body_uid_child(void *arg)
{
	const struct hr_uid	*u = arg;

	QT_CHECK_OK(qt_become(QT_NOBODY, QT_NOBODY, 0, NULL, true));
	QT_CHECK_EQ(shm_ctl(u->ro, SHMCTL_GET_FLAGS, 0, 0),
	    SHMCTL_ANON | SHMCTL_REVOCABLE);
	QT_CHECK_ERR(shm_ctl(u->ro, SHMCTL_LAZY, 0, 0), EACCES);
	QT_CHECK_ERR(shm_ctl(u->ro, SHMCTL_SEAL, 0, 0), EACCES);
	QT_CHECK_ERR(shm_ctl(u->ro, SHMCTL_ANON, 0, 4 * qt_page()),
	    EACCES);
	QT_CHECK_ERR(shm_revoke(u->ro, u->target), EPERM);
	QT_CHECK_ERR(shm_revoke(u->rw, u->target), EPERM);
	QT_CHECK_ERR(shm_revoke(u->rw, -1), EPERM);
	QT_CHECK_ERR(qshm_admin_revoke(u->rw, u->target), EPERM);
	QT_CHECK_EQ(lseek(u->rw, 0, SEEK_END), (off_t)qt_page());
	return (0);
}

/*
 * Another uid (root only), holding the object's fds, can read its flags
 * but change nothing through the read-only fd (EACCES), and cannot revoke
 * it nor the creator's unused handles (EPERM): R keeps its grant and its
 * handle, and is sent nothing.
 */
static int
hr_body_uid(void *arg)
{
	const char	*sock = ((const struct qt_broker *)arg)->sock;
	struct hr_fix	f;
	struct hr_uid	u;
	shm_handle_t	h2;

	QT_CHECK_OK(hr_fix_start(&f, sock));
	QT_CHECK_OK(shm_create_handle(f.fd, f.r.pid, O_RDONLY, &h2, 0));
	QT_CHECK((u.ro = qt_reopen(f.fd, O_RDONLY)) >= 0);
	u.rw = f.fd;
	u.target = f.r.pid;
	QT_CHECK_EQ(qt_run(hr_body_uid_child, &u), 0);
	QT_CHECK(!hr_ready(f.r.s[1]));
	QT_CHECK_EQ(hr_state(f.h), QSHM_STATE_IN_USE);
	QT_CHECK_EQ(hr_state(h2), QSHM_STATE_PENDING);
	QT_CHECK_EQ(shm_ctl(f.fd, SHMCTL_GET_FLAGS, 0, 0),
	    SHMCTL_ANON | SHMCTL_REVOCABLE);
	QT_CHECK_OK(shm_delete_handle(h2));
	close(u.ro);
	return (hr_fix_end(&f, 0));
}

static void
test_other_uid(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	qt_with_broker(hr_patient, hr_body_uid, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack_not_watcher),
		cmocka_unit_test(test_ack_unsent_id),
		cmocka_unit_test(test_ack_flood),
		cmocka_unit_test(test_ack_errno),
		cmocka_unit_test(test_target_exits),
		cmocka_unit_test(test_never_acks_kill),
		cmocka_unit_test(test_never_acks_report),
		cmocka_unit_test(test_wrong_fd),
		cmocka_unit_test(test_other_uid),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
