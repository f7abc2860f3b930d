/*
 * requests.c: dispatch, and the handle requests (grant, open, delete).
 * Nothing in a request is trusted: the decoder has checked its shape, and
 * every handler checks its meaning again here, whatever the library
 * already checked.  The caller's identity is the connection's, pinned at
 * accept; a pid in a payload is only ever a target.
 */

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker-int.h"
#include "audit.h"
#include "guard.h"
#include "handles.h"
#include "ident.h"
#include "objects.h"
#include "peers.h"
#include "policy.h"
#include "procs.h"
#include "requests.h"
#include "revoke.h"

typedef int	(*requests_fn)(struct peer *, struct proto_msg *);

static const requests_fn requests_table[PROTO_TYPE_MAX] = {
	[PROTO_GRANT] = requests_grant,
	[PROTO_OPEN] = requests_open,
	[PROTO_DELETE] = requests_delete,
	[PROTO_LIMIT] = admin_limit,
	[PROTO_LIST] = admin_list,
	[PROTO_STATS] = admin_stats,
	[PROTO_PARK] = admin_park,
	[PROTO_PARKED_OPEN] = admin_parked_open,
	[PROTO_UNPARK] = admin_unpark,
	[PROTO_ADMIN_REVOKE] = admin_revoke,
	[PROTO_CTL] = revoke_ctl,
	[PROTO_REVOKE] = revoke_request,
	[PROTO_WATCH] = revoke_watch,
};

/* Run the handler for a decoded request; -1: close the connection. */
int
requests_dispatch(struct peer *p, struct proto_msg *m)
{
	uint16_t	type = m->hdr.type;

	if (type == 0 || type >= PROTO_TYPE_MAX || requests_table[type] == NULL)
		return (-1);
	return (requests_table[type](p, m));
}

/* A grant being made. */
struct grant {
	struct peer			*peer;
	const struct proto_grant	*req;
	int				 fd;	/* the message's; not ours */
	struct stat			 st;
	bool				 have_st;
	int				 pidfd;
	struct ident_creds		 creds;
	bool				 have_creds;
	struct proc			*recipient;
	struct object			*obj;
	struct handle			 tmpl;
	struct handle			*h;
};

/* The fd, the access asked and the range, against the object. */
static int
requests_grant_check(struct grant *g)
{
	const struct proto_grant	*r = g->req;
	int				 fl;

	if ((fl = fcntl(g->fd, F_GETFL)) == -1 || (fl & O_PATH))
		return (EBADF);
	if (fstat(g->fd, &g->st) == -1)
		return (EBADF);
	g->have_st = true;
	if (!S_ISREG(g->st.st_mode))
		return (EINVAL);
	if (!policy_access_le((int)r->access, fl & O_ACCMODE))
		return (EACCES);
	if (r->options & SHM_CREATE_HANDLE_OPT_SUBRANGE)
		return (policy_subrange(r->offset, r->length,
		    (uint64_t)g->st.st_size, broker_page_size()));
	return (0);
}

static int
requests_grant_limits(const struct grant *g)
{
	const struct proc	*c = g->peer->proc;

	if (c->created >= c->lim_cur)
		return (EAGAIN);
	if (handles_uid_count(g->peer->uid) >= broker_cfg->max_handles_per_uid)
		return (EAGAIN);
	if (handles_count() >= broker_cfg->max_handles)
		return (EAGAIN);
	return (0);
}

static int
requests_pidfd_errno(int error)
{
	if (error == EMFILE || error == ENFILE)
		return (EAGAIN);
	if (error == ENOMEM)
		return (ENOMEM);
	return (ESRCH);
}

/*
 * A process's credentials now, for a grant of access to an inode of that
 * mode.  Its supplementary groups matter only when the grant withholds a
 * right the inode's group bits give (policy.c): only then are they read
 * (from /proc/PID/status).  Returns errno.
 */
