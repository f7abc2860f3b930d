/*
 * audit.c: the audit log.  Each event is one JSON object on one line,
 * written with a single write() so lines from a crash are never torn in
 * the middle; a line the file would not take at once is dropped rather
 * than stalling the broker, and the next line that goes out is a
 * "dropped" record counting those lost.
 *
 * The file is the broker's own: a system broker runs as root, and its
 * --audit path may sit where other users write.  Every directory from /
 * down must belong to root or the broker's uid and not be writable by
 * others (unless sticky, as /tmp is), no component may be a symbolic
 * link, and the file must be a regular file of root or the broker's uid,
 * writable by no one else, with one name.  It is opened non-blocking so
 * that nothing planted there can hold the loop.
 */

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "proto.h"
#include "audit.h"
#include "handles.h"
#include "objects.h"
#include "policy.h"
#include "procs.h"

#define AUDIT_FLAGS	(O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | \
			    O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
#define AUDIT_WHYLEN	128

static int	audit_fd = -1;
static int	audit_own_fd;	/* close it at the end */
static int	audit_sock;	/* stderr is a socket: send without waiting */
static int	audit_poll;	/* stderr as it is: write only if it has room */
static int	audit_stderr;	/* logging to standard error */
static int	audit_torn;	/* part of a line went out: start a new one */
static uint64_t	audit_dropped;	/* lines lost since the last record of it */

/* The kind of a file that is not regular, for messages. */
static const char *
audit_kind(mode_t mode)
{
	if (S_ISLNK(mode))
		return ("a symbolic link");
	if (S_ISFIFO(mode))
		return ("a FIFO");
	if (S_ISSOCK(mode))
		return ("a socket");
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return ("a device");
	if (S_ISDIR(mode))
		return ("a directory");
	if (S_ISREG(mode))
		return ("a file");
	return ("of an unknown type");
}

/* Why st cannot be trusted by this broker (NULL: it can). */
static const char *
audit_why(const struct stat *st, bool dir, char *why, size_t size)
{
	uid_t	me = geteuid();
	int	n;

	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
		snprintf(why, size, "%s, not a %s", audit_kind(st->st_mode),
		    dir ? "directory" : "regular file");
	else if (st->st_uid != 0 && st->st_uid != me) {
		n = snprintf(why, size, "owned by uid %lu, not by root",
		    (unsigned long)st->st_uid);
		if (me != 0 && n > 0 && (size_t)n < size)
			snprintf(why + n, size - (size_t)n, " or uid %lu",
			    (unsigned long)me);
	} else if ((st->st_mode & (S_IWGRP | S_IWOTH)) &&
	    (!dir || !(st->st_mode & S_ISVTX)))
		snprintf(why, size, "writable by its group or others%s",
		    dir ? " and not sticky" : "");
	else if (!dir && st->st_nlink != 1)
		snprintf(why, size, "a file with %lu names (hard links)",
		    (unsigned long)st->st_nlink);
	else
		return (NULL);
	return (why);
}

/* Descend from dfd into the directory name, checked; -1 and err. */
static int
audit_step(int dfd, const char *name, const char *path, const char *sofar,
    char *err, size_t errlen)
{
	struct stat	 st;
	char		 why[AUDIT_WHYLEN];
	const char	*bad;
	bool		 named = true;	/* the cause is this directory's */
	int		 fd;

	fd = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		bad = strerror(errno);
		named = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode);
		if (named)
			bad = "a symbolic link";
	} else if (fstat(fd, &st) == -1)
		bad = strerror(errno);
	else
		bad = audit_why(&st, true, why, sizeof why);
	if (bad == NULL)
		return (fd);
	if (named)
		snprintf(err, errlen, "%s: %s: %s", path, sofar, bad);
	else
		snprintf(err, errlen, "%s: %s", path, bad);
	if (fd != -1)
		close(fd);
	return (-1);
}

/* path made absolute against the working directory, in buf; errno. */
static int
audit_abspath(const char *path, char *buf, size_t size)
{
	char	cwd[PATH_MAX];
	int	n;

	if (path[0] == '/')
		n = snprintf(buf, size, "%s", path);
	else if (getcwd(cwd, sizeof cwd) == NULL)
		return (errno);
	else
		n = snprintf(buf, size, "%s/%s", cwd, path);
	return (n < 0 || (size_t)n >= size ? ENAMETOOLONG : 0);
}

/*
 * The directory of path, each one from / down checked; *base points at
 * the file's name in path.  -1 and a message in err.
 */
static int
audit_dir(const char *path, const char **base, char *err, size_t errlen)
{
	char	buf[PATH_MAX], *p, *slash;
	int	dfd, fd, error;

	if ((error = audit_abspath(path, buf, sizeof buf)) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(error));
		return (-1);
	}
	*base = (p = strrchr(path, '/')) != NULL ? p + 1 : path;
	strrchr(buf, '/')[1] = '\0';
	if ((dfd = audit_step(AT_FDCWD, "/", path, "/", err, errlen)) == -1)
		return (-1);
	for (p = buf + 1; *p != '\0'; p = slash + 1) {
		slash = strchr(p, '/');	/* buf ends with one */
		*slash = '\0';
		fd = *p == '\0' ? dfd :
		    audit_step(dfd, p, path, buf, err, errlen);
		*slash = '/';
		if (fd != dfd)
			close(dfd);
		if ((dfd = fd) == -1)
			return (-1);
	}
	return (dfd);
}

