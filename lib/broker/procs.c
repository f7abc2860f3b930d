/*
 * procs.c: process records.  A recipient's pidfd sits in the event loop
 * while handles are pending for it; when it becomes readable the process
 * has exited and its handles are reclaimed at once, so a recycled pid
 * (which gets a new identity key anyway) never inherits them.  Without
 * pidfds (see ident.c) the held /proc/PID directories cannot be polled,
 * so a timer sweeps them instead.
 */

#include <sys/epoll.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include "broker-int.h"
#include "audit.h"
#include "handles.h"
#include "htab.h"
#include "ident.h"
#include "procs.h"
#include "revoke.h"

#define PROCS_SWEEP_MS	100
/* Keys of retired records: no process's key has this bit (ident.c). */
#define PROCS_RETIRED	(1ULL << 63)

static struct htab		procs_table;
static struct htab		procs_by_pid;	/* watched records */
static struct loop_timer	procs_sweeper = { { -1, NULL, NULL },
				    NULL, NULL };
static bool			procs_sweep_armed;
static uint64_t			procs_retired;

static void	procs_exited(struct loop_ev *, uint32_t);
static void	procs_sweep(void *);

/* Prepare the table. */
void
procs_init(void)
{
	htab_init(&procs_table, offsetof(struct proc, key));
	htab_init(&procs_by_pid, offsetof(struct proc, wpid));
}

/*
 * Whether a record's process is known to be gone, where that matters:
 * with keys from /proc (no pidfs), a process given a dead one's pid within
 * the same clock tick has its key.  Records that grant anything (those of
 * connected processes, recipients, creators of revocable objects) hold a
 * pidfd, so their end is seen.
 */
static bool
procs_stale(const struct proc *p)
{
	if (ident_keys_unique())
		return (false);
	return (p->gone || (p->ev.fd != -1 && !ident_alive(p->ev.fd)));
}

/*
 * Move a stale record to a key no process has, so a new process with its
 * old key gets a record of its own; what refers to it keeps it (a restart
 * carries it under the new key).  Returns errno.
 */
static int
procs_retire(struct proc *p)
{
	htab_remove(&procs_table, p->key);
	p->key = PROCS_RETIRED | ++procs_retired;
	p->gone = true;
	return (htab_insert(&procs_table, p));
}

/* The record for key, or NULL (never one whose process is gone). */
struct proc *
procs_find(uint64_t key)
{
	struct proc	*p = htab_lookup(&procs_table, key);

	if (p != NULL && procs_stale(p)) {
		/* Out of memory: the key still names the dead one. */
		(void)procs_retire(p);
		return (NULL);
	}
	return (p);
}

/* How many records exist. */
uint64_t
procs_count(void)
{
	return (htab_count(&procs_table));
}

/* Walk the records (see htab_next()); no change during a walk. */
struct proc *
procs_next(size_t *pos)
{
	return (htab_next(&procs_table, pos));
}

/* The record for key with a new reference, made if new; NULL: ENOMEM. */
struct proc *
procs_get(uint64_t key, pid_t pid, uid_t uid, gid_t gid)
{
	struct proc	*p;

	if ((p = procs_find(key)) != NULL) {
		p->refs++;
		return (p);
	}
	if (htab_lookup(&procs_table, key) != NULL ||
	    (p = calloc(1, sizeof *p)) == NULL)
		return (NULL);
	p->key = key;
	p->pid = pid;
	p->wpid = (uint64_t)pid;
	p->uid = uid;
	p->gid = gid;
	p->refs = 1;
	p->ev.fd = -1;
	p->ev.fn = procs_exited;
	p->ev.arg = p;
	p->lim_cur = broker_cfg->handles_per_process;
	p->lim_max = broker_cfg->handles_per_process_max;
	if (htab_insert(&procs_table, p) != 0) {
		free(p);
		return (NULL);
	}
	return (p);
}

/* Take and drop references. */
void
procs_ref(struct proc *p)
{
	p->refs++;
}

/*
 * The watched record of pid if that process is alive, or NULL.  Its pidfd
 * (or /proc directory) is bound to one process, and a pid is not reused
 * while its process or zombie exists: if the fd shows the process alive,
 * pid still names it, and its identity key is the record's.
 */
struct proc *
procs_live(pid_t pid)
{
	struct proc	*p;

	if (pid <= 0 || (p = htab_lookup(&procs_by_pid, (uint64_t)pid)) == NULL)
		return (NULL);
	if (p->ev.fd == -1 || !ident_alive(p->ev.fd))
		return (NULL);
	return (p);
}

/* Index a newly watched record by pid (the newest wins: older are dead). */
static void
procs_index(struct proc *p)
{
	struct proc	*old = htab_lookup(&procs_by_pid, p->wpid);

	if (old == p)
		return;
	if (old != NULL)
		htab_remove(&procs_by_pid, old->wpid);
	/* Without memory there is just no shortcut: procs_live() says NULL. */
	(void)htab_insert(&procs_by_pid, p);
}

