/*
 * admin.c: the qshm_ administrative calls: limits, listings (read from the
 * sealed memfd the broker replies with), statistics, parked anonymous
 * objects and revocation by an administrator.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

#define ADMIN_PATH_SIZE	sizeof(((struct qshm_handle_info *)NULL)->path)
_Static_assert(sizeof(((struct qshm_object_info *)NULL)->path) ==
    ADMIN_PATH_SIZE, "one path size");

#define ADMIN_LIST_SEALS \
	(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)

static uint64_t
admin_rlim_to_wire(rlim_t v)
{
	return (v == RLIM_INFINITY ? UINT64_MAX : (uint64_t)v);
}

static rlim_t
admin_rlim_from_wire(uint64_t v)
{
	return (v == UINT64_MAX ? RLIM_INFINITY : (rlim_t)v);
}

/* Read and set pid's handle limit (0: the caller), as prlimit() does. */
int
qshm_handle_limit(pid_t pid, const struct rlimit *new_limit,
    struct rlimit *old_limit)
{
	struct proto_limit	l;
	struct proto_msg	reply;

	client_detail_clear();
	if (pid < 0)
		return (client_fail(ESRCH, "no process %ld", (long)pid));
	memset(&l, 0, sizeof l);
	l.pid = pid;
	if (new_limit != NULL) {
		if (new_limit->rlim_cur > new_limit->rlim_max)
			return (client_fail(EINVAL, "soft limit above the "
			    "hard limit"));
		l.flags = PROTO_LIMIT_SET;
		l.cur = admin_rlim_to_wire(new_limit->rlim_cur);
		l.max = admin_rlim_to_wire(new_limit->rlim_max);
	}
	if (client_call(PROTO_LIMIT, &l, sizeof l, -1, -1, &reply) == -1)
		return (-1);
	if (old_limit != NULL) {
		old_limit->rlim_cur =
		    admin_rlim_from_wire(reply.u.limit_reply.cur);
		old_limit->rlim_max =
		    admin_rlim_from_wire(reply.u.limit_reply.max);
	}
	return (0);
}

static int
admin_read_all(int fd, unsigned char *buf, size_t len)
{
	size_t	done = 0;
	ssize_t	n;

	while (done < len) {
		n = pread(fd, buf + done, len - done, (off_t)done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (client_fail(n == 0 ? EPROTO : errno,
			    "reading the list: short read"));
		done += (size_t)n;
	}
	return (0);
}

/* Check the list memfd (sealed, exactly count records) and copy it out. */
static int
admin_read_list(int fd, const struct proto_list_reply *r, size_t recsize,
    void **out)
{
	struct stat	 st;
	unsigned char	*buf;
	uint64_t	 total = (uint64_t)r->count * r->recsize;
	int		 seals;

	if (r->recsize != recsize)
		return (client_fail(EPROTO, "list records are %u bytes, the "
		    "library's are %zu", (unsigned)r->recsize, recsize));
	seals = fcntl(fd, F_GET_SEALS);
	if (seals == -1 || (seals & ADMIN_LIST_SEALS) != ADMIN_LIST_SEALS)
		return (client_fail(EPROTO, "the list is not a sealed memfd"));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != total)
		return (client_fail(EPROTO, "the list holds %jd bytes, not %u "
		    "records", (intmax_t)st.st_size, (unsigned)r->count));
	if (total == 0)
		return (0);
	if (total > SIZE_MAX || (buf = malloc((size_t)total)) == NULL)
		return (client_fail(ENOMEM, "list of %ju bytes",
		    (uintmax_t)total));
	if (admin_read_all(fd, buf, (size_t)total) == -1) {
		free(buf);
		return (-1);
	}
	*out = buf;
	return (0);
}

