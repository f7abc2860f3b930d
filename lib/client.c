/*
 * client.c: the library's one connection to the broker.
 *
 * Made lazily on the first call, guarded by a mutex that also keeps one
 * request in flight.  When nothing answers at the socket the broker is
 * started (unless QSHM_AUTOSTART=0) and waited for, briefly; in a set-uid
 * program only the installed qshmctl, in a clean environment.  A child of
 * fork() drops the inherited connection, through pthread_atfork() and a
 * pid check, so it reconnects and the broker sees it as itself.  The
 * thread's error detail (qshm_error_detail()) lives here too.
 */

#include <sys/auxv.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <paths.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "path.h"
#include "watcher.h"

#ifndef QSHM_BINDIR
#define QSHM_BINDIR		"/usr/local/bin"
#endif

#define CLIENT_INSTALLED	QSHM_BINDIR "/qshmctl"
#define CLIENT_DETAIL_MAX	256
#define CLIENT_PATH_MAX		sizeof(((struct sockaddr_un *)NULL)->sun_path)
#define CLIENT_START_MS		2000	/* how long autostart may take */
#define CLIENT_POLL_MS		10

extern char	**environ;

/* A set-uid program's broker inherits none of its caller's environment. */
static char	*client_clean_env[] = { "PATH=" _PATH_STDPATH, NULL };

struct client {
	pthread_mutex_t	lock;
	int		fd;		/* -1: not connected */
	pid_t		pid;		/* who connected fd */
	uint32_t	next_id;
	pid_t		spawned;	/* a broker we started, not reaped */
	char		path[CLIENT_PATH_MAX];
};

static struct client	client = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.fd = -1,
	.next_id = 1
};
static pthread_once_t	client_once = PTHREAD_ONCE_INIT;
static _Thread_local char client_detail_buf[CLIENT_DETAIL_MAX];

/* Extra words on the last failure of this thread, or "" if none. */
const char *
qshm_error_detail(void)
{
	return (client_detail_buf);
}

/* Forget the thread's error detail. */
void
client_detail_clear(void)
{
	client_detail_buf[0] = '\0';
}

/* Set the error detail and errno; returns -1. */
int
client_fail(int err, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(client_detail_buf, sizeof client_detail_buf, fmt, ap);
	va_end(ap);
	errno = err;
	return (-1);
}

/* Keep fork() from copying a locked mutex or a connection into a child. */
static void
client_atfork_prepare(void)
{
	pthread_mutex_lock(&client.lock);
}

static void
client_atfork_parent(void)
{
	pthread_mutex_unlock(&client.lock);
}

static void
client_atfork_child(void)
{
	if (client.fd != -1)
		close(client.fd);
	client.fd = -1;
	client.spawned = 0;	/* the parent's child, not ours to reap */
	pthread_mutex_unlock(&client.lock);
}

static void
client_init(void)
{
	/* On failure the pid check in client_ensure() still drops it. */
	(void)pthread_atfork(client_atfork_prepare, client_atfork_parent,
	    client_atfork_child);
	/* Registered last, so its prepare handler runs first (lock order). */
	watcher_atfork();
}

static void
client_lock(void)
{
	pthread_once(&client_once, client_init);
	pthread_mutex_lock(&client.lock);
}

static void
client_unlock(void)
{
	pthread_mutex_unlock(&client.lock);
}

static void
client_drop(void)
{
	int	saved = errno;

	if (client.fd != -1)
		close(client.fd);
	client.fd = -1;
	errno = saved;
}

/* Connect to path; -1 with connect()'s or socket()'s errno. */
static int
client_connect_path(const char *path)
{
	struct sockaddr_un	sun;
	int			s, saved;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(s, (struct sockaddr *)&sun, sizeof sun) == -1) {
		saved = errno;
		close(s);
		errno = saved;
		return (-1);
	}
	return (s);
}

static void
client_attach(int s)
{
	client.fd = s;
	client.pid = getpid();
}

/* Why connecting failed, as errno: resource errors stay, others refuse. */
static int
client_refused(int err, const char *why)
{
	if (err == EMFILE || err == ENFILE || err == ENOMEM || err == ENOBUFS)
		return (client_fail(err, "connecting to the broker: %s",
		    strerror(err)));
	return (client_fail(ECONNREFUSED, "no broker at %s: %s%s",
	    client.path, strerror(err), why));
}

/* QSHM_AUTOSTART=0: even a set-uid program's caller may only turn it off. */
static bool
client_autostart_on(void)
{
	const char	*v = getenv("QSHM_AUTOSTART");

	return (v == NULL || strcmp(v, "0") != 0);
}

