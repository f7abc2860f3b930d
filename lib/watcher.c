/*
 * watcher.c: the recipient side of revocation.
 *
 * The watcher is a thread with its own connection to the broker (the
 * main one carries one request at a time, and a revoke must get through
 * while the process waits on another call).  It registers with
 * PROTO_WATCH, then answers each PROTO_NOTICE: under the map lock it
 * bumps the revoke generation, finds the object's mappings in
 * /proc/self/maps by device and inode, maps inaccessible anonymous
 * memory over each (MAP_FIXED, PROT_NONE: the next access raises
 * SIGSEGV) and replies with how many it replaced.
 *
 * A notice is obeyed only for an object this process holds as revocable
 * (received from the broker with SHMCTL_REVOCABLE, or made so with
 * shm_ctl()): one naming any other device and inode, the program's own
 * executable or a file it maps for itself, blanks nothing and counts 0.
 * Objects no longer mapped or open are forgotten when the record fills;
 * if it is full of live ones, every notice is obeyed again.
 *
 * As on QNX, a revoke reaches only mappings made after the object became
 * revocable: when the process first holds an object as revocable, the
 * mappings of it that it has then are noted as older, and notices, like
 * the fork handler, pass them by.  (A mapping later made at exactly the
 * place of an older one that was unmapped passes for it; only a process's
 * own library tells old from new, so this is no boundary against a
 * recipient, which the broker's deadline is for.)
 *
 * A mapping made by mmap_handle() is made under the same lock and checked
 * against the generation, so a revoke that overtakes it still reaches it:
 * a notice for an object not held yet is remembered (a few, the latest)
 * and applies to a mapping of it whose request began before the notice.
 * Mappings of the revocable objects the process holds get MADV_DONTFORK:
 * mmap_handle()'s at once, plain mmap()s of their fds in the fork prepare
 * handler, so a child never inherits them.  The thread does not exist in
 * a child; the child handler forgets it and a later call starts one.
 */

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "watcher.h"

#define WATCHER_OBJS_MAX	4096	/* revocable objects remembered */
#define WATCHER_EARLY_MAX	16	/* early notices remembered */
#define WATCHER_MAPS_CHUNK	8192

/* A mapping, as /proc/self/maps gives it. */
struct watcher_map {
	uintptr_t	start;
	uintptr_t	end;
	uint64_t	dev;
	uint64_t	ino;
};

/* A mapping older than the object's revocability here: never revoked. */
struct watcher_range {
	uintptr_t	start;
	uintptr_t	end;
};

/* A revocable object this process holds. */
struct watcher_obj {
	uint64_t		 dev;
	uint64_t		 ino;
	uint64_t		 revoked_gen;	/* of its last revoke, or 0 */
	bool			 live;		/* watcher_prune()'s mark */
	struct watcher_range	*old;		/* its older mappings */
	size_t			 nold;
};

/* A notice for an object not held (yet): a reply may be on its way. */
struct watcher_early {
	uint64_t	dev;
	uint64_t	ino;
	uint64_t	gen;		/* of the notice; 0: a free slot */
};

struct watcher {
	pthread_mutex_t		 map;	/* mappings vs revokes */
	pthread_mutex_t		 lock;	/* the thread and its socket */
	int			 fd;	/* the watcher connection, or -1 */
	pid_t			 pid;	/* who started it */
	uint64_t		 gen;	/* revokes done, under map */
	struct watcher_obj	*objs;	/* under map */
	size_t			 nobjs;
	bool			 full;	/* some held object is not in objs */
	struct watcher_early	 early[WATCHER_EARLY_MAX]; /* under map */
	size_t			 early_next;	/* the slot to overwrite */
};

static void	watcher_prune(void);
static void	watcher_note_old(struct watcher_obj *, const void *, size_t);

static struct watcher	watcher = {
	.map = PTHREAD_MUTEX_INITIALIZER,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.fd = -1
};

/* The revoke generation now; take it before asking for a mapping. */
uint64_t
watcher_gen(void)
{
	uint64_t	gen;

	pthread_mutex_lock(&watcher.map);
	gen = watcher.gen;
	pthread_mutex_unlock(&watcher.map);
	return (gen);
}

/* The entry of dev/ino, or NULL if this process does not hold it. */
static struct watcher_obj *
watcher_find(uint64_t dev, uint64_t ino)
{
	size_t	i;

	for (i = 0; i < watcher.nobjs; i++)
		if (watcher.objs[i].dev == dev && watcher.objs[i].ino == ino)
			return (&watcher.objs[i]);
	return (NULL);
}