static int
requests_creds(int pidfd, pid_t pid, int access, mode_t mode,
    struct ident_creds *c)
{
	mode_t	group = access == O_RDONLY ? S_IWGRP : S_IRGRP;
	int	error;

	if (access != O_RDWR && (mode & group))
		error = ident_creds(pidfd, pid, c);
	else
		error = ident_creds_ids(pidfd, pid, c);
	return (error != 0 ? requests_pidfd_errno(error) : 0);
}

/* The recipient's credentials now. */
static int
requests_grant_creds(struct grant *g, int pidfd)
{
	int	error;

	error = requests_creds(pidfd, g->req->pid, (int)g->req->access,
	    g->st.st_mode, &g->creds);
	if (error != 0)
		return (error);
	g->have_creds = true;
	return (0);
}

/*
 * The enforcement of pg for the process behind pidfd, its capabilities
 * read (again: they change) when they could decide it.  Returns errno.
 */
static int
requests_decide(struct policy_grant *pg, int pidfd, pid_t pid,
    unsigned *enf, unsigned *why)
{
	struct ident_caps	caps;
	int			error;

	memset(&caps, 0, sizeof caps);
	if (policy_needs_caps(pg) && (error = ident_caps(pidfd, pid,
	    pg->inode_uid, pg->inode_gid, &caps)) != 0)
		return (requests_pidfd_errno(error));
	pg->caps = &caps;
	policy_enforcement(pg, enf, why);
	pg->caps = NULL;
	return (0);
}

/* The object's seals, when they matter: to a grant that withholds write. */
static uint32_t
requests_seals(int fd, int access)
{
	int	seals;

	if (access != O_RDONLY || (seals = fcntl(fd, F_GET_SEALS)) == -1)
		return (0);
	return ((uint32_t)seals);
}

/* Pin the recipient: pidfd, identity key, credentials, record. */
static int
requests_grant_recipient(struct grant *g)
{
	pid_t		pid = g->req->pid;
	uint64_t	key;
	int		error;

	if (pid <= 0)
		return (ESRCH);
	/* A watched live process needs no new pidfd (procs_live()). */
	if ((g->recipient = procs_live(pid)) != NULL) {
		procs_ref(g->recipient);
		return (requests_grant_creds(g, g->recipient->ev.fd));
	}
	if ((g->pidfd = ident_pidfd_open(pid)) == -1)
		return (requests_pidfd_errno(errno));
	if (!ident_alive(g->pidfd))
		return (ESRCH);
	if ((error = ident_key(g->pidfd, pid, &key)) != 0)
		return (requests_pidfd_errno(error));
	if ((error = requests_grant_creds(g, g->pidfd)) != 0)
		return (error);
	g->recipient = procs_get(key, pid, g->creds.uid[1], g->creds.gid[1]);
	if (g->recipient == NULL)
		return (ENOMEM);
	return (0);
}

/* What policy.c needs of the object (fd, st) and of a grant's kind. */
static void
requests_policy_init(struct policy_grant *pg, int fd, const struct stat *st,
    int access, unsigned options, uint64_t offset, uint64_t length)
{
	memset(pg, 0, sizeof *pg);
	pg->access = access;
	pg->seals = requests_seals(fd, access);
	pg->inode_uid = st->st_uid;
	pg->inode_gid = st->st_gid;
	pg->inode_mode = st->st_mode;
	pg->partial = (options & SHM_CREATE_HANDLE_OPT_SUBRANGE) &&
	    (offset != 0 || length != (uint64_t)st->st_size);
	pg->nofd = (options & SHM_CREATE_HANDLE_OPT_NOFD) != 0;
}

