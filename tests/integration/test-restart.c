/*
 * test-restart.c: the state a SIGHUP restart hands the new broker image.
 *
 * The test writes the state itself, as the old image would: a sealed
 * memfd of records (restart-state.h) naming descriptors the broker
 * inherits.  A complete state is taken whole: its handle opens
 * the object, its parked object opens, its listed grant revokes through
 * the watcher connection it names.  Each check of the loader is then
 * failed once, on an otherwise good state: the broker names the check on
 * stderr and exits 1 without serving.
 */

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
#include "proto.h"
#include "broker/restart-state.h"

#define RT_HANDLE	0x5eed0001ULL	/* the handle the state holds */
#define RT_PARK		3		/* the parked object's id */
#define RT_RESTARTS	7
#define RT_MAX		4

/*
 * A state and what it names: one process (the one that builds it), one
 * parked, revocable object it created, a pending handle of it for itself,
 * a grant of it in use, and its watcher connection.
 */
struct rt_state {
	char			dir[64];
	char			sock[128];
	struct rs_hdr		h;
	struct rs_proc		procs[RT_MAX];
	struct rs_obj		objs[RT_MAX];
	struct rs_handle	handles[RT_MAX];
	struct rs_grant		grants[RT_MAX];
	struct rs_peer		peers[RT_MAX];
	int			fds[16];	/* the broker inherits these */
	int			nfds;
	int			obj;		/* the object, read-write */
	int			watcher;	/* our end of the watcher */
	size_t			extra;		/* bytes after the records */
};

static int
rt_keep(struct rt_state *s, int fd)
{
	if (fd >= 0 && s->nfds < 16)
		s->fds[s->nfds++] = fd;
	return (fd);
}

static int
rt_listen(const char *path)
{
	struct sockaddr_un	sun;
	int			s;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(s, 16) == -1)
		return (-1);
	return (s);
}