static int
admin_list(uint32_t what, size_t recsize, void **out, size_t *count)
{
	struct proto_list	l;
	struct proto_msg	reply;
	int			r, saved;

	client_detail_clear();
	*out = NULL;
	*count = 0;
	memset(&l, 0, sizeof l);
	l.what = what;
	if (client_call(PROTO_LIST, &l, sizeof l, -1, -1, &reply) == -1)
		return (-1);
	if (reply.fd == -1)
		return (client_fail(EPROTO, "the broker sent no list"));
	r = admin_read_list(reply.fd, &reply.u.list_reply, recsize, out);
	saved = errno;
	proto_msg_clear(&reply);
	errno = saved;
	if (r == 0)
		*count = reply.u.list_reply.count;
	return (r);
}

/*
 * A list of records that each hold a path of ADMIN_PATH_SIZE bytes at
 * path_off: the broker's word that the paths end is not taken, they are
 * ended here.
 */
static int
admin_list_paths(uint32_t what, size_t recsize, size_t path_off, void **out,
    size_t *count)
{
	unsigned char	*rec;
	size_t		 i, end = path_off + ADMIN_PATH_SIZE - 1;

	if (count == NULL)
		return (client_fail(EINVAL, "NULL result pointer"));
	if (admin_list(what, recsize, out, count) == -1)
		return (-1);
	for (i = 0, rec = *out; i < *count; i++, rec += recsize)
		rec[end] = '\0';
	return (0);
}

/* List the handles the caller may see; free(*out) afterwards. */
int
qshm_list_handles(struct qshm_handle_info **out, size_t *count)
{
	void	*p;

	if (out == NULL)
		return (client_fail(EINVAL, "NULL result pointer"));
	*out = NULL;
	if (admin_list_paths(PROTO_LIST_HANDLES, sizeof **out,
	    offsetof(struct qshm_handle_info, path), &p, count) == -1)
		return (-1);
	*out = p;
	return (0);
}

/* List the objects the caller may see; free(*out) afterwards. */
int
qshm_list_objects(struct qshm_object_info **out, size_t *count)
{
	void	*p;

	if (out == NULL)
		return (client_fail(EINVAL, "NULL result pointer"));
	*out = NULL;
	if (admin_list_paths(PROTO_LIST_OBJECTS, sizeof **out,
	    offsetof(struct qshm_object_info, path), &p, count) == -1)
		return (-1);
	*out = p;
	return (0);
}

/* Usage by uid; free(*out) afterwards. */
int
qshm_list_uids(struct qshm_uid_info **out, size_t *count)
{
	void	*p;

	if (out == NULL || count == NULL)
		return (client_fail(EINVAL, "NULL result pointer"));
	*out = NULL;
	if (admin_list(PROTO_LIST_UIDS, sizeof **out, &p, count) == -1)
		return (-1);
	*out = p;
	return (0);
}

/* Read the broker's counters. */
int
qshm_stats(struct qshm_stats *stats)
{
	struct proto_msg	reply;

	client_detail_clear();
	if (stats == NULL)
		return (client_fail(EINVAL, "stats is NULL"));
	if (client_call(PROTO_STATS, NULL, 0, -1, -1, &reply) == -1)
		return (-1);
	memcpy(stats, &reply.u.stats_reply.stats, sizeof *stats);
	return (0);
}

/* Park an anonymous object in the broker; *idp receives its @N id. */
int
qshm_park(int fd, uint32_t *idp)
{
	struct proto_parked	p;
	struct proto_msg	reply;
	struct stat		st;
	int			accmode;

	client_detail_clear();
	if (client_check_object(fd, &st, &accmode) == -1)
		return (-1);
	if (idp == NULL)
		return (client_fail(EINVAL, "idp is NULL"));
	memset(&p, 0, sizeof p);
	if (client_call(PROTO_PARK, &p, sizeof p, fd, -1, &reply) == -1)
		return (-1);
	if (reply.u.status.value == 0)
		return (client_fail(EPROTO, "the broker sent id 0"));
	*idp = reply.u.status.value;
	return (0);
}

