/*
 * revoke.c: shm_ctl() and revocation in the broker.
 *
 * shm_ctl() changes go through here so that an object's flags are the
 * same for every process: they live on its record, and SHMCTL_SEAL is
 * also read back from the kernel's seals.  The first process to change an
 * object is its creator, the one that may shm_revoke() it; the record
 * holds a reference for it until that process exits.
 *
 * A process that consumes a handle of a revocable object gets a grant
 * record.  A revoke marks the grants it reaches REVOKING and sends a
 * notice on the watcher connection of each recipient (at once, or when
 * the watcher registers).  The watcher replaces the mappings and answers;
 * one who does not answer by the deadline is reported or killed.  The
 * request that started it is answered when the last target is done.
 * A watcher covers its own process only: before a target is killed and
 * before the answer, the processes that got the mapping from a target
 * (mappers.h) fall under the same policy, reported or killed.
 * Nothing here grows with what a client sends: one grant per process and
 * object, capped, and one waiting revoke per request in flight.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker-int.h"
#include "audit.h"
#include "handles.h"
#include "ident.h"
#include "loop.h"
#include "mappers.h"
#include "objects.h"
#include "peers.h"
#include "procs.h"
#include "requests.h"
#include "revoke.h"

#define REVOKE_SEALS	(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

/* A revoke request waiting for its targets. */
struct revoke_wait {
	struct peer		*peer;		/* NULL: it hung up */
	struct proto_hdr	 hdr;		/* the request's */
	uint32_t		 outstanding;
	uint32_t		 count;
	int			 timed_out;
	struct object		*obj;		/* referenced */
	struct revoke_sel	 sel;		/* its target referenced */
	struct revoke_wait	*next;
	struct revoke_wait	*prev;
};

static struct rgrant		*revoke_list;
static uint64_t			 revoke_n;
static struct revoke_wait	*revoke_waits;
static struct loop_timer	 revoke_timer = { { -1, NULL, NULL },
				    NULL, NULL };
static uint32_t			 revoke_last_notice;

static void	revoke_expire(void *);
static void	revoke_reach(struct object *, const struct revoke_sel *,
		    struct revoke_wait *);

/* Prepare the deadline timer (after the event loop); returns errno. */
int
revoke_init(void)
{
	return (loop_timer_init(&revoke_timer, revoke_expire, NULL));
}

/* Drop every grant and waiting revoke, quietly (at exit). */
void
revoke_free_all(void)
{
	struct rgrant		*rg;
	struct revoke_wait	*w;

	while ((rg = revoke_list) != NULL) {
		revoke_list = rg->next;
		free(rg);
	}
	while ((w = revoke_waits) != NULL) {
		revoke_waits = w->next;
		free(w);
	}
	revoke_n = 0;
	loop_timer_done(&revoke_timer);
}

/* The object's flag word, given its seals (-1: unknown). */
uint32_t
revoke_flags_sealed(const struct object *o, int seals)
{
	uint32_t	flags = o != NULL ? o->ctl_flags : 0;

	if (seals != -1 && (seals & REVOKE_SEALS) == REVOKE_SEALS)
		flags |= SHMCTL_SEAL;
	return (flags);
}

/* The object's flag word: what shm_ctl() set, and SEAL if sealed. */
uint32_t
revoke_flags(const struct object *o, int fd)
{
	if (fd == -1 && o != NULL)
		fd = objects_any_fd(o);
	return (revoke_flags_sealed(o, fcntl(fd, F_GET_SEALS)));
}

/* The grant after rg (NULL: the first), or NULL. */
struct rgrant *
revoke_next(const struct rgrant *rg)
{
	return (rg == NULL ? revoke_list : rg->next);
}

static void
revoke_link(struct rgrant *rg)
{
	struct proc	*p = rg->proc;

	rg->prev = NULL;
	rg->next = revoke_list;
	if (revoke_list != NULL)
		revoke_list->prev = rg;
	revoke_list = rg;
	rg->pprev = NULL;
	rg->pnext = p->rgrants;
	if (p->rgrants != NULL)
		p->rgrants->pprev = rg;
	p->rgrants = rg;
	p->nrevoke++;
	revoke_n++;
}

static void
revoke_unlink(struct rgrant *rg)
{
	struct proc	*p = rg->proc;

	if (rg->prev != NULL)
		rg->prev->next = rg->next;
	else
		revoke_list = rg->next;
	if (rg->next != NULL)
		rg->next->prev = rg->prev;
	if (rg->pprev != NULL)
		rg->pprev->pnext = rg->pnext;
	else
		p->rgrants = rg->pnext;
	if (rg->pnext != NULL)
		rg->pnext->pprev = rg->pprev;
	p->nrevoke--;
	revoke_n--;
}

