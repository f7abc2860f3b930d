/*
 * path.c: where the broker socket lives and the checks on its directory
 * (DESIGN.md section 4).  The library and the broker both resolve the path
 * here, so they always agree on it.
 *
 * A default directory ($XDG_RUNTIME_DIR/qshm, /tmp/qshm-$UID) is made
 * private and checked, since anyone could have made it first; a directory
 * named explicitly ($QSHM_SOCKET, --socket) is the caller's choice and
 * only has to exist.  /run/qshm is the system broker's: 0755 and owned by
 * root (or the caller), so that every uid reaches the socket in it.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "path.h"

#define PATH_SUN_MAX	sizeof(((struct sockaddr_un *)NULL)->sun_path)
#define PATH_SOCK_NAME	"broker.sock"
#define PATH_SYSTEM_DIR	"/run/qshm"

/* Format into buf; ENAMETOOLONG unless it fits both buf and sun_path. */
static int
path_put(char *buf, size_t size, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size || (size_t)n >= PATH_SUN_MAX) {
		if (size != 0)
			buf[0] = '\0';
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (0);
}

/* $XDG_RUNTIME_DIR without trailing slashes, if usable; its length. */
static const char *
path_xdg(size_t *lenp)
{
	const char	*xdg;
	struct stat	 st;
	size_t		 len;

	xdg = secure_getenv("XDG_RUNTIME_DIR");
	if (xdg == NULL || xdg[0] != '/')
		return (NULL);
	if (stat(xdg, &st) == -1 || !S_ISDIR(st.st_mode))
		return (NULL);
	len = strlen(xdg);
	while (len > 1 && xdg[len - 1] == '/')
		len--;
	*lenp = len;
	return (xdg);
}

/* Whether something accepts connections at path. */
static bool
path_probe(const char *path)
{
	struct sockaddr_un	 sun;
	int			 s, r, saved = errno;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		return (false);
	strcpy(sun.sun_path, path);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s == -1)
		return (false);
	r = connect(s, (struct sockaddr *)&sun, sizeof sun);
	/* EAGAIN: a listener whose backlog is full is still a broker. */
	if (r == -1 && errno == EAGAIN)
		r = 0;
	close(s);
	errno = saved;
	return (r == 0);
}

/* Resolve the broker socket path (see path.h for the order). */
int
path_socket(char *buf, size_t size, int probe_system)
{
	const char	*env, *xdg;
	size_t		 len;

	env = secure_getenv("QSHM_SOCKET");
	if (env != NULL && env[0] != '\0')
		return (path_put(buf, size, "%s", env));
	if (probe_system && path_probe(PATH_SYSTEM_SOCKET))
		return (path_put(buf, size, "%s", PATH_SYSTEM_SOCKET));
	if ((xdg = path_xdg(&len)) != NULL)
		return (path_put(buf, size, "%.*s/qshm/" PATH_SOCK_NAME,
		    (int)len, xdg));
	return (path_put(buf, size, "/tmp/qshm-%lu/" PATH_SOCK_NAME,
	    (unsigned long)geteuid()));
}

/* The directory part of a socket path ("." when there is none). */
static int
path_dirname(const char *sockpath, char *dir, size_t size)
{
	const char	*slash;
	size_t		 len;

	len = strlen(sockpath);
	if (len == 0) {
		errno = ENOENT;
		return (-1);
	}
	if (len >= PATH_SUN_MAX || len >= size) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((slash = strrchr(sockpath, '/')) == NULL)
		return (path_put(dir, size, "."));
	len = (size_t)(slash - sockpath);
	while (len > 0 && sockpath[len - 1] == '/')
		len--;
	if (len == 0)
		return (path_put(dir, size, "/"));
	return (path_put(dir, size, "%.*s", (int)len, sockpath));
}

/* Whether dir is one of the directories path_socket() picks by itself. */
static bool
path_is_default_dir(const char *dir)
{
	char		 buf[PATH_SUN_MAX];
	const char	*xdg;
	size_t		 len;

	if (strcmp(dir, PATH_SYSTEM_DIR) == 0)
		return (true);
	if (path_put(buf, sizeof buf, "/tmp/qshm-%lu",
	    (unsigned long)geteuid()) == 0 && strcmp(dir, buf) == 0)
		return (true);
	if ((xdg = path_xdg(&len)) != NULL &&
	    path_put(buf, sizeof buf, "%.*s/qshm", (int)len, xdg) == 0 &&
	    strcmp(dir, buf) == 0)
		return (true);
	return (false);
}

/*
 * A private directory: not a symlink, ours (or root's, if root_ok),
 * writable by nobody else.
 */
static int
path_check_private(const char *dir, bool root_ok)
{
	struct stat	st;

	if (lstat(dir, &st) == -1)
		return (-1);
	if (S_ISLNK(st.st_mode)) {
		errno = EPERM;
		return (-1);
	}
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return (-1);
	}
	if ((st.st_uid != geteuid() && !(root_ok && st.st_uid == 0)) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		errno = EPERM;
		return (-1);
	}
	return (0);
}

/*
 * /run/qshm: made 0755 (root makes it; an older broker's 0700 one is
 * opened up), root's or the caller's, writable by nobody else.
 */
static int
path_system_dir(void)
{
	struct stat	st;

	if (mkdir(PATH_SYSTEM_DIR, 0755) == -1 && errno != EEXIST)
		return (-1);
	if (path_check_private(PATH_SYSTEM_DIR, true) == -1)
		return (-1);
	if (geteuid() == 0 && lstat(PATH_SYSTEM_DIR, &st) == 0 &&
	    st.st_uid == 0 && (st.st_mode & 0755) != 0755 &&
	    chmod(PATH_SYSTEM_DIR, (st.st_mode & 07777) | 0755) == -1)
		return (-1);
	return (0);
}

/* Make and check the socket's directory, or check an explicit one. */
int
path_prepare_dir(const char *sockpath)
{
	char		dir[PATH_SUN_MAX];
	struct stat	st;

	if (path_dirname(sockpath, dir, sizeof dir) == -1)
		return (-1);
	if (!path_is_default_dir(dir)) {
		if (stat(dir, &st) == -1)
			return (-1);
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return (-1);
		}
		return (0);
	}
	if (strcmp(dir, PATH_SYSTEM_DIR) == 0)
		return (path_system_dir());
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return (-1);
	return (path_check_private(dir, false));
}
