/*
 * test-system.c: the system broker.  Cross-uid grants through a
 * --system broker (as root, with two unprivileged uids); socket
 * activation and readiness as systemd does them, emulated; SIGHUP
 * re-executing the broker in place with every grant kept, under busy
 * clients and after an upgrade of its binary, and not held off by one
 * uid's staggered revokes; a state that is not valid refused; the
 * statistics moving exactly as the test's calls say.
 */

#include <sys/mman.h>
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

/* Two uids with no account and no privilege: what the kernel checks. */
#define TS_UID_A	61001
#define TS_UID_B	61002

/* The staggered revokes: the deadline, how many, of how many targets. */
#define TS_REVOKE_MS	"500"
#define TS_REVOKE_GAP	250		/* half the deadline */
#define TS_REVOKERS	10
#define TS_TARGETS	3

static struct qshm_stats
ts_stats(void)
{
	struct qshm_stats	s;

	memset(&s, 0, sizeof s);
	assert_ok(qshm_stats(&s));
	return (s);
}

/* HUP the broker and wait (bounded) until the new image answers. */
static void
ts_hup(const struct qt_broker *b, uint64_t restarts)
{
	struct qshm_stats	s;
	int64_t			deadline = qt_now_ms() + QT_TIMEOUT_MS;

	assert_int_equal(kill(b->pid, SIGHUP), 0);
	do {
		s = ts_stats();
		if (s.restarts == restarts)
			break;
		qt_nap(5);
	} while (qt_now_ms() < deadline);
	assert_int_equal(s.restarts, restarts);
	assert_int_equal(s.pid, b->pid);
}

static void
ts_start_system(struct qt_broker *b, const char *const *extra)
{
	const char	*argv[16] = { "--system" };
	int		 i;

	for (i = 0; extra != NULL && extra[i] != NULL && i < 14; i++)
		argv[i + 1] = extra[i];
	assert_int_equal(qt_broker_start(b, argv), 0);
	/* A system broker's directory lets every uid reach the socket. */
	assert_int_equal(chmod(b->dir, 0755), 0);
}

/* uid A's object, 0644: the kernel keeps B from writing to it. */
static int
ts_object_of(uid_t uid)
{
	int	fd = qt_memfd(2 * qt_page(), 'a');

	assert_true(fd >= 0);
	assert_int_equal(fchown(fd, uid, uid), 0);
	assert_int_equal(fchmod(fd, 0644), 0);
	return (fd);
}

static void
ts_grant(struct qt_peer *from, int fd, pid_t to, int flags,
    shm_handle_t *h)
{
	assert_int_equal(qt_peer_grant(from, fd, to, flags, 0, h), 0);
}

static int
ts_call(struct qt_peer *p, enum qt_op op, shm_handle_t h, int fd, pid_t pid)
{
	struct qt_req	rq;
	struct qt_rep	rep;

	memset(&rq, 0, sizeof rq);
	rq.op = op;
	rq.handle = h;
	rq.fd = fd;
	rq.pid = pid;
	assert_int_equal(qt_peer_call(p, &rq, &rep), 0);
	if (rep.ret != -1)
		return (0);
	return (rep.err != 0 ? rep.err : -1);
}

/*
 * uid A grants a read-only handle to uid B through the system broker.
 */