static struct rgrant *
revoke_find(const struct object *o, const struct proc *p)
{
	struct rgrant	*rg;

	for (rg = p->rgrants; rg != NULL; rg = rg->pnext)
		if (rg->obj == o)
			return (rg);
	return (NULL);
}

/* Whether a revoke waits for answers; a restart waits for it. */
int
revoke_busy(void)
{
	struct rgrant	*rg;

	if (revoke_waits != NULL)
		return (EBUSY);
	for (rg = revoke_list; rg != NULL; rg = rg->next)
		if (rg->state == QSHM_STATE_REVOKING)
			return (EBUSY);
	return (0);
}

/* The last notice id sent (a restart carries it over). */
uint32_t *
revoke_last_notice_id(void)
{
	return (&revoke_last_notice);
}

/* A restart's grant record; see revoke.h. */
int
revoke_restore(const struct rgrant *t)
{
	struct rgrant	*rg;

	if (t->state == QSHM_STATE_PENDING || t->state == QSHM_STATE_REVOKING ||
	    t->state > QSHM_STATE_UNCOVERED || revoke_find(t->obj, t->proc))
		return (EINVAL);
	if ((rg = malloc(sizeof *rg)) == NULL)
		return (ENOMEM);
	*rg = *t;
	rg->wait = NULL;
	objects_ref(rg->obj);
	procs_ref(rg->proc);
	revoke_link(rg);
	return (0);
}

/* A grant of o to peer's process, its exit watched; NULL and errno. */
static struct rgrant *
revoke_new(struct object *o, struct peer *peer)
{
	struct rgrant	*rg;
	int		 pidfd;

	if (revoke_n >= broker_cfg->max_handles) {
		errno = EAGAIN;
		return (NULL);
	}
	if ((pidfd = peers_open_pidfd(peer)) == -1) {
		errno = EAGAIN;
		return (NULL);
	}
	if ((rg = calloc(1, sizeof *rg)) == NULL) {
		close(pidfd);
		errno = ENOMEM;
		return (NULL);
	}
	rg->obj = o;
	rg->proc = peer->proc;
	rg->since_ms = broker_now_ms();
	rg->state = QSHM_STATE_IN_USE;
	rg->recipient_uid = peer->uid;
	objects_ref(o);
	procs_ref(rg->proc);
	revoke_link(rg);
	if (procs_watch(rg->proc, pidfd) != 0) {
		revoke_untrack(rg);
		errno = EAGAIN;
		return (NULL);
	}
	return (rg);
}

/* Forget a grant record (its consumption did not happen). */
void
revoke_untrack(struct rgrant *rg)
{
	struct proc	*p = rg->proc;

	revoke_unlink(rg);
	objects_unref(rg->obj);
	procs_maybe_unwatch(p);
	procs_unref(p);
	free(rg);
}

/* Record that p consumed h (of a revocable object); returns errno. */
int
revoke_track(struct peer *p, const struct handle *h, struct rgrant **out)
{
	struct rgrant	*rg;

	*out = NULL;
	if ((rg = revoke_find(h->obj, p->proc)) != NULL) {
		/* A revoke under way must not miss what this maps. */
		if (rg->state == QSHM_STATE_REVOKING)
			return (EAGAIN);
	} else if ((rg = revoke_new(h->obj, p)) == NULL)
		return (errno);
	else
		*out = rg;
	rg->handle = h->id;
	rg->creator_pid = h->creator->pid;
	rg->creator_uid = h->creator_uid;
	rg->recipient_uid = h->recipient_uid;
	rg->access = h->access;
	rg->options = h->options;
	rg->enforcement = h->enforcement;
	rg->reason = h->reason;
	rg->state = QSHM_STATE_IN_USE;
	rg->since_ms = broker_now_ms();
	return (0);
}

static void
revoke_audit(const struct rgrant *rg, int err)
{
	struct audit_rec	r;

	if (!audit_enabled())
		return;
	audit_rec_init(&r, "revoke");
	r.handle = rg->handle;
	r.obj = rg->obj;
	r.has_creator = r.has_recipient = true;
	r.cpid = rg->creator_pid;
	r.cuid = rg->creator_uid;
	r.rpid = rg->proc->pid;
	r.ruid = rg->recipient_uid;
	r.access = rg->access;
	r.state = qshm_state_str(rg->state);
	r.err = err;
	audit_log(&r);
}