/*
 * A set-uid, set-gid or file-capability program (AT_SECURE): its
 * environment, PATH included, is the caller's, not to be obeyed.
 */
static bool
client_secure(void)
{
	return (getauxval(AT_SECURE) != 0);
}

/*
 * The broker to start: $QSHM_BROKER, else the installed qshmctl, else
 * qshmctl on PATH.  Under AT_SECURE only the installed one, by its
 * absolute path, or none (NULL, the detail set): a PATH of the caller's
 * choosing would run the caller's program with our privileges.
 */
static const char *
client_broker_prog(void)
{
	const char	*prog;

	if (client_secure()) {
		if (faccessat(AT_FDCWD, CLIENT_INSTALLED, X_OK,
		    AT_EACCESS) == 0)
			return (CLIENT_INSTALLED);
		client_fail(ECONNREFUSED, "no broker at %s: a set-uid, "
		    "set-gid or file-capability program starts only %s: %s",
		    client.path, CLIENT_INSTALLED, strerror(errno));
		return (NULL);
	}
	prog = secure_getenv("QSHM_BROKER");
	if (prog != NULL && prog[0] != '\0')
		return (prog);
	if (access(CLIENT_INSTALLED, X_OK) == 0)
		return (CLIENT_INSTALLED);
	return ("qshmctl");
}

/* Signals the broker must find at their defaults, whatever we did. */
static void
client_spawn_sigs(sigset_t *dfl)
{
	static const int	 sigs[] = { SIGPIPE, SIGTERM, SIGINT, SIGHUP,
	    SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM };
	size_t			 i;

	sigemptyset(dfl);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(dfl, sigs[i]);
}

/* The broker's stdio on /dev/null, none of our descriptors, clean signals. */
static int
client_spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr)
{
	sigset_t	none, dfl;

	sigemptyset(&none);
	client_spawn_sigs(&dfl);
	if (posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY,
	    0) != 0 ||
	    posix_spawn_file_actions_addopen(fa, 1, "/dev/null", O_WRONLY,
	    0) != 0 ||
	    posix_spawn_file_actions_adddup2(fa, 1, 2) != 0 ||
	    posix_spawn_file_actions_addclosefrom_np(fa, 3) != 0 ||
	    posix_spawnattr_setsigmask(attr, &none) != 0 ||
	    posix_spawnattr_setsigdefault(attr, &dfl) != 0 ||
	    posix_spawnattr_setflags(attr,
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) != 0)
		return (ENOMEM);
	return (0);
}

/* Start "prog broker --daemon --socket path". */
static int
client_spawn(const char *prog, pid_t *pidp)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 attr;
	char				*argv[6];
	int				 err;

	if ((argv[0] = strdup(prog)) == NULL)
		return (-1);
	argv[1] = "broker";
	argv[2] = "--daemon";
	argv[3] = "--socket";
	argv[4] = client.path;
	argv[5] = NULL;
	err = posix_spawn_file_actions_init(&fa);
	if (err == 0 && (err = posix_spawnattr_init(&attr)) != 0)
		posix_spawn_file_actions_destroy(&fa);
	if (err == 0) {
		if ((err = client_spawn_setup(&fa, &attr)) == 0)
			err = posix_spawnp(pidp, argv[0], &fa, &attr, argv,
			    client_secure() ? client_clean_env : environ);
		posix_spawn_file_actions_destroy(&fa);
		posix_spawnattr_destroy(&attr);
	}
	free(argv[0]);
	errno = err;
	return (err == 0 ? 0 : -1);
}

/*
 * Whether the broker we started has exited; *status is its exit status,
 * or -1 if someone else reaped it (SIGCHLD ignored, a handler's waitpid).
 */
static bool
client_reap(int *status)
{
	pid_t	r;
	int	st;

	if (client.spawned == 0)
		return (false);
	do
		r = waitpid(client.spawned, &st, WNOHANG);
	while (r == -1 && errno == EINTR);
	if (r == 0)
		return (false);
	if (r == -1)
		*status = -1;
	else if (WIFEXITED(st))
		*status = WEXITSTATUS(st);
	else
		*status = 128 + WTERMSIG(st);
	client.spawned = 0;
	return (true);
}

static long
client_elapsed_ms(const struct timespec *since)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((now.tv_sec - since->tv_sec) * 1000 +
	    (now.tv_nsec - since->tv_nsec) / 1000000);
}

/*
 * Wait for the daemon's parent to say the broker listens (exit 0), then
 * connect once.  If it failed (likely: another process's broker won the
 * lock and is still starting), keep trying to connect until the deadline.
 */
