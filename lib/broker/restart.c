/*
 * restart.c: re-executing the broker in place on SIGHUP.
 *
 * The state is a flat, versioned record file in a sealed memfd: a header
 * (counters, the listener), then processes, objects, handles, grants and
 * connections as fixed records.  Records name processes by identity key
 * and objects by device and inode, never by pointer or position, and name
 * descriptors by number: the exec keeps the numbers, with FD_CLOEXEC
 * cleared on exactly the descriptors the state lists.
 *
 * The new image trusts none of it: the memfd must be sealed and of the
 * exact size its counts give; every descriptor must be open, used once,
 * and of the kind its record says (an object's fd a regular file of that
 * device, inode and access mode; a pidfd the one of that identity key; a
 * connection a connected AF_UNIX socket, made non-blocking whatever it
 * was); every reference must resolve.
 * A state that fails any check is refused whole and the broker exits 1.
 *
 * A revoke waiting for its answers is not carried over: SIGHUP waits
 * for those under way, retrying every RESTART_RETRY_MS, and meanwhile
 * refuses new ones with EAGAIN (admin.c asks restart_waiting()), so that
 * no client can hold the restart off: it waits at most the revoke
 * deadline.  An audit file the new image would refuse, or a failed exec
 * (a broken upgrade), leaves the old image running.
 */

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker-int.h"
#include "audit.h"
#include "handles.h"
#include "ident.h"
#include "listener.h"
#include "loop.h"
#include "objects.h"
#include "peers.h"
#include "procs.h"
#include "restart.h"
#include "restart-state.h"
#include "revoke.h"
#include "sd.h"

#define RESTART_MAX_RECS	(1U << 24)
#define RESTART_MAX_FD		(1 << 22)
#define RESTART_RETRY_MS	50
#define RESTART_ARGV_MAX	(64 * 1024)

/* A growing buffer for the state, and the fds it names. */
struct rs_out {
	unsigned char	*buf;
	size_t		 len;
	size_t		 cap;
	int		*fds;
	size_t		 nfds;
	size_t		 fdcap;
	int		 error;
};

/* The state being loaded, and the fds claimed so far. */
struct rs_in {
	const unsigned char	*buf;
	size_t			 off;
	unsigned char		*used;	/* bitmap of claimed fds */
	uint64_t		 now;
	char			*err;
	size_t			 errlen;
};

static char		 *restart_exe;
static char		**restart_argv;
static char		 *restart_args;
static struct loop_timer restart_timer = { { -1, NULL, NULL }, NULL, NULL };
static bool		 restart_wait;	/* SIGHUP came, revokes are busy */

#ifdef QT_COVERAGE
/* libgcov's (make coverage): an exec would lose this image's counts. */
extern void	__gcov_dump(void);
extern void	__gcov_reset(void);
#endif

/*
 * Saving.
 */

static void
restart_put(struct rs_out *o, const void *rec, size_t len)
{
	unsigned char	*nb;
	size_t		 ncap;

	if (o->error != 0)
		return;
	if (o->len + len > o->cap) {
		ncap = o->cap == 0 ? 65536 : o->cap * 2;
		while (ncap < o->len + len)
			ncap *= 2;
		if ((nb = realloc(o->buf, ncap)) == NULL) {
			o->error = ENOMEM;
			return;
		}
		o->buf = nb;
		o->cap = ncap;
	}
	memcpy(o->buf + o->len, rec, len);
	o->len += len;
}

/* Remember fd to pass across the exec. */
static void
restart_pass(struct rs_out *o, int fd)
{
	int	*n;

	if (fd < 0 || o->error != 0)
		return;
	if (o->nfds == o->fdcap) {
		o->fdcap = o->fdcap == 0 ? 256 : o->fdcap * 2;
		if ((n = reallocarray(o->fds, o->fdcap, sizeof *n)) == NULL) {
			o->error = ENOMEM;
			return;
		}
		o->fds = n;
	}
	o->fds[o->nfds++] = fd;
}

