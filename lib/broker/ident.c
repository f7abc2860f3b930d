/*
 * ident.c: identity keys and credentials of processes.  A bare pid is
 * never trusted: every key is taken from a pidfd, and everything read from
 * /proc/PID is checked afterwards against the same pidfd, since a pid can
 * only be reused after its process has exited (and the pidfd then reads
 * as ready).
 *
 * Without pidfd_open() (kernels before 5.3, or valgrind 3.19, which does
 * not know the syscall) a process is held by a /proc/PID directory fd
 * instead: it too stays bound to its process, never to a later one with
 * the same pid, and files opened through it fail once that process is
 * gone.  Keys are then always the /proc start-time fallback.
 */

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ident.h"

/* /proc/PID/status with 65536 groups is about 720 KB. */
#define IDENT_STATUS_MAX	(2U * 1024 * 1024)
#define IDENT_MAX_GROUPS	65536

/* PIDFD_GET_INFO (Linux 6.13): its first layout, which any later takes. */
struct ident_pidfd_info {
	uint64_t	mask;
	uint64_t	cgroupid;
	uint32_t	pid, tgid, ppid;
	uint32_t	ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	uint32_t	spare0[1];
};
#define IDENT_PIDFD_INFO_CREDS	(1ULL << 1)
#define IDENT_PIDFD_GET_INFO	_IOWR(0xFF, 11, struct ident_pidfd_info)

static bool	ident_on_pidfs;
static bool	ident_no_pidfd;		/* hold /proc/PID directories */
static bool	ident_no_info;		/* no PIDFD_GET_INFO */

/* A /proc/PID directory fd, standing in for a pidfd; -1 and errno. */
static int
ident_procdir_open(pid_t pid)
{
	char	path[64];
	int	fd;

	if (pid <= 0) {
		errno = ESRCH;
		return (-1);
	}
	snprintf(path, sizeof path, "/proc/%ld", (long)pid);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT)
		errno = ESRCH;
	return (fd);
}

/* pidfd_open(pid); -1 and errno on failure. */
int
ident_pidfd_open(pid_t pid)
{
	long	fd;

	if (ident_no_pidfd)
		return (ident_procdir_open(pid));
	fd = syscall(SYS_pidfd_open, pid, 0);
	return (fd < 0 ? -1 : (int)fd);
}

/* Whether processes are held by pidfds (else by /proc/PID directories). */
bool
ident_has_pidfd(void)
{
	return (!ident_no_pidfd);
}

/*
 * Whether keys are pidfs inodes (never reused), not /proc start times: a
 * process given a dead one's pid within the same clock tick (10 ms) has
 * the dead one's start-time key.
 */
bool
ident_keys_unique(void)
{
	return (ident_on_pidfs);
}

/* The inode of pid's pidfd, or 0. */
static uint64_t
ident_pidfd_ino(pid_t pid)
{
	struct stat	st;
	int		fd;
	uint64_t	ino = 0;

	if ((fd = ident_pidfd_open(pid)) == -1)
		return (0);
	if (fstat(fd, &st) == 0)
		ino = st.st_ino;
	close(fd);
	return (ino);
}

/* Find out once whether pidfds live on pidfs; returns errno. */
int
ident_init(void)
{
	uint64_t	self, other;
	pid_t		ppid = getppid();

	ident_no_pidfd = false;
	errno = 0;
	if ((self = ident_pidfd_ino(getpid())) == 0) {
		if (errno != ENOSYS && errno != EPERM)
			return (errno != 0 ? errno : ENOSYS);
		/* No pidfds here (or a sandbox forbids them): use /proc. */
		ident_no_pidfd = true;
		ident_on_pidfs = false;
		return (0);
	}
	/* Without pidfs every pidfd shares one anonymous inode. */
	other = ident_pidfd_ino(ppid > 0 ? ppid : 1);
	ident_on_pidfs = other != 0 && other != self;
	return (0);
}

static bool	ident_procdir_alive(int);

/* Whether the process behind a pidfd has not exited (zombies have). */
bool
ident_alive(int pidfd)
{
	struct pollfd	pfd = { .fd = pidfd, .events = POLLIN };
	struct stat	st;

	if (ident_no_pidfd && fstat(pidfd, &st) == 0 && S_ISDIR(st.st_mode))
		return (ident_procdir_alive(pidfd));
	return (poll(&pfd, 1, 0) == 0);
}