/*
 * The entry of dev/ino, added if new, with the mappings it has now but
 * the one at [skip, skip + len) noted as older.  NULL if there is no room
 * even after pruning: then every notice is obeyed, as the object is not
 * here to be checked against.  Under map.
 */
static struct watcher_obj *
watcher_obj(uint64_t dev, uint64_t ino, const void *skip, size_t len)
{
	struct watcher_obj	*o;

	if ((o = watcher_find(dev, ino)) != NULL)
		return (o);
	if (watcher.nobjs == WATCHER_OBJS_MAX)
		watcher_prune();
	if (watcher.nobjs == WATCHER_OBJS_MAX ||
	    (o = reallocarray(watcher.objs, watcher.nobjs + 1,
	    sizeof *o)) == NULL) {
		watcher.full = true;
		return (NULL);
	}
	watcher.objs = o;
	o = &watcher.objs[watcher.nobjs++];
	memset(o, 0, sizeof *o);
	o->dev = dev;
	o->ino = ino;
	watcher_note_old(o, skip, len);
	return (o);
}

/* Remember a notice for an object not held, overwriting the oldest. */
static void
watcher_early_note(uint64_t dev, uint64_t ino, uint64_t gen)
{
	struct watcher_early	*e = &watcher.early[watcher.early_next];

	e->dev = dev;
	e->ino = ino;
	e->gen = gen;
	watcher.early_next = (watcher.early_next + 1) % WATCHER_EARLY_MAX;
}

/* The generation of the latest early notice for dev/ino, or 0. */
static uint64_t
watcher_early_gen(uint64_t dev, uint64_t ino)
{
	uint64_t	gen = 0;
	size_t		i;

	for (i = 0; i < WATCHER_EARLY_MAX; i++)
		if (watcher.early[i].gen > gen &&
		    watcher.early[i].dev == dev && watcher.early[i].ino == ino)
			gen = watcher.early[i].gen;
	return (gen);
}

/* Read all of /proc/self/maps into a NUL-ended buffer; NULL and errno. */
static char *
watcher_read_maps(void)
{
	char	*buf = NULL, *nb;
	size_t	 len = 0, cap = 0;
	ssize_t	 n;
	int	 fd, saved;

	if ((fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	for (;;) {
		if (cap - len < WATCHER_MAPS_CHUNK) {
			cap += WATCHER_MAPS_CHUNK * 4;
			if ((nb = realloc(buf, cap + 1)) == NULL)
				break;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0) {
				close(fd);
				buf[len] = '\0';
				return (buf);
			}
			break;
		}
		len += (size_t)n;
	}
	saved = errno;
	close(fd);
	free(buf);
	errno = saved;
	return (NULL);
}

/* One line of maps: its range and the device and inode it maps. */
static bool
watcher_parse(const char *line, struct watcher_map *m)
{
	unsigned	maj, min;

	if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %*s %*s %x:%x %" SCNu64,
	    &m->start, &m->end, &maj, &min, &m->ino) != 5 ||
	    m->end <= m->start)
		return (false);
	m->dev = makedev(maj, min);
	return (true);
}

/*
 * Call fn on every mapping in this process that match(m, arg) picks;
 * returns how many, or -1 and errno.
 */
static int
watcher_each(bool (*match)(const struct watcher_map *, void *), void *arg,
    int (*fn)(void *, size_t))
{
	struct watcher_map	 m;
	char			*buf, *line, *nl;
	int			 n = 0, saved;

	if ((buf = watcher_read_maps()) == NULL)
		return (-1);
	for (line = buf; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line) - 1;
		if (!watcher_parse(line, &m) || m.ino == 0 || !match(&m, arg))
			continue;
		if (fn((void *)m.start, m.end - m.start) == -1) {
			saved = errno;
			free(buf);
			errno = saved;
			return (-1);
		}
		n++;
	}
	free(buf);
	return (n);
}

/* Whether m is one of o's older mappings. */
static bool
watcher_is_old(const struct watcher_obj *o, const struct watcher_map *m)
{
	size_t	i;

	for (i = 0; i < o->nold; i++)
		if (o->old[i].start == m->start && o->old[i].end == m->end)
			return (true);
	return (false);
}

/* A mapping of the object arg, made since it became revocable here. */
static bool
watcher_match_one(const struct watcher_map *m, void *arg)
{
	const struct watcher_obj	*o = arg;

	return (o->dev == m->dev && o->ino == m->ino && !watcher_is_old(o, m));
}

static bool
watcher_match_held(const struct watcher_map *m, void *arg)
{
	struct watcher_obj	*o;

	(void)arg;
	return ((o = watcher_find(m->dev, m->ino)) != NULL &&
	    !watcher_is_old(o, m));
}