static uint32_t
restart_save_procs(struct rs_out *o)
{
	struct rs_proc	 r;
	struct proc	*p;
	size_t		 pos = 0;
	uint32_t	 n = 0;

	while ((p = procs_next(&pos)) != NULL) {
		memset(&r, 0, sizeof r);
		r.key = p->key;
		r.pid = p->pid;
		r.uid = p->uid;
		r.gid = p->gid;
		r.pidfd = p->ev.fd;
		r.lim_cur = p->lim_cur;
		r.lim_max = p->lim_max;
		restart_put(o, &r, sizeof r);
		restart_pass(o, p->ev.fd);
		n++;
	}
	return (n);
}

static uint32_t
restart_save_objects(struct rs_out *o)
{
	struct rs_obj	 r;
	struct object	*ob = NULL;
	uint32_t	 n = 0;
	int		 i;

	while ((ob = objects_next(ob)) != NULL) {
		memset(&r, 0, sizeof r);
		r.dev = ob->dev;
		r.ino = ob->ino;
		for (i = 0; i < 3; i++) {
			r.fd[i] = ob->fd[i];
			restart_pass(o, ob->fd[i]);
		}
		r.park_id = (uint32_t)ob->park_id;
		r.park_uid = ob->park_uid;
		r.park_access = ob->park_access;
		r.ctl_flags = ob->ctl_flags;
		r.creator = ob->creator != NULL ? ob->creator->key : 0;
		restart_put(o, &r, sizeof r);
		n++;
	}
	return (n);
}

static uint32_t
restart_save_handles(struct rs_out *o)
{
	struct rs_handle	 r;
	struct handle		*h;
	size_t			 pos = 0;
	uint32_t		 n = 0;

	while ((h = handles_next(&pos)) != NULL) {
		memset(&r, 0, sizeof r);
		r.id = h->id;
		r.dev = h->obj->dev;
		r.ino = h->obj->ino;
		r.creator = h->creator->key;
		r.recipient = h->recipient->key;
		r.offset = h->offset;
		r.length = h->length;
		r.created_ms = h->created_ms;
		r.creator_uid = h->creator_uid;
		r.recipient_uid = h->recipient_uid;
		r.access = h->access;
		r.options = h->options;
		r.enforcement = h->enforcement;
		r.reason = h->reason;
		restart_put(o, &r, sizeof r);
		n++;
	}
	return (n);
}

static uint32_t
restart_save_grants(struct rs_out *o)
{
	struct rs_grant	 r;
	struct rgrant	*rg = NULL;
	uint32_t	 n = 0;

	while ((rg = revoke_next(rg)) != NULL) {
		memset(&r, 0, sizeof r);
		r.handle = rg->handle;
		r.dev = rg->obj->dev;
		r.ino = rg->obj->ino;
		r.proc = rg->proc->key;
		r.since_ms = rg->since_ms;
		r.creator_pid = rg->creator_pid;
		r.creator_uid = rg->creator_uid;
		r.recipient_uid = rg->recipient_uid;
		r.notice = rg->notice;
		r.access = rg->access;
		r.options = rg->options;
		r.enforcement = rg->enforcement;
		r.reason = rg->reason;
		r.state = rg->state;
		restart_put(o, &r, sizeof r);
		n++;
	}
	return (n);
}

static uint32_t
restart_save_peers(struct rs_out *o)
{
	struct rs_peer	 r;
	struct peer	*p = NULL;
	uint32_t	 n = 0;

	while ((p = peers_next(p)) != NULL) {
		memset(&r, 0, sizeof r);
		r.fd = p->ev.fd;
		r.watcher = p->proc->watcher == p;
		restart_put(o, &r, sizeof r);
		restart_pass(o, p->ev.fd);
		n++;
	}
	return (n);
}