/* Read a small /proc file (at dirfd) into buf (NUL-terminated); errno. */
static int
ident_read_file(int dirfd, const char *path, char **bufp, size_t max)
{
	char	*buf = NULL, *nbuf;
	size_t	 size = 4096, len = 0;
	ssize_t	 n;
	int	 fd, error = 0;

	if ((fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC)) == -1)
		return (errno == ENOENT ? ESRCH : errno);
	for (;;) {
		if ((nbuf = realloc(buf, size + 1)) == NULL) {
			error = ENOMEM;
			break;
		}
		buf = nbuf;
		if ((n = read(fd, buf + len, size - len)) <= 0) {
			error = n == 0 ? 0 : (errno == ESRCH ? ESRCH : errno);
			break;
		}
		len += (size_t)n;
		if (len == size && (size *= 2) > max) {
			error = EOVERFLOW;
			break;
		}
	}
	close(fd);
	if (error != 0) {
		free(buf);
		return (error);
	}
	buf[len] = '\0';
	*bufp = buf;
	return (0);
}

/* Field 22 (start time) of a /proc/PID/stat text; returns errno. */
int
ident_parse_starttime(const char *text, uint64_t *start)
{
	const char		*p;
	char			*end;
	unsigned long long	 v;
	int			 field;

	/* The command name may hold spaces and ')': skip to the last ')'. */
	if ((p = strrchr(text, ')')) == NULL)
		return (EINVAL);
	p++;
	/* Field 3 starts after ") "; field 22 is 19 fields further. */
	for (field = 2; field < 21; field++) {
		if ((p = strchr(p + 1, ' ')) == NULL)
			return (EINVAL);
	}
	if (!isdigit((unsigned char)p[1]))
		return (EINVAL);
	errno = 0;
	v = strtoull(p + 1, &end, 10);
	if (errno != 0 || (*end != ' ' && *end != '\0' && *end != '\n'))
		return (EINVAL);
	*start = v;
	return (0);
}

/* A /proc/PID directory's process is alive: stat readable, not Z or X. */
static bool
ident_procdir_alive(int dirfd)
{
	const char	*p;
	char		*text;
	bool		 alive;
	int		 error;

	/* Out of fds or memory says nothing about the process. */
	if ((error = ident_read_file(dirfd, "stat", &text, 64 * 1024)) != 0)
		return (error != ESRCH && error != ENOENT);
	alive = (p = strrchr(text, ')')) != NULL && p[1] == ' ' &&
	    p[2] != '\0' && strchr("ZXx", p[2]) == NULL;
	free(text);
	return (alive);
}

/* The identity key of pidfd's process (pid is its number); errno. */
int
ident_key(int pidfd, pid_t pid, uint64_t *key)
{
	struct stat	 st;
	char		 path[64], *text;
	uint64_t	 start;
	int		 error;

	if (ident_on_pidfs) {
		if (fstat(pidfd, &st) == -1)
			return (errno);
		*key = st.st_ino;
		return (0);
	}
	if (pid <= 0)
		return (ESRCH);
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((error = ident_read_file(AT_FDCWD, path, &text, 64 * 1024)) != 0)
		return (error);
	error = ident_parse_starttime(text, &start);
	free(text);
	if (error != 0)
		return (error);
	if (!ident_alive(pidfd))
		return (ESRCH);
	*key = (start << 22) | ((uint64_t)pid & ((1U << 22) - 1));
	return (0);
}

/* Parse "Tag:\tn\tn\tn\tn" into four ids; returns errno. */
static int
ident_parse_ids(const char *line, uint32_t ids[4])
{
	char			*end;
	unsigned long long	 v;
	int			 i;

	for (i = 0; i < 4; i++) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (!isdigit((unsigned char)*line))
			return (EINVAL);
		errno = 0;
		v = strtoull(line, &end, 10);
		if (errno != 0 || v > UINT32_MAX)
			return (EINVAL);
		ids[i] = (uint32_t)v;
		line = end;
	}
	return (0);
}

