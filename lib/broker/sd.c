/*
 * sd.c: socket activation and readiness, as systemd documents them in
 * sd_listen_fds(3) and sd_notify(3).  Both are a few lines of protocol, so
 * the broker speaks them itself rather than link libsystemd.  What systemd
 * passes is checked like any other input: the fds must be meant for this
 * pid, and the socket must be the kind the broker serves.
 */

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sd.h"

#define SD_FD_START	3	/* SD_LISTEN_FDS_START */

/* A decimal number in [0, max] and nothing else; -1 if not. */
static long
sd_number(const char *s, long max)
{
	char	*end;
	long	 v;

	if (s == NULL || *s < '0' || *s > '9')
		return (-1);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return (-1);
	return (v);
}

static int
sd_sockopt(int fd, int opt)
{
	socklen_t	len = sizeof(int);
	int		v = -1;

	if (getsockopt(fd, SOL_SOCKET, opt, &v, &len) == -1 ||
	    len != sizeof(int))
		return (-1);
	return (v);
}

/* Whether fd is a listening AF_UNIX SOCK_SEQPACKET socket. */
int
sd_is_listener(int fd)
{
	return (sd_sockopt(fd, SO_DOMAIN) == AF_UNIX &&
	    sd_sockopt(fd, SO_TYPE) == SOCK_SEQPACKET &&
	    sd_sockopt(fd, SO_ACCEPTCONN) == 1);
}

/* A listening AF_UNIX SOCK_SEQPACKET socket, made non-blocking. */
static int
sd_check(int fd, char *err, size_t errlen)
{
	int	fl;

	if (!sd_is_listener(fd)) {
		snprintf(err, errlen, "fd %d from systemd is not a listening "
		    "AF_UNIX SOCK_SEQPACKET socket", fd);
		return (-1);
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		snprintf(err, errlen, "fd %d from systemd: %s", fd,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* The socket systemd passed; see sd.h. */
int
sd_listen(int *fd, char *err, size_t errlen)
{
	long	pid, n;

	pid = sd_number(getenv("LISTEN_PID"), INT_MAX);
	n = sd_number(getenv("LISTEN_FDS"), INT_MAX - SD_FD_START);
	if (getenv("LISTEN_PID") == NULL || pid != (long)getpid())
		return (0);	/* meant for a process before us, if any */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (n != 1) {
		snprintf(err, errlen, "systemd passed %s sockets; the broker "
		    "takes exactly one", n < 0 ? "a bad number of" : "several");
		return (-1);
	}
	if (sd_check(SD_FD_START, err, errlen) == -1)
		return (-1);
	*fd = SD_FD_START;
	return (1);
}

/* $NOTIFY_SOCKET as an address: a path, or abstract if it starts with @. */
static int
sd_addr(struct sockaddr_un *sun, socklen_t *len)
{
	const char	*path = getenv("NOTIFY_SOCKET");
	size_t		 n;

	if (path == NULL || path[0] == '\0')
		return (-1);
	if (path[0] != '/' && path[0] != '@')
		return (-1);
	n = strlen(path);
	if (n >= sizeof sun->sun_path)
		return (-1);
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, n);
	if (path[0] == '@')
		sun->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return (0);
}

/* Tell systemd state; see sd.h. */
int
sd_notify(const char *state)
{
	struct sockaddr_un	 sun;
	struct msghdr		 mh;
	struct iovec		 iov;
	socklen_t		 alen;
	int			 s, error = 0;

	if (sd_addr(&sun, &alen) == -1)
		return (0);
	memset(&mh, 0, sizeof mh);
	iov.iov_base = (void *)state;
	iov.iov_len = strlen(state);
	mh.msg_name = &sun;
	mh.msg_namelen = alen;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if ((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		error = errno;
	else if (sendmsg(s, &mh, MSG_NOSIGNAL) == -1)
		error = errno;
	if (s != -1)
		close(s);
	return (error);
}
