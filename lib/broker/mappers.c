/*
 * mappers.c: who maps an object, for a revoke (see mappers.h).
 *
 * One scan reads /proc/PID/stat of every process (its parent, start time
 * and owner), classes each by the first process on its parent chain that
 * the revoke knows: a target (the process descends from one), a holder
 * (it is theirs), or none.  Only a target's descendants and, when the
 * caller names uids, the unaccounted processes of those uids have their
 * maps read.  The work is bounded: MAPPERS_MAX_PROCS processes and
 * MAPPERS_MAX_BYTES of maps per scan, so a process with huge maps (65530
 * mappings with long names make hundreds of megabytes) costs a revoke of
 * its own kind 16 MiB and is reported as unchecked, never killed: the
 * broker kills only what it saw map the object.  A hit is told with a
 * pidfd opened before its stat and maps were read again and found alive
 * after, so the maps are that process's and a signal cannot go to
 * another that took its pid.  A descendant's mapping at a place where
 * the target it descends from, having acknowledged, still maps the
 * object is a copy of an older mapping (mappers.h), and does not count.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ident.h"
#include "mappers.h"
#include "procmaps.h"

enum mappers_mark {
	MAPPERS_UNKNOWN = 0,
	MAPPERS_VISITING,
	MAPPERS_REACHED,	/* a target's descendant (or a target) */
	MAPPERS_HELD,		/* a holder's, or a holder */
	MAPPERS_NONE		/* no one the revoke knows */
};

enum mappers_maps {
	MAPPERS_MAPS_NO,
	MAPPERS_MAPS_YES,
	MAPPERS_MAPS_UNREAD
};

struct mappers_proc {
	pid_t		pid;
	pid_t		ppid;
	uid_t		uid;
	pid_t		via;
	uint64_t	start;
	uint8_t		mark;
};

/* The places an acknowledged target still maps the object: older ones. */
struct mappers_old {
	pid_t		 via;
	uint64_t	*ranges;	/* start, end pairs */
	size_t		 n;
};

struct mappers_run {
	const struct mappers_query	*q;
	struct mappers_old		 old;	/* of the last via asked */
	struct mappers_proc		*procs;	/* sorted by pid */
	size_t				 n;
	size_t				 bytes;	/* of maps read */
	long				 unchecked;
	bool				 truncated; /* more than the bound */
};

static int
mappers_cmp_pid(const void *a, const void *b)
{
	pid_t	x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x < y ? -1 : x > y);
}

static bool
mappers_in(const pid_t *set, size_t n, pid_t pid)
{
	return (n != 0 && bsearch(&pid, set, n, sizeof *set,
	    mappers_cmp_pid) != NULL);
}

static bool
mappers_uid_in(const uid_t *set, size_t n, uid_t uid)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (set[i] == uid)
			return (true);
	return (false);
}

/* Read the start of /proc/pid/name into buf; its owner too; errno. */
static int
mappers_read(pid_t pid, const char *name, char *buf, size_t size,
    uid_t *owner)
{
	struct stat	st;
	char		path[64];
	ssize_t		n;
	int		fd, error = 0;

	snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (errno);
	if (owner != NULL && fstat(fd, &st) == 0)
		*owner = st.st_uid;
	while ((n = read(fd, buf, size - 1)) == -1 && errno == EINTR)
		;
	if (n <= 0)
		error = n == 0 ? ESRCH : errno;
	else
		buf[n] = '\0';
	close(fd);
	return (error);
}

/* Parent and start time of a /proc/PID/stat text; errno. */
static int
mappers_parse_stat(const char *text, pid_t *ppid, uint64_t *start)
{
	const char	*p = strrchr(text, ')');
	char		*end;
	long		 v;

	/* ") S PPID ...": the name before may hold anything. */
	if (p == NULL || p[1] != ' ' || p[2] == '\0' || p[3] != ' ')
		return (EINVAL);
	errno = 0;
	v = strtol(p + 4, &end, 10);
	if (errno != 0 || end == p + 4 || *end != ' ' || v < 0)
		return (EINVAL);
	*ppid = (pid_t)v;
	return (ident_parse_starttime(text, start));
}

/* The process pid as its stat shows it now; errno. */
static int
mappers_stat(pid_t pid, struct mappers_proc *mp)
{
	char	buf[1024];
	int	error;

	memset(mp, 0, sizeof *mp);
	mp->pid = pid;
	mp->via = -1;
	if ((error = mappers_read(pid, "stat", buf, sizeof buf,
	    &mp->uid)) != 0)
		return (error);
	return (mappers_parse_stat(buf, &mp->ppid, &mp->start));
}