static void
test_cross_uid(void **state)
{
	struct qt_broker	 b;
	struct qt_peer		 a, bb, a2;
	struct qshm_handle_info	 info;
	struct qt_rep		 rep;
	shm_handle_t		 h, other, mine;
	int			 fd, fdb;

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: needs root to run processes of two "
		    "other uids\n");
		skip();
	}
	ts_start_system(&b, NULL);
	fd = ts_object_of(TS_UID_A);
	fdb = ts_object_of(TS_UID_B);
	assert_int_equal(qt_peer_start_as(&a, TS_UID_A, TS_UID_A, false), 0);
	assert_int_equal(qt_peer_start_as(&a2, TS_UID_A, TS_UID_A, false), 0);
	assert_int_equal(qt_peer_start_as(&bb, TS_UID_B, TS_UID_B, false),
	    0);
	ts_grant(&a, fd, bb.pid, O_RDONLY, &h);
	ts_grant(&a, fd, a2.pid, O_RDWR, &other);
	/* The grant is kernel-enforced: 0644 and A's, B is neither. */
	assert_int_equal(qt_find_handle(h, &info), 0);
	assert_int_equal(info.enforcement, QSHM_ENF_KERNEL);
	assert_int_equal(info.reason, QSHM_WHY_MODE);
	assert_int_equal(info.recipient_uid, TS_UID_B);
	/* B sees its own handle, not A's handle for A's other process. */
	assert_int_equal(ts_call(&bb, QT_OP_LIST, h, -1, 0), 0);
	assert_int_not_equal(ts_call(&bb, QT_OP_LIST, other, -1, 0), 0);
	/* B can neither open, delete nor revoke A's other handle. */
	assert_int_equal(qt_peer_open(&bb, other, O_RDONLY, 0, 0, &rep), -1);
	assert_int_equal(rep.err, ESRCH);
	assert_int_equal(qt_peer_delete(&bb, other), ESRCH);
	assert_int_equal(ts_call(&bb, QT_OP_ADMIN_REVOKE, 0, fd, -1), EPERM);
	assert_int_equal(qt_find_handle(other, NULL), 0);
	/* B opens its handle: a read-only fd it cannot reopen to write. */
	assert_true(qt_peer_open(&bb, h, O_RDONLY, 0, 0, &rep) >= 0);
	assert_int_equal(rep.accmode, O_RDONLY);
	assert_int_equal(rep.reopen_err, EACCES);
	/* And B may grant its own object to A: caps are per uid. */
	ts_grant(&bb, fdb, a.pid, O_RDONLY, &mine);
	assert_int_equal(qt_peer_delete(&a, mine), 0);
	assert_int_equal(qt_peer_delete(&a, other), 0);
	assert_int_equal(qt_peer_stop(&a), 0);
	assert_int_equal(qt_peer_stop(&a2), 0);
	assert_int_equal(qt_peer_stop(&bb), 0);
	close(fd);
	close(fdb);
	assert_int_equal(qt_broker_stop(&b), 0);
}

/* The value of a "CapXxx:" line of /proc/PID/status. */
static unsigned long long
ts_caps(pid_t pid, const char *key)
{
	char			 path[64], line[256];
	unsigned long long	 v = ~0ULL;
	FILE			*f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtoull(line + strlen(key), NULL, 16);
	fclose(f);
	return (v);
}

/* Started as root, a system broker keeps three capabilities, for good. */
static void
test_system_caps(void **state)
{
	const unsigned long long keep = (1ULL << 1) | (1ULL << 2) |
	    (1ULL << 5);	/* DAC_OVERRIDE, DAC_READ_SEARCH, KILL */
	struct qt_broker	b;

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: needs root to drop capabilities\n");
		skip();
	}
	ts_start_system(&b, NULL);
	assert_int_equal(ts_caps(b.pid, "CapEff:") & ~keep, 0);
	assert_int_equal(ts_caps(b.pid, "CapBnd:"), keep);
	/* A re-exec as root cannot get the others back. */
	ts_hup(&b, 1);
	assert_int_equal(ts_caps(b.pid, "CapPrm:") & ~keep, 0);
	assert_int_equal(ts_caps(b.pid, "CapBnd:"), keep);
	assert_int_equal(qt_broker_stop(&b), 0);
}

/* One uid at its cap cannot stop another from granting. */
static void
test_cross_uid_cap(void **state)
{
	static const char *const extra[] = { "--max-handles-per-uid", "2",
	    NULL };
	struct qt_broker	 b;
	struct qt_peer		 a, bb;
	shm_handle_t		 h;
	int			 fd, fdb;

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: needs root to run processes of two "
		    "other uids\n");
		skip();
	}
	ts_start_system(&b, extra);
	fd = ts_object_of(TS_UID_A);
	fdb = ts_object_of(TS_UID_B);
	assert_int_equal(qt_peer_start_as(&a, TS_UID_A, TS_UID_A, false), 0);
	assert_int_equal(qt_peer_start_as(&bb, TS_UID_B, TS_UID_B, false),
	    0);
	ts_grant(&a, fd, bb.pid, O_RDONLY, &h);
	ts_grant(&a, fd, bb.pid, O_RDONLY, &h);
	assert_int_equal(qt_peer_grant(&a, fd, bb.pid, O_RDONLY, 0, &h),
	    EAGAIN);
	ts_grant(&bb, fdb, a.pid, O_RDONLY, &h);
	assert_int_equal(ts_stats().denied_limit, 1);
	assert_int_equal(qt_peer_stop(&a), 0);
	assert_int_equal(qt_peer_stop(&bb), 0);
	close(fd);
	close(fdb);
	assert_int_equal(qt_broker_stop(&b), 0);
}

