/*
 * admin.c: the administrative requests: limits, listings, statistics,
 * parked anonymous objects and revocation by an administrator.  Listings
 * go out as a sealed memfd the client maps, so their size is bounded by
 * the broker's caps, never by a message.
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
#include "handles.h"
#include "ident.h"
#include "objects.h"
#include "peers.h"
#include "policy.h"
#include "procs.h"
#include "requests.h"
#include "restart.h"
#include "revoke.h"
#include "shares.h"

#define ADMIN_LIST_BATCH	64	/* records per write() */

/* The process a LIMIT request targets; returns errno. */
static int
admin_limit_target(const struct peer *p, pid_t pid, struct proc **out)
{
	struct proc	*t;
	uint64_t	 key;
	int		 pidfd, error;

	if (pid == 0 || pid == p->pid) {
		*out = p->proc;
		return (0);
	}
	if (pid < 0 || (pidfd = ident_pidfd_open(pid)) == -1)
		return (ESRCH);
	error = ident_key(pidfd, pid, &key);
	close(pidfd);
	/* Only a process connected to the broker has a limit here. */
	if (error != 0 || (t = procs_find(key)) == NULL || t->conns == 0)
		return (ESRCH);
	if (p->uid != 0 && p->uid != t->uid)
		return (EPERM);
	*out = t;
	return (0);
}

/* Administration: admin.c. */
int
admin_limit(struct peer *p, struct proto_msg *m)
{
	const struct proto_limit	*l = &m->u.limit;
	struct proto_limit_reply	 r;
	struct proc			*t;
	int				 error;

	if ((error = admin_limit_target(p, l->pid, &t)) != 0)
		return (peers_reply_err(p, m, error));
	memset(&r, 0, sizeof r);
	r.cur = t->lim_cur;
	r.max = t->lim_max;
	if (l->flags & PROTO_LIMIT_SET) {
		error = policy_limit_change(t->lim_cur, t->lim_max, l->cur,
		    l->max, p->uid == 0);
		if (error != 0)
			return (peers_reply_err(p, m, error));
		t->lim_cur = l->cur;
		t->lim_max = l->max;
	}
	return (peers_reply(p, m, &r, sizeof r, -1));
}

/* Records buffered on their way into the listing memfd. */
struct admin_out {
	int		 fd;
	unsigned char	*buf;
	size_t		 recsize;
	size_t		 used;		/* records in buf */
	uint32_t	 count;		/* records in all */
	int		 error;
};

static void
admin_out_flush(struct admin_out *out)
{
	size_t	len = out->used * out->recsize, off = 0;
	ssize_t	n;

	while (out->error == 0 && off < len) {
		if ((n = write(out->fd, out->buf + off, len - off)) == -1) {
			if (errno != EINTR)
				out->error = ENOMEM;
			continue;
		}
		off += (size_t)n;
	}
	out->used = 0;
}

/* A zeroed record to fill, or NULL once writing failed. */
static void *
admin_out_next(struct admin_out *out)
{
	void	*rec;

	if (out->used == ADMIN_LIST_BATCH)
		admin_out_flush(out);
	if (out->error != 0 || out->count == UINT32_MAX)
		return (NULL);
	rec = out->buf + out->used * out->recsize;
	memset(rec, 0, out->recsize);
	out->used++;
	out->count++;
	return (rec);
}

static bool
admin_sees_handle(const struct peer *p, const struct handle *h)
{
	return (p->uid == 0 || h->creator_uid == p->uid ||
	    h->recipient_uid == p->uid);
}

static void
admin_copy_path(char dst[256], struct object *o)
{
	const char	*path = objects_path(o);
	size_t		 len;

	if (path == NULL)
		return;
	len = strnlen(path, 255);	/* dst was zeroed: stays terminated */
	memcpy(dst, path, len);
}

/* Grants of revocable objects, consumed, with their revocation state. */
static void
admin_list_grants(const struct peer *p, struct admin_out *out)
{
	struct qshm_handle_info	*i;
	struct rgrant		*rg = NULL;

	while ((rg = revoke_next(rg)) != NULL) {
		if (p->uid != 0 && rg->creator_uid != p->uid &&
		    rg->recipient_uid != p->uid)
			continue;
		if ((i = admin_out_next(out)) == NULL)
			return;
		revoke_info(rg, i);
		admin_copy_path(i->path, rg->obj);
	}
}