/* The identity key the broker gives pid: its pidfd's inode on pidfs. */
static int
rt_pidfd(pid_t pid, uint64_t *key)
{
	struct stat	st;
	int		fd;

	if ((fd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1)
		return (-1);
	if (fstat(fd, &st) == -1) {
		close(fd);
		return (-1);
	}
	*key = st.st_ino;
	return (fd);
}

/* A good state, built by (and naming) the calling process. */
static int
rt_state_init(struct rt_state *s)
{
	struct stat	 st, obj;
	struct rs_proc	*p = &s->procs[0];
	struct rs_obj	*o = &s->objs[0];
	int		 sv[2];

	memset(s, 0, sizeof *s);
	strcpy(s->dir, "/tmp/qshm-test-XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		return (-1);
	snprintf(s->sock, sizeof s->sock, "%s/broker.sock", s->dir);
	memcpy(s->h.magic, RESTART_MAGIC, sizeof s->h.magic);
	s->h.version = RESTART_VERSION;
	s->h.hdrsize = sizeof s->h;
	s->h.last_park = RT_PARK + 2;
	s->h.lock = -1;
	s->h.stats.restarts = RT_RESTARTS;
	/* Its sockets block, as none the broker makes does: no matter. */
	if ((s->h.lfd = rt_keep(s, rt_listen(s->sock))) == -1 ||
	    stat(s->sock, &st) == -1)
		return (-1);
	s->h.ldev = st.st_dev;
	s->h.lino = st.st_ino;

	s->h.nprocs = 1;
	if ((p->pidfd = rt_keep(s, rt_pidfd(getpid(), &p->key))) == -1)
		return (-1);
	p->pid = getpid();
	p->uid = getuid();
	p->gid = getgid();
	p->lim_cur = 50;
	p->lim_max = 60;

	s->h.nobjs = 1;
	if ((s->obj = rt_keep(s, qt_memfd(2 * qt_page(), 'r'))) == -1 ||
	    fstat(s->obj, &obj) == -1)
		return (-1);
	o->dev = obj.st_dev;
	o->ino = obj.st_ino;
	o->fd[O_RDONLY] = o->fd[O_WRONLY] = -1;
	o->fd[O_RDWR] = s->obj;
	o->park_id = RT_PARK;
	o->park_uid = getuid();
	o->park_access = O_RDWR;
	o->ctl_flags = SHMCTL_ANON | SHMCTL_REVOCABLE;
	o->creator = p->key;

	s->h.nhandles = 1;
	s->handles[0] = (struct rs_handle){ .id = RT_HANDLE,
	    .dev = obj.st_dev, .ino = obj.st_ino, .creator = p->key,
	    .recipient = p->key, .length = 2 * qt_page(),
	    .creator_uid = getuid(), .recipient_uid = getuid(),
	    .access = O_RDONLY };

	s->h.ngrants = 1;
	s->grants[0] = (struct rs_grant){ .handle = RT_HANDLE + 1,
	    .dev = obj.st_dev, .ino = obj.st_ino, .proc = p->key,
	    .creator_pid = getpid(), .creator_uid = getuid(),
	    .recipient_uid = getuid(), .access = O_RDONLY,
	    .state = QSHM_STATE_IN_USE };

	s->h.npeers = 1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return (-1);
	s->peers[0].fd = rt_keep(s, sv[0]);
	s->peers[0].watcher = 1;
	s->watcher = sv[1];
	return (0);
}

static void
rt_state_done(struct rt_state *s)
{
	int	i;

	for (i = 0; i < s->nfds; i++)
		close(s->fds[i]);
	if (s->watcher > 0)
		close(s->watcher);
	unlink(s->sock);
	rmdir(s->dir);
}

/* The first n records (as many as there are); -1 if not written. */
static int
rt_write(int fd, const void *p, uint32_t n, size_t size)
{
	size_t	len = (n < RT_MAX ? n : RT_MAX) * size;

	return (write(fd, p, len) == (ssize_t)len ? 0 : -1);
}

/* The state as the old image writes it: a sealed memfd. */
static int
rt_state_memfd(const struct rt_state *s)
{
	static const char	zero[64];
	int			fd;

	fd = memfd_create("qshm-state", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd == -1 ||
	    rt_write(fd, &s->h, 1, sizeof s->h) == -1 ||
	    rt_write(fd, s->procs, s->h.nprocs, sizeof s->procs[0]) == -1 ||
	    rt_write(fd, s->objs, s->h.nobjs, sizeof s->objs[0]) == -1 ||
	    rt_write(fd, s->handles, s->h.nhandles,
	    sizeof s->handles[0]) == -1 ||
	    rt_write(fd, s->grants, s->h.ngrants, sizeof s->grants[0]) == -1 ||
	    rt_write(fd, s->peers, s->h.npeers, sizeof s->peers[0]) == -1 ||
	    rt_write(fd, zero, 1, s->extra) == -1 ||
	    fcntl(fd, F_ADD_SEALS, RESTART_SEALS) == -1)
		return (-1);
	return (fd);
}

/*
 * Start a broker on the state (env: QSHM_BROKER_STATE instead of the
 * memfd's number); its stderr comes back on *errfd.
 */
static pid_t
rt_exec(struct rt_state *s, const char *env, int *errfd)
{
	char	num[16];
	pid_t	pid;
	int	sfd, p[2], i;

	if ((sfd = rt_state_memfd(s)) == -1 || pipe2(p, O_CLOEXEC) == -1)
		return (-1);
	snprintf(num, sizeof num, "%d", sfd);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(p[1], STDERR_FILENO);
		for (i = 0; i < s->nfds; i++)
			fcntl(s->fds[i], F_SETFD, 0);
		fcntl(sfd, F_SETFD, 0);
		setenv(RESTART_ENV, env != NULL ? env : num, 1);
		execl(qt_qshmctl(), qt_qshmctl(), "broker", "--socket",
		    s->sock, (char *)NULL);
		_exit(127);
	}
	close(sfd);
	close(p[1]);
	*errfd = p[0];
	return (pid);
}

/* What the broker printed until it exited (bounded). */
static void
rt_read_err(int fd, char *buf, size_t size)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	size_t		len = 0;
	ssize_t		n;

	while (len < size - 1 && poll(&pfd, 1, QT_TIMEOUT_MS) == 1 &&
	    (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
}

/* The broker refuses the state, naming why: "restart state: why". */
static void
rt_refused(struct rt_state *s, const char *env, const char *why)
{
	char	err[512], want[128];
	pid_t	pid;
	int	efd;

	assert_true((pid = rt_exec(s, env, &efd)) > 0);
	rt_read_err(efd, err, sizeof err);
	assert_int_equal(qt_wait(pid), 1);
	snprintf(want, sizeof want, "qshmctl: broker: restart state: %s\n",
	    why);
	assert_string_equal(err, want);
	rt_state_done(s);
}

/* The watcher's side: answer the one notice it gets, for dev/ino. */
static int
rt_answer_notice(void *arg)
{
	const struct rt_state		*s = arg;
	struct proto_status_reply	 r;
	struct proto_msg		 m;

	QT_CHECK_OK(proto_recv(s->watcher, &m));
	QT_CHECK_EQ(m.hdr.type, PROTO_NOTICE);
	QT_CHECK_EQ(m.u.notice.dev, s->objs[0].dev);
	QT_CHECK_EQ(m.u.notice.ino, s->objs[0].ino);
	memset(&r, 0, sizeof r);
	r.value = 1;
	QT_CHECK_OK(proto_send(s->watcher, PROTO_NOTICE | PROTO_REPLY,
	    m.hdr.id, &r, sizeof r, -1));
	return (0);
}

/* The state of our grant as the broker lists it; -1 if not listed. */
static int
rt_grant_state(const struct rt_state *s)
{
	struct qshm_handle_info	*l = NULL;
	size_t			 n = 0, i;
	int			 state = -1;

	if (qshm_list_handles(&l, &n) == -1)
		return (-1);
	for (i = 0; i < n; i++)
		if (l[i].ino == s->objs[0].ino &&
		    l[i].state != QSHM_STATE_PENDING)
			state = (int)l[i].state;
	free(l);
	return (state);
}

/* fd is the state's object. */
static bool
rt_same(const struct rt_state *s, int fd)
{
	struct stat	st;

	return (fd >= 0 && fstat(fd, &st) == 0 &&
	    st.st_ino == s->objs[0].ino && st.st_dev == s->objs[0].dev);
}

/* In a child, so that it is the process the state names. */
static int
rt_body_taken(void *arg)
{
	struct rt_state		 s;
	struct qshm_stats	 st;
	struct qshm_handle_info	 info;
	struct rlimit		 lim;
	pid_t			 pid, answer;
	int			 efd, fd;

	(void)arg;
	QT_CHECK_OK(rt_state_init(&s));
	QT_CHECK((pid = rt_exec(&s, NULL, &efd)) > 0);
	setenv("QSHM_SOCKET", s.sock, 1);
	setenv("QSHM_AUTOSTART", "0", 1);
	/* The counters, the limits and the pending handle came across. */
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK_EQ(st.pid, pid);
	QT_CHECK_EQ(st.restarts, RT_RESTARTS);
	QT_CHECK_EQ(st.objects, 1);
	QT_CHECK_EQ(st.handles, 1);
	QT_CHECK_OK(qshm_handle_limit(0, NULL, &lim));
	QT_CHECK_EQ(lim.rlim_cur, 50);
	QT_CHECK_EQ(lim.rlim_max, 60);
	QT_CHECK_OK(qt_find_handle(RT_HANDLE, &info));
	QT_CHECK_EQ(info.recipient_pid, getpid());
	QT_CHECK_EQ(info.object_id, RT_PARK);
	QT_CHECK_EQ(rt_grant_state(&s), QSHM_STATE_IN_USE);
	QT_CHECK_EQ(shm_ctl(s.obj, SHMCTL_GET_FLAGS, 0, 0) &
	    SHMCTL_REVOCABLE, SHMCTL_REVOCABLE);
	/* The handle opens the object; so does its parked id. */
	fd = shm_open_handle(RT_HANDLE, O_RDONLY);
	QT_CHECK(rt_same(&s, fd));
	close(fd);
	fd = qshm_open_parked(RT_PARK, O_RDWR);
	QT_CHECK(rt_same(&s, fd));
	close(fd);
	/* The creator revokes; the notice reaches the restored watcher. */
	QT_CHECK((answer = qt_fork(rt_answer_notice, &s)) > 0);
	QT_CHECK_OK(shm_revoke(s.obj, getpid()));
	QT_CHECK_EQ(qt_wait(answer), 0);
	QT_CHECK_EQ(rt_grant_state(&s), QSHM_STATE_ACKNOWLEDGED);
	QT_CHECK_OK(qshm_unpark(RT_PARK));
	QT_CHECK_OK(kill(pid, SIGTERM));
	QT_CHECK_EQ(qt_wait(pid), 0);
	close(efd);
	/* The socket was the state's listener: removed at exit. */
	QT_CHECK_EQ(access(s.sock, F_OK), -1);
	rt_state_done(&s);
	return (0);
}

static void
test_state_taken(void **state)
{
	(void)state;
	assert_int_equal(qt_run(rt_body_taken, NULL), 0);
}

static void
rt_init(struct rt_state *s)
{
	assert_int_equal(rt_state_init(s), 0);
}

static void
test_state_fd(void **state)
{
	struct rt_state	s;

	(void)state;
	rt_init(&s);
	rt_refused(&s, "4x", "no state descriptor");
	rt_init(&s);
	rt_refused(&s, "2", "no state descriptor");
	rt_init(&s);
	rt_refused(&s, "999", "no state descriptor");
}

static void
test_state_header(void **state)
{
	struct rt_state	s;
	int		pfd[2];

	(void)state;
	rt_init(&s);
	s.h.magic[0] = 'X';
	rt_refused(&s, NULL, "not a broker state");
	rt_init(&s);
	s.h.version = RESTART_VERSION + 1;
	rt_refused(&s, NULL, "another version's state");
	rt_init(&s);
	s.h.hdrsize--;
	rt_refused(&s, NULL, "another version's state");
	rt_init(&s);
	s.h.npeers = 1U << 25;
	rt_refused(&s, NULL, "too many records");
	rt_init(&s);
	s.extra = 8;
	rt_refused(&s, NULL, "sizes or times do not add up");
	rt_init(&s);
	s.h.start_ms = UINT64_MAX;
	rt_refused(&s, NULL, "sizes or times do not add up");
	/* The listener: an object's fd, or a descriptor named twice. */
	rt_init(&s);
	s.h.lfd = s.obj;
	rt_refused(&s, NULL, "the listening socket");
	rt_init(&s);
	s.h.lock = s.h.lfd;
	rt_refused(&s, NULL, "the lock file");
	rt_init(&s);
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	s.h.lock = rt_keep(&s, pfd[0]);
	rt_keep(&s, pfd[1]);
	rt_refused(&s, NULL, "the lock file");
}

static void
test_state_procs(void **state)
{
	struct rt_state	s;
	uint64_t	key;

	(void)state;
	rt_init(&s);
	s.procs[0].key = 0;
	rt_refused(&s, NULL, "a process record");
	rt_init(&s);
	s.procs[0].lim_cur = s.procs[0].lim_max + 1;
	rt_refused(&s, NULL, "a process record");
	rt_init(&s);
	s.procs[1] = s.procs[0];
	s.h.nprocs = 2;
	rt_refused(&s, NULL, "a process record");
	/* Named twice, or the pidfd of another process. */
	rt_init(&s);
	s.procs[0].pidfd = s.h.lfd;
	rt_refused(&s, NULL, "a process's pidfd");
	rt_init(&s);
	s.procs[0].pidfd = rt_keep(&s, rt_pidfd(getppid(), &key));
	rt_refused(&s, NULL, "a process's pidfd");
}

static void
test_state_objects(void **state)
{
	struct rt_state	s;

	(void)state;
	/* Its fd under another access mode, or none at all. */
	rt_init(&s);
	s.objs[0].fd[O_RDONLY] = s.obj;
	s.objs[0].fd[O_RDWR] = -1;
	rt_refused(&s, NULL, "an object's fd");
	rt_init(&s);
	s.objs[0].fd[O_RDWR] = -1;
	rt_refused(&s, NULL, "an object record");
	rt_init(&s);
	s.objs[0].park_access = O_RDWR + 1;
	rt_refused(&s, NULL, "an object record");
	rt_init(&s);
	s.objs[1] = s.objs[0];
	s.objs[1].fd[O_RDWR] = rt_keep(&s, dup(s.obj));
	s.h.nobjs = 2;
	rt_refused(&s, NULL, "an object twice");
	/* A park id never given out; a creator that is not there. */
	rt_init(&s);
	s.objs[0].park_id = (uint32_t)s.h.last_park + 1;
	rt_refused(&s, NULL, "an object's owner");
	rt_init(&s);
	s.objs[0].creator++;
	rt_refused(&s, NULL, "an object's owner");
}

static void
test_state_handles(void **state)
{
	struct rt_state	s;

	(void)state;
	rt_init(&s);
	s.handles[0].recipient++;
	rt_refused(&s, NULL, "a handle record");
	rt_init(&s);
	s.handles[0].reason = QSHM_WHY_RESIZE + 1;
	rt_refused(&s, NULL, "a handle record");
	rt_init(&s);
	s.handles[1] = s.handles[0];
	s.h.nhandles = 2;
	rt_refused(&s, NULL, "a handle twice");
}

static void
test_state_grants(void **state)
{
	struct rt_state	s;

	(void)state;
	rt_init(&s);
	s.grants[0].proc++;
	rt_refused(&s, NULL, "a grant record");
	rt_init(&s);
	s.grants[0].since_ms = UINT64_MAX;
	rt_refused(&s, NULL, "a grant record");
	/* Waiting for an answer is never carried over. */
	rt_init(&s);
	s.grants[0].state = QSHM_STATE_REVOKING;
	rt_refused(&s, NULL, "a grant's state");
	rt_init(&s);
	s.grants[1] = s.grants[0];
	s.h.ngrants = 2;
	rt_refused(&s, NULL, "a grant's state");
}

static void
test_state_peers(void **state)
{
	struct rt_state	s;
	int		sv[2];

	(void)state;
	rt_init(&s);
	s.peers[0].watcher = 2;
	rt_refused(&s, NULL, "a connection");
	rt_init(&s);
	s.peers[0].fd = s.h.lfd;
	rt_refused(&s, NULL, "a connection");
	rt_init(&s);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	s.peers[0].fd = rt_keep(&s, sv[0]);
	rt_keep(&s, sv[1]);
	rt_refused(&s, NULL, "a connection");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_taken),
		cmocka_unit_test(test_state_fd),
		cmocka_unit_test(test_state_header),
		cmocka_unit_test(test_state_procs),
		cmocka_unit_test(test_state_objects),
		cmocka_unit_test(test_state_handles),
		cmocka_unit_test(test_state_grants),
		cmocka_unit_test(test_state_peers),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
