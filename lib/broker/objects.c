/*
 * objects.c: the object registry.  The broker never keeps a client's own
 * open file description if it can avoid it: it reopens the object through
 * /proc/self/fd/N with the mode it needs, so no client can move another's
 * file offset or status flags through a shared description.  Opens use
 * O_NONBLOCK so a lease held by a hostile client cannot stall the loop.
 */

#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker-int.h"
#include "audit.h"
#include "htab.h"
#include "objects.h"
#include "shares.h"

static struct htab	 objects_table;		/* by ino */
static struct htab	 objects_parks;		/* by park_id */
static struct object	*objects_list;
static uint64_t		 objects_total;
static uint64_t		 objects_last_park;
static int		 objects_fddir = -1;	/* our /proc/self/fd */
static bool		 objects_atfork_set;

/* Prepare the registry. */
void
objects_init(void)
{
	htab_init(&objects_table, offsetof(struct object, ino));
	htab_init(&objects_parks, offsetof(struct object, park_id));
	objects_list = NULL;
	objects_total = 0;
}

/* The object after o (NULL: the first), or NULL at the end. */
uint64_t
objects_count(void)
{
	return (objects_total);
}

/* The object after o (NULL: the first), or NULL at the end. */
struct object *
objects_next(const struct object *o)
{
	return (o == NULL ? objects_list : o->next);
}

/* The object with this dev and ino, or NULL. */
struct object *
objects_find(uint64_t dev, uint64_t ino)
{
	struct object	*o;

	for (o = htab_lookup(&objects_table, ino); o != NULL; o = o->same_ino)
		if (o->dev == dev)
			return (o);
	return (NULL);
}

/* Close the held directory (a child inherits its parent's: useless). */
static void
objects_fddir_close(void)
{
	if (objects_fddir != -1)
		close(objects_fddir);
	objects_fddir = -1;
}

/* Hold /proc/self/fd, if it is procfs; -1 if not. */
static int
objects_fddir_open(void)
{
	struct statfs	sfs;

	if (!objects_atfork_set)
		objects_atfork_set = pthread_atfork(NULL, NULL,
		    objects_fddir_close) == 0;
	if (!objects_atfork_set)
		return (-1);
	objects_fddir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
	if (objects_fddir != -1 && (fstatfs(objects_fddir, &sfs) == -1 ||
	    sfs.f_type != PROC_SUPER_MAGIC))
		objects_fddir_close();
	return (objects_fddir);
}

/*
 * Open /proc/self/fd/N, from a held /proc/self/fd directory (a third of
 * the cost: no walk through /proc and self each time), else in full.
 * *checked says whether the result is known to be N's file.
 */
static int
objects_open_magic(int fd, int flags, bool *checked)
{
	char	name[64];

	*checked = objects_fddir != -1 || objects_fddir_open() != -1;
	if (*checked) {
		snprintf(name, sizeof name, "%d", fd);
		return (openat(objects_fddir, name, flags));
	}
	snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
	return (open(name, flags));
}

/*
 * Reopen fd with mode access as a new description; -1 and errno.  Through
 * a held procfs directory the link is N's file by construction; through
 * a path it is checked against dev and ino.
 */
static int
objects_reopen(int fd, int access, uint64_t dev, uint64_t ino)
{
	struct stat	st;
	int		nfd, saved;
	bool		checked;

	nfd = objects_open_magic(fd, access | O_CLOEXEC | O_NONBLOCK |
	    O_NOCTTY, &checked);
	if (nfd == -1)
		return (-1);
	if (!checked && (fstat(nfd, &st) == -1 || st.st_dev != dev ||
	    st.st_ino != ino)) {
		close(nfd);
		errno = EACCES;
		return (-1);
	}
	/* Of the flags F_SETFL changes, only O_NONBLOCK was set above. */
	if (fcntl(nfd, F_SETFL, 0) == -1) {
		saved = errno;
		close(nfd);
		errno = saved;
		return (-1);
	}
	return (nfd);
}

/* Re-read the path /proc/self/fd shows for o. */
void
objects_refresh_path(struct object *o)
{
	char	 proc[64], buf[PATH_MAX];
	ssize_t	 n;
	char	*p;
	int	 fd = objects_any_fd(o);

	if (fd == -1)
		return;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	if ((n = readlink(proc, buf, sizeof buf - 1)) == -1)
		return;
	buf[n] = '\0';
	if ((p = strdup(buf)) == NULL)
		return;
	free(o->path);
	o->path = p;
}

/* The path /proc/self/fd shows for o, read at the first ask; or NULL. */
const char *
objects_path(struct object *o)
{
	if (o->path == NULL)
		objects_refresh_path(o);
	return (o->path);
}