static void
admin_list_handles(const struct peer *p, struct admin_out *out)
{
	struct qshm_handle_info	*i;
	struct handle		*h;
	size_t			 pos = 0;
	uint64_t		 now = broker_now_ms();

	while ((h = handles_next(&pos)) != NULL) {
		if (!admin_sees_handle(p, h))
			continue;
		if ((i = admin_out_next(out)) == NULL)
			return;
		i->handle = h->id;
		i->dev = h->obj->dev;
		i->ino = h->obj->ino;
		i->object_id = (uint32_t)h->obj->park_id;
		i->creator_pid = h->creator->pid;
		i->creator_uid = h->creator_uid;
		i->recipient_pid = h->recipient->pid;
		i->recipient_uid = h->recipient_uid;
		i->access = h->access;
		i->options = h->options;
		i->enforcement = h->enforcement;
		i->reason = h->reason;
		i->state = QSHM_STATE_PENDING;
		i->offset = h->offset;
		i->length = h->length;
		i->age_ms = now - h->created_ms;
		admin_copy_path(i->path, h->obj);
	}
	admin_list_grants(p, out);
}

/*
 * Whether o's path may have changed since it was read: a rename or an
 * unlink changes it, but once the object has no link left and its path
 * says so (every memfd), it is final.  Reading it again through
 * /proc/self/fd was three quarters of the broker's time for a listing
 * of 1000 parked memfds (4.1 ms).  An O_TMPFILE file linked in later
 * keeps showing its old path: cosmetic, and rare.
 */
static bool
admin_path_may_change(struct object *o, nlink_t nlink)
{
	static const char	 deleted[] = " (deleted)";
	const char		*path;
	size_t			 len, dlen = sizeof deleted - 1;

	if (nlink != 0 || (path = objects_path(o)) == NULL)
		return (true);
	len = strlen(path);
	return (len < dlen || strcmp(path + len - dlen, deleted) != 0);
}

static void
admin_object_info(struct qshm_object_info *i, struct object *o)
{
	struct stat	st;
	int		fd = objects_any_fd(o), seals;
	nlink_t		nlink = 1;	/* unknown: read the path again */

	i->dev = o->dev;
	i->ino = o->ino;
	i->object_id = (uint32_t)o->park_id;
	if (fstat(fd, &st) == 0) {
		i->uid = o->park_id != 0 ? o->park_uid : st.st_uid;
		i->gid = st.st_gid;
		i->mode = st.st_mode;
		i->size = (uint64_t)st.st_size;
		nlink = st.st_nlink;
	}
	if ((seals = fcntl(fd, F_GET_SEALS)) != -1)
		i->seals = (uint32_t)seals;
	i->flags = revoke_flags_sealed(o, seals);
	i->pending = o->pending;
	if (admin_path_may_change(o, nlink))
		objects_refresh_path(o);
	admin_copy_path(i->path, o);
}

static bool
admin_sees_object(const struct peer *p, const struct object *o,
    unsigned mark)
{
	struct stat	st;

	if (p->uid == 0 || o->mark == mark)
		return (true);
	if (o->park_id != 0 && o->park_uid == p->uid)
		return (true);
	return (fstat(objects_any_fd(o), &st) == 0 && st.st_uid == p->uid);
}

static void
admin_list_objects(const struct peer *p, struct admin_out *out)
{
	static unsigned		 mark;
	struct qshm_object_info	*i;
	struct handle		*h;
	struct object		*o = NULL;
	size_t			 pos = 0;

	/* Objects under a handle the caller sees are visible to it too. */
	if (++mark == 0)
		mark = 1;
	while ((h = handles_next(&pos)) != NULL)
		if (admin_sees_handle(p, h))
			h->obj->mark = mark;
	while ((o = objects_next(o)) != NULL) {
		if (!admin_sees_object(p, o, mark))
			continue;
		if ((i = admin_out_next(out)) == NULL)
			return;
		admin_object_info(i, o);
	}
}