/*
 * Socket activation, emulated: the launcher binds and listens, puts the
 * socket on fd 3 and execs the broker with LISTEN_FDS=1 and LISTEN_PID
 * set to its own pid (which the exec keeps).
 */
struct ts_launch {
	char		 dir[64];
	char		 sock[128];
	char		 notify[128];
	int		 nfd;		/* our end of NOTIFY_SOCKET */
	pid_t		 pid;
	const char	*fds;		/* LISTEN_FDS, if not "1" */
	const char	*notify_env;	/* NOTIFY_SOCKET, if not notify */
};

static int
ts_bind(int type, const char *path, bool listening)
{
	struct sockaddr_un	sun;
	int			s;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if ((s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    (listening && listen(s, 16) == -1))
		return (-1);
	return (s);
}

static void
ts_launcher(struct ts_launch *l, int type, bool right_pid)
{
	char	num[32];
	int	s;

	/* On fd 3 without close-on-exec, whatever number it was born. */
	if (type == 0)		/* not a socket at all */
		s = open("/dev/null", O_RDWR | O_CLOEXEC);
	else
		s = ts_bind(type, l->sock, true);
	if (s == -1 || (s == 3 ? fcntl(s, F_SETFD, 0) : dup2(s, 3)) == -1)
		_exit(126);
	snprintf(num, sizeof num, "%ld", (long)getpid() + (right_pid ? 0 : 1));
	setenv("LISTEN_PID", num, 1);
	setenv("LISTEN_FDS", l->fds != NULL ? l->fds : "1", 1);
	setenv("LISTEN_FDNAMES", "qshm.socket", 1);
	setenv("NOTIFY_SOCKET", l->notify_env != NULL ? l->notify_env :
	    l->notify, 1);
	execl(qt_qshmctl(), qt_qshmctl(), "broker", "--socket", l->sock,
	    (char *)NULL);
	_exit(127);
}

/* Launch with LISTEN_FDS fds and NOTIFY_SOCKET notify (NULL: the usual). */
static void
ts_launch_with(struct ts_launch *l, int type, bool right_pid,
    const char *fds, const char *notify)
{
	memset(l, 0, sizeof *l);
	l->fds = fds;
	l->notify_env = notify;
	strcpy(l->dir, "/tmp/qshm-test-XXXXXX");
	assert_non_null(mkdtemp(l->dir));
	snprintf(l->sock, sizeof l->sock, "%s/broker.sock", l->dir);
	snprintf(l->notify, sizeof l->notify, "%s/notify", l->dir);
	assert_true((l->nfd = ts_bind(SOCK_DGRAM, l->notify, false)) >= 0);
	setenv("QSHM_SOCKET", l->sock, 1);
	setenv("QSHM_AUTOSTART", "0", 1);
	fflush(NULL);
	assert_true((l->pid = fork()) >= 0);
	if (l->pid == 0)
		ts_launcher(l, type, right_pid);
}

static void
ts_launch(struct ts_launch *l, int type, bool right_pid)
{
	ts_launch_with(l, type, right_pid, NULL, NULL);
}

/* The launcher's directory, once its broker is gone. */
static void
ts_launch_clean(struct ts_launch *l)
{
	close(l->nfd);
	unlink(l->notify);
	unlink(l->sock);
	assert_int_equal(rmdir(l->dir), 0);
}

/* The next datagram on NOTIFY_SOCKET, bounded; "" if none came. */
static void
ts_notified(struct ts_launch *l, char *buf, size_t size)
{
	struct pollfd	pfd = { .fd = l->nfd, .events = POLLIN };
	ssize_t		n = 0;

	buf[0] = '\0';
	if (poll(&pfd, 1, QT_TIMEOUT_MS) == 1 &&
	    (n = recv(l->nfd, buf, size - 1, 0)) > 0)
		buf[n] = '\0';
}

static void
test_socket_activation(void **state)
{
	struct ts_launch	l;
	struct qshm_stats	s;
	char			buf[256], lock[200];

	(void)state;
	ts_launch(&l, SOCK_SEQPACKET, true);
	ts_notified(&l, buf, sizeof buf);
	assert_string_equal(buf, "READY=1");
	s = ts_stats();
	assert_int_equal(s.pid, l.pid);
	/* systemd owns the socket: no lock file, no unlink at exit. */
	snprintf(lock, sizeof lock, "%s.lock", l.sock);
	assert_int_equal(access(lock, F_OK), -1);
	/* A reload keeps the pid and says so as systemd expects. */
	assert_int_equal(kill(l.pid, SIGHUP), 0);
	ts_notified(&l, buf, sizeof buf);
	assert_string_equal(buf, "RELOADING=1");
	ts_notified(&l, buf, sizeof buf);
	assert_string_equal(buf, "READY=1");
	s = ts_stats();
	assert_int_equal(s.pid, l.pid);
	assert_int_equal(s.restarts, 1);
	kill(l.pid, SIGTERM);
	assert_int_equal(qt_wait(l.pid), 0);
	assert_int_equal(access(l.sock, F_OK), 0);
	l.pid = -1;
	close(l.nfd);
	unlink(l.notify);
	unlink(l.sock);
	assert_int_equal(rmdir(l.dir), 0);
}

/* Not one listening SOCK_SEQPACKET socket: refused, exit 1. */
static void
test_socket_activation_wrong_socket(void **state)
{
	struct ts_launch	l;

	(void)state;
	ts_launch(&l, SOCK_STREAM, true);
	assert_int_equal(qt_wait(l.pid), 1);
	l.pid = -1;
	close(l.nfd);
	unlink(l.notify);
	unlink(l.sock);
	assert_int_equal(rmdir(l.dir), 0);
}

/* Not one socket, or not a socket: refused, exit 1, nothing served. */
static void
test_socket_activation_bad_fds(void **state)
{
	static const struct {
		int		 type;
		const char	*fds;
	} c[] = {
		{ SOCK_SEQPACKET, "2" }, { SOCK_SEQPACKET, "0" },
		{ SOCK_SEQPACKET, "one" }, { SOCK_SEQPACKET, "" },
		{ 0, "1" },
	};
	struct ts_launch	l;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		ts_launch_with(&l, c[i].type, true, c[i].fds, NULL);
		assert_int_equal(qt_wait(l.pid), 1);
		assert_int_equal(qt_connect(l.sock), -1);
		ts_launch_clean(&l);
	}
}