static void
procs_unwatch(struct proc *p)
{
	if (p->ev.fd == -1)
		return;
	if (htab_lookup(&procs_by_pid, p->wpid) == p)
		htab_remove(&procs_by_pid, p->wpid);
	loop_del(&p->ev);
	close(p->ev.fd);
	p->ev.fd = -1;
}

/* Take and drop references. */
void
procs_unref(struct proc *p)
{
	if (--p->refs != 0)
		return;
	procs_unwatch(p);
	htab_remove(&procs_table, p->key);
	free(p);
}

/* A directory fd cannot be polled (EPERM): have the sweeper look. */
static int
procs_sweep_start(void)
{
	int	error;

	if (procs_sweeper.ev.fd == -1 && (error = loop_timer_init(
	    &procs_sweeper, procs_sweep, NULL)) != 0)
		return (error);
	/* Never postponed: a steady stream of grants must not starve it. */
	if (procs_sweep_armed)
		return (0);
	if ((error = loop_timer_arm(&procs_sweeper, PROCS_SWEEP_MS)) == 0)
		procs_sweep_armed = true;
	return (error);
}

/* Give the record a pidfd to watch (it takes fd); returns errno. */
int
procs_watch(struct proc *p, int pidfd)
{
	int	error;

	if (p->ev.fd != -1) {
		close(pidfd);
		return (0);
	}
	p->ev.fd = pidfd;
	if ((error = loop_add(&p->ev, EPOLLIN)) == EPERM)
		error = procs_sweep_start();
	if (error != 0) {
		close(pidfd);
		p->ev.fd = -1;
	} else
		procs_index(p);
	return (error);
}

/* Add and remove h in p's list of handles it may consume. */
void
procs_link(struct proc *p, struct handle *h)
{
	h->rprev = NULL;
	h->rnext = p->recv;
	if (p->recv != NULL)
		p->recv->rprev = h;
	p->recv = h;
	p->nrecv++;
}

/* Add and remove h in p's list of handles it may consume. */
void
procs_unlink(struct proc *p, struct handle *h)
{
	if (h->rprev != NULL)
		h->rprev->rnext = h->rnext;
	else
		p->recv = h->rnext;
	if (h->rnext != NULL)
		h->rnext->rprev = h->rprev;
	h->rnext = h->rprev = NULL;
	p->nrecv--;
	procs_maybe_unwatch(p);
}

/*
 * Nothing left to reclaim or revoke, and no connection: stop spending an
 * fd on watching.  A connected process stays held, pidfd or /proc
 * directory, even at a sweeper read a round for the latter: its identity
 * is proved once, at accept, and the held fd is what keeps it (the cap on
 * connections bounds them).
 */
void
procs_maybe_unwatch(struct proc *p)
{
	if (p->nrecv == 0 && p->nrevoke == 0 && p->conns == 0)
		procs_unwatch(p);
}

/* The recipient exited: its pending handles can never be used. */
static void
procs_exited(struct loop_ev *ev, uint32_t events)
{
	struct proc	*p = ev->arg;
	struct handle	*h;

	(void)events;
	procs_ref(p);
	p->gone = true;
	while ((h = p->recv) != NULL) {
		audit_handle("reclaim", h, 0);
		broker_stats.reclaimed++;
		handles_destroy(h);
	}
	revoke_exited(p);
	procs_unwatch(p);
	procs_unref(p);
}

/* Reclaim for every watched record whose process is gone; re-arm. */
static void
procs_sweep(void *arg)
{
	struct proc	*p, **dead = NULL, **nd;
	size_t		 pos = 0, n = 0, i;
	bool		 watching = false;

	(void)arg;
	procs_sweep_armed = false;
	/* Collected first: reclaiming reshapes the table under a walk. */
	while ((p = htab_next(&procs_table, &pos)) != NULL) {
		if (p->ev.fd == -1)
			continue;
		if (ident_alive(p->ev.fd)) {
			watching = true;
			continue;
		}
		if ((nd = reallocarray(dead, n + 1, sizeof *nd)) == NULL) {
			watching = true;	/* next time */
			break;
		}
		dead = nd;
		procs_ref(p);
		dead[n++] = p;
	}
	for (i = 0; i < n; i++) {
		procs_exited(&dead[i]->ev, 0);
		procs_unref(dead[i]);
	}
	free(dead);
	if (watching)
		procs_sweep_armed = loop_timer_arm(&procs_sweeper,
		    PROCS_SWEEP_MS) == 0;
}

/* Drop every record (at exit, after the handles). */
void
procs_free_all(void)
{
	struct proc	*p;
	size_t		 pos = 0;

	loop_timer_done(&procs_sweeper);
	procs_sweep_armed = false;

	/* The walk only reads slots, so records can go as it passes. */
	while ((p = htab_next(&procs_table, &pos)) != NULL) {
		procs_unwatch(p);
		free(p);
	}
	htab_free(&procs_table);
	htab_free(&procs_by_pid);
}