/* Open and check the file base in dfd; -1 and a message in err. */
static int
audit_file(int dfd, const char *base, const char *path, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		 why[AUDIT_WHYLEN];
	const char	*bad = NULL;
	int		 fd = -1, saved;

	/* Looked at first: opening a FIFO or a device may do things. */
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (bad = audit_why(&st, false, why, sizeof why)) != NULL)
		goto fail;
	if ((fd = openat(dfd, base, AUDIT_FLAGS, 0600)) == -1) {
		saved = errno;
		/* Swapped meanwhile (a FIFO with no reader: ENXIO). */
		if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    (bad = audit_why(&st, false, why, sizeof why)) == NULL)
			bad = strerror(saved);
	} else if (fstat(fd, &st) == -1)
		bad = strerror(errno);
	else
		bad = audit_why(&st, false, why, sizeof why);
	if (bad == NULL)
		return (fd);
fail:
	snprintf(err, errlen, "%s: %s", path, bad);
	if (fd != -1)
		close(fd);
	return (-1);
}

/* The audit file at path, checked and open; -1 and a message in err. */
static int
audit_open_path(const char *path, char *err, size_t errlen)
{
	const char	*base;
	int		 dfd, fd = -1;

	if ((dfd = audit_dir(path, &base, err, errlen)) == -1)
		return (-1);
	if (*base == '\0')
		snprintf(err, errlen, "%s: %s", path, strerror(EISDIR));
	else
		fd = audit_file(dfd, base, path, err, errlen);
	close(dfd);
	return (fd);
}

/*
 * Standard error, written so that it never blocks: a socket with
 * MSG_DONTWAIT; anything else through a description of our own opened
 * O_NONBLOCK (fd 2's is shared, often with a shell's terminal), else fd 2
 * as it is, written only when poll() says it has room.
 */
static void
audit_open_stderr(void)
{
	struct stat	st;
	int		fd;

	audit_stderr = 1;
	audit_fd = STDERR_FILENO;
	if (fstat(STDERR_FILENO, &st) == 0 && S_ISSOCK(st.st_mode)) {
		audit_sock = 1;
		return;
	}
	fd = open("/proc/self/fd/2", O_WRONLY | O_APPEND | O_NONBLOCK |
	    O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		audit_poll = 1;
		return;
	}
	audit_fd = fd;
	audit_own_fd = 1;
}

/*
 * Start logging to path ("-": stderr, NULL: nowhere).  Returns 0, or -1
 * with a message naming path and the cause in err.
 */
int
audit_open(const char *path, char *err, size_t errlen)
{
	int	fd;

	audit_close();
	if (path == NULL)
		return (0);
	if (strcmp(path, "-") == 0) {
		audit_open_stderr();
		return (0);
	}
	if ((fd = audit_open_path(path, err, errlen)) == -1)
		return (-1);
	audit_fd = fd;
	audit_own_fd = 1;
	return (0);
}

/* Whether path would be accepted now (a restart asks before its exec). */
int
audit_check(const char *path, char *err, size_t errlen)
{
	int	fd;

	if (path == NULL || strcmp(path, "-") == 0)
		return (0);
	if ((fd = audit_open_path(path, err, errlen)) == -1)
		return (-1);
	close(fd);
	return (0);
}

/* Standard error was replaced (a daemon detaching): log to the new one. */
void
audit_stderr_moved(void)
{
	if (!audit_stderr)
		return;
	audit_close();
	audit_open_stderr();
}

/* Stop logging. */
void
audit_close(void)
{
	if (audit_fd != -1 && audit_own_fd)
		close(audit_fd);
	audit_fd = -1;
	audit_own_fd = audit_sock = audit_poll = audit_stderr = 0;
	audit_torn = 0;
	audit_dropped = 0;
}

/* Whether events are logged at all. */
bool
audit_enabled(void)
{
	return (audit_fd != -1);
}

/* A record of event with nothing else set. */
void
audit_rec_init(struct audit_rec *r, const char *event)
{
	memset(r, 0, sizeof *r);
	r->event = event;
	r->access = r->enforcement = r->reason = -1;
}

/* Fill a record from a handle (object, both ends, access, enforcement). */
void
audit_rec_handle(struct audit_rec *r, const struct handle *h)
{
	r->handle = h->id;
	r->obj = h->obj;
	r->has_creator = r->has_recipient = true;
	r->cpid = h->creator->pid;
	r->cuid = h->creator_uid;
	r->rpid = h->recipient->pid;
	r->ruid = h->recipient_uid;
	r->access = h->access;
	r->enforcement = h->enforcement;
	r->reason = h->reason;
}