/* Everything the broker holds, as records; the fds to pass in o. */
static void
restart_save(struct rs_out *o)
{
	struct listener_state	ls;
	struct rs_hdr		h;

	memset(&h, 0, sizeof h);
	memcpy(h.magic, RESTART_MAGIC, sizeof h.magic);
	h.version = RESTART_VERSION;
	h.hdrsize = sizeof h;
	h.last_notice = *revoke_last_notice_id();
	h.last_park = *objects_last_park_id();
	h.start_ms = *broker_start_time();
	listener_save(&ls);
	h.lfd = ls.fd;
	h.lock = ls.lock;
	h.ldev = ls.dev;
	h.lino = ls.ino;
	h.stats = broker_stats;
	h.stats.restarts++;
	restart_pass(o, ls.fd);
	restart_pass(o, ls.lock);
	restart_put(o, &h, sizeof h);	/* counts filled in below */
	h.nprocs = restart_save_procs(o);
	h.nobjs = restart_save_objects(o);
	h.nhandles = restart_save_handles(o);
	h.ngrants = restart_save_grants(o);
	h.npeers = restart_save_peers(o);
	if (o->error == 0)
		memcpy(o->buf, &h, sizeof h);
}

/* The state in a sealed memfd; -1 and errno. */
static int
restart_memfd(const struct rs_out *o)
{
	size_t	off = 0;
	ssize_t	n;
	int	fd, saved;

	fd = memfd_create("qshm-state", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd == -1)
		return (-1);
	while (off < o->len) {
		if ((n = write(fd, o->buf + off, o->len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, RESTART_SEALS) == -1)
		goto fail;
	return (fd);
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return (-1);
}

static void
restart_cloexec(const int *fds, size_t n, int on)
{
	size_t	i;

	for (i = 0; i < n; i++)
		(void)fcntl(fds[i], F_SETFD, on ? FD_CLOEXEC : 0);
}

/* Serialize and exec; returns (errno) only if that failed. */
static int
restart_exec(void)
{
	struct rs_out	o;
	char		num[16];
	int		sfd, error;

	memset(&o, 0, sizeof o);
	restart_save(&o);
	if ((error = o.error) != 0 || (sfd = restart_memfd(&o)) == -1) {
		error = error != 0 ? error : errno;
		free(o.buf);
		free(o.fds);
		return (error);
	}
	free(o.buf);
	restart_pass(&o, sfd);
	snprintf(num, sizeof num, "%d", sfd);
	if (o.error == 0 && setenv(RESTART_ENV, num, 1) == 0) {
		(void)sd_notify("RELOADING=1");
		restart_cloexec(o.fds, o.nfds, 0);
#ifdef QT_COVERAGE
		__gcov_dump();
#endif
		execv(restart_exe, restart_argv);
		error = errno;
#ifdef QT_COVERAGE
		__gcov_reset();	/* written: count the rest from zero */
#endif
		restart_cloexec(o.fds, o.nfds, 1);
		unsetenv(RESTART_ENV);
		(void)sd_notify("READY=1");
	} else
		error = o.error != 0 ? o.error : errno;
	close(sfd);
	free(o.fds);
	return (error);
}

/* SIGHUP: restart now, or once no revoke waits for answers. */
static void
restart_request(void)
{
	char	err[PATH_MAX + 256];
	int	error;

	if (revoke_busy() != 0) {
		/* Refusing revokes only while a retry is sure to come. */
		restart_wait = loop_timer_arm(&restart_timer,
		    RESTART_RETRY_MS) == 0;
		return;
	}
	restart_wait = false;
	/* The new image would exit on it, dropping every connection. */
	if (audit_check(broker_cfg->audit_path, err, sizeof err) == -1) {
		fprintf(stderr, "qshmctl: broker: restart: %s\n", err);
		return;
	}
	error = restart_exec();
	fprintf(stderr, "qshmctl: broker: restart: %s: %s\n", restart_exe,
	    strerror(error));
}

/* Whether a SIGHUP waits for the revokes under way; see restart.h. */
bool
restart_waiting(void)
{
	return (restart_wait);
}

static void
restart_retry(void *arg)
{
	(void)arg;
	restart_request();
}

/*
 * Starting: how this image was started.
 */

/* argv from /proc/self/cmdline: NUL-separated, as execve() got it. */
static int
restart_read_argv(void)
{
	size_t	len = 0, n = 0, i;
	ssize_t	r;
	int	fd;

	if ((restart_args = malloc(RESTART_ARGV_MAX + 1)) == NULL)
		return (ENOMEM);
	if ((fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC)) == -1)
		return (errno);
	while (len < RESTART_ARGV_MAX && (r = read(fd, restart_args + len,
	    RESTART_ARGV_MAX - len)) > 0)
		len += (size_t)r;
	close(fd);
	if (len == 0 || len == RESTART_ARGV_MAX || restart_args[len - 1])
		return (E2BIG);
	for (i = 0; i < len; i++)
		if (restart_args[i] == '\0')
			n++;
	if ((restart_argv = calloc(n + 1, sizeof *restart_argv)) == NULL)
		return (ENOMEM);
	for (i = 0, n = 0; i < len; i += strlen(restart_args + i) + 1)
		restart_argv[n++] = restart_args + i;
	return (0);
}

/* Remember how this image was started; see restart.h. */
int
restart_init(void)
{
	char	buf[PATH_MAX];
	ssize_t	n;
	int	error;

	/* The path, not /proc/self/exe: an upgrade replaces the file. */
	if ((n = readlink("/proc/self/exe", buf, sizeof buf - 1)) == -1)
		return (errno);
	buf[n] = '\0';
	if ((restart_exe = strdup(buf)) == NULL)
		return (ENOMEM);
	if ((error = restart_read_argv()) != 0)
		return (error);
	if ((error = loop_timer_init(&restart_timer, restart_retry,
	    NULL)) != 0)
		return (error);
	loop_on_hup(restart_request);
	return (0);
}

/* Free what restart_init() kept (at exit). */
void
restart_done(void)
{
	loop_on_hup(NULL);
	loop_timer_done(&restart_timer);
	free(restart_exe);
	free(restart_argv);
	free(restart_args);
	restart_exe = NULL;
	restart_argv = NULL;
	restart_args = NULL;
}

/*
 * Loading.
 */

/* Whether this process was started by a restart (a state to load). */
bool
restart_pending(void)
{
	return (getenv(RESTART_ENV) != NULL);
}

static int
restart_bad(struct rs_in *in, const char *what)
{
	snprintf(in->err, in->errlen, "restart state: %s", what);
	return (-1);
}

/* Claim fd for one record: open, >= 3, not claimed before. */
static int
restart_claim(struct rs_in *in, int fd)
{
	if (fd < 3 || fd >= RESTART_MAX_FD || fcntl(fd, F_GETFD) == -1)
		return (-1);
	if (in->used[fd / 8] & (1U << (fd % 8)))
		return (-1);
	in->used[fd / 8] |= (unsigned char)(1U << (fd % 8));
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return (0);
}

static const void *
restart_get(struct rs_in *in, size_t len)
{
	const void	*p = in->buf + in->off;

	in->off += len;
	return (p);
}

/* An inherited socket must not block the loop, whoever made it. */
static int
restart_nonblock(int fd)
{
	int	fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return (-1);
	return (fcntl(fd, F_SETFL, fl | O_NONBLOCK));
}

static int
restart_sock_type(int fd, int *type, int *listening)
{
	socklen_t	len = sizeof(int);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, type, &len) == -1)
		return (-1);
	len = sizeof(int);
	return (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, listening, &len));
}