/*
 * NOTIFY_SOCKET: an abstract address is told READY=1; a relative or
 * too long path, or one nobody listens on, is not told, and the broker
 * serves all the same.
 */
static void
test_socket_activation_notify(void **state)
{
	struct sockaddr_un	sun;
	struct ts_launch	l;
	char			name[64], buf[64], big[200];
	const char		*quiet[3];
	size_t			i;
	int			a, n;

	(void)state;
	snprintf(name, sizeof name, "@qshm-test-notify-%ld", (long)getpid());
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path + 1, name + 1, strlen(name) - 1);
	assert_true((a = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) >= 0);
	assert_int_equal(bind(a, (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(name))), 0);
	ts_launch_with(&l, SOCK_SEQPACKET, true, NULL, name);
	close(l.nfd);
	l.nfd = a;
	ts_notified(&l, buf, sizeof buf);
	assert_string_equal(buf, "READY=1");
	assert_int_equal(ts_stats().pid, l.pid);
	kill(l.pid, SIGTERM);
	assert_int_equal(qt_wait(l.pid), 0);
	ts_launch_clean(&l);

	memset(big, 'n', sizeof big - 1);
	big[0] = '/';
	big[sizeof big - 1] = '\0';
	quiet[0] = "relative/notify";
	quiet[1] = big;
	quiet[2] = "/nonexistent/qshm-notify";
	for (i = 0; i < 3; i++) {
		ts_launch_with(&l, SOCK_SEQPACKET, true, NULL, quiet[i]);
		/* Nothing to wait for but the launcher's socket. */
		for (n = 0; n < 2000 && access(l.sock, F_OK) == -1; n++)
			qt_nap(5);
		assert_int_equal(ts_stats().pid, l.pid);
		kill(l.pid, SIGTERM);
		assert_int_equal(qt_wait(l.pid), 0);
		ts_launch_clean(&l);
	}
}