/* Answer a waiting revoke; shut the connection if that fails. */
static int
revoke_answer(struct revoke_wait *w)
{
	struct proto_status_reply	r;
	int				rc = 0;

	if (w->peer != NULL) {
		memset(&r, 0, sizeof r);
		r.err = w->timed_out ? ETIMEDOUT : 0;
		r.value = w->count;
		rc = proto_send(w->peer->ev.fd, w->hdr.type | PROTO_REPLY,
		    w->hdr.id, &r, sizeof r, -1);
		if (rc == -1)
			shutdown(w->peer->ev.fd, SHUT_RDWR);
	}
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		revoke_waits = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	if (w->obj != NULL)
		objects_unref(w->obj);
	if (w->sel.target != NULL)
		procs_unref(w->sel.target);
	free(w);
	return (rc);
}

/* A revoke to answer once its targets are done; NULL without memory. */
static struct revoke_wait *
revoke_wait_new(struct peer *p, const struct proto_msg *m,
    const struct revoke_sel *sel)
{
	struct revoke_wait	*w;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return (NULL);
	w->peer = p;
	w->hdr = m->hdr;
	w->sel = *sel;
	if (sel->target != NULL)
		procs_ref(sel->target);
	w->next = revoke_waits;
	if (revoke_waits != NULL)
		revoke_waits->prev = w;
	revoke_waits = w;
	return (w);
}

/* Every target is done: reach who they gave the mapping to, answer. */
static int
revoke_done(struct revoke_wait *w)
{
	if (w->obj != NULL)
		revoke_reach(w->obj, &w->sel, w);
	return (revoke_answer(w));
}

/* A target is done with: record how, and answer once all are. */
static void
revoke_finish(struct rgrant *rg, unsigned state, int err)
{
	struct revoke_wait	*w = rg->wait;

	rg->state = (uint8_t)state;
	revoke_audit(rg, err);
	rg->wait = NULL;
	if (w == NULL)
		return;
	if (state == QSHM_STATE_TIMED_OUT)
		w->timed_out = 1;
	if (--w->outstanding == 0)
		(void)revoke_done(w);
}

static void
revoke_free(struct rgrant *rg)
{
	if (rg->state == QSHM_STATE_REVOKING)
		revoke_finish(rg, QSHM_STATE_ENFORCED, 0);
	revoke_untrack(rg);
}

/* Send rg's recipient its notice, if it has a watcher to take it. */
static void
revoke_notify(struct rgrant *rg)
{
	struct peer		*w = rg->proc->watcher;
	struct proto_notice	 n;
	uint32_t		 id;

	if (w == NULL || rg->notice != 0)
		return;
	if ((id = ++revoke_last_notice) == 0)
		id = ++revoke_last_notice;
	memset(&n, 0, sizeof n);
	n.dev = rg->obj->dev;
	n.ino = rg->obj->ino;
	/* A full socket: the deadline deals with a watcher that reads not. */
	if (proto_send(w->ev.fd, PROTO_NOTICE, id, &n, sizeof n, -1) == 0)
		rg->notice = id;
}

/* Arm the timer for the earliest deadline, or disarm it. */
static void
revoke_arm(void)
{
	struct rgrant	*rg;
	uint64_t	 next = 0, now = broker_now_ms();

	for (rg = revoke_list; rg != NULL; rg = rg->next)
		if (rg->state == QSHM_STATE_REVOKING &&
		    (next == 0 || rg->deadline_ms < next))
			next = rg->deadline_ms;
	if (next == 0)
		(void)loop_timer_arm(&revoke_timer, 0);
	else
		(void)loop_timer_arm(&revoke_timer,
		    next > now ? (unsigned)(next - now) : 1);
}

/* No answer: report it, or kill the recipient through its pidfd. */
static void
revoke_timeout(struct rgrant *rg)
{
	struct revoke_sel	sel;
	int			pidfd = rg->proc->ev.fd, err = 0;

	if (broker_cfg->revoke_kill) {
		/* Its children would be orphans once it is dead: first. */
		memset(&sel, 0, sizeof sel);
		sel.target = rg->proc;
		revoke_reach(rg->obj, &sel, rg->wait);
		if (pidfd != -1 && syscall(SYS_pidfd_send_signal, pidfd,
		    SIGKILL, NULL, 0) == 0) {
			revoke_finish(rg, QSHM_STATE_ENFORCED, 0);
			return;
		}
		err = pidfd == -1 ? ESRCH : errno;
	}
	revoke_finish(rg, QSHM_STATE_TIMED_OUT, err);
}