/* The pidfd is key's, or its process is gone (reclaimed at once). */
static int
restart_pidfd_ok(int pidfd, pid_t pid, uint64_t key)
{
	uint64_t	k;

	if (ident_key(pidfd, pid, &k) == 0)
		return (k == key ? 0 : -1);
	return (ident_alive(pidfd) ? -1 : 0);
}

static int
restart_load_procs(struct rs_in *in, uint32_t n)
{
	const struct rs_proc	*r;
	struct proc		*p;
	uint32_t		 i;

	for (i = 0; i < n; i++) {
		r = restart_get(in, sizeof *r);
		if (r->key == 0 || r->pid <= 0 || procs_find(r->key) != NULL ||
		    r->lim_cur > r->lim_max)
			return (restart_bad(in, "a process record"));
		if (r->pidfd != -1 && (restart_claim(in, r->pidfd) == -1 ||
		    restart_pidfd_ok(r->pidfd, r->pid, r->key) == -1))
			return (restart_bad(in, "a process's pidfd"));
		if ((p = procs_get(r->key, r->pid, r->uid, r->gid)) == NULL)
			return (restart_bad(in, "out of memory"));
		p->lim_cur = r->lim_cur;
		p->lim_max = r->lim_max;
		if (r->pidfd != -1 && procs_watch(p, r->pidfd) != 0)
			return (restart_bad(in, "watching a pidfd"));
	}
	return (0);
}

