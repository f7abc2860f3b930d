/*
 * procs.c: process records.  A recipient's pidfd sits in the event loop
 * while handles are pending for it; when it becomes readable the process
 * has exited and its handles are reclaimed at once, so a recycled pid
 * (which gets a new identity key anyway) never inherits them.
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
#include "procs.h"
#include "revoke.h"

static struct htab	procs_table;

static void	procs_exited(struct loop_ev *, uint32_t);

/* Prepare the table. */
void
procs_init(void)
{
	htab_init(&procs_table, offsetof(struct proc, key));
}

/* The record for key, or NULL. */
struct proc *
procs_find(uint64_t key)
{
	return (htab_lookup(&procs_table, key));
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
	if ((p = calloc(1, sizeof *p)) == NULL)
		return (NULL);
	p->key = key;
	p->pid = pid;
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

static void
procs_unwatch(struct proc *p)
{
	if (p->ev.fd == -1)
		return;
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
	if ((error = loop_add(&p->ev, EPOLLIN)) != 0) {
		close(pidfd);
		p->ev.fd = -1;
	}
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

/* Nothing left to reclaim or revoke: stop spending an fd on watching. */
void
procs_maybe_unwatch(struct proc *p)
{
	if (p->nrecv == 0 && p->nrevoke == 0)
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
	while ((h = p->recv) != NULL) {
		audit_handle("reclaim", h, 0);
		broker_stats.reclaimed++;
		handles_destroy(h);
	}
	revoke_exited(p);
	procs_unwatch(p);
	procs_unref(p);
}

/* Drop every record (at exit, after the handles). */
void
procs_free_all(void)
{
	struct proc	*p;
	size_t		 pos = 0;

	/* The walk only reads slots, so records can go as it passes. */
	while ((p = htab_next(&procs_table, &pos)) != NULL) {
		procs_unwatch(p);
		free(p);
	}
	htab_free(&procs_table);
}