/* Every process /proc lists, up to the bound, sorted by pid; errno. */
static int
mappers_snapshot(struct mappers_run *r)
{
	struct mappers_proc	*np;
	struct dirent		*d;
	DIR			*dir;
	size_t			 cap = 0;
	pid_t			 self = getpid();
	long			 pid;

	if ((dir = opendir("/proc")) == NULL)
		return (errno);
	while ((d = readdir(dir)) != NULL) {
		if (r->n == MAPPERS_MAX_PROCS) {
			r->truncated = true;
			break;
		}
		if (!isdigit((unsigned char)d->d_name[0]) ||
		    (pid = strtol(d->d_name, NULL, 10)) <= 0 || pid == self)
			continue;
		if (r->n == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			np = reallocarray(r->procs, cap, sizeof *np);
			if (np == NULL) {
				r->truncated = true;	/* not looked at */
				break;
			}
			r->procs = np;
		}
		if (mappers_stat((pid_t)pid, &r->procs[r->n]) == 0)
			r->n++;
	}
	closedir(dir);
	if (r->n != 0)
		qsort(r->procs, r->n, sizeof *r->procs, mappers_cmp_pid);
	return (0);
}

static struct mappers_proc *
mappers_lookup(const struct mappers_run *r, pid_t pid)
{
	return (r->n == 0 ? NULL : bsearch(&pid, r->procs, r->n,
	    sizeof *r->procs, mappers_cmp_pid));
}

/* What the revoke knows mp as, if anything; MAPPERS_UNKNOWN if not. */
static uint8_t
mappers_known(const struct mappers_run *r, struct mappers_proc *mp)
{
	if (mappers_in(r->q->targets, r->q->ntargets, mp->pid)) {
		mp->via = mp->pid;
		return (MAPPERS_REACHED);
	}
	if (mappers_in(r->q->holders, r->q->nholders, mp->pid))
		return (MAPPERS_HELD);
	return (MAPPERS_UNKNOWN);
}

/* Class mp by the first process its parent chain meets that is known. */
static void
mappers_class(struct mappers_run *r, struct mappers_proc *mp)
{
	struct mappers_proc	*cur = mp, *up, *next;
	uint8_t			 mark = MAPPERS_NONE;
	pid_t			 via = -1;

	/* Up: mark the path visiting until a known or classed process. */
	while (cur != NULL && cur->mark == MAPPERS_UNKNOWN) {
		if ((cur->mark = mappers_known(r, cur)) != MAPPERS_UNKNOWN)
			break;
		cur->mark = MAPPERS_VISITING;
		cur = cur->ppid == cur->pid ? NULL : mappers_lookup(r,
		    cur->ppid);
	}
	/* A loop (pids reused while /proc was read) meets nobody. */
	if (cur != NULL && cur->mark != MAPPERS_VISITING) {
		mark = cur->mark;
		via = cur->via;
	}
	/* From mp again: the path takes what its top met. */
	for (up = mp; up != NULL && up->mark == MAPPERS_VISITING; up = next) {
		up->mark = mark;
		up->via = via;
		next = up->ppid == up->pid ? NULL : mappers_lookup(r,
		    up->ppid);
	}
}

/*
 * /proc shows a process that is not dumpable (one that changed uid, for
 * one) as root's: its real uid from its status, if that is one of uids.
 */
static bool
mappers_real_uid_in(const struct mappers_run *r, struct mappers_proc *mp)
{
	char		 buf[4096], *p, *end;
	unsigned long	 v;

	if (mappers_read(mp->pid, "status", buf, sizeof buf, NULL) != 0 ||
	    (p = strstr(buf, "\nUid:\t")) == NULL)
		return (false);
	errno = 0;
	v = strtoul(p + 6, &end, 10);
	if (errno != 0 || end == p + 6 ||
	    !mappers_uid_in(r->q->uids, r->q->nuids, (uid_t)v))
		return (false);
	mp->uid = (uid_t)v;
	return (true);
}

/* Whether the revoke must look at mp's maps. */
static bool
mappers_candidate(const struct mappers_run *r, struct mappers_proc *mp)
{
	if (mp->mark == MAPPERS_REACHED)
		return (mp->via != mp->pid);	/* a target has its watcher */
	if (mp->mark != MAPPERS_NONE || r->q->nuids == 0)
		return (false);
	if (mappers_uid_in(r->q->uids, r->q->nuids, mp->uid))
		return (true);
	return (mp->uid == 0 && mappers_real_uid_in(r, mp));
}

/* Whether [start, end) is one of the older places in o. */
static bool
mappers_is_old(const struct mappers_old *o, uint64_t start, uint64_t end)
{
	size_t	i;

	for (i = 0; i < o->n; i++)
		if (o->ranges[2 * i] == start && o->ranges[2 * i + 1] == end)
			return (true);
	return (false);
}

/*
 * Read pid's maps, within the scan's bound, calling fn on each line that
 * maps the object until it says stop (true); NO, YES (stopped) or UNREAD.
 */