static void
revoke_expire(void *arg)
{
	struct rgrant	*rg;
	uint64_t	 now = broker_now_ms();

	(void)arg;
	for (rg = revoke_list; rg != NULL; rg = rg->next)
		if (rg->state == QSHM_STATE_REVOKING && rg->deadline_ms <= now)
			revoke_timeout(rg);
	revoke_arm();
}

static void
revoke_begin(struct rgrant *rg, struct revoke_wait *w)
{
	rg->state = QSHM_STATE_REVOKING;
	rg->deadline_ms = broker_now_ms() + broker_cfg->revoke_timeout_ms;
	rg->notice = 0;
	rg->wait = w;
	if (w != NULL)
		w->outstanding++;
	revoke_audit(rg, 0);
	revoke_notify(rg);
}

static bool
revoke_selects(const struct revoke_sel *s, const struct rgrant *rg,
    bool *allowed)
{
	if (s->target != NULL) {
		if (rg->proc != s->target)
			return (false);
	} else if (s->pid != -1 && rg->proc->pid != s->pid)
		return (false);
	*allowed = !s->admin || s->uid == 0 || s->uid == rg->creator_uid;
	return (true);
}

/* Count o's grants sel reaches, and those the asker may revoke. */
void
revoke_count(const struct object *o, const struct revoke_sel *sel,
    uint32_t *matched, uint32_t *allowed)
{
	struct rgrant	*rg;
	bool		 ok;

	*matched = *allowed = 0;
	for (rg = revoke_list; rg != NULL; rg = rg->next) {
		if (rg->obj != o || !revoke_selects(sel, rg, &ok))
			continue;
		(*matched)++;
		if (ok)
			(*allowed)++;
	}
}

/* shm_revoke() reaches the creator too: give it a grant to revoke. */
static void
revoke_creator(struct peer *p, struct object *o, const struct revoke_sel *s)
{
	struct rgrant	*rg;

	if (s->admin || o->creator != p->proc ||
	    (s->pid != -1 && s->target != p->proc))
		return;
	if (revoke_find(o, p->proc) != NULL ||
	    (rg = revoke_new(o, p)) == NULL)
		return;
	rg->creator_pid = p->pid;
	rg->creator_uid = p->uid;
	rg->access = O_RDWR;
	rg->enforcement = QSHM_ENF_KERNEL;
	rg->reason = QSHM_WHY_FULL;
}

/*
 * Revoke o's grants that sel reaches and answer request m once they are
 * done; handles is how many unused handles went already. Returns -1 if
 * the connection must close.
 */
int
revoke_start(struct peer *p, const struct proto_msg *m, struct object *o,
    const struct revoke_sel *sel, uint32_t handles)
{
	struct revoke_wait	*w;
	struct rgrant		*rg;
	bool			 ok, reached = false;
	uint32_t		 count = handles;

	/* Without memory to wait, revoke all the same and answer now. */
	w = revoke_wait_new(p, m, sel);
	if (o != NULL)
		revoke_creator(p, o, sel);
	for (rg = revoke_list; o != NULL && rg != NULL; rg = rg->next) {
		if (rg->obj != o || !revoke_selects(sel, rg, &ok) || !ok)
			continue;
		reached = true;
		if (count < UINT32_MAX)
			count++;
		if (rg->state != QSHM_STATE_REVOKING)
			revoke_begin(rg, w);
	}
	revoke_arm();
	/* o may be gone with its last handle unless a grant holds it. */
	if (reached && w != NULL) {
		w->obj = o;
		objects_ref(o);
	}
	if (w == NULL) {
		struct proto_status_reply	r;

		if (reached)
			revoke_reach(o, sel, NULL);
		memset(&r, 0, sizeof r);
		r.value = count;
		return (peers_reply(p, m, &r, sizeof r, -1));
	}
	w->count = count;
	if (w->outstanding == 0)
		return (revoke_done(w));
	return (0);
}

/*
 * The processes no watcher covers (mappers.h): those that got the
 * mapping from a target.
 */

/* Whom a scan of o for sel looks for, and whom it leaves alone. */
struct revoke_sets {
	pid_t	*targets;
	size_t	 ntargets;
	pid_t	*holders;
	size_t	 nholders;
	pid_t	*acked;		/* targets whose watcher acknowledged */
	size_t	 nacked;
	uid_t	*tuids;		/* the targets' */
	uid_t	*kuids;		/* uids that keep the object */
	size_t	 nkuids;
	uid_t	*uids;		/* whose orphans are the targets' */
	size_t	 nuids;
};