/* The record of uid in v (n of them), added if new; NULL: ENOMEM. */
static struct qshm_uid_info *
admin_uid(struct qshm_uid_info **v, size_t *n, uid_t uid)
{
	struct qshm_uid_info	*u;
	size_t			 i;

	for (i = 0; i < *n; i++)
		if ((*v)[i].uid == uid)
			return (&(*v)[i]);
	if ((u = reallocarray(*v, *n + 1, sizeof *u)) == NULL)
		return (NULL);
	*v = u;
	u = &u[(*n)++];
	memset(u, 0, sizeof *u);
	u->uid = uid;
	u->max_handles = broker_cfg->max_handles_per_uid;
	u->max_connections = (uint32_t)broker_share(
	    broker_cfg->max_connections, broker_cfg->max_connections_per_uid);
	u->max_parked = (uint32_t)broker_share(broker_parked_cap(),
	    broker_cfg->max_parked_per_uid);
	u->max_inflight = broker_share(broker_inflight_cap(),
	    broker_cfg->max_inflight_per_uid);
	u->inflight = (uint32_t)shares_count(uid, SHARE_INFLIGHT);
	return (u);
}

/* Usage by uid: a few distinct uids, so a small array does. */
static int
admin_uid_usage(struct qshm_uid_info **v, size_t *n)
{
	struct qshm_uid_info	*u;
	struct handle		*h;
	struct proc		*pr;
	struct object		*o = NULL;
	size_t			 pos = 0;

	while ((pr = procs_next(&pos)) != NULL) {
		if ((u = admin_uid(v, n, pr->uid)) == NULL)
			return (ENOMEM);
		u->procs++;
		u->connections += pr->conns;
	}
	for (pos = 0; (h = handles_next(&pos)) != NULL;) {
		if ((u = admin_uid(v, n, h->creator_uid)) == NULL)
			return (ENOMEM);
		u->handles++;
		if ((u = admin_uid(v, n, h->recipient_uid)) == NULL)
			return (ENOMEM);
		u->received++;
	}
	while ((o = objects_next(o)) != NULL)
		if (o->park_id != 0) {
			if ((u = admin_uid(v, n, o->park_uid)) == NULL)
				return (ENOMEM);
			u->parked++;
		}
	return (0);
}

/* Root sees every uid's usage, others their own. */
static void
admin_list_uids(const struct peer *p, struct admin_out *out)
{
	struct qshm_uid_info	*v = NULL, *i;
	size_t			 n = 0, k;

	if ((out->error = admin_uid_usage(&v, &n)) == 0)
		for (k = 0; k < n; k++) {
			if (p->uid != 0 && v[k].uid != p->uid)
				continue;
			if ((i = admin_out_next(out)) == NULL)
				break;
			*i = v[k];
		}
	free(v);
}