/* LISTEN_PID of another process: not ours, the broker binds itself. */
static void
test_socket_activation_other_pid(void **state)
{
	struct ts_launch	l;
	char			buf[64], lock[200];

	(void)state;
	ts_launch(&l, SOCK_SEQPACKET, false);
	ts_notified(&l, buf, sizeof buf);
	assert_string_equal(buf, "READY=1");
	assert_int_equal(ts_stats().pid, l.pid);
	snprintf(lock, sizeof lock, "%s.lock", l.sock);
	assert_int_equal(access(lock, F_OK), 0);
	kill(l.pid, SIGTERM);
	assert_int_equal(qt_wait(l.pid), 0);
	/* Its own socket and lock: removed at exit. */
	assert_int_equal(access(l.sock, F_OK), -1);
	assert_int_equal(access(lock, F_OK), -1);
	close(l.nfd);
	unlink(l.notify);
	assert_int_equal(rmdir(l.dir), 0);
}

/*
 * SIGHUP: a grant made before it opens after it, the pid unchanged.
 */
static void
test_hup_keeps_grant(void **state)
{
	struct qt_broker	 b;
	struct qt_peer		 creator, recipient;
	struct qshm_stats	 before, after;
	struct qt_rep		 rep;
	shm_handle_t		 h, gone;
	int			 fd;

	(void)state;
	assert_int_equal(qt_broker_start(&b, NULL), 0);
	assert_true((fd = qt_memfd(4 * qt_page(), 'k')) >= 0);
	assert_int_equal(qt_peer_start(&creator), 0);
	assert_int_equal(qt_peer_start(&recipient), 0);
	ts_grant(&creator, fd, recipient.pid, O_RDONLY, &h);
	ts_grant(&creator, fd, recipient.pid, O_RDWR, &gone);
	assert_int_equal(ts_call(&recipient, QT_OP_STATS, 0, -1, 0), 0);
	before = ts_stats();
	ts_hup(&b, 1);
	after = ts_stats();
	assert_int_equal(after.handles, 2);
	assert_int_equal(after.objects, 1);
	assert_int_equal(after.grants, before.grants);
	assert_true(after.uptime_ms >= before.uptime_ms);
	/* Connections went across: nobody had to connect again. */
	assert_int_equal(after.connections_total, before.connections_total);
	assert_int_equal(qt_peer_map(&recipient, h, 4 * qt_page(), PROT_READ,
	    MAP_SHARED, 0, 0, 0, &rep), 0);
	assert_int_equal(rep.first[3], 'k' + 3);
	/* Single use still holds, and the other handle is still live. */
	assert_int_equal(qt_peer_open(&recipient, h, O_RDONLY, 0, 0, &rep),
	    -1);
	assert_int_equal(rep.err, ESRCH);
	ts_hup(&b, 2);
	assert_true(qt_peer_open(&recipient, gone, O_RDWR, 1, creator.pid,
	    &rep) >= 0);
	assert_int_equal(rep.accmode, O_RDWR);
	/* An exited recipient's handles are still reclaimed. */
	ts_grant(&creator, fd, recipient.pid, O_RDONLY, &h);
	ts_hup(&b, 3);
	assert_int_equal(qt_peer_stop(&recipient), 0);
	for (int i = 0; i < 2000 && ts_stats().handles != 0; i++)
		qt_nap(5);
	assert_int_equal(ts_stats().handles, 0);
	assert_int_equal(qt_peer_stop(&creator), 0);
	close(fd);
	assert_int_equal(qt_broker_stop(&b), 0);
}

/* A busy client: grant to itself, open, stats; count what failed. */
static int
ts_busy(void *arg)
{
	int		*stop = arg, failed = 0, i;
	shm_handle_t	 h;
	int		 fd = qt_memfd(qt_page(), 'b'), ofd;
	struct qshm_stats s;

	(void)stop;
	for (i = 0; i < 600; i++) {
		if (shm_create_handle(fd, getpid(), O_RDONLY, &h, 0) == -1 ||
		    (ofd = shm_open_handle(h, O_RDONLY)) == -1 ||
		    qshm_stats(&s) == -1) {
			fprintf(stderr, "busy client: call %d: %s\n", i,
			    strerror(errno));
			failed++;
			continue;
		}
		close(ofd);
	}
	return (failed);
}