/* Fill the handle template, with its enforcement. */
static int
requests_grant_policy(struct grant *g)
{
	const struct proto_grant	*r = g->req;
	struct policy_grant		 pg;
	unsigned			 enf, why;
	int				 error;

	requests_policy_init(&pg, g->fd, &g->st, (int)r->access, r->options,
	    r->offset, r->length);
	pg.creator_uid = g->peer->uid;
	pg.recipient = &g->creds;
	if ((error = requests_decide(&pg, g->pidfd != -1 ? g->pidfd :
	    g->recipient->ev.fd, r->pid, &enf, &why)) != 0)
		return (error);
	if (enf != QSHM_ENF_KERNEL && broker_cfg->require_enforced)
		return (EACCES);
	memset(&g->tmpl, 0, sizeof g->tmpl);
	g->tmpl.obj = g->obj;
	g->tmpl.creator = g->peer->proc;
	g->tmpl.recipient = g->recipient;
	g->tmpl.offset = r->offset;
	g->tmpl.length = r->length;
	g->tmpl.creator_uid = g->peer->uid;
	g->tmpl.recipient_uid = g->creds.uid[1];
	g->tmpl.access = (uint8_t)r->access;
	g->tmpl.options = (uint8_t)r->options;
	g->tmpl.enforcement = (uint8_t)enf;
	g->tmpl.reason = (uint8_t)why;
	return (0);
}

/* Make the handle, and watch the recipient so its exit reclaims it. */
static int
requests_grant_make(struct grant *g)
{
	int	error;

	if ((error = handles_create(&g->tmpl, &g->h)) != 0)
		return (error);
	/* No pidfd of its own: the recipient is watched already. */
	error = g->pidfd == -1 ? 0 : procs_watch(g->recipient, g->pidfd);
	g->pidfd = -1;
	if (error != 0) {
		handles_destroy(g->h);
		g->h = NULL;
		return (EAGAIN);
	}
	return (0);
}

static void
requests_grant_deny(const struct grant *g, int error)
{
	struct audit_rec	r;

	broker_count_denial(error);
	if (!audit_enabled())
		return;
	audit_rec_init(&r, "deny");
	r.obj = g->obj;
	r.has_inode = g->have_st;
	r.dev = g->st.st_dev;
	r.ino = g->st.st_ino;
	r.has_creator = true;
	r.cpid = g->peer->pid;
	r.cuid = g->peer->uid;
	r.has_recipient = true;
	r.rpid = g->req->pid;
	r.ruid = g->have_creds ? g->creds.uid[1] : (uid_t)-1;
	r.access = (int)g->req->access;
	r.err = error;
	audit_log(&r);
}

static void
requests_grant_done(struct grant *g)
{
	if (g->pidfd != -1)
		close(g->pidfd);
	if (g->have_creds)
		ident_creds_free(&g->creds);
	if (g->recipient != NULL)
		procs_unref(g->recipient);
	if (g->obj != NULL)
		objects_unref(g->obj);
}

/* Handles: requests.c. */
int
requests_grant(struct peer *p, struct proto_msg *m)
{
	struct grant			g;
	struct proto_grant_reply	r;
	int				error, rc;

	memset(&g, 0, sizeof g);
	g.peer = p;
	g.req = &m->u.grant;
	g.fd = m->fd;
	g.pidfd = -1;
	if ((error = requests_grant_check(&g)) == 0 &&
	    (error = requests_grant_limits(&g)) == 0 &&
	    (error = requests_grant_recipient(&g)) == 0 &&
	    (error = objects_get(g.fd, &g.st, (int)g.req->access,
	    &g.obj)) == 0 &&
	    (error = requests_grant_policy(&g)) == 0)
		error = requests_grant_make(&g);
	memset(&r, 0, sizeof r);
	r.err = error;
	if (error == 0) {
		r.enforcement = g.h->enforcement;
		r.reason = g.h->reason;
		r.handle = g.h->id;
	} else
		requests_grant_deny(&g, error);
	rc = peers_reply(p, m, &r, sizeof r, -1);
	if (error == 0 && rc == -1)
		handles_destroy(g.h);	/* nobody learnt its value */
	else if (error == 0) {
		broker_stats.grants++;
		audit_handle("grant", g.h, 0);
	}
	requests_grant_done(&g);
	return (rc);
}