/* "2025-01-31T12:34:56.789Z" */
static void
audit_time(char *buf, size_t size)
{
	struct timespec	ts;
	struct tm	tm;
	char		s[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03ldZ", s, ts.tv_nsec / 1000000L);
}

/* A JSON string of s; bytes that are not UTF-8 become '?'. */
static json_t *
audit_string(const char *s)
{
	json_t	*j;
	char	*copy, *p;

	if ((j = json_string(s)) != NULL || (copy = strdup(s)) == NULL)
		return (j);
	for (p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return (j);
}

static json_t *
audit_who(pid_t pid, uid_t uid)
{
	return (json_pack("{s:I,s:I}", "pid", (json_int_t)pid,
	    "uid", (json_int_t)uid));
}

static void
audit_object(json_t *o, const struct audit_rec *r)
{
	json_t	*obj;

	if (r->obj != NULL) {
		obj = json_pack("{s:I,s:I}", "dev", (json_int_t)r->obj->dev,
		    "ino", (json_int_t)r->obj->ino);
		if (obj != NULL && r->obj->path != NULL)
			json_object_set_new(obj, "path",
			    audit_string(r->obj->path));
	} else if (r->has_inode)
		obj = json_pack("{s:I,s:I}", "dev", (json_int_t)r->dev,
		    "ino", (json_int_t)r->ino);
	else
		return;
	if (obj != NULL)
		json_object_set_new(o, "object", obj);
}

static void
audit_fields(json_t *o, const struct audit_rec *r)
{
	char	buf[32];

	if (r->handle != 0) {
		snprintf(buf, sizeof buf, "0x%016" PRIx64, r->handle);
		json_object_set_new(o, "handle", json_string(buf));
	}
	audit_object(o, r);
	if (r->has_creator)
		json_object_set_new(o, "creator", audit_who(r->cpid, r->cuid));
	if (r->has_recipient)
		json_object_set_new(o, "recipient",
		    audit_who(r->rpid, r->ruid));
	if (r->access != -1)
		json_object_set_new(o, "access",
		    json_string(policy_access_str(r->access)));
	if (r->enforcement != -1)
		json_object_set_new(o, "enforcement", json_string(
		    r->enforcement == QSHM_ENF_KERNEL ? "kernel" : "advisory"));
	if (r->reason != -1)
		json_object_set_new(o, "reason",
		    json_string(qshm_reason_str((unsigned)r->reason)));
	if (r->state != NULL)
		json_object_set_new(o, "state", json_string(r->state));
	if (r->err != 0) {
		json_object_set_new(o, "errno", json_integer(r->err));
		json_object_set_new(o, "error", json_string(strerror(r->err)));
	}
	if (r->detail != NULL)
		json_object_set_new(o, "detail", json_string(r->detail));
}

/* Write len bytes at once or not at all (as far as it can tell). */
static int
audit_put(const char *buf, size_t len)
{
	struct pollfd	pfd = { .fd = audit_fd, .events = POLLOUT };
	ssize_t		n;

	if (audit_sock)
		n = send(audit_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	else if (audit_poll && (poll(&pfd, 1, 0) != 1 ||
	    !(pfd.revents & POLLOUT)))
		n = -1;
	else
		n = write(audit_fd, buf, len);
	if (n == (ssize_t)len)
		return (0);
	if (n > 0)
		audit_torn = 1;
	return (-1);
}

/* o as one line (o is released); 0, or -1 if it did not go out whole. */
static int
audit_put_json(json_t *o)
{
	char	*line;
	size_t	 len;
	int	 rc;

	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (line == NULL)
		return (-1);
	len = strlen(line);
	line[len] = '\n';	/* over the NUL: one write per line */
	rc = audit_put(line, len + 1);
	free(line);
	return (rc);
}

/* End a torn line, and say how many were lost; 0 or -1. */
static int
audit_catch_up(void)
{
	json_t	*o;
	char	 t[48];

	if (audit_torn) {
		if (audit_put("\n", 1) == -1)
			return (-1);
		audit_torn = 0;
	}
	if (audit_dropped == 0)
		return (0);
	audit_time(t, sizeof t);
	o = json_pack("{s:s,s:s,s:I}", "time", t, "event", "dropped",
	    "count", (json_int_t)audit_dropped);
	if (o == NULL || audit_put_json(o) == -1)
		return (-1);
	audit_dropped = 0;
	return (0);
}

/* Write one event; one that does not go out is counted. */
void
audit_log(const struct audit_rec *r)
{
	json_t	*o;
	char	 t[48];

	if (audit_fd == -1)
		return;
	audit_time(t, sizeof t);
	if ((o = json_pack("{s:s,s:s}", "time", t, "event", r->event)) == NULL)
		return;
	audit_fields(o, r);
	if (audit_catch_up() == -1) {
		json_decref(o);
		audit_dropped++;
	} else if (audit_put_json(o) == -1)
		audit_dropped++;
}

/* Log event for h with errno err (0: none). */
void
audit_handle(const char *event, const struct handle *h, int err)
{
	struct audit_rec	r;

	if (audit_fd == -1)
		return;
	audit_rec_init(&r, event);
	audit_rec_handle(&r, h);
	r.err = err;
	audit_log(&r);
}