/* What a scan's hits are told against. */
struct revoke_reach {
	struct object		*obj;
	const struct revoke_sel	*sel;
	struct revoke_wait	*wait;
};

static bool
revoke_reaches(const struct revoke_sel *s, const struct rgrant *rg)
{
	bool	ok;

	return (revoke_selects(s, rg, &ok) && ok);
}

static bool
revoke_proc_alive(const struct proc *p)
{
	return (p != NULL && p->ev.fd != -1 && ident_alive(p->ev.fd));
}

static int
revoke_cmp_pid(const void *a, const void *b)
{
	pid_t	x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x < y ? -1 : x > y);
}

static bool
revoke_uid_in(const uid_t *set, size_t n, uid_t uid)
{
	while (n-- > 0)
		if (set[n] == uid)
			return (true);
	return (false);
}

static void
revoke_sets_free(struct revoke_sets *rs)
{
	free(rs->targets);
	free(rs->holders);
	free(rs->acked);
	free(rs->tuids);
	free(rs->kuids);
	free(rs->uids);
}

/*
 * The uids whose unaccounted processes can only have the mapping from a
 * target: not root, not the owner's or creator's, none with a grant kept,
 * and the object not open to others by a name.
 */
static void
revoke_sets_uids(struct object *o, struct revoke_sets *rs)
{
	struct stat	st;
	size_t		i;
	uid_t		u;

	if (fstat(objects_any_fd(o), &st) == -1 ||
	    (st.st_nlink > 0 && (st.st_mode & 066)))
		return;
	for (i = 0; i < rs->ntargets; i++) {
		u = rs->tuids[i];
		if (u == 0 || u == st.st_uid ||
		    revoke_uid_in(rs->kuids, rs->nkuids, u) ||
		    revoke_uid_in(rs->uids, rs->nuids, u))
			continue;
		rs->uids[rs->nuids++] = u;
	}
}

/* Sort one live grant into a target of sel, a holder, or neither. */
static void
revoke_sets_add(struct revoke_sets *rs, const struct rgrant *rg,
    const struct revoke_sel *sel, struct proc **creator)
{
	rs->kuids[rs->nkuids++] = rg->creator_uid;
	if (!revoke_proc_alive(rg->proc))
		return;
	if (revoke_reaches(sel, rg)) {
		rs->tuids[rs->ntargets] = rg->proc->uid;
		rs->targets[rs->ntargets++] = rg->proc->pid;
		if (rg->state == QSHM_STATE_ACKNOWLEDGED)
			rs->acked[rs->nacked++] = rg->proc->pid;
		if (rg->proc == *creator)
			*creator = NULL;
	} else if (rg->state == QSHM_STATE_IN_USE ||
	    rg->state == QSHM_STATE_REVOKING) {
		rs->kuids[rs->nkuids++] = rg->proc->uid;
		rs->holders[rs->nholders++] = rg->proc->pid;
	}
}

/* Sort o's live grants into targets of sel and holders; errno. */
static int
revoke_sets_make(struct object *o, const struct revoke_sel *sel,
    struct revoke_sets *rs)
{
	struct rgrant	*rg;
	struct proc	*c = o->creator;
	size_t		 n = 1;

	memset(rs, 0, sizeof *rs);
	for (rg = revoke_list; rg != NULL; rg = rg->next)
		n += rg->obj == o;
	rs->targets = calloc(n, sizeof *rs->targets);
	rs->holders = calloc(n, sizeof *rs->holders);
	rs->acked = calloc(n, sizeof *rs->acked);
	rs->tuids = calloc(n, sizeof *rs->tuids);
	rs->uids = calloc(n, sizeof *rs->uids);
	rs->kuids = calloc(2 * n, sizeof *rs->kuids);
	if (rs->targets == NULL || rs->holders == NULL || rs->acked == NULL ||
	    rs->tuids == NULL || rs->uids == NULL || rs->kuids == NULL)
		return (ENOMEM);
	for (rg = revoke_list; rg != NULL; rg = rg->next)
		if (rg->obj == o)
			revoke_sets_add(rs, rg, sel, &c);
	/* The creator keeps its own unless this revoke reaches it. */
	if (revoke_proc_alive(c)) {
		rs->kuids[rs->nkuids++] = c->uid;
		rs->holders[rs->nholders++] = c->pid;
	}
	qsort(rs->targets, rs->ntargets, sizeof *rs->targets, revoke_cmp_pid);
	qsort(rs->holders, rs->nholders, sizeof *rs->holders, revoke_cmp_pid);
	qsort(rs->acked, rs->nacked, sizeof *rs->acked, revoke_cmp_pid);
	revoke_sets_uids(o, rs);
	return (0);
}