static enum mappers_maps
mappers_maps_each(struct mappers_run *r, pid_t pid,
    bool (*fn)(struct mappers_run *, const struct procmaps_line *))
{
	struct procmaps_line	 l;
	enum mappers_maps	 found = MAPPERS_MAPS_NO;
	char			 path[64], *line = NULL;
	size_t			 size = 0;
	ssize_t			 n;
	FILE			*fp;

	snprintf(path, sizeof path, "/proc/%ld/maps", (long)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return (errno == ENOENT || errno == ESRCH ? MAPPERS_MAPS_NO :
		    MAPPERS_MAPS_UNREAD);
	for (;;) {
		if (r->bytes >= MAPPERS_MAX_BYTES) {
			found = MAPPERS_MAPS_UNREAD;
			break;
		}
		if ((n = getline(&line, &size, fp)) == -1) {
			if (ferror(fp) && errno != ESRCH)
				found = MAPPERS_MAPS_UNREAD;
			break;
		}
		r->bytes += (size_t)n;
		if (procmaps_parse(line, &l) == 0 && l.ino == r->q->ino &&
		    l.dev == r->q->dev && fn(r, &l)) {
			found = MAPPERS_MAPS_YES;
			break;
		}
	}
	free(line);
	fclose(fp);
	return (found);
}

/* A mapping that is not a copy of an older one: stop, it counts. */
static bool
mappers_new_map(struct mappers_run *r, const struct procmaps_line *l)
{
	return (!mappers_is_old(&r->old, l->start, l->end));
}

/* Note an older place (out of memory: fewer noted, more counted). */
static bool
mappers_note_old(struct mappers_run *r, const struct procmaps_line *l)
{
	uint64_t	*nr;

	if ((nr = reallocarray(r->old.ranges, 2 * (r->old.n + 1),
	    sizeof *nr)) != NULL) {
		r->old.ranges = nr;
		nr[2 * r->old.n] = l->start;
		nr[2 * r->old.n++ + 1] = l->end;
	}
	return (false);
}

/* The older places of via, if it acknowledged (else none), in r->old. */
static void
mappers_old_of(struct mappers_run *r, pid_t via)
{
	if (r->old.via == via && via != -1)
		return;
	r->old.n = 0;
	r->old.via = via;
	if (via != -1 && mappers_in(r->q->acked, r->q->nacked, via))
		(void)mappers_maps_each(r, via, mappers_note_old);
}

/* Whether mp's maps show the object, but for copies of older mappings. */
static enum mappers_maps
mappers_maps(struct mappers_run *r, const struct mappers_proc *mp)
{
	mappers_old_of(r, mp->via);
	return (mappers_maps_each(r, mp->pid, mappers_new_map));
}

/* Tell of a process that could not be read, while the bound allows. */
static void
mappers_unchecked(struct mappers_run *r, const struct mappers_proc *mp)
{
	struct mappers_hit	h = { mp->pid, mp->uid, mp->via, -1, false };

	if (r->unchecked++ < MAPPERS_MAX_UNCHECKED)
		r->q->found(&h, r->q->arg);
}

/* Look at one candidate: still the process classed, and mapping it? */
static void
mappers_check(struct mappers_run *r, const struct mappers_proc *mp)
{
	struct mappers_proc	now;
	struct mappers_hit	h = { mp->pid, mp->uid, mp->via, -1, true };
	enum mappers_maps	m;

	if ((h.pidfd = ident_pidfd_open(mp->pid)) == -1)
		return;
	if (mappers_stat(mp->pid, &now) != 0 || now.start != mp->start)
		goto done;
	m = mappers_maps(r, mp);
	if (!ident_alive(h.pidfd))
		goto done;
	if (m == MAPPERS_MAPS_UNREAD)
		mappers_unchecked(r, mp);
	else if (m == MAPPERS_MAPS_YES)
		r->q->found(&h, r->q->arg);
done:
	close(h.pidfd);
}

/* See mappers.h. */
long
mappers_scan(const struct mappers_query *q)
{
	struct mappers_run	r;
	size_t			i;
	int			error;

	memset(&r, 0, sizeof r);
	r.q = q;
	r.old.via = -1;
	if ((error = mappers_snapshot(&r)) != 0) {
		errno = error;
		return (-1);
	}
	for (i = 0; i < r.n; i++)
		if (r.procs[i].mark == MAPPERS_UNKNOWN)
			mappers_class(&r, &r.procs[i]);
	for (i = 0; i < r.n; i++)
		if (mappers_candidate(&r, &r.procs[i]))
			mappers_check(&r, &r.procs[i]);
	free(r.procs);
	free(r.old.ranges);
	/* Those past the bound were not even looked at: one more. */
	return (r.unchecked + r.truncated);
}