/* Open a parked object (owner or root) with O_RDONLY/O_WRONLY/O_RDWR. */
int
qshm_open_parked(uint32_t id, int flags)
{
	struct proto_parked	p;
	struct proto_msg	reply;
	int			reserve;

	client_detail_clear();
	if (!client_valid_open_flags(flags))
		return (client_fail(EINVAL, "flags must be one access mode, "
		    "optionally with O_CLOEXEC"));
	if (id == 0)
		return (client_fail(ENOENT, "no parked object @0"));
	if ((reserve = client_reserve_fd()) == -1)
		return (-1);
	memset(&p, 0, sizeof p);
	p.id = id;
	p.access = (uint32_t)(flags & O_ACCMODE);
	if (client_call(PROTO_PARKED_OPEN, &p, sizeof p, -1, reserve,
	    &reply) == -1)
		return (-1);
	return (client_take_fd(&reply, flags & O_ACCMODE));
}

/* Release a parked object; it disappears once its handles are gone. */
int
qshm_unpark(uint32_t id)
{
	struct proto_parked	p;
	struct proto_msg	reply;

	client_detail_clear();
	if (id == 0)
		return (client_fail(ENOENT, "no parked object @0"));
	memset(&p, 0, sizeof p);
	p.id = id;
	return (client_call(PROTO_UNPARK, &p, sizeof p, -1, -1, &reply));
}

/* Destroy the unused handles to fd's object made for pid (-1: all). */
int
qshm_admin_revoke(int fd, pid_t pid)
{
	struct proto_admin_revoke	a;
	struct proto_msg		reply;
	struct stat			st;
	int				accmode;

	client_detail_clear();
	if (client_check_object(fd, &st, &accmode) == -1)
		return (-1);
	if (pid < -1)
		return (client_fail(EINVAL, "pid %ld", (long)pid));
	memset(&a, 0, sizeof a);
	a.pid = pid;
	if (client_call(PROTO_ADMIN_REVOKE, &a, sizeof a, fd, -1,
	    &reply) == -1)
		return (-1);
	if (reply.u.status.value > INT_MAX)
		return (INT_MAX);
	return ((int)reply.u.status.value);
}

/* The path of the broker socket this process uses. */
const char *
qshm_socket_path(void)
{
	client_detail_clear();
	return (client_socket_path());
}

/* Name a grant state. */
const char *
qshm_state_str(unsigned state)
{
	static const char	*names[] = {
		[QSHM_STATE_PENDING] = "pending",
		[QSHM_STATE_IN_USE] = "in use",
		[QSHM_STATE_REVOKING] = "revoking",
		[QSHM_STATE_ACKNOWLEDGED] = "acknowledged",
		[QSHM_STATE_ENFORCED] = "enforced",
		[QSHM_STATE_TIMED_OUT] = "timed out",
		[QSHM_STATE_UNCOVERED] = "uncovered",
	};

	if (state >= sizeof names / sizeof names[0])
		return ("unknown");
	return (names[state]);
}

/* Name an enforcement reason. */
const char *
qshm_reason_str(unsigned reason)
{
	static const char	*names[] = {
		[QSHM_WHY_FULL] = "full",
		[QSHM_WHY_SEALED] = "sealed",
		[QSHM_WHY_MODE] = "mode",
		[QSHM_WHY_SAME_UID] = "same uid",
		[QSHM_WHY_ROOT] = "root",
		[QSHM_WHY_MODE_ALLOWS] = "mode allows",
		[QSHM_WHY_SUBRANGE] = "subrange",
		[QSHM_WHY_NOFD] = "nofd",
		[QSHM_WHY_CAPS] = "capability",
		[QSHM_WHY_RESIZE] = "resize",
	};

	if (reason >= sizeof names / sizeof names[0])
		return ("unknown");
	return (names[reason]);
}