/* The grant of r's revoke that a hit got its mapping from, or NULL. */
static struct rgrant *
revoke_reach_grant(const struct revoke_reach *r, const struct mappers_hit *h)
{
	struct rgrant	*rg;

	for (rg = revoke_list; rg != NULL; rg = rg->next)
		if (rg->obj == r->obj && revoke_reaches(r->sel, rg) &&
		    (h->via != -1 ? rg->proc->pid == h->via :
		    rg->proc->uid == h->uid))
			return (rg);
	return (NULL);
}

static void
revoke_reach_audit(const struct revoke_reach *r, const struct rgrant *rg,
    const struct mappers_hit *h, unsigned state, int err)
{
	struct audit_rec	a;
	char			detail[96];

	if (!audit_enabled())
		return;
	audit_rec_init(&a, "revoke-uncovered");
	a.obj = r->obj;
	if (rg != NULL) {
		a.handle = rg->handle;
		a.has_creator = true;
		a.cpid = rg->creator_pid;
		a.cuid = rg->creator_uid;
		a.access = rg->access;
	}
	a.has_recipient = true;
	a.rpid = h->pid;
	a.ruid = h->uid;
	a.state = qshm_state_str(state);
	a.err = err;
	if (!h->checked)
		snprintf(detail, sizeof detail, "maps not readable");
	else if (h->via != -1)
		snprintf(detail, sizeof detail, "maps it, from pid %ld",
		    (long)h->via);
	else
		snprintf(detail, sizeof detail, "maps it, no grant of "
		    "uid %lu kept", (unsigned long)h->uid);
	a.detail = detail;
	audit_log(&a);
}

/* More processes than a scan tells of one by one were not checked. */
static void
revoke_reach_audit_more(const struct revoke_reach *r, long unread)
{
	struct audit_rec	a;
	char			detail[64];

	if (!audit_enabled())
		return;
	audit_rec_init(&a, "revoke-uncovered");
	a.obj = r->obj;
	a.state = qshm_state_str(QSHM_STATE_UNCOVERED);
	snprintf(detail, sizeof detail, "%ld processes not checked", unread);
	a.detail = detail;
	audit_log(&a);
}

/* A process no watcher covers: killed if seen mapping, else reported. */
static void
revoke_reach_found(const struct mappers_hit *h, void *arg)
{
	struct revoke_reach	*r = arg;
	struct rgrant		*rg = revoke_reach_grant(r, h);
	int			 err = 0;

	if (h->checked && broker_cfg->revoke_kill) {
		if (syscall(SYS_pidfd_send_signal, h->pidfd, SIGKILL, NULL,
		    0) == 0) {
			revoke_reach_audit(r, rg, h, QSHM_STATE_ENFORCED, 0);
			return;
		}
		err = errno;
	}
	/* A grant still waiting for its answer keeps its deadline. */
	if (rg != NULL && (rg->state == QSHM_STATE_ACKNOWLEDGED ||
	    rg->state == QSHM_STATE_ENFORCED))
		rg->state = QSHM_STATE_UNCOVERED;
	if (r->wait != NULL)
		r->wait->timed_out = 1;
	revoke_reach_audit(r, rg, h, QSHM_STATE_UNCOVERED, err);
}

/* Reach the processes that got o's mapping from a target of sel. */
static void
revoke_reach(struct object *o, const struct revoke_sel *sel,
    struct revoke_wait *w)
{
	struct revoke_reach	r = { o, sel, w };
	struct revoke_sets	rs;
	struct mappers_query	q;
	long			unread;

	if (revoke_sets_make(o, sel, &rs) != 0 || rs.ntargets == 0) {
		revoke_sets_free(&rs);
		return;
	}
	memset(&q, 0, sizeof q);
	q.dev = o->dev;
	q.ino = o->ino;
	q.targets = rs.targets;
	q.ntargets = rs.ntargets;
	q.holders = rs.holders;
	q.nholders = rs.nholders;
	q.acked = rs.acked;
	q.nacked = rs.nacked;
	q.uids = rs.uids;
	q.nuids = rs.nuids;
	q.found = revoke_reach_found;
	q.arg = &r;
	/* Not even /proc (-1): nothing is known to be uncovered. */
	unread = mappers_scan(&q);
	if (unread > 0 && w != NULL)
		w->timed_out = 1;
	if (unread > MAPPERS_MAX_UNCHECKED)
		revoke_reach_audit_more(&r, unread);
	revoke_sets_free(&rs);
}