/* Mark the held objects mapped here; as a match, it matches none. */
static bool
watcher_match_mark(const struct watcher_map *m, void *arg)
{
	struct watcher_obj	*o;

	(void)arg;
	if ((o = watcher_find(m->dev, m->ino)) != NULL)
		o->live = true;
	return (false);
}

/* What watcher_note_old() is after. */
struct watcher_snap {
	struct watcher_obj	*obj;
	uintptr_t		 skip;		/* the new mapping, if any */
	uintptr_t		 skip_end;
};

/* Note m as older if it maps the object; as a match, it matches none. */
static bool
watcher_match_old(const struct watcher_map *m, void *arg)
{
	struct watcher_snap	*sn = arg;
	struct watcher_obj	*o = sn->obj;
	struct watcher_range	*r;

	if (m->dev != o->dev || m->ino != o->ino ||
	    (m->start < sn->skip_end && sn->skip < m->end))
		return (false);
	if ((r = reallocarray(o->old, o->nold + 1, sizeof *r)) == NULL)
		return (false);		/* then it is revoked: the safe side */
	o->old = r;
	o->old[o->nold].start = m->start;
	o->old[o->nold++].end = m->end;
	return (false);
}

/*
 * Note o's mappings now, but the one at [skip, skip + len), as older than
 * its revocability here.  Under map.
 */
static void
watcher_note_old(struct watcher_obj *o, const void *skip, size_t len)
{
	struct watcher_snap	sn = { o, (uintptr_t)skip,
				    (uintptr_t)skip + len };

	(void)watcher_each(watcher_match_old, &sn, NULL);
}

/* Mark the held objects open in a descriptor here; -1 if unknown. */
static int
watcher_mark_fds(void)
{
	struct watcher_obj	*o;
	struct dirent		*e;
	struct stat		 st;
	char			*end;
	long			 fd;
	DIR			*d;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return (-1);
	while ((e = readdir(d)) != NULL) {
		fd = strtol(e->d_name, &end, 10);
		if (end == e->d_name || *end != '\0' || fd == dirfd(d))
			continue;
		if (fstat((int)fd, &st) == 0 &&
		    (o = watcher_find(st.st_dev, st.st_ino)) != NULL)
			o->live = true;
	}
	closedir(d);
	return (0);
}

/*
 * Forget the objects neither mapped nor open here any more: a notice for
 * one would find nothing to blank, and one that comes back through the
 * library is held again.  Under map.
 */
static void
watcher_prune(void)
{
	size_t	i, n = 0;

	for (i = 0; i < watcher.nobjs; i++)
		watcher.objs[i].live = false;
	if (watcher_each(watcher_match_mark, NULL, NULL) == -1 ||
	    watcher_mark_fds() == -1)
		return;
	for (i = 0; i < watcher.nobjs; i++) {
		if (watcher.objs[i].live)
			watcher.objs[n++] = watcher.objs[i];
		else
			free(watcher.objs[i].old);
	}
	watcher.nobjs = n;
}

/* Inaccessible memory over a range: the next access raises SIGSEGV. */
static int
watcher_blank(void *addr, size_t len)
{
	void	*p;

	p = mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_FIXED | MAP_NORESERVE, -1, 0);
	return (p == MAP_FAILED ? -1 : 0);
}

static int
watcher_nofork(void *addr, size_t len)
{
	/* Not fatal: the range may have gone since maps was read. */
	(void)madvise(addr, len, MADV_DONTFORK);
	return (0);
}

/*
 * Replace every mapping of dev/ino in this process, if it holds dev/ino
 * as revocable; how many, or -1.
 */
int
watcher_revoke_maps(uint64_t dev, uint64_t ino)
{
	struct watcher_obj	 key = { .dev = dev, .ino = ino }, *o;
	int			 n = 0;

	pthread_mutex_lock(&watcher.map);
	watcher.gen++;
	if ((o = watcher_find(dev, ino)) == NULL && !watcher.full)
		watcher_early_note(dev, ino, watcher.gen);
	else {
		if (o != NULL)
			o->revoked_gen = watcher.gen;
		n = watcher_each(watcher_match_one, o != NULL ? o : &key,
		    watcher_blank);
	}
	pthread_mutex_unlock(&watcher.map);
	return (n);
}