static int
ident_parse_groups(const char *line, struct ident_creds *c)
{
	char			*end;
	unsigned long long	 v;

	for (;;) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (!isdigit((unsigned char)*line))
			return (0);
		errno = 0;
		v = strtoull(line, &end, 10);
		if (errno != 0 || v > UINT32_MAX)
			return (EINVAL);
		if (c->ngroups % 64 == 0) {
			gid_t	*n;

			if (c->ngroups >= IDENT_MAX_GROUPS)
				return (EINVAL);
			n = reallocarray(c->groups, c->ngroups + 64, sizeof *n);
			if (n == NULL)
				return (ENOMEM);
			c->groups = n;
		}
		c->groups[c->ngroups++] = (gid_t)v;
		line = end;
	}
}

/* Parse the text of /proc/PID/status into creds; returns errno. */
int
ident_parse_status(const char *text, struct ident_creds *c)
{
	const char	*p;
	int		 error, seen = 0;

	memset(c, 0, sizeof *c);
	/* The kernel writes each once, early: stop after the three. */
	for (p = text; p != NULL && *p != '\0' && seen != 7;
	    p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		error = 0;
		if (strncmp(p, "Uid:", 4) == 0) {
			error = ident_parse_ids(p + 4, c->uid);
			seen |= 1;
		} else if (strncmp(p, "Gid:", 4) == 0) {
			error = ident_parse_ids(p + 4, c->gid);
			seen |= 2;
		} else if (strncmp(p, "Groups:", 7) == 0 && c->ngroups == 0) {
			error = ident_parse_groups(p + 7, c);
			seen |= 4;
		}
		if (error != 0) {
			ident_creds_free(c);
			return (error);
		}
	}
	if ((seen & 3) != 3) {
		ident_creds_free(c);
		return (EINVAL);
	}
	return (0);
}

/* Read pid's credentials while pidfd shows it alive; returns errno. */
int
ident_creds(int pidfd, pid_t pid, struct ident_creds *c)
{
	char	 path[64], *text;
	int	 error;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	error = ident_read_file(AT_FDCWD, path, &text, IDENT_STATUS_MAX);
	if (error != 0)
		return (error);
	error = ident_parse_status(text, c);
	free(text);
	if (error == 0 && !ident_alive(pidfd)) {
		ident_creds_free(c);
		error = ESRCH;
	}
	return (error);
}

/*
 * pid's ids, but not its supplementary groups (ngroups is 0): asked of
 * the pidfd itself (one ioctl, bound to the process, so no pid can be
 * misread), else read as ident_creds() does.  Returns errno.
 */
int
ident_creds_ids(int pidfd, pid_t pid, struct ident_creds *c)
{
	struct ident_pidfd_info	i;

	if (ident_no_pidfd || ident_no_info)
		return (ident_creds(pidfd, pid, c));
	memset(&i, 0, sizeof i);
	i.mask = IDENT_PIDFD_INFO_CREDS;
	if (ioctl(pidfd, IDENT_PIDFD_GET_INFO, &i) == -1 ||
	    !(i.mask & IDENT_PIDFD_INFO_CREDS)) {
		/* Older kernels; any other failure: /proc tells why. */
		if (errno == ENOTTY || errno == EINVAL)
			ident_no_info = true;
		return (ident_creds(pidfd, pid, c));
	}
	memset(c, 0, sizeof *c);
	c->uid[0] = i.ruid;
	c->uid[1] = i.euid;
	c->uid[2] = i.suid;
	c->uid[3] = i.fsuid;
	c->gid[0] = i.rgid;
	c->gid[1] = i.egid;
	c->gid[2] = i.sgid;
	c->gid[3] = i.fsgid;
	return (0);
}

/* Free what ident_creds() allocated. */
void
ident_creds_free(struct ident_creds *c)
{
	free(c->groups);
	c->groups = NULL;
	c->ngroups = 0;
}

/*
 * Capabilities, for policy.c.  CapPrm, not CapEff: a process may make any
 * permitted capability effective whenever it likes.  A capability held in
 * a user namespace below the initial one reaches an inode only if the
 * inode's uid and gid are mapped in it (capable_wrt_inode_uidgid() in the
 * kernel), and none of the kernel's own.  Which namespace a process is in
 * is read from its uid_map, which anyone may read: from the initial
 * namespace, a map other than the initial one's is a namespace below it,
 * and its outer ids are the ids stat() shows us.  A broker that is not in
 * the initial namespace proves nothing this way: every capability counts.
 */

/* The inode number of the initial user namespace (PROC_USER_INIT_INO). */
#define IDENT_INIT_USERNS_INO	0xEFFFFFFDULL