/* Fill a sealed memfd with the records; returns errno. */
static int
admin_list_fill(const struct peer *p, uint32_t what, struct admin_out *out)
{
	int	seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
		    F_SEAL_SEAL;

	out->recsize = what == PROTO_LIST_HANDLES ?
	    sizeof(struct qshm_handle_info) : what == PROTO_LIST_UIDS ?
	    sizeof(struct qshm_uid_info) : sizeof(struct qshm_object_info);
	if ((out->buf = calloc(ADMIN_LIST_BATCH, out->recsize)) == NULL)
		return (ENOMEM);
	out->fd = memfd_create("qshm-list", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (out->fd == -1)
		return (errno == EMFILE || errno == ENFILE ? EAGAIN : ENOMEM);
	if (what == PROTO_LIST_HANDLES)
		admin_list_handles(p, out);
	else if (what == PROTO_LIST_UIDS)
		admin_list_uids(p, out);
	else
		admin_list_objects(p, out);
	admin_out_flush(out);
	if (out->error != 0)
		return (out->error);
	if (lseek(out->fd, 0, SEEK_SET) == -1 ||
	    fcntl(out->fd, F_ADD_SEALS, seals) == -1)
		return (ENOMEM);
	return (0);
}

/* Administration: admin.c. */
int
admin_list(struct peer *p, struct proto_msg *m)
{
	struct proto_list_reply	r;
	struct admin_out	out;
	int			error, rc;

	memset(&out, 0, sizeof out);
	out.fd = -1;
	error = admin_list_fill(p, m->u.list.what, &out);
	free(out.buf);
	if (error != 0) {
		if (out.fd != -1)
			close(out.fd);
		return (peers_reply_err(p, m, error));
	}
	memset(&r, 0, sizeof r);
	r.count = out.count;
	r.recsize = (uint32_t)out.recsize;
	rc = peers_reply(p, m, &r, sizeof r, out.fd);
	close(out.fd);
	return (rc);
}

/* Administration: admin.c. */
int
admin_stats(struct peer *p, struct proto_msg *m)
{
	struct proto_stats_reply	r;
	struct qshm_stats		*s = &r.stats;

	memset(&r, 0, sizeof r);
	*s = broker_stats;
	s->uptime_ms = broker_uptime_ms();
	s->pid = (uint32_t)getpid();
	s->protocol = PROTO_VERSION;
	s->connections = peers_count();
	s->objects = objects_count();
	s->handles = handles_count();
	s->procs = procs_count();
	s->max_handles = broker_cfg->max_handles;
	s->max_handles_per_uid = broker_cfg->max_handles_per_uid;
	s->max_connections = broker_cfg->max_connections;
	s->max_objects = broker_cfg->max_objects;
	s->max_parked = (uint32_t)broker_parked_cap();
	s->max_inflight = (uint32_t)broker_inflight_cap();
	return (peers_reply(p, m, &r, sizeof r, -1));
}

static void
admin_audit(const char *event, const struct peer *p, const struct object *o,
    int access, int err)
{
	struct audit_rec	r;

	if (!audit_enabled())
		return;
	audit_rec_init(&r, event);
	r.obj = o;
	r.has_creator = true;
	r.cpid = p->pid;
	r.cuid = p->uid;
	r.access = access;
	r.err = err;
	audit_log(&r);
}

/* The fd of a PARK request: a regular file, not O_PATH; errno. */
static int
admin_park_check(int fd, struct stat *st, int *access)
{
	int	fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 || (fl & O_PATH))
		return (EBADF);
	if (fstat(fd, st) == -1)
		return (EBADF);
	if (!S_ISREG(st->st_mode))
		return (EINVAL);
	*access = fl & O_ACCMODE;
	return (0);
}

/* Administration: admin.c. */
int
admin_park(struct peer *p, struct proto_msg *m)
{
	struct proto_status_reply	 r;
	struct object			*o = NULL;
	struct stat			 st;
	int				 error, access = -1;

	if ((error = admin_park_check(m->fd, &st, &access)) == 0) {
		o = objects_find(st.st_dev, st.st_ino);
		/* One parking per object: parking it again names it. */
		if (o != NULL && o->park_id != 0) {
			if (p->uid != 0 && p->uid != o->park_uid)
				error = EACCES;
		} else if ((error = objects_get(m->fd, &st, access, &o)) == 0) {
			error = objects_park(o, p->uid, access);
			objects_unref(o);	/* the parking holds its own */
		}
	}
	if (error != 0) {
		admin_audit("deny", p, NULL, access, error);
		return (peers_reply_err(p, m, error));
	}
	admin_audit("park", p, o, o->park_access, 0);
	memset(&r, 0, sizeof r);
	r.value = (uint32_t)o->park_id;
	return (peers_reply(p, m, &r, sizeof r, -1));
}

/* The parked object m names, if the caller owns it; errno. */
static int
admin_parked(const struct peer *p, const struct proto_msg *m,
    struct object **out)
{
	struct object	*o;

	if ((o = objects_parked(m->u.parked.id)) == NULL)
		return (ENOENT);
	if (p->uid != 0 && p->uid != o->park_uid)
		return (EACCES);
	*out = o;
	return (0);
}