/* A held fd with at least read access (for fstat and seals), or -1. */
int
objects_any_fd(const struct object *o)
{
	if (o->fd[O_RDWR] != -1)
		return (o->fd[O_RDWR]);
	if (o->fd[O_RDONLY] != -1)
		return (o->fd[O_RDONLY]);
	return (o->fd[O_WRONLY]);
}

static int
objects_insert(struct object *o)
{
	struct object	*head;

	if ((head = htab_lookup(&objects_table, o->ino)) != NULL) {
		o->same_ino = head->same_ino;
		head->same_ino = o;
	} else if (htab_insert(&objects_table, o) != 0)
		return (ENOMEM);
	o->next = objects_list;
	if (objects_list != NULL)
		objects_list->prev = o;
	objects_list = o;
	objects_total++;
	return (0);
}

static void
objects_remove(struct object *o)
{
	struct object	*head, **pp;

	head = htab_lookup(&objects_table, o->ino);
	if (head == o) {
		htab_remove(&objects_table, o->ino);
		/* Cannot fail: the table just lost a record of this key. */
		if (o->same_ino != NULL)
			(void)htab_insert(&objects_table, o->same_ino);
	} else {
		for (pp = &head->same_ino; *pp != o; pp = &(*pp)->same_ino)
			;
		*pp = o->same_ino;
	}
	if (o->prev != NULL)
		o->prev->next = o->next;
	else
		objects_list = o->next;
	if (o->next != NULL)
		o->next->prev = o->prev;
	objects_total--;
}

static struct object *
objects_new(const struct stat *st)
{
	struct object	*o;

	if ((o = calloc(1, sizeof *o)) == NULL)
		return (NULL);
	o->ino = st->st_ino;
	o->dev = st->st_dev;
	o->fd[0] = o->fd[1] = o->fd[2] = -1;
	o->park_access = -1;
	if (objects_insert(o) != 0) {
		free(o);
		return (NULL);
	}
	return (o);
}

static void
objects_free(struct object *o)
{
	int	i;

	if (o->park_id != 0) {
		htab_remove(&objects_parks, o->park_id);
		(void)shares_add(o->park_uid, SHARE_PARKED, -1);
	}
	objects_remove(o);
	for (i = 0; i < 3; i++)
		if (o->fd[i] != -1)
			close(o->fd[i]);
	free(o->path);
	free(o);
}

/* Make sure o holds an fd of mode access, taken from the client's fd. */
static int
objects_need_fd(struct object *o, int fd, int access)
{
	int	nfd, fl;

	if (o->fd[access] != -1)
		return (0);
	nfd = objects_reopen(fd, access, o->dev, o->ino);
	if (nfd != -1) {
		o->fd[access] = nfd;
		o->fresh |= 1u << access;
		return (0);
	}
	if (errno == EMFILE || errno == ENFILE)
		return (EAGAIN);
	/* The broker may not open it itself: keep the client's, if exact. */
	if ((fl = fcntl(fd, F_GETFL)) != -1 && (fl & O_ACCMODE) == access)
		nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (nfd == -1)
		return (errno == EMFILE || errno == ENFILE ? EAGAIN : EACCES);
	o->fd[access] = nfd;
	return (0);
}

/*
 * The object behind fd (st is its fstat) with a new reference, holding an
 * fd of mode access; registered if new. Returns errno: EAGAIN at the object
 * cap, EACCES if no fd of that mode can be had, ENOMEM.
 */
int
objects_get(int fd, const struct stat *st, int access, struct object **out)
{
	struct object	*o;
	int		 error;
	bool		 fresh = false;

	if ((o = objects_find(st->st_dev, st->st_ino)) == NULL) {
		if (objects_total >= broker_cfg->max_objects)
			return (EAGAIN);
		if ((o = objects_new(st)) == NULL)
			return (ENOMEM);
		fresh = true;
	}
	if ((error = objects_need_fd(o, fd, access)) != 0) {
		if (fresh)
			objects_free(o);
		return (error);
	}
	/* Listings read it when they need it; audit records want it now. */
	if (fresh && audit_enabled())
		objects_refresh_path(o);
	o->refs++;
	*out = o;
	return (0);
}

/* The object with this dev and ino, or NULL. */
void
objects_ref(struct object *o)
{
	o->refs++;
}

/* The object with this dev and ino, or NULL. */
void
objects_unref(struct object *o)
{
	if (--o->refs == 0)
		objects_free(o);
}

/*
 * A new open file description of the object with mode access; shared: may
 * fall back to a description the broker holds (for mappings only). Returns
 * the fd, or -1 and errno.
 */
int
objects_open(struct object *o, int access, int shared)
{
	int	src = objects_any_fd(o), fd;

	if (src == -1) {
		errno = EACCES;
		return (-1);
	}
	if ((fd = objects_reopen(src, access, o->dev, o->ino)) != -1)
		return (fd);
	if (errno == EMFILE || errno == ENFILE) {
		errno = EAGAIN;
		return (-1);
	}
	if (shared && o->fd[access] != -1 &&
	    (fd = fcntl(o->fd[access], F_DUPFD_CLOEXEC, 0)) != -1) {
		o->fresh &= ~(1u << access);
		return (fd);
	}
	errno = errno == EMFILE || errno == ENFILE ? EAGAIN : EACCES;
	return (-1);
}