/* An object's fd: a regular file of dev/ino opened with mode. */
static int
restart_check_objfd(struct rs_in *in, const struct rs_obj *r, int mode)
{
	struct stat	st;
	int		fd = r->fd[mode], fl;

	if (fd == -1)
		return (0);
	if (restart_claim(in, fd) == -1 || fstat(fd, &st) == -1 ||
	    !S_ISREG(st.st_mode) || (uint64_t)st.st_dev != r->dev ||
	    (uint64_t)st.st_ino != r->ino || (fl = fcntl(fd, F_GETFL)) == -1 ||
	    (fl & O_ACCMODE) != mode)
		return (-1);
	return (0);
}

/* o's creator holds a reference to it, as revoke.c's shm_ctl() does. */
static int
restart_set_creator(struct object *o, uint64_t key)
{
	struct proc	*p;

	if (key == 0)
		return (0);
	if ((p = procs_find(key)) == NULL || p->ev.fd == -1)
		return (-1);
	o->creator = p;
	procs_ref(p);
	p->nrevoke++;
	objects_ref(o);
	return (0);
}

static int
restart_load_objects(struct rs_in *in, uint32_t n)
{
	const struct rs_obj	*r;
	struct object		*o;
	uint32_t		 i;
	int			 m;

	for (i = 0; i < n; i++) {
		r = restart_get(in, sizeof *r);
		for (m = 0; m < 3; m++)
			if (restart_check_objfd(in, r, m) == -1)
				return (restart_bad(in, "an object's fd"));
		if ((r->fd[0] == -1 && r->fd[1] == -1 && r->fd[2] == -1) ||
		    (r->park_id != 0 && (r->park_access < O_RDONLY ||
		    r->park_access > O_RDWR)))
			return (restart_bad(in, "an object record"));
		if ((o = objects_restore(r->dev, r->ino, r->fd)) == NULL)
			return (restart_bad(in, "an object twice"));
		o->ctl_flags = r->ctl_flags & SHMCTL_FLAG_MASK;
		if ((r->park_id != 0 && objects_restore_park(o, r->park_id,
		    r->park_uid, r->park_access) != 0) ||
		    restart_set_creator(o, r->creator) == -1)
			return (restart_bad(in, "an object's owner"));
	}
	return (0);
}

static int
restart_load_handles(struct rs_in *in, uint32_t n)
{
	const struct rs_handle	*r;
	struct handle		 t;
	uint32_t		 i;

	for (i = 0; i < n; i++) {
		r = restart_get(in, sizeof *r);
		memset(&t, 0, sizeof t);
		t.id = r->id;
		t.obj = objects_find(r->dev, r->ino);
		t.creator = procs_find(r->creator);
		t.recipient = procs_find(r->recipient);
		if (t.obj == NULL || t.creator == NULL || t.recipient == NULL ||
		    t.recipient->ev.fd == -1 || r->access > O_RDWR ||
		    (r->options & ~SHM_CREATE_HANDLE_OPT_VALID_MASK) ||
		    r->enforcement > QSHM_ENF_ADVISORY ||
		    r->reason > QSHM_WHY_RESIZE || r->created_ms > in->now)
			return (restart_bad(in, "a handle record"));
		t.offset = r->offset;
		t.length = r->length;
		t.created_ms = r->created_ms;
		t.creator_uid = r->creator_uid;
		t.recipient_uid = r->recipient_uid;
		t.access = r->access;
		t.options = r->options;
		t.enforcement = r->enforcement;
		t.reason = r->reason;
		if (handles_restore(&t) != 0)
			return (restart_bad(in, "a handle twice"));
	}
	return (0);
}