/* A process exited: its grants go, its objects lose their creator. */
void
revoke_exited(struct proc *p)
{
	struct object	*o, *next;

	while (p->rgrants != NULL)
		revoke_free(p->rgrants);
	revoke_arm();
	if (p->nrevoke == 0)
		return;
	for (o = objects_next(NULL); o != NULL; o = next) {
		next = objects_next(o);
		if (o->creator != p)
			continue;
		o->creator = NULL;
		p->nrevoke--;
		procs_unref(p);
		objects_unref(o);
	}
}

/* A connection closed: forget it as watcher and as one to answer. */
void
revoke_peer_closed(struct peer *peer)
{
	struct revoke_wait	*w;
	struct rgrant		*rg;

	if (peer->proc != NULL && peer->proc->watcher == peer) {
		peer->proc->watcher = NULL;
		/* What it was told and did not answer, the next one is. */
		for (rg = peer->proc->rgrants; rg != NULL; rg = rg->pnext)
			rg->notice = 0;
	}
	for (w = revoke_waits; w != NULL; w = w->next)
		if (w->peer == peer)
			w->peer = NULL;
}

/* Describe a grant as qshm_list_handles() shows it. */
void
revoke_info(const struct rgrant *rg, struct qshm_handle_info *i)
{
	i->handle = rg->handle;
	i->dev = rg->obj->dev;
	i->ino = rg->obj->ino;
	i->object_id = (uint32_t)rg->obj->park_id;
	i->creator_pid = rg->creator_pid;
	i->creator_uid = rg->creator_uid;
	i->recipient_pid = rg->proc->pid;
	i->recipient_uid = rg->recipient_uid;
	i->access = rg->access;
	i->options = rg->options;
	i->enforcement = rg->enforcement;
	i->reason = rg->reason;
	i->state = rg->state;
	i->age_ms = broker_now_ms() - rg->since_ms;
}

/*
 * PROTO_CTL.
 */

/* Sealing is possible: a memfd that allows seals and has none frozen. */
static int
revoke_ctl_sealable(int fd)
{
	int	seals = fcntl(fd, F_GET_SEALS);

	if (seals == -1 || (seals & F_SEAL_SEAL))
		return (ENOTSUP);
	return (0);
}

/* Make p the creator of o (registered from fd if new); returns errno. */
static int
revoke_ctl_object(struct peer *p, int fd, const struct stat *st, int access,
    struct object **op)
{
	struct object	*o = *op;
	int		 pidfd, error;

	if (o != NULL && o->creator != NULL)
		return (0);
	if ((pidfd = peers_open_pidfd(p)) == -1)
		return (EAGAIN);
	if (o == NULL && (error = objects_get(fd, st, access, &o)) != 0) {
		close(pidfd);
		return (error);
	}
	if (*op != NULL)
		objects_ref(o);
	if (procs_watch(p->proc, pidfd) != 0) {
		objects_unref(o);
		return (EAGAIN);
	}
	o->creator = p->proc;
	procs_ref(p->proc);
	p->proc->nrevoke++;
	*op = o;
	return (0);
}

/* Apply a change to the object in fd; returns errno. */
static int
revoke_ctl_change(struct peer *p, const struct proto_ctl *c, int fd,
    const struct stat *st, int access, struct object **op)
{
	int	error;

	if (((*op != NULL && ((*op)->ctl_flags & SHMCTL_SEAL)) ||
	    (revoke_flags(NULL, fd) & SHMCTL_SEAL)))
		return (EPERM);
	if (access == O_RDONLY)
		return (EACCES);
	if ((c->flags & SHMCTL_SEAL) && (error = revoke_ctl_sealable(fd)) != 0)
		return (error);
	if ((error = revoke_ctl_object(p, fd, st, access, op)) != 0)
		return (error);
	if ((c->flags & SHMCTL_ANON) && ftruncate(fd, (off_t)c->size) == -1)
		return (errno == EFBIG ? EINVAL : errno);
	(*op)->ctl_flags |= c->flags & (SHMCTL_ANON | SHMCTL_LAZY |
	    SHMCTL_REVOCABLE);
	if (c->flags & SHMCTL_SEAL) {
		if (fcntl(fd, F_ADD_SEALS, REVOKE_SEALS) == -1)
			return (errno == EPERM ? EPERM : ENOTSUP);
		(*op)->ctl_flags |= SHMCTL_SEAL;
	}
	return (0);
}