static int
client_autostart_wait(const char *prog)
{
	struct timespec	 start, tick = { 0, CLIENT_POLL_MS * 1000000L };
	int		 s, status = -2;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (client_reap(&status) && status == 0) {
			if ((s = client_connect_path(client.path)) == -1)
				return (client_refused(errno,
				    " (after starting the broker)"));
			client_attach(s);
			return (0);
		}
		if (client.spawned == 0 &&
		    (s = client_connect_path(client.path)) != -1) {
			client_attach(s);
			return (0);
		}
		if (client_elapsed_ms(&start) >= CLIENT_START_MS)
			break;
		nanosleep(&tick, NULL);
	}
	if (status == -2)
		return (client_fail(ECONNREFUSED, "no broker at %s: %s did "
		    "not start within %d ms", client.path, prog,
		    CLIENT_START_MS));
	return (client_fail(ECONNREFUSED, "no broker at %s: %s broker "
	    "exited with status %d", client.path, prog, status));
}

static int
client_autostart(void)
{
	const char	*prog;
	int		 status;

	(void)client_reap(&status);	/* one left from a previous attempt */
	if ((prog = client_broker_prog()) == NULL)
		return (-1);
	if (client_spawn(prog, &client.spawned) == -1) {
		client.spawned = 0;
		return (client_fail(ECONNREFUSED, "no broker at %s: cannot "
		    "start %s: %s", client.path, prog, strerror(errno)));
	}
	return (client_autostart_wait(prog));
}

/* Refuse a default socket directory that someone else controls. */
static int
client_check_dir(void)
{
	char	why[CLIENT_DETAIL_MAX];

	if (strcmp(client.path, PATH_SYSTEM_SOCKET) == 0)
		return (0);
	if (path_prepare_dir(client.path) == -1 && errno != ENOENT) {
		path_why(client.path, errno, why, sizeof why);
		return (client_fail(ECONNREFUSED, "unsafe socket directory: "
		    "%s", why));
	}
	return (0);
}

/* Be connected, as this process. */
static int
client_ensure(void)
{
	int	s;

	if (client.fd != -1 && client.pid == getpid())
		return (0);
	client_drop();
	if (path_socket(client.path, sizeof client.path, 1) == -1)
		return (client_fail(ECONNREFUSED, "broker socket path: %s",
		    strerror(errno)));
	if (client_check_dir() == -1)
		return (-1);
	if ((s = client_connect_path(client.path)) != -1) {
		client_attach(s);
		return (0);
	}
	if (errno != ENOENT && errno != ECONNREFUSED)
		return (client_refused(errno, ""));
	if (!client_autostart_on())
		return (client_refused(errno,
		    " (autostart is off: QSHM_AUTOSTART=0)"));
	return (client_autostart());
}

/* Receive the reply to request id of the given type. */
static int
client_reply(uint16_t type, uint32_t id, struct proto_msg *reply)
{
	int	saved;

	if (proto_recv(client.fd, reply) == -1) {
		saved = errno;
		client_drop();
		if (saved == EPROTONOSUPPORT)
			return (client_fail(saved, "broker speaks protocol %u, "
			    "library speaks %d", (unsigned)reply->hdr.version,
			    PROTO_VERSION));
		if (saved == ECONNRESET)
			return (client_fail(saved, "the broker at %s closed "
			    "the connection", client.path));
		return (client_fail(saved, "bad reply from the broker at %s: "
		    "%s", client.path, strerror(saved)));
	}
	if (reply->hdr.type != (type | PROTO_REPLY) || reply->hdr.id != id) {
		proto_msg_clear(reply);
		client_drop();
		return (client_fail(EPROTO, "the broker answered %s #%u to "
		    "%s #%u", proto_type_name(reply->hdr.type),
		    (unsigned)reply->hdr.id, proto_type_name(type),
		    (unsigned)id));
	}
	return (0);
}

/* Send once; a connection found dead before the send is remade once. */
static int
client_send(uint16_t type, uint32_t id, const void *req, size_t len, int fd)
{
	int	tries, saved;

	for (tries = 0;; tries++) {
		if (client_ensure() == -1)
			return (-1);
		if (proto_send(client.fd, type, id, req, len, fd) == 0)
			return (0);
		saved = errno;
		client_drop();
		if (tries > 0 || (saved != EPIPE && saved != ECONNRESET &&
		    saved != ENOTCONN))
			return (client_fail(saved, "sending to the broker at "
			    "%s: %s", client.path, strerror(saved)));
	}
}

/*
 * Whether a request whose reply was lost may be sent again: only if it
 * changes nothing in the broker, so the broker having run it once already
 * makes no difference.  A grant, open, delete, park or revoke may have
 * happened before the connection dropped; those report ECONNRESET.
 */