/*
 * Find the handle named id: 0, ESRCH, EBADF for a value no handle has
 * (not a guess), or EAGAIN while the caller's uid is penalized for
 * guessing (guard.h).  EAGAIN, not ESRCH: a program that trips the guard
 * with a right value is told to retry, not that its handle is gone; a
 * guesser learns nothing from it either way.
 */
static int
requests_guarded_find(const struct peer *p, uint64_t id, struct handle **hp)
{
	*hp = NULL;
	if (PROTO_HANDLE_MALFORMED(id))
		return (EBADF);
	if (!guard_allowed(p->uid, broker_now_ms()))
		return (EAGAIN);
	*hp = handles_find(id);
	return (*hp == NULL ? ESRCH : 0);
}

/* A lookup named no handle the caller may use: count it, maybe penalize. */
static void
requests_guessed(const struct peer *p, uint64_t id)
{
	struct audit_rec	r;

	if (!guard_failed(p->uid, broker_now_ms()) || !audit_enabled())
		return;
	audit_rec_init(&r, "deny");
	r.handle = id;
	r.has_recipient = true;
	r.rpid = p->pid;
	r.ruid = p->uid;
	r.err = ESRCH;
	r.detail = "too many failed handle lookups: uid penalized";
	audit_log(&r);
}

/* The pending handle m names, if it is the caller's to use; or an errno. */
static int
requests_lookup(const struct peer *p, const struct proto_open *o,
    struct handle **hp)
{
	int	error;

	if ((error = requests_guarded_find(p, o->handle, hp)) == EAGAIN ||
	    error == EBADF)
		return (error);
	if (*hp == NULL || (*hp)->recipient != p->proc ||
	    (o->creator != 0 && (*hp)->creator->pid != o->creator)) {
		*hp = NULL;
		requests_guessed(p, o->handle);
		return (ESRCH);
	}
	return (0);
}

/* An fd spans the whole object, so only whole-object handles give one. */
static int
requests_open_fd_check(const struct handle *h, const struct proto_open *o)
{
	struct stat	st;

	if (!policy_access_le((int)o->access, h->access))
		return (EACCES);
	if (h->options & SHM_CREATE_HANDLE_OPT_NOFD)
		return (EACCES);
	if (!(h->options & SHM_CREATE_HANDLE_OPT_SUBRANGE))
		return (0);
	if (fstat(objects_any_fd(h->obj), &st) == -1)
		return (EACCES);
	if (h->offset != 0 || h->length < (uint64_t)st.st_size)
		return (EACCES);
	return (0);
}

/* access is O_RDWR for a shared writable mapping, else O_RDONLY. */
static int
requests_open_map_check(const struct handle *h, const struct proto_open *o)
{
	uint64_t	range = 0;

	if (o->access != O_RDONLY && o->access != O_RDWR)
		return (EINVAL);
	if (h->options & SHM_CREATE_HANDLE_OPT_SUBRANGE)
		range = h->length;
	if (policy_map_range(o->offset, o->length, range,
	    broker_page_size()) != 0)
		return (EINVAL);
	if (h->access == O_WRONLY)
		return (EACCES);
	if (!policy_access_le((int)o->access, h->access))
		return (EACCES);
	return (0);
}

/*
 * Decide the enforcement again as the fd is handed over: the opener's ids
 * and capabilities, the object's mode and seals may have changed since
 * the grant.  Under --require-enforced a handle that is no longer kernel
 * enforced is refused (EACCES, kept); else it says what holds now, in the
 * audit log and the revocable grant it becomes.  Returns errno.
 */
