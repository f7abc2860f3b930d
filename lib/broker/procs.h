/*
 * procs.h: one record per process the broker deals with, keyed by its
 * identity key, never by its pid.  A record lives while a connection, a
 * handle it made or a handle made for it refers to it.  While it is the
 * recipient of pending handles its pidfd is watched: when the process
 * exits, those handles are reclaimed.
 */

#ifndef QSHM_PROCS_H
#define QSHM_PROCS_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"

struct handle;
struct peer;
struct rgrant;

struct proc {
	uint64_t	 key;		/* identity key; the table's key */
	pid_t		 pid;
	uid_t		 uid;
	gid_t		 gid;
	uint32_t	 refs;
	uint32_t	 conns;		/* open connections */
	struct loop_ev	 ev;		/* its pidfd while it is a recipient */
	uint64_t	 created;	/* pending handles it made */
	uint64_t	 lim_cur;	/* RLIMIT_SHM_HANDLES_NP */
	uint64_t	 lim_max;
	struct handle	*recv;		/* pending handles made for it */
	uint64_t	 nrecv;
	struct rgrant	*rgrants;	/* its grants of revocable objects */
	uint64_t	 nrevoke;	/* those, and objects it is creator of */
	struct peer	*watcher;	/* its watcher connection, or NULL */
	uint64_t	 wpid;		/* pid: key of the watched-by-pid table */
	bool		 gone;		/* its exit was seen */
};

/* Prepare the table. */
void		 procs_init(void);
/* Drop every record (at exit, after the handles). */
void		 procs_free_all(void);
/* The record for key with a new reference, made if new; NULL: ENOMEM. */
struct proc	*procs_get(uint64_t key, pid_t, uid_t, gid_t);
/* The record for key, or NULL (never one whose process is gone). */
struct proc	*procs_find(uint64_t key);
/* Take and drop references. */
void		 procs_ref(struct proc *);
void		 procs_unref(struct proc *);
/* Give the record a pidfd to watch (it takes fd); returns errno. */
int		 procs_watch(struct proc *, int pidfd);
/* Add and remove h in p's list of handles it may consume. */
void		 procs_link(struct proc *, struct handle *);
void		 procs_unlink(struct proc *, struct handle *);
/* Stop watching p's pidfd once nothing needs its exit noticed. */
void		 procs_maybe_unwatch(struct proc *);
/* The watched record of pid if that process is alive, or NULL. */
struct proc	*procs_live(pid_t);
/* How many records exist. */
uint64_t	 procs_count(void);
/* Walk the records (see htab_next()); no change during a walk. */
struct proc	*procs_next(size_t *pos);

#endif /* QSHM_PROCS_H */