/* The CapPrm field of a /proc/PID/status text; returns errno. */
int
ident_parse_caps(const char *text, uint64_t *permitted)
{
	const char		*p;
	char			*end;
	unsigned long long	 v;

	for (p = text; p != NULL; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, "CapPrm:", 7) != 0)
			continue;
		for (p += 7; *p == ' ' || *p == '\t'; p++)
			;
		if (!isxdigit((unsigned char)*p))
			return (EINVAL);
		errno = 0;
		v = strtoull(p, &end, 16);
		if (errno != 0 || (*end != '\n' && *end != '\0'))
			return (EINVAL);
		*permitted = v;
		return (0);
	}
	return (EINVAL);
}

/* The next "inner outer count" line of a map into e; 1, 0 at the end, -1. */
static int
ident_map_next(const char **pp, uint32_t e[3])
{
	const char		*p = *pp;
	char			*end;
	unsigned long long	 v;
	int			 i;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p == '\0')
		return (0);
	for (i = 0; i < 3; i++) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!isdigit((unsigned char)*p))
			return (-1);
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno != 0 || v > UINT32_MAX)
			return (-1);
		e[i] = (uint32_t)v;
		p = end;
	}
	if (*p != '\n' && *p != '\0')
		return (-1);
	*pp = p;
	return (1);
}

/* Whether a uid_map or gid_map text maps id (our side); errno. */
int
ident_parse_map(const char *text, uint32_t id, bool *mapped)
{
	uint32_t	e[3];
	int		rv;

	*mapped = false;
	while ((rv = ident_map_next(&text, e)) == 1) {
		/* An outer id we cannot see proves nothing. */
		if (e[1] == UINT32_MAX)
			return (EINVAL);
		if (id >= e[1] && (uint64_t)id < (uint64_t)e[1] + e[2])
			*mapped = true;
	}
	return (rv == 0 ? 0 : EINVAL);
}

/* Whether a uid_map or gid_map text is the initial one (all, as is). */
bool
ident_map_is_initial(const char *text)
{
	uint32_t	e[3];

	return (ident_map_next(&text, e) == 1 && e[0] == 0 && e[1] == 0 &&
	    e[2] == UINT32_MAX && ident_map_next(&text, e) == 0);
}

/* Whether this process is in the initial user namespace. */
static bool
ident_self_initial_ns(void)
{
	static int	known = -1;
	struct stat	st;

	if (known == -1)
		known = stat("/proc/self/ns/user", &st) == 0 &&
		    st.st_ino == IDENT_INIT_USERNS_INO;
	return (known == 1);
}

/* Read pid's map (uid_map, gid_map); *mapped, *initial; errno. */
static int
ident_map_read(pid_t pid, const char *map, uint32_t id, bool *mapped,
    bool *initial)
{
	char	path[64], *text;
	int	error;

	snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid, map);
	if ((error = ident_read_file(AT_FDCWD, path, &text, 64 * 1024)) != 0)
		return (error);
	*initial = ident_map_is_initial(text);
	error = ident_parse_map(text, id, mapped);
	free(text);
	return (error);
}

/* What a namespace below ours proves out of reach; unreadable: nothing. */
static void
ident_caps_ns(pid_t pid, uid_t uid, gid_t gid, struct ident_caps *c)
{
	bool	in, initial;

	if (!ident_self_initial_ns() ||
	    ident_map_read(pid, "uid_map", uid, &in, &initial) != 0 || initial)
		return;
	c->child_ns = true;
	c->uid_unmapped = !in;
	if (ident_map_read(pid, "gid_map", gid, &in, &initial) == 0)
		c->gid_unmapped = !in;
}

/* pid's capabilities, and whether they reach an inode of uid and gid. */
int
ident_caps(int pidfd, pid_t pid, uid_t uid, gid_t gid, struct ident_caps *c)
{
	char	path[64], *text;
	int	error;

	memset(c, 0, sizeof *c);
	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	error = ident_read_file(AT_FDCWD, path, &text, IDENT_STATUS_MAX);
	if (error != 0)
		return (error);
	error = ident_parse_caps(text, &c->permitted);
	free(text);
	if (error == 0 && c->permitted != 0)
		ident_caps_ns(pid, uid, gid, c);
	/* All of it was read while the pidfd's process was alive. */
	if (error == 0 && !ident_alive(pidfd))
		error = ESRCH;
	return (error);
}