static bool
client_idempotent(uint16_t type, const void *req)
{
	const struct proto_limit	*l = req;
	const struct proto_ctl		*c = req;

	switch (type) {
	case PROTO_STATS:
	case PROTO_LIST:
		return (true);
	case PROTO_LIMIT:
		return (!(l->flags & PROTO_LIMIT_SET));
	case PROTO_CTL:
		return (c->flags == SHMCTL_GET_FLAGS);
	default:
		return (false);
	}
}

/* One request and its reply; see client.h. */
int
client_call(uint16_t type, const void *req, size_t len, int fd, int reserve,
    struct proto_msg *reply)
{
	uint32_t	id;
	int32_t		err;
	int		r, saved;

	memset(reply, 0, sizeof *reply);
	reply->fd = -1;
	client_lock();
	id = client.next_id++;
	if (client.next_id == 0)
		client.next_id = 1;
	r = client_send(type, id, req, len, fd);
	if (reserve != -1) {
		/* The reply's fd takes the slot we held. */
		saved = errno;
		close(reserve);
		errno = saved;
	}
	if (r == 0)
		r = client_reply(type, id, reply);
	/* Sent, then the connection dropped (a broker restarting). */
	if (r == -1 && errno == ECONNRESET && reserve == -1 &&
	    client_idempotent(type, req)) {
		id = client.next_id++;
		if (client.next_id == 0)
			client.next_id = 1;
		if ((r = client_send(type, id, req, len, fd)) == 0)
			r = client_reply(type, id, reply);
	}
	client_unlock();
	if (r == -1)
		return (-1);
	memcpy(&err, reply->u.raw, sizeof err);
	if (err != 0) {
		proto_msg_clear(reply);
		errno = err;
		return (-1);
	}
	return (0);
}

/*
 * Hold a descriptor slot for the fd a reply will bring.  A duplicate of
 * the connection costs a fifth of a new eventfd; before there is one, or
 * if it fails, an eventfd (whose errno then stands).
 */
int
client_reserve_fd(void)
{
	int	fd = -1;

	client_lock();
	if (client.fd != -1)
		fd = fcntl(client.fd, F_DUPFD_CLOEXEC, 0);
	client_unlock();
	if (fd == -1 && (fd = eventfd(0, EFD_CLOEXEC)) == -1)
		return (client_fail(errno, "no descriptor free for the "
		    "object: %s", strerror(errno)));
	return (fd);
}

/* Check an object fd before it goes to the broker. */
int
client_check_object(int fd, struct stat *st, int *accmode)
{
	int	fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return (client_fail(EBADF, "fd %d is not open", fd));
	if (fl & O_PATH)
		return (client_fail(EBADF, "fd %d is an O_PATH descriptor",
		    fd));
	if (fstat(fd, st) == -1)
		return (client_fail(EBADF, "fd %d: %s", fd, strerror(errno)));
	if (!S_ISREG(st->st_mode))
		return (client_fail(EINVAL, "fd %d is not a regular file", fd));
	*accmode = fl & O_ACCMODE;
	return (0);
}

/* Take the reply's fd: a regular file opened with exactly access. */
int
client_take_fd(struct proto_msg *reply, int access)
{
	struct stat	st;
	int		fd = reply->fd, fl;

	reply->fd = -1;
	if (fd == -1)
		return (client_fail(EPROTO, "the broker sent no descriptor"));
	if ((fl = fcntl(fd, F_GETFL)) == -1 || fstat(fd, &st) == -1 ||
	    !S_ISREG(st.st_mode) || (fl & O_ACCMODE) != access) {
		close(fd);
		return (client_fail(EPROTO, "the broker sent a descriptor "
		    "that is not a regular file open with access %d", access));
	}
	return (fd);
}

/* One access mode, optionally with O_CLOEXEC. */
int
client_valid_open_flags(int flags)
{
	if (flags & ~(O_ACCMODE | O_CLOEXEC))
		return (0);
	return ((flags & O_ACCMODE) != O_ACCMODE);
}

/* A second connection to the broker this process uses (the watcher's). */
int
client_connect_extra(void)
{
	char	path[CLIENT_PATH_MAX];

	client_lock();
	if ((client.fd == -1 || client.pid != getpid()) &&
	    path_socket(client.path, sizeof client.path, 1) == -1) {
		client_unlock();
		return (-1);
	}
	memcpy(path, client.path, sizeof path);
	client_unlock();
	return (client_connect_path(path));
}

/* The socket path of this process's connection, or the one it would use. */
const char *
client_socket_path(void)
{
	const char	*p = client.path;

	client_lock();
	if ((client.fd == -1 || client.pid != getpid()) &&
	    path_socket(client.path, sizeof client.path, 1) == -1)
		p = NULL;
	client_unlock();
	return (p);
}
