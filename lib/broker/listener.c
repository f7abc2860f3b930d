/*
 * listener.c: the listening socket and its lock.  The lock file is held
 * with flock() for the broker's life, so a second broker on the same path
 * fails fast, and a socket file left by a dead broker can be replaced
 * safely.  On exit the socket is removed only if it is still the inode we
 * bound, never one a newer broker made.
 */

#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker-int.h"
#include "listener.h"
#include "loop.h"
#include "peers.h"

#define LISTENER_BACKOFF_MS	100
#define LISTENER_ACCEPTS	16	/* per wake-up */
#define LISTENER_FD_RESERVE	16	/* kept for serving, not connections */

static struct loop_ev		 listener_ev = { -1, NULL, NULL };
static struct loop_timer	 listener_timer = { { -1, NULL, NULL },
				    NULL, NULL };
static int			 listener_lock = -1;
static char			 listener_path[PATH_MAX];
static char			 listener_lockpath[PATH_MAX + 8];
static dev_t			 listener_dev;
static ino_t			 listener_ino;

static int
listener_take_lock(const char *path, char *err, size_t errlen)
{
	snprintf(listener_lockpath, sizeof listener_lockpath, "%s.lock", path);
	listener_lock = open(listener_lockpath, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW | O_NOCTTY, 0600);
	if (listener_lock == -1) {
		snprintf(err, errlen, "%s: %s", listener_lockpath,
		    strerror(errno));
		return (-1);
	}
	if (flock(listener_lock, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			snprintf(err, errlen,
			    "%s: a broker is already running", path);
		else
			snprintf(err, errlen, "%s: %s", listener_lockpath,
			    strerror(errno));
		close(listener_lock);
		listener_lock = -1;
		return (-1);
	}
	return (0);
}

/* We hold the lock, so a socket at path belongs to a dead broker. */
static int
listener_clear_stale(const char *path, char *err, size_t errlen)
{
	struct stat	st;

	if (lstat(path, &st) == -1)
		return (0);
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s: exists and is not a socket", path);
		return (-1);
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	return (0);
}

static int
listener_bind(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un	sun;
	struct stat		st;
	mode_t			old;
	int			fd, rc;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENAMETOOLONG));
		return (-1);
	}
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (-1);
	}
	/* Born 0600, or 0666 for a system broker: it checks every peer. */
	old = umask(broker_cfg->system ? 0111 : 0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (rc == -1 || listen(fd, SOMAXCONN) == -1 || stat(path, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	listener_dev = st.st_dev;
	listener_ino = st.st_ino;
	listener_ev.fd = fd;
	return (0);
}

/*
 * Lock path.lock, replace a stale socket and listen on path. On failure
 * returns -1 with a message in err.
 */
int
listener_open(const char *path, char *err, size_t errlen)
{
	/* path is broker_socket_path()'s, shorter than PATH_MAX. */
	snprintf(listener_path, sizeof listener_path, "%s", path);
	if (listener_take_lock(path, err, errlen) == -1)
		return (-1);
	if (listener_clear_stale(path, err, errlen) == -1 ||
	    listener_bind(path, err, errlen) == -1) {
		close(listener_lock);
		listener_lock = -1;
		return (-1);
	}
	return (0);
}

/*
 * Listen on fd, a socket someone else (systemd) bound at path: no lock,
 * and the socket file is theirs, never removed here.
 */
void
listener_adopt(int fd, const char *path)
{
	snprintf(listener_path, sizeof listener_path, "%s", path);
	listener_dev = 0;
	listener_ino = 0;
	listener_ev.fd = fd;
}

/* What a restart carries over. */
void
listener_save(struct listener_state *ls)
{
	ls->fd = listener_ev.fd;
	ls->lock = listener_lock;
	ls->dev = listener_dev;
	ls->ino = listener_ino;
}

/* Listen as the state says (fds checked by the caller) at path. */
void
listener_restore(const struct listener_state *ls, const char *path)
{
	listener_adopt(ls->fd, path);
	listener_dev = (dev_t)ls->dev;
	listener_ino = (ino_t)ls->ino;
	listener_lock = ls->lock;
	if (ls->lock != -1)
		snprintf(listener_lockpath, sizeof listener_lockpath,
		    "%s.lock", path);
}

/* Out of descriptors: stop accepting for a while, keep serving. */
static void
listener_pause(void)
{
	if (loop_mod(&listener_ev, 0) == 0 &&
	    loop_timer_arm(&listener_timer, LISTENER_BACKOFF_MS) != 0)
		(void)loop_mod(&listener_ev, EPOLLIN);
}

static void
listener_resume(void *arg)
{
	(void)arg;
	(void)loop_mod(&listener_ev, EPOLLIN);
}

/*
 * Whether, with fd taken, the reserve is still free: a flood of
 * connections must not take the fds that grants and opens of the clients
 * already connected need.  The fds are counted by taking them (and
 * giving them back): fd's number says nothing, since a closed connection
 * leaves a hole below fds still open, and the lowest free number is then
 * far below the count in use.
 */
static bool
listener_fd_spare(int fd)
{
	int	spare[LISTENER_FD_RESERVE];
	int	n, i;

	for (n = 0; n < LISTENER_FD_RESERVE; n++)
		if ((spare[n] = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
			break;
	for (i = 0; i < n; i++)
		close(spare[i]);
	return (n == LISTENER_FD_RESERVE);
}

static void
listener_accept(struct loop_ev *ev, uint32_t events)
{
	int	fd, i;

	(void)events;
	for (i = 0; i < LISTENER_ACCEPTS; i++) {
		fd = accept4(ev->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd != -1 && !listener_fd_spare(fd)) {
			close(fd);
			fd = -1;
			errno = EMFILE;
		}
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				listener_pause();
			return;
		}
		peers_accept(fd);
	}
}

/* Start accepting in the event loop; returns errno. */
int
listener_start(void)
{
	int	error;

	listener_ev.fn = listener_accept;
	if ((error = loop_timer_init(&listener_timer, listener_resume,
	    NULL)) != 0)
		return (error);
	return (loop_add(&listener_ev, EPOLLIN));
}

/* Stop, and remove the socket (if still ours) and the lock file. */
void
listener_close(void)
{
	struct stat	st;

	loop_timer_done(&listener_timer);
	if (listener_ev.fd != -1) {
		loop_del(&listener_ev);
		close(listener_ev.fd);
		listener_ev.fd = -1;
		if (listener_ino != 0 && stat(listener_path, &st) == 0 &&
		    st.st_dev == listener_dev && st.st_ino == listener_ino)
			unlink(listener_path);
	}
	if (listener_lock != -1) {
		unlink(listener_lockpath);
		close(listener_lock);
		listener_lock = -1;
	}
}

/* Parent side: the child writes one NUL when it listens, or a message. */
static int
listener_wait_child(int fd)
{
	char	buf[1024];
	size_t	len = 0;
	ssize_t	n;

	while (len < sizeof buf - 1 &&
	    ((n = read(fd, buf + len, sizeof buf - 1 - len)) > 0 ||
	    (n == -1 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	if (len > 0 && buf[0] == '\0')
		return (0);
	if (len == 0)
		fprintf(stderr, "qshmctl: broker: exited during startup\n");
	else
		fprintf(stderr, "qshmctl: broker: %s\n", buf);
	return (1);
}

/*
 * Fork. The parent waits for the child's report and returns its exit status
 * with *child false; the child (in a new session) returns 0 with *child
 * true and *report set. -1 with a message in err on failure.
 */
int
listener_daemonize(bool *child, int *report, char *err, size_t errlen)
{
	int	p[2];
	pid_t	pid;

	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return (-1);
	}
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return (-1);
	}
	if (pid != 0) {
		close(p[1]);
		*child = false;
		return (listener_wait_child(p[0]));
	}
	close(p[0]);
	setsid();
	*child = true;
	*report = p[1];
	return (0);
}

/* Tell the waiting parent that startup worked (err NULL) or failed. */
void
listener_report(int report, const char *err)
{
	const char	nul = '\0';
	ssize_t		n;

	if (report == -1)
		return;
	if (err == NULL)
		n = write(report, &nul, 1);
	else
		n = write(report, err, strlen(err));
	(void)n;	/* the parent names a child that said nothing */
	close(report);
}