/* Administration: admin.c. */
int
admin_parked_open(struct peer *p, struct proto_msg *m)
{
	struct proto_status_reply	 r;
	struct object			*o = NULL;
	int				 error, fd = -1, rc;
	int				 access = (int)m->u.parked.access;

	if ((error = admin_parked(p, m, &o)) == 0 &&
	    !policy_access_le(access, o->park_access))
		error = EACCES;
	if (error == 0 && (fd = objects_open(o, access, 0)) == -1)
		error = errno;
	if (error != 0) {
		admin_audit("deny", p, o, access, error);
		return (peers_reply_err(p, m, error));
	}
	memset(&r, 0, sizeof r);
	r.value = m->u.parked.id;
	rc = peers_reply(p, m, &r, sizeof r, fd);
	close(fd);
	if (rc == 0)
		admin_audit("open", p, o, access, 0);
	return (rc);
}

/* Administration: admin.c. */
int
admin_unpark(struct peer *p, struct proto_msg *m)
{
	struct proto_status_reply	 r;
	struct object			*o = NULL;
	int				 error;

	if ((error = admin_parked(p, m, &o)) != 0) {
		admin_audit("deny", p, o, -1, error);
		return (peers_reply_err(p, m, error));
	}
	admin_audit("unpark", p, o, -1, 0);
	objects_unpark(o);
	memset(&r, 0, sizeof r);
	r.value = m->u.parked.id;
	return (peers_reply(p, m, &r, sizeof r, -1));
}

/* Collect o's handles sel reaches that the asker may delete; errno. */
static int
admin_revoke_collect(const struct revoke_sel *sel, const struct object *o,
    struct handle ***list, size_t *n, size_t *matched)
{
	struct handle	*h, **nl;
	size_t		 pos = 0, cap = 0;

	while ((h = handles_next(&pos)) != NULL) {
		if (h->obj != o || (sel->target != NULL ?
		    h->recipient != sel->target :
		    (sel->pid != -1 && h->recipient->pid != sel->pid)))
			continue;
		(*matched)++;
		if (sel->admin && sel->uid != 0 && sel->uid != h->creator_uid)
			continue;
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nl = reallocarray(*list, cap, sizeof *nl)) == NULL)
				return (ENOMEM);
			*list = nl;
		}
		(*list)[(*n)++] = h;
	}
	return (0);
}

/* Destroy the handles and revoke the grants sel reaches; answer m. */
int
admin_revoke_run(struct peer *p, struct proto_msg *m, struct object *o,
    const struct revoke_sel *sel)
{
	struct handle	**list = NULL;
	size_t		  i, n = 0, matched = 0;
	uint32_t	  gmatched = 0, gallowed = 0;
	int		  error = 0;

	/* A restart waits for the revokes under way: none may join them. */
	if (restart_waiting())
		return (peers_reply_err(p, m, EAGAIN));
	if (o != NULL) {
		error = admin_revoke_collect(sel, o, &list, &n, &matched);
		revoke_count(o, sel, &gmatched, &gallowed);
	}
	if (error == 0 && matched + gmatched != 0 && n + gallowed == 0)
		error = EPERM;
	if (error != 0) {
		free(list);
		return (peers_reply_err(p, m, error));
	}
	/* Collected first: destroying reshapes the table under a walk. */
	for (i = 0; i < n; i++) {
		audit_handle("revoke", list[i], 0);
		broker_stats.revokes++;
		handles_destroy(list[i]);
	}
	free(list);
	return (revoke_start(p, m, o, sel,
	    n > UINT32_MAX ? UINT32_MAX : (uint32_t)n));
}

/* Administration: admin.c. */
int
admin_revoke(struct peer *p, struct proto_msg *m)
{
	struct revoke_sel	 sel;
	struct stat		 st;

	if (fstat(m->fd, &st) == -1)
		return (peers_reply_err(p, m, EBADF));
	memset(&sel, 0, sizeof sel);
	sel.pid = m->u.admin_revoke.pid;
	sel.uid = p->uid;
	sel.admin = 1;
	return (admin_revoke_run(p, m, objects_find(st.st_dev, st.st_ino),
	    &sel));
}