/* Requests: shm_ctl(). */
int
revoke_ctl(struct peer *p, struct proto_msg *m)
{
	struct proto_status_reply	 r;
	struct object			*o = NULL;
	struct stat			 st;
	int				 fl, error = 0;

	if ((fl = fcntl(m->fd, F_GETFL)) == -1 || (fl & O_PATH) ||
	    fstat(m->fd, &st) == -1)
		error = EBADF;
	else if (!S_ISREG(st.st_mode))
		error = EINVAL;
	else {
		o = objects_find(st.st_dev, st.st_ino);
		if (m->u.ctl.flags != SHMCTL_GET_FLAGS)
			error = revoke_ctl_change(p, &m->u.ctl, m->fd, &st,
			    fl & O_ACCMODE, &o);
	}
	if (error != 0)
		return (peers_reply_err(p, m, error));
	memset(&r, 0, sizeof r);
	r.value = revoke_flags(o, m->fd);
	return (peers_reply(p, m, &r, sizeof r, -1));
}

/*
 * PROTO_REVOKE, PROTO_WATCH and the watcher's answers.
 */

/* The process pid names now, as sel->target; returns errno. */
static int
revoke_target(pid_t pid, struct revoke_sel *sel, bool *unknown)
{
	uint64_t	key;
	int		pidfd, error;

	*unknown = false;
	if (pid == -1)
		return (0);
	if ((pidfd = ident_pidfd_open(pid)) == -1)
		return (ESRCH);
	if (!ident_alive(pidfd)) {
		close(pidfd);
		return (ESRCH);
	}
	error = ident_key(pidfd, pid, &key);
	close(pidfd);
	if (error != 0)
		return (ESRCH);
	/* A process the broker never met holds nothing to revoke. */
	if ((sel->target = procs_find(key)) == NULL)
		*unknown = true;
	return (0);
}

/* Requests: shm_revoke(), by the object's creator. */
int
revoke_request(struct peer *p, struct proto_msg *m)
{
	struct proto_status_reply	 r;
	struct revoke_sel		 sel;
	struct object			*o = NULL;
	struct stat			 st;
	bool				 unknown = false;
	int				 fl, error = 0;

	memset(&sel, 0, sizeof sel);
	sel.pid = m->u.revoke.pid;
	if ((fl = fcntl(m->fd, F_GETFL)) == -1 || (fl & O_PATH) ||
	    fstat(m->fd, &st) == -1)
		error = EBADF;
	else if ((o = objects_find(st.st_dev, st.st_ino)) == NULL ||
	    !(o->ctl_flags & SHMCTL_REVOCABLE))
		error = EINVAL;
	else if (o->creator != p->proc)
		error = EPERM;
	else
		error = revoke_target(sel.pid, &sel, &unknown);
	if (error != 0)
		return (peers_reply_err(p, m, error));
	if (unknown) {
		memset(&r, 0, sizeof r);
		return (peers_reply(p, m, &r, sizeof r, -1));
	}
	return (admin_revoke_run(p, m, o, &sel));
}

/* Requests: make this connection its process's watcher. */
int
revoke_watch(struct peer *p, struct proto_msg *m)
{
	struct proto_status_reply	 r;
	struct rgrant			*rg;

	if (p->proc->watcher != NULL && p->proc->watcher != p)
		return (peers_reply_err(p, m, EBUSY));
	p->proc->watcher = p;
	memset(&r, 0, sizeof r);
	if (peers_reply(p, m, &r, sizeof r, -1) == -1)
		return (-1);
	/* Revokes that came before the watcher did, or that timed out. */
	for (rg = p->proc->rgrants; rg != NULL; rg = rg->pnext)
		if (rg->state == QSHM_STATE_REVOKING ||
		    rg->state == QSHM_STATE_TIMED_OUT)
			revoke_notify(rg);
	return (0);
}

/*
 * A watcher's answer to a notice.  Anything but the answer to a notice
 * this connection was sent closes it; an error counts as no answer.
 */
int
revoke_ack(struct peer *p, struct proto_msg *m)
{
	struct rgrant	*rg;

	for (rg = p->proc->rgrants; rg != NULL; rg = rg->pnext)
		if (rg->notice != 0 && rg->notice == m->hdr.id &&
		    (rg->state == QSHM_STATE_REVOKING ||
		    rg->state == QSHM_STATE_TIMED_OUT))
			break;
	if (rg == NULL || p->proc->watcher != p) {
		broker_stats.bad_messages++;
		return (-1);
	}
	if (m->u.status.err != 0) {
		if (rg->state == QSHM_STATE_REVOKING)
			revoke_timeout(rg);
	} else
		revoke_finish(rg, QSHM_STATE_ACKNOWLEDGED, 0);
	revoke_arm();
	return (0);
}