static int
restart_load_grants(struct rs_in *in, uint32_t n)
{
	const struct rs_grant	*r;
	struct rgrant		 t;
	uint32_t		 i;

	for (i = 0; i < n; i++) {
		r = restart_get(in, sizeof *r);
		memset(&t, 0, sizeof t);
		t.obj = objects_find(r->dev, r->ino);
		t.proc = procs_find(r->proc);
		if (t.obj == NULL || t.proc == NULL || t.proc->ev.fd == -1 ||
		    r->access > O_RDWR || r->since_ms > in->now ||
		    r->enforcement > QSHM_ENF_ADVISORY ||
		    r->reason > QSHM_WHY_RESIZE)
			return (restart_bad(in, "a grant record"));
		t.handle = r->handle;
		t.since_ms = r->since_ms;
		t.notice = r->notice;
		t.creator_pid = r->creator_pid;
		t.creator_uid = r->creator_uid;
		t.recipient_uid = r->recipient_uid;
		t.access = r->access;
		t.options = r->options;
		t.enforcement = r->enforcement;
		t.reason = r->reason;
		t.state = r->state;
		if (revoke_restore(&t) != 0)
			return (restart_bad(in, "a grant's state"));
	}
	return (0);
}

static int
restart_load_peers(struct rs_in *in, uint32_t n)
{
	const struct rs_peer	*r;
	struct peer		*p;
	uint32_t		 i;
	int			 type, listening;

	for (i = 0; i < n; i++) {
		r = restart_get(in, sizeof *r);
		if (r->watcher > 1 || restart_claim(in, r->fd) == -1 ||
		    restart_sock_type(r->fd, &type, &listening) == -1 ||
		    type != SOCK_SEQPACKET || listening ||
		    restart_nonblock(r->fd) == -1)
			return (restart_bad(in, "a connection"));
		/* A client that went away meanwhile is closed by adopt. */
		if ((p = peers_adopt(r->fd)) != NULL && r->watcher &&
		    p->proc->watcher == NULL)
			p->proc->watcher = p;
	}
	return (0);
}

/* Drop the references loading held on processes and objects. */
static void
restart_unhold(const struct rs_hdr *h, const unsigned char *buf)
{
	const struct rs_proc	*rp;
	const struct rs_obj	*ro;
	struct proc		*p;
	struct object		*o;
	uint32_t		 i;

	ro = (const void *)(buf + h->hdrsize + h->nprocs * sizeof *rp);
	for (i = 0; i < h->nobjs; i++)
		if ((o = objects_find(ro[i].dev, ro[i].ino)) != NULL)
			objects_unref(o);
	rp = (const void *)(buf + h->hdrsize);
	for (i = 0; i < h->nprocs; i++)
		if ((p = procs_find(rp[i].key)) != NULL) {
			procs_maybe_unwatch(p);
			procs_unref(p);
		}
}

/* The header: magic, version, exact size, the listener. */
static int
restart_check_hdr(struct rs_in *in, const struct rs_hdr *h, size_t size)
{
	uint64_t	need;
	struct stat	st;

	if (memcmp(h->magic, RESTART_MAGIC, sizeof h->magic) != 0)
		return (restart_bad(in, "not a broker state"));
	if (h->version != RESTART_VERSION || h->hdrsize != sizeof *h)
		return (restart_bad(in, "another version's state"));
	if (h->nprocs > RESTART_MAX_RECS || h->nobjs > RESTART_MAX_RECS ||
	    h->nhandles > RESTART_MAX_RECS || h->ngrants > RESTART_MAX_RECS ||
	    h->npeers > RESTART_MAX_RECS)
		return (restart_bad(in, "too many records"));
	need = sizeof *h + (uint64_t)h->nprocs * sizeof(struct rs_proc) +
	    (uint64_t)h->nobjs * sizeof(struct rs_obj) +
	    (uint64_t)h->nhandles * sizeof(struct rs_handle) +
	    (uint64_t)h->ngrants * sizeof(struct rs_grant) +
	    (uint64_t)h->npeers * sizeof(struct rs_peer);
	if (need != size || h->start_ms > in->now)
		return (restart_bad(in, "sizes or times do not add up"));
	if (restart_claim(in, h->lfd) == -1 || !sd_is_listener(h->lfd) ||
	    restart_nonblock(h->lfd) == -1)
		return (restart_bad(in, "the listening socket"));
	if (h->lock != -1 && (restart_claim(in, h->lock) == -1 ||
	    fstat(h->lock, &st) == -1 || !S_ISREG(st.st_mode)))
		return (restart_bad(in, "the lock file"));
	return (0);
}