static int
requests_open_enforcement(const struct peer *p, struct handle *h)
{
	struct policy_grant	pg;
	struct ident_creds	c;
	struct stat		st;
	unsigned		enf, why;
	int			fd = objects_any_fd(h->obj), error;
	int			pidfd = p->proc->ev.fd;

	memset(&c, 0, sizeof c);
	if (fd == -1 || fstat(fd, &st) == -1)
		return (EACCES);
	if (h->access != O_RDWR && (pidfd == -1 || (error = requests_creds(
	    pidfd, p->proc->pid, h->access, st.st_mode, &c)) != 0))
		return (pidfd == -1 ? ESRCH : error);
	requests_policy_init(&pg, fd, &st, h->access, h->options, h->offset,
	    h->length);
	pg.creator_uid = h->creator_uid;
	pg.recipient = &c;
	error = requests_decide(&pg, pidfd, p->proc->pid, &enf, &why);
	ident_creds_free(&c);
	if (error != 0)
		return (error);
	if (enf != QSHM_ENF_KERNEL && broker_cfg->require_enforced)
		return (EACCES);
	h->enforcement = (uint8_t)enf;
	h->reason = (uint8_t)why;
	return (0);
}

static void
requests_deny(const struct peer *p, const struct handle *h, uint64_t id,
    int error)
{
	struct audit_rec	r;

	if (!audit_enabled())
		return;
	audit_rec_init(&r, "deny");
	if (h != NULL)
		audit_rec_handle(&r, h);
	else {
		r.handle = id;
		r.has_recipient = true;
		r.rpid = p->pid;
		r.ruid = p->uid;
	}
	r.err = error;
	audit_log(&r);
}

/* Handles: requests.c. */
int
requests_open(struct peer *p, struct proto_msg *m)
{
	const struct proto_open	*o = &m->u.open;
	struct proto_open_reply	 r;
	struct handle		*h;
	struct rgrant		*rg = NULL;
	bool			 map = o->purpose == PROTO_OPEN_MAP;
	int			 error, fd = -1, rc;

	memset(&r, 0, sizeof r);
	if ((error = requests_lookup(p, o, &h)) != 0)
		;
	else if ((error = map ? requests_open_map_check(h, o) :
	    requests_open_fd_check(h, o)) == 0 &&
	    (error = requests_open_enforcement(p, h)) == 0 &&
	    (fd = objects_open_last(h->obj, (int)o->access, map)) == -1)
		error = errno;
	/* The library needs REVOCABLE; SEAL would cost a syscall a cycle. */
	if (error == 0 && ((r.flags = h->obj->ctl_flags) & SHMCTL_REVOCABLE) &&
	    (error = revoke_track(p, h, &rg)) != 0)
		objects_unsent(h->obj, (int)o->access, fd);
	if (error != 0) {
		requests_deny(p, h, o->handle, error);
		return (peers_reply_err(p, m, error));
	}
	r.access = o->access;
	r.offset = h->offset;
	r.length = h->length;
	rc = peers_reply(p, m, &r, sizeof r, fd);
	if (rc == 0)
		close(fd);
	else
		objects_unsent(h->obj, (int)o->access, fd);
	if (rc != 0 && rg != NULL)
		revoke_untrack(rg);
	/* Consumed only once the fd is on its way: failures never consume. */
	if (rc == 0) {
		if (map)
			broker_stats.maps++;
		else
			broker_stats.opens++;
		audit_handle(map ? "map" : "open", h, 0);
		handles_destroy(h);
	}
	return (rc);
}

/* Handles: requests.c. */
int
requests_delete(struct peer *p, struct proto_msg *m)
{
	struct proto_status_reply	 r;
	struct handle			*h;
	int				 error;

	if ((error = requests_guarded_find(p, m->u.del.handle, &h)) ==
	    EAGAIN || error == EBADF) {
		requests_deny(p, NULL, m->u.del.handle, error);
		return (peers_reply_err(p, m, error));
	}
	if (h == NULL || (h->creator != p->proc && h->recipient != p->proc)) {
		requests_guessed(p, m->u.del.handle);
		requests_deny(p, NULL, m->u.del.handle, ESRCH);
		return (peers_reply_err(p, m, ESRCH));
	}
	audit_handle("delete", h, 0);
	broker_stats.deletes++;
	handles_destroy(h);
	memset(&r, 0, sizeof r);
	return (peers_reply(p, m, &r, sizeof r, -1));
}
