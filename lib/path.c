/*
 * path.c: where the broker socket lives and the checks on its directory
 * (DESIGN.md section 4).  The library and the broker both resolve the path
 * here, so they always agree on it.
 *
 * A default directory ($XDG_RUNTIME_DIR/qshm, /tmp/qshm-$UID,
 * $HOME/.cache/qshm) is made private and checked, since anyone could have
 * made it first; a directory named explicitly ($QSHM_SOCKET, --socket) is
 * the caller's choice and only has to exist.  /run/qshm is the system
 * broker's: 0755 and owned by root (or the caller), so that every uid
 * reaches the socket in it.
 *
 * /tmp/qshm-$UID can be squatted: any uid may make that name first, and
 * any other name in /tmp we could predict as well.  So when another uid
 * owns it we go to $HOME/.cache/qshm, if $HOME is ours and writable by
 * no one else: nobody else can make names there.  Without such a HOME
 * the /tmp path stands, and its check fails saying whose it is and what
 * to set (path_why()).  A random name would be safe but no other process
 * could find it.  Environment is read with secure_getenv(): a set-uid
 * program ignores QSHM_SOCKET, XDG_RUNTIME_DIR and HOME.
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
#define PATH_TMP_FMT	"/tmp/qshm-%lu"
#define PATH_HOME_DIR	".cache/qshm"	/* under $HOME */

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

/* $HOME without trailing slashes, if ours and writable by no one else. */
static const char *
path_home(size_t *lenp)
{
	const char	*home;
	struct stat	 st;
	size_t		 len;

	home = secure_getenv("HOME");
	if (home == NULL || home[0] != '/')
		return (NULL);
	if (stat(home, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return (NULL);
	len = strlen(home);
	while (len > 1 && home[len - 1] == '/')
		len--;
	*lenp = len;
	return (home);
}

/* Whether dir exists and another uid owns it (or the link it is). */
static bool
path_squatted(const char *dir)
{
	struct stat	st;

	return (lstat(dir, &st) == 0 && st.st_uid != geteuid());
}

/* /tmp/qshm-$UID/broker.sock, or $HOME's when that directory is taken. */
static int
path_fallback(char *buf, size_t size)
{
	char		 tmp[PATH_SUN_MAX];
	const char	*home;
	size_t		 len;

	if (path_put(tmp, sizeof tmp, PATH_TMP_FMT,
	    (unsigned long)geteuid()) == -1)
		return (-1);
	if (path_squatted(tmp) && (home = path_home(&len)) != NULL &&
	    path_put(buf, size, "%.*s/" PATH_HOME_DIR "/" PATH_SOCK_NAME,
	    (int)len, home) == 0)
		return (0);
	return (path_put(buf, size, "%s/" PATH_SOCK_NAME, tmp));
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
	return (path_fallback(buf, size));
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

/* Whether dir is $HOME/.cache/qshm, for a HOME path_home() accepts. */
static bool
path_is_home_dir(const char *dir)
{
	char		 buf[PATH_SUN_MAX];
	const char	*home;
	size_t		 len;

	return ((home = path_home(&len)) != NULL &&
	    path_put(buf, sizeof buf, "%.*s/" PATH_HOME_DIR, (int)len,
	    home) == 0 && strcmp(dir, buf) == 0);
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
	if (path_put(buf, sizeof buf, PATH_TMP_FMT,
	    (unsigned long)geteuid()) == 0 && strcmp(dir, buf) == 0)
		return (true);
	if ((xdg = path_xdg(&len)) != NULL &&
	    path_put(buf, sizeof buf, "%.*s/qshm", (int)len, xdg) == 0 &&
	    strcmp(dir, buf) == 0)
		return (true);
	return (path_is_home_dir(dir));
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

/*
 * $HOME/.cache, made 0700 if missing: ours, writable by no one else (a
 * link to such a directory will do: only we could have put it in HOME).
 */
static int
path_home_parent(const char *dir)
{
	char		 parent[PATH_SUN_MAX];
	struct stat	 st;

	if (path_dirname(dir, parent, sizeof parent) == -1)
		return (-1);
	if (mkdir(parent, 0700) == -1 && errno != EEXIST)
		return (-1);
	if (stat(parent, &st) == -1)
		return (-1);
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return (-1);
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		errno = EPERM;
		return (-1);
	}
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
	if (path_is_home_dir(dir) && path_home_parent(dir) == -1)
		return (-1);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return (-1);
	return (path_check_private(dir, false));
}

/* What is wrong with dir, if path_check_private() can say; else false. */
static bool
path_describe(const char *dir, bool root_ok, char *buf, size_t size)
{
	struct stat	st;

	if (lstat(dir, &st) == -1)
		return (false);
	if (S_ISLNK(st.st_mode))
		snprintf(buf, size, "%s is a symbolic link", dir);
	else if (!S_ISDIR(st.st_mode))
		snprintf(buf, size, "%s is not a directory", dir);
	else if (st.st_uid != geteuid() && !(root_ok && st.st_uid == 0))
		snprintf(buf, size, "%s is owned by uid %lu, not you (uid %lu)",
		    dir, (unsigned long)st.st_uid, (unsigned long)geteuid());
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		snprintf(buf, size, "%s is writable by others (mode %03o)",
		    dir, (unsigned)(st.st_mode & 0777));
	else
		return (false);
	return (true);
}

/* Why path_prepare_dir(sockpath) failed with err; see path.h. */
void
path_why(const char *sockpath, int err, char *buf, size_t size)
{
	char		 dir[PATH_SUN_MAX], parent[PATH_SUN_MAX], what[200];
	const char	*hint = "";
	bool		 sys;

	if (path_dirname(sockpath, dir, sizeof dir) == -1) {
		snprintf(buf, size, "%s: %s", sockpath, strerror(err));
		return;
	}
	sys = strcmp(dir, PATH_SYSTEM_DIR) == 0;
	if (!sys && path_is_default_dir(dir))
		hint = "; set XDG_RUNTIME_DIR or QSHM_SOCKET";
	if (!path_describe(dir, sys, what, sizeof what) &&
	    !(path_is_home_dir(dir) &&
	    path_dirname(dir, parent, sizeof parent) == 0 &&
	    path_describe(parent, false, what, sizeof what)))
		snprintf(what, sizeof what, "%s: %s", dir, strerror(err));
	snprintf(buf, size, "%s%s", what, hint);
}