static void
test_hup_busy_clients(void **state)
{
	struct qt_broker	b;
	struct qshm_stats	s;
	pid_t			kids[3];
	int			i;

	(void)state;
	assert_int_equal(qt_broker_start(&b, NULL), 0);
	for (i = 0; i < 3; i++)
		assert_true((kids[i] = qt_fork(ts_busy, NULL)) > 0);
	for (i = 1; i <= 3; i++)
		ts_hup(&b, (uint64_t)i);
	for (i = 0; i < 3; i++)
		assert_int_equal(qt_wait(kids[i]), 0);
	s = ts_stats();
	assert_int_equal(s.restarts, 3);
	assert_int_equal(s.grants, 3 * 600);
	assert_int_equal(s.opens, 3 * 600);
	assert_int_equal(s.denials, 0);
	/* Each client connected once: none had to retry on a new one. */
	assert_true(s.connections_total <= 3 + 3 + 1 + 3);
	assert_int_equal(qt_broker_stop(&b), 0);
}

/* An upgrade: a new binary at the broker's path is what SIGHUP runs. */
static void
test_hup_upgrade(void **state)
{
	struct qt_broker	 b;
	struct stat		 st1, st2;
	char			 bin[64], tmp[80], cmd[600], exe[64];
	const char		*saved = getenv("QSHMCTL");
	char			*old = saved != NULL ? strdup(saved) : NULL;

	(void)state;
	snprintf(bin, sizeof bin, "/tmp/qshm-test-bin-%ld", (long)getpid());
	snprintf(tmp, sizeof tmp, "%s.new", bin);
	snprintf(cmd, sizeof cmd, "cp %s %s", qt_qshmctl(), bin);
	assert_int_equal(system(cmd), 0);
	setenv("QSHMCTL", bin, 1);
	assert_int_equal(qt_broker_start(&b, NULL), 0);
	snprintf(exe, sizeof exe, "/proc/%ld/exe", (long)b.pid);
	assert_int_equal(stat(exe, &st1), 0);
	/* Installed the way install(1) does: a new file, renamed. */
	snprintf(cmd, sizeof cmd, "cp %s %s && mv %s %s", qt_qshmctl(), tmp,
	    tmp, bin);
	assert_int_equal(system(cmd), 0);
	ts_hup(&b, 1);
	assert_int_equal(stat(exe, &st2), 0);
	assert_int_not_equal(st1.st_ino, st2.st_ino);
	assert_int_equal(stat(bin, &st1), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	/* A binary that cannot run: the old image goes on serving. */
	assert_int_equal(unlink(bin), 0);
	assert_int_equal(kill(b.pid, SIGHUP), 0);
	assert_int_equal(ts_stats().restarts, 1);
	assert_int_equal(ts_stats().pid, b.pid);
	if (old != NULL)
		setenv("QSHMCTL", old, 1);
	else
		unsetenv("QSHMCTL");
	free(old);
	assert_int_equal(qt_broker_stop(&b), 0);
}

/* One revoke of a[1]'s access to a[0]: 0 timed out, 2 refused (EAGAIN). */
static int
ts_revoker(void *arg)
{
	const int	*a = arg;

	if (qshm_admin_revoke(a[0], a[1]) == 0 || (errno != ETIMEDOUT &&
	    errno != EAGAIN)) {
		fprintf(stderr, "revoker: %s\n", strerror(errno));
		return (1);
	}
	return (errno == EAGAIN ? 2 : 0);
}

/* The state of pid's grant of fd's object as the broker lists it. */
static int
ts_grant_state(int fd, pid_t pid)
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

/* A revocable object, mapped by each target, which is then stopped. */
static int
ts_targets(struct qt_peer *t, int *fdp)
{
	siginfo_t	si;
	struct qt_rep	rep;
	shm_handle_t	h;
	int		fd, i;

	fd = shm_open(SHM_ANON, O_RDWR | O_CREAT, 0600);
	QT_CHECK(fd != -1);
	QT_CHECK_OK(shm_ctl(fd, SHMCTL_ANON | SHMCTL_REVOCABLE, 0, qt_page()));
	for (i = 0; i < TS_TARGETS; i++) {
		QT_CHECK_OK(qt_peer_start(&t[i]));
		QT_CHECK_OK(shm_create_handle(fd, t[i].pid, O_RDONLY, &h, 0));
		QT_CHECK(qt_peer_map(&t[i], h, qt_page(), PROT_READ,
		    MAP_SHARED, 0, 0, 0, &rep) != -1);
		QT_CHECK_OK(kill(t[i].pid, SIGSTOP));
		memset(&si, 0, sizeof si);
		QT_CHECK_OK(waitid(P_PID, (id_t)t[i].pid, &si,
		    WSTOPPED | WNOWAIT));
	}
	*fdp = fd;
	return (0);
}

/*
 * Start a revoker every half deadline, each target in turn, so that one
 * revoke is always under way; the first once the test has sent SIGHUP.
 * *seen: the revoker before which the restart was first seen, or -1.
 */
static int
ts_stagger(int fd, const struct qt_peer *t, const int *sync, pid_t *k,
    int *seen)
{
	struct qshm_stats	st;
	uint64_t		v;
	int			a[TS_REVOKERS][2], i;

	*seen = -1;
	for (i = 0; i < TS_REVOKERS; i++) {
		if (*seen == -1 && qshm_stats(&st) == 0 && st.restarts != 0)
			*seen = i;
		a[i][0] = fd;
		a[i][1] = t[i % TS_TARGETS].pid;
		QT_CHECK((k[i] = qt_fork(ts_revoker, a[i])) > 0);
		if (i == 0) {
			for (int j = 0; j < 2000 && ts_grant_state(fd,
			    t[0].pid) != QSHM_STATE_REVOKING; j++)
				qt_nap(5);
			QT_CHECK_OK(qt_send_u64(sync[0], 1));
			QT_CHECK_OK(qt_recv_u64(sync[1], &v));
		}
		qt_nap(TS_REVOKE_GAP);
	}
	return (0);
}

/*
 * The attacker, an unprivileged uid: its own stopped targets and its
 * staggered revokes.  The restart must come within a few of them, and
 * every revoke is answered: timed out (the policy's report) or refused
 * with EAGAIN while the restart waited.
 */
static int
ts_attacker(void *arg)
{
	const int	*sync = arg;	/* to the test, from it */
	struct qt_peer	 t[TS_TARGETS];
	pid_t		 k[TS_REVOKERS];
	int		 fd, i, seen, st, timed_out = 0, refused = 0;

	QT_CHECK_OK(qt_become(QT_NOBODY, QT_NOBODY, 0, NULL, false));
	if (ts_targets(t, &fd) != 0 || ts_stagger(fd, t, sync, k, &seen))
		return (1);
	for (i = 0; i < TS_REVOKERS; i++) {
		st = qt_wait(k[i]);
		QT_CHECK(st == 0 || st == 2);
		timed_out += st == 0;
		refused += st == 2;
	}
	/* Nominally before the 4th: the one under way at SIGHUP ends. */
	QT_CHECK(seen != -1 && seen <= 6);
	QT_CHECK(refused >= 1);
	QT_CHECK_EQ(timed_out + refused, TS_REVOKERS);
	for (i = 0; i < TS_TARGETS; i++) {
		QT_CHECK_EQ(ts_grant_state(fd, t[i].pid),
		    QSHM_STATE_TIMED_OUT);
		qt_peer_kill(&t[i]);
	}
	close(fd);
	return (0);
}

/*
 * SIGHUP while one uid staggers revokes of its own stopped processes so
 * that one is always under way: the restart waits only for the revoke
 * under way at SIGHUP, never for ten deadlines.
 */
static void
test_hup_staggered_revokes(void **state)
{
	const char *const	 extra[] = { "--revoke-timeout", TS_REVOKE_MS,
				    "--revoke-enforce", "report", NULL };
	struct qt_broker	 b;
	struct qshm_stats	 s;
	uint64_t		 v;
	int			 up[2], down[2], sync[2];
	pid_t			 attacker;

	(void)state;
	if (geteuid() != 0)
		skip();
	ts_start_system(&b, extra);
	assert_int_equal(pipe2(up, O_CLOEXEC), 0);
	assert_int_equal(pipe2(down, O_CLOEXEC), 0);
	sync[0] = up[1];
	sync[1] = down[0];
	assert_true((attacker = qt_fork(ts_attacker, sync)) > 0);
	assert_int_equal(qt_recv_u64(up[0], &v), 0);
	assert_int_equal(kill(b.pid, SIGHUP), 0);
	assert_int_equal(qt_send_u64(down[1], 1), 0);
	assert_int_equal(qt_wait(attacker), 0);
	s = ts_stats();
	assert_int_equal(s.restarts, 1);
	assert_int_equal(s.pid, b.pid);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
	assert_int_equal(qt_broker_stop(&b), 0);
}

/* A state that is not sealed, or is garbage: refused, exit 1. */
static void
test_bad_state(void **state)
{
	static const char	garbage[] = "QSHMSTAT but not really a state";
	char			num[16];
	pid_t			pid;
	int			fd, status;

	(void)state;
	fd = memfd_create("bad", MFD_ALLOW_SEALING);
	assert_true(fd >= 3);
	assert_int_equal(write(fd, garbage, sizeof garbage),
	    (ssize_t)sizeof garbage);
	snprintf(num, sizeof num, "%d", fd);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		setenv("QSHM_BROKER_STATE", num, 1);
		execl(qt_qshmctl(), qt_qshmctl(), "broker", "--socket",
		    "/tmp/qshm-test-bad-state.sock", (char *)NULL);
		_exit(127);
	}
	status = qt_wait(pid);
	assert_int_equal(status, 1);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL), 0);
	if ((pid = fork()) == 0) {
		setenv("QSHM_BROKER_STATE", num, 1);
		execl(qt_qshmctl(), qt_qshmctl(), "broker", "--socket",
		    "/tmp/qshm-test-bad-state.sock", (char *)NULL);
		_exit(127);
	}
	status = qt_wait(pid);
	assert_int_equal(status, 1);
	close(fd);
	assert_int_equal(access("/tmp/qshm-test-bad-state.sock", F_OK), -1);
}