/* Read the sealed state memfd named by the environment; NULL on error. */
static unsigned char *
restart_read(struct rs_in *in, size_t *sizep)
{
	const char	*env = getenv(RESTART_ENV);
	unsigned char	*buf;
	struct stat	 st;
	char		*end;
	long		 fd;
	ssize_t		 n;

	errno = 0;
	fd = strtol(env, &end, 10);
	if (errno != 0 || *end != '\0' || fd < 3 || fd > INT_MAX ||
	    restart_claim(in, (int)fd) == -1) {
		restart_bad(in, "no state descriptor");
		return (NULL);
	}
	unsetenv(RESTART_ENV);
	if (fstat((int)fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    fcntl((int)fd, F_GET_SEALS) != RESTART_SEALS ||
	    st.st_size < (off_t)sizeof(struct rs_hdr) ||
	    (uint64_t)st.st_size > (uint64_t)RESTART_MAX_RECS * 256) {
		close((int)fd);
		restart_bad(in, "not a sealed state of a sane size");
		return (NULL);
	}
	if ((buf = malloc((size_t)st.st_size)) != NULL &&
	    (n = pread((int)fd, buf, (size_t)st.st_size, 0)) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close((int)fd);
	if (buf == NULL)
		restart_bad(in, "cannot read it");
	*sizep = (size_t)st.st_size;
	return (buf);
}

static int
restart_load_all(struct rs_in *in, const struct rs_hdr *h, const char *path)
{
	struct listener_state	ls;

	if (restart_check_hdr(in, h, in->off) == -1)
		return (-1);
	in->off = sizeof *h;
	ls.fd = h->lfd;
	ls.lock = h->lock;
	ls.dev = h->ldev;
	ls.ino = h->lino;
	listener_restore(&ls, path);
	*broker_start_time() = h->start_ms;
	*objects_last_park_id() = h->last_park;
	*revoke_last_notice_id() = h->last_notice;
	if (restart_load_procs(in, h->nprocs) == -1 ||
	    restart_load_objects(in, h->nobjs) == -1 ||
	    restart_load_handles(in, h->nhandles) == -1 ||
	    restart_load_grants(in, h->ngrants) == -1 ||
	    restart_load_peers(in, h->npeers) == -1)
		return (-1);
	broker_stats = h->stats;	/* adopting counted the connections */
	return (0);
}

/* Load the previous image's state; see restart.h. */
int
restart_load(const char *path, char *err, size_t errlen)
{
	struct rs_in	 in;
	struct rs_hdr	 h;
	unsigned char	*buf;
	size_t		 size;
	int		 rc;

	memset(&in, 0, sizeof in);
	in.err = err;
	in.errlen = errlen;
	in.now = broker_now_ms();
	if ((in.used = calloc(RESTART_MAX_FD / 8, 1)) == NULL) {
		snprintf(err, errlen, "restart state: out of memory");
		return (-1);
	}
	if ((buf = restart_read(&in, &size)) == NULL) {
		free(in.used);
		return (-1);
	}
	memcpy(&h, buf, sizeof h);
	in.buf = buf;
	in.off = size;
	rc = restart_load_all(&in, &h, path);
	if (rc == 0)
		restart_unhold(&h, buf);
	free(buf);
	free(in.used);
	return (rc);
}