/* Answer one notice; false when the connection is done for. */
static bool
watcher_serve(int fd)
{
	struct proto_msg		m;
	struct proto_status_reply	r;
	int				n;

	if (proto_recv(fd, &m) == -1)
		return (false);
	if (m.hdr.type != PROTO_NOTICE) {
		proto_msg_clear(&m);
		return (false);
	}
	memset(&r, 0, sizeof r);
	if ((n = watcher_revoke_maps(m.u.notice.dev, m.u.notice.ino)) == -1)
		r.err = errno > 0 && errno < 4096 ? errno : EIO;
	else
		r.value = (uint32_t)n;
	return (proto_send(fd, PROTO_NOTICE | PROTO_REPLY, m.hdr.id, &r,
	    sizeof r, -1) == 0);
}

static void *
watcher_main(void *arg)
{
	int	fd = (int)(intptr_t)arg;

	while (watcher_serve(fd))
		;
	/* The broker went away: let a later call start a new watcher. */
	pthread_mutex_lock(&watcher.lock);
	if (watcher.fd == fd && watcher.pid == getpid()) {
		close(fd);
		watcher.fd = -1;
	}
	pthread_mutex_unlock(&watcher.lock);
	return (NULL);
}

/* Connect and register as this process's watcher; the socket or -1. */
static int
watcher_register(void)
{
	struct proto_msg	m;
	int			s, saved;

	if ((s = client_connect_extra()) == -1)
		return (-1);
	if (proto_send(s, PROTO_WATCH, 1, NULL, 0, -1) == -1 ||
	    proto_recv(s, &m) == -1)
		goto fail;
	proto_msg_clear(&m);
	if (m.hdr.type != (PROTO_WATCH | PROTO_REPLY) || m.hdr.id != 1) {
		errno = EPROTO;
		goto fail;
	}
	if (m.u.status.err != 0) {
		errno = m.u.status.err;
		goto fail;
	}
	return (s);
fail:
	saved = errno;
	close(s);
	errno = saved;
	return (-1);
}

/* Start the thread with every signal blocked: they are the program's. */
static int
watcher_spawn(int s)
{
	pthread_attr_t	attr;
	pthread_t	tid;
	sigset_t	all, old;
	int		err;

	if ((err = pthread_attr_init(&attr)) != 0)
		return (err);
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&tid, &attr, watcher_main, (void *)(intptr_t)s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return (err);
}

/* Make sure this process has a running watcher. */
static void
watcher_ensure(void)
{
	int	s;

	pthread_mutex_lock(&watcher.lock);
	if (watcher.fd == -1 || watcher.pid != getpid()) {
		watcher.fd = -1;
		if ((s = watcher_register()) != -1) {
			watcher.fd = s;
			watcher.pid = getpid();
			if (watcher_spawn(s) != 0) {
				close(s);
				watcher.fd = -1;
			}
		}
	}
	pthread_mutex_unlock(&watcher.lock);
}

/* This process holds fd's revocable object; see watcher.h. */
void
watcher_hold(int fd, void *addr, size_t len, uint64_t gen)
{
	struct watcher_obj	*o;
	struct stat		 st;
	uint64_t		 revoked;
	int			 saved = errno;

	if (fstat(fd, &st) == -1)
		return;
	pthread_mutex_lock(&watcher.map);
	o = watcher_obj(st.st_dev, st.st_ino, addr, len);
	/* A notice that came before the object was held counts too. */
	revoked = watcher_early_gen(st.st_dev, st.st_ino);
	if (o != NULL) {
		if (o->revoked_gen < revoked)
			o->revoked_gen = revoked;
		revoked = o->revoked_gen;
	}
	if (addr != NULL) {
		(void)madvise(addr, len, MADV_DONTFORK);
		/* A revoke overtook the mapping: it was revoked too. */
		if (revoked > gen)
			(void)watcher_blank(addr, len);
	}
	pthread_mutex_unlock(&watcher.map);
	watcher_ensure();
	errno = saved;
}

static void
watcher_prepare(void)
{
	pthread_mutex_lock(&watcher.map);
	pthread_mutex_lock(&watcher.lock);
	/* Plain mmap()s of revocable objects (not older ones) neither. */
	if (watcher.nobjs != 0)
		(void)watcher_each(watcher_match_held, NULL, watcher_nofork);
}

static void
watcher_parent(void)
{
	pthread_mutex_unlock(&watcher.lock);
	pthread_mutex_unlock(&watcher.map);
}

static void
watcher_child(void)
{
	/* The thread is the parent's; its socket is ours to drop. */
	if (watcher.fd != -1)
		close(watcher.fd);
	watcher.fd = -1;
	pthread_mutex_unlock(&watcher.lock);
	pthread_mutex_unlock(&watcher.map);
}

/* Register the fork handlers (client.c calls it once, after its own). */
void
watcher_atfork(void)
{
	(void)pthread_atfork(watcher_prepare, watcher_parent, watcher_child);
}