/* Every counter moves by exactly what the calls did. */
static void
test_stats_move(void **state)
{
	struct qt_broker	 b;
	struct qshm_stats	 s0, s1;
	struct qshm_uid_info	*u;
	size_t			 nu;
	shm_handle_t		 h1, h2, h3;
	void			*p;
	int			 fd, ofd;

	(void)state;
	assert_int_equal(qt_broker_start(&b, NULL), 0);
	assert_true((fd = qt_memfd(qt_page(), 's')) >= 0);
	s0 = ts_stats();
	assert_ok(shm_create_handle(fd, getpid(), O_RDONLY, &h1, 0));
	assert_ok(shm_create_handle(fd, getpid(), O_RDONLY, &h2, 0));
	assert_ok(shm_create_handle(fd, getpid(), O_RDONLY, &h3, 0));
	/* Usage by uid: ours, against the per-uid cap. */
	assert_ok(qshm_list_uids(&u, &nu));
	assert_int_equal(nu, 1);
	assert_int_equal(u[0].uid, geteuid());
	assert_int_equal(u[0].handles, 3);
	assert_int_equal(u[0].received, 3);
	assert_int_equal(u[0].connections, 1);
	assert_int_equal(u[0].max_handles, 65536);
	free(u);
	assert_ok(ofd = shm_open_handle(h1, O_RDONLY));
	close(ofd);
	p = mmap_handle(NULL, qt_page(), PROT_READ, MAP_SHARED, h2, 0);
	assert_true(p != MAP_FAILED);
	munmap(p, qt_page());
	assert_ok(shm_delete_handle(h3));
	assert_errno(shm_open_handle(h1, O_RDONLY), ESRCH);
	assert_errno(shm_create_handle(fd, 999999999, O_RDONLY, &h1, 0),
	    ESRCH);
	s1 = ts_stats();
	assert_int_equal(s1.grants - s0.grants, 3);
	assert_int_equal(s1.opens - s0.opens, 1);
	assert_int_equal(s1.maps - s0.maps, 1);
	assert_int_equal(s1.deletes - s0.deletes, 1);
	assert_int_equal(s1.denials - s0.denials, 2);
	assert_int_equal(s1.denied_unknown - s0.denied_unknown, 2);
	assert_int_equal(s1.handles, 0);
	assert_int_equal(s1.objects, 0);
	assert_int_equal(s1.connections, 1);
	assert_int_equal(s1.max_objects, 65536);
	close(fd);
	assert_int_equal(qt_broker_stop(&b), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cross_uid),
		cmocka_unit_test(test_cross_uid_cap),
		cmocka_unit_test(test_system_caps),
		cmocka_unit_test(test_socket_activation),
		cmocka_unit_test(test_socket_activation_wrong_socket),
		cmocka_unit_test(test_socket_activation_other_pid),
		cmocka_unit_test(test_socket_activation_bad_fds),
		cmocka_unit_test(test_socket_activation_notify),
		cmocka_unit_test(test_hup_keeps_grant),
		cmocka_unit_test(test_hup_busy_clients),
		cmocka_unit_test(test_hup_upgrade),
		cmocka_unit_test(test_hup_staggered_revokes),
		cmocka_unit_test(test_bad_state),
		cmocka_unit_test(test_stats_move),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
