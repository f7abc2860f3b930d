/*
 * objects.h: the registry of shared-memory objects the broker holds,
 * keyed by (st_dev, st_ino).  An object holds one fd per access mode it
 * needs, made by reopening /proc/self/fd/N, and is freed when the last
 * handle or parking that refers to it goes.
 */

#ifndef QSHM_OBJECTS_H
#define QSHM_OBJECTS_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stdint.h>

struct proc;

struct object {
	uint64_t	 ino;		/* the table's key */
	uint64_t	 dev;
	struct object	*same_ino;	/* other devices' objects, same ino */
	struct object	*next;		/* every object, for walks */
	struct object	*prev;
	uint64_t	 park_id;	/* @N while parked, else 0; a key */
	int		 fd[3];		/* by O_RDONLY/O_WRONLY/O_RDWR or -1 */
	unsigned	 fresh;		/* bit 1 << mode: fd[mode] reopened
					   by us and never shared */
	uint32_t	 refs;		/* handles and parking */
	uint32_t	 pending;	/* its handles */
	uid_t		 park_uid;
	int		 park_access;
	unsigned	 mark;		/* listing generation */
	char		*path;		/* as /proc/self/fd shows it; objects_path() */
	uint32_t	 ctl_flags;	/* SHMCTL_* set through shm_ctl() */
	struct proc	*creator;	/* first to shm_ctl() it, while alive */
};

/* Prepare the registry. */
void		 objects_init(void);
/* Drop every object (at exit, after the handles). */
void		 objects_free_all(void);
/*
 * The object behind fd (st is its fstat) with a new reference, holding
 * an fd of mode access; registered if new.  Returns errno: EAGAIN at the
 * object cap, EACCES if no fd of that mode can be had, ENOMEM.
 */
int		 objects_get(int fd, const struct stat *, int access,
		    struct object **);
/* The object with this dev and ino, or NULL. */
struct object	*objects_find(uint64_t dev, uint64_t ino);
void		 objects_ref(struct object *);
void		 objects_unref(struct object *);
/*
 * A new open file description of the object with mode access; shared:
 * may fall back to a description the broker holds (for mappings only).
 * Returns the fd, or -1 and errno.
 */
int		 objects_open(struct object *, int access, int shared);
/*
 * As objects_open(), for a reference about to go that is o's last: hands
 * over the held fd of mode access if no one else has ever had it.  An fd
 * that could not be sent goes back through objects_unsent().
 */
int		 objects_open_last(struct object *, int access, int shared);
void		 objects_unsent(struct object *, int access, int fd);
/* The path /proc/self/fd shows for o, read at the first ask; or NULL. */
const char	*objects_path(struct object *);
/* A held fd with at least read access (for fstat and seals), or -1. */
int		 objects_any_fd(const struct object *);
/* Park o for uid with mode access; returns errno. */
int		 objects_park(struct object *, uid_t, int access);
/* The parked object @id, or NULL. */
struct object	*objects_parked(uint32_t id);
/* Release the parking of o (drops its reference). */
void		 objects_unpark(struct object *);
/* Re-read the path /proc/self/fd shows for o. */
void		 objects_refresh_path(struct object *);
/* The object after o (NULL: the first), or NULL at the end. */
struct object	*objects_next(const struct object *);
uint64_t	 objects_count(void);
/*
 * A restart: a new object of dev/ino holding fds (by access mode, -1
 * where none), with one reference; NULL and errno.  objects_restore_park()
 * parks it under its old id; the last id given so far is *last_park.
 */
struct object	*objects_restore(uint64_t dev, uint64_t ino, const int fd[3]);
int		 objects_restore_park(struct object *, uint32_t id, uid_t,
		    int access);
uint64_t	*objects_last_park_id(void);

#endif /* QSHM_OBJECTS_H */