/*
 * The description reopened at grant time has been seen by no process but
 * the broker: the recipient of the last reference may as well have it as a
 * new one.  That saves a reopen through /proc, the costliest step of a
 * handle cycle (make bench).  A revocable object outlives the handle in
 * its grant, which needs the fd.  So whether the broker's own rights still
 * allow the mode (the object may have been chmod-ed since) is asked at
 * grant time for the last handle, at open time for the others.
 */
int
objects_open_last(struct object *o, int access, int shared)
{
	int	fd;

	if (o->refs != 1 || (o->ctl_flags & SHMCTL_REVOCABLE) ||
	    !(o->fresh & (1u << access)))
		return (objects_open(o, access, shared));
	fd = o->fd[access];
	o->fd[access] = -1;
	o->fresh &= ~(1u << access);
	return (fd);
}

/* An fd from objects_open*() that never left: held again if it fits. */
void
objects_unsent(struct object *o, int access, int fd)
{
	if (o->fd[access] == -1) {
		o->fd[access] = fd;
		o->fresh |= 1u << access;
	} else
		close(fd);
}

/*
 * Whether uid may park one more object: parkings outlive their parker, so
 * these caps are what bounds them (EAGAIN when full).
 */
static bool
objects_park_room(uid_t uid)
{
	uint64_t	cap = broker_parked_cap();

	return (shares_total(SHARE_PARKED) < cap &&
	    shares_count(uid, SHARE_PARKED) <
	    broker_share(cap, broker_cfg->max_parked_per_uid));
}

/* Park o for uid with mode access; returns errno. */
int
objects_park(struct object *o, uid_t uid, int access)
{
	if (objects_last_park == UINT32_MAX)
		return (ENOSPC);
	if (!objects_park_room(uid))
		return (EAGAIN);
	if (shares_add(uid, SHARE_PARKED, 1) != 0)
		return (ENOMEM);
	o->park_id = objects_last_park + 1;
	if (htab_insert(&objects_parks, o) != 0) {
		o->park_id = 0;
		(void)shares_add(uid, SHARE_PARKED, -1);
		return (ENOMEM);
	}
	objects_last_park++;
	o->park_uid = uid;
	o->park_access = access;
	o->refs++;
	return (0);
}

/* The parked object @id, or NULL. */
struct object *
objects_parked(uint32_t id)
{
	if (id == 0)
		return (NULL);
	return (htab_lookup(&objects_parks, id));
}

/* Release the parking of o (drops its reference). */
void
objects_unpark(struct object *o)
{
	htab_remove(&objects_parks, o->park_id);
	(void)shares_add(o->park_uid, SHARE_PARKED, -1);
	o->park_id = 0;
	o->park_access = -1;
	objects_unref(o);
}

/* A restart's object; see objects.h. */
struct object *
objects_restore(uint64_t dev, uint64_t ino, const int fd[3])
{
	struct stat	 st;
	struct object	*o;
	int		 i;

	if (objects_find(dev, ino) != NULL) {
		errno = EEXIST;
		return (NULL);
	}
	memset(&st, 0, sizeof st);
	st.st_dev = (dev_t)dev;
	st.st_ino = (ino_t)ino;
	if ((o = objects_new(&st)) == NULL) {
		errno = ENOMEM;
		return (NULL);
	}
	for (i = 0; i < 3; i++)
		o->fd[i] = fd[i];
	o->refs = 1;
	objects_refresh_path(o);
	return (o);
}

/* Park a restart's object under its old id; returns errno. */
int
objects_restore_park(struct object *o, uint32_t id, uid_t uid, int access)
{
	if (id == 0 || id > objects_last_park || o->park_id != 0 ||
	    objects_parked(id) != NULL)
		return (EINVAL);
	/* Counted, not capped: a restart keeps what was parked. */
	if (shares_add(uid, SHARE_PARKED, 1) != 0)
		return (ENOMEM);
	o->park_id = id;
	if (htab_insert(&objects_parks, o) != 0) {
		o->park_id = 0;
		(void)shares_add(uid, SHARE_PARKED, -1);
		return (ENOMEM);
	}
	o->park_uid = uid;
	o->park_access = access;
	o->refs++;
	return (0);
}

/* The last parking id given (a restart carries it over). */
uint64_t *
objects_last_park_id(void)
{
	return (&objects_last_park);
}

/* Drop every object (at exit, after the handles). */
void
objects_free_all(void)
{
	while (objects_list != NULL)
		objects_free(objects_list);
	objects_fddir_close();
	htab_free(&objects_table);
	htab_free(&objects_parks);
}
