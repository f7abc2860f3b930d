/*
 * proto.c: the one codec for broker messages.  proto_decode() checks a
 * message completely (magic, version, type, exact length, zero padding,
 * allowed flags, fd count) before anyone reads its payload; proto_recv()
 * and proto_send() move messages and descriptors across the socket.
 */

#include <sys/socket.h>
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"

/* More fd room than any message needs, so extra fds arrive and get closed. */
#define PROTO_FD_ROOM	16

struct proto_type_info {
	const char	*name;
	size_t		 request;	/* payload bytes */
	size_t		 reply;
	int		 request_fds;
	bool		 reply_fd;	/* a successful reply carries one fd */
	bool		(*valid)(const struct proto_msg *);
};

static bool	proto_valid_grant(const struct proto_msg *);
static bool	proto_valid_open(const struct proto_msg *);
static bool	proto_valid_limit(const struct proto_msg *);
static bool	proto_valid_list(const struct proto_msg *);
static bool	proto_valid_parked(const struct proto_msg *);
static bool	proto_valid_park(const struct proto_msg *);
static bool	proto_valid_admin_revoke(const struct proto_msg *);
static bool	proto_valid_ctl(const struct proto_msg *);
static bool	proto_valid_revoke(const struct proto_msg *);

static const struct proto_type_info proto_types[PROTO_TYPE_MAX] = {
	[PROTO_GRANT] = { "grant", sizeof(struct proto_grant),
	    sizeof(struct proto_grant_reply), 1, false, proto_valid_grant },
	[PROTO_OPEN] = { "open", sizeof(struct proto_open),
	    sizeof(struct proto_open_reply), 0, true, proto_valid_open },
	[PROTO_DELETE] = { "delete", sizeof(struct proto_delete),
	    sizeof(struct proto_status_reply), 0, false, NULL },
	[PROTO_LIMIT] = { "limit", sizeof(struct proto_limit),
	    sizeof(struct proto_limit_reply), 0, false, proto_valid_limit },
	[PROTO_LIST] = { "list", sizeof(struct proto_list),
	    sizeof(struct proto_list_reply), 0, true, proto_valid_list },
	[PROTO_STATS] = { "stats", 0,
	    sizeof(struct proto_stats_reply), 0, false, NULL },
	[PROTO_PARK] = { "park", sizeof(struct proto_parked),
	    sizeof(struct proto_status_reply), 1, false, proto_valid_park },
	[PROTO_PARKED_OPEN] = { "parked-open", sizeof(struct proto_parked),
	    sizeof(struct proto_status_reply), 0, true, proto_valid_parked },
	[PROTO_UNPARK] = { "unpark", sizeof(struct proto_parked),
	    sizeof(struct proto_status_reply), 0, false, proto_valid_park },
	[PROTO_ADMIN_REVOKE] = { "admin-revoke",
	    sizeof(struct proto_admin_revoke),
	    sizeof(struct proto_status_reply), 1, false,
	    proto_valid_admin_revoke },
	[PROTO_CTL] = { "ctl", sizeof(struct proto_ctl),
	    sizeof(struct proto_status_reply), 1, false, proto_valid_ctl },
	[PROTO_REVOKE] = { "revoke", sizeof(struct proto_revoke),
	    sizeof(struct proto_status_reply), 1, false, proto_valid_revoke },
	[PROTO_WATCH] = { "watch", 0,
	    sizeof(struct proto_status_reply), 0, false, NULL },
	[PROTO_NOTICE] = { "notice", sizeof(struct proto_notice),
	    sizeof(struct proto_status_reply), 0, false, NULL },
};

_Static_assert(sizeof(struct proto_hdr) == 16, "header layout");
_Static_assert(sizeof(struct proto_grant) == 32, "grant layout");
_Static_assert(sizeof(struct proto_open) == 40, "open layout");
_Static_assert(sizeof(struct proto_open_reply) == 32, "open reply layout");
_Static_assert(sizeof(struct proto_ctl) == 16, "ctl layout");
_Static_assert(sizeof(struct proto_stats_reply) <= PROTO_MAX_PAYLOAD,
    "stats reply fits");

static bool
proto_valid_access(uint32_t access)
{
	return (access == O_RDONLY || access == O_WRONLY || access == O_RDWR);
}

static bool
proto_valid_grant(const struct proto_msg *m)
{
	const struct proto_grant	*g = &m->u.grant;

	if (g->pad != 0 || !proto_valid_access(g->access))
		return (false);
	if (g->options & ~SHM_CREATE_HANDLE_OPT_VALID_MASK)
		return (false);
	if (!(g->options & SHM_CREATE_HANDLE_OPT_SUBRANGE))
		return (g->offset == 0 && g->length == 0);
	return (true);
}

static bool
proto_valid_open(const struct proto_msg *m)
{
	const struct proto_open	*o = &m->u.open;

	if (!proto_valid_access(o->access))
		return (false);
	switch (o->purpose) {
	case PROTO_OPEN_FD:
		return (o->prot == 0 && o->offset == 0 && o->length == 0);
	case PROTO_OPEN_MAP:
		return ((o->prot & ~(uint32_t)(PROT_READ | PROT_WRITE |
		    PROT_EXEC)) == 0 && o->length != 0);
	}
	return (false);
}

static bool
proto_valid_limit(const struct proto_msg *m)
{
	const struct proto_limit	*l = &m->u.limit;

	if (l->flags & ~(uint32_t)PROTO_LIMIT_SET)
		return (false);
	if (!(l->flags & PROTO_LIMIT_SET))
		return (l->cur == 0 && l->max == 0);
	return (true);
}

static bool
proto_valid_list(const struct proto_msg *m)
{
	const struct proto_list	*l = &m->u.list;

	return (l->pad == 0 &&
	    (l->what == PROTO_LIST_HANDLES || l->what == PROTO_LIST_OBJECTS ||
	    l->what == PROTO_LIST_UIDS));
}

static bool
proto_valid_parked(const struct proto_msg *m)
{
	return (proto_valid_access(m->u.parked.access));
}

static bool
proto_valid_park(const struct proto_msg *m)
{
	/* PARK sends no id yet; UNPARK sends one; neither sends an access. */
	if (m->u.parked.access != 0)
		return (false);
	if (m->hdr.type == PROTO_PARK)
		return (m->u.parked.id == 0);
	return (true);
}

static bool
proto_valid_admin_revoke(const struct proto_msg *m)
{
	return (m->u.admin_revoke.pad == 0 && m->u.admin_revoke.pid >= -1);
}

static bool
proto_valid_ctl(const struct proto_msg *m)
{
	const struct proto_ctl	*c = &m->u.ctl;

	if (c->pad != 0)
		return (false);
	if (c->flags == SHMCTL_GET_FLAGS)
		return (c->size == 0);
	if (c->flags == 0 || (c->flags & ~(uint32_t)PROTO_CTL_CHANGE))
		return (false);
	return ((c->flags & SHMCTL_ANON) || c->size == 0);
}

static bool
proto_valid_revoke(const struct proto_msg *m)
{
	const struct proto_revoke	*r = &m->u.revoke;

	return (r->pad == 0 && (r->pid > 0 || r->pid == -1));
}

/*
 * Every reply starts with an errno, which must be one; padding is zero and
 * a failed reply carries nothing but its errno.
 */
static bool
proto_valid_reply(const struct proto_msg *m)
{
	int32_t	err;

	memcpy(&err, m->u.raw, sizeof err);
	if (err < 0 || err >= 4096)
		return (false);
	switch (m->hdr.type & ~PROTO_REPLY) {
	case PROTO_LIMIT:
		return (m->u.limit_reply.pad == 0);
	case PROTO_LIST:
		return (m->u.list_reply.pad == 0);
	case PROTO_STATS:
		return (m->u.stats_reply.pad == 0);
	case PROTO_OPEN:
		return (m->u.open_reply.pad == 0 &&
		    (m->u.open_reply.flags & ~(uint32_t)PROTO_CTL_CHANGE) == 0);
	}
	return (true);
}

ssize_t
proto_payload_size(uint16_t type)
{
	uint16_t	base = type & ~PROTO_REPLY;

	if (base == 0 || base >= PROTO_TYPE_MAX)
		return (-1);
	if (type & PROTO_REPLY)
		return ((ssize_t)proto_types[base].reply);
	return ((ssize_t)proto_types[base].request);
}

int
proto_fd_count(uint16_t type, const void *payload)
{
	uint16_t	base = type & ~PROTO_REPLY;
	int32_t		err;

	if (base == 0 || base >= PROTO_TYPE_MAX)
		return (0);
	if (!(type & PROTO_REPLY))
		return (proto_types[base].request_fds);
	if (!proto_types[base].reply_fd)
		return (0);
	memcpy(&err, payload, sizeof err);
	return (err == 0 ? 1 : 0);
}

const char *
proto_type_name(uint16_t type)
{
	uint16_t	base = type & ~PROTO_REPLY;

	if (base == 0 || base >= PROTO_TYPE_MAX)
		return ("unknown");
	return (proto_types[base].name);
}

int
proto_decode(const void *buf, size_t n, int nfds, struct proto_msg *msg)
{
	const struct proto_type_info	*info;
	uint16_t			 base;
	ssize_t				 want;

	memset(msg, 0, sizeof *msg);
	msg->fd = -1;
	if (n < sizeof msg->hdr) {
		errno = EBADMSG;
		return (-1);
	}
	memcpy(&msg->hdr, buf, sizeof msg->hdr);
	if (msg->hdr.magic != PROTO_MAGIC) {
		errno = EPROTO;
		return (-1);
	}
	if (msg->hdr.version != PROTO_VERSION) {
		errno = EPROTONOSUPPORT;
		return (-1);
	}
	want = proto_payload_size(msg->hdr.type);
	if (want < 0 || msg->hdr.len != (size_t)want ||
	    n - sizeof msg->hdr != (size_t)want) {
		errno = EBADMSG;
		return (-1);
	}
	memcpy(msg->u.raw, (const unsigned char *)buf + sizeof msg->hdr,
	    (size_t)want);
	if (nfds != proto_fd_count(msg->hdr.type, msg->u.raw)) {
		errno = EBADMSG;
		return (-1);
	}
	base = msg->hdr.type & ~PROTO_REPLY;
	info = &proto_types[base];
	if (msg->hdr.type & PROTO_REPLY) {
		if (!proto_valid_reply(msg)) {
			errno = EBADMSG;
			return (-1);
		}
	} else if (info->valid != NULL && !info->valid(msg)) {
		errno = EBADMSG;
		return (-1);
	}
	return (0);
}

/* Collect every fd in the control data; return how many, closing extras. */
static int
proto_take_fds(struct msghdr *mh, int *fds, int room, bool *stray)
{
	struct cmsghdr	*c;
	int		 n = 0, *p;
	size_t		 i, count;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			*stray = true;
			continue;
		}
		count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		p = (int *)(void *)CMSG_DATA(c);
		for (i = 0; i < count; i++) {
			int	fd;

			memcpy(&fd, &p[i], sizeof fd);
			if (n < room)
				fds[n] = fd;
			else
				close(fd);
			n++;
		}
	}
	return (n);
}

int
proto_recv(int sock, struct proto_msg *msg)
{
	unsigned char	 buf[sizeof(struct proto_hdr) + PROTO_MAX_PAYLOAD + 1];
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(sizeof(int) * PROTO_FD_ROOM)];
	} cbuf;
	struct iovec	 iov = { buf, sizeof buf };
	struct msghdr	 mh;
	int		 fds[PROTO_FD_ROOM], nfds, i, saved;
	bool		 stray = false;
	ssize_t		 n;

	msg->fd = -1;
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof cbuf.buf;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return (-1);

	nfds = proto_take_fds(&mh, fds, PROTO_FD_ROOM, &stray);
	if (n == 0) {
		/* End of stream, or an empty message: both end the peer. */
		for (i = 0; i < nfds && i < PROTO_FD_ROOM; i++)
			close(fds[i]);
		errno = ECONNRESET;
		return (-1);
	}
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || stray ||
	    proto_decode(buf, (size_t)n, nfds, msg) == -1) {
		saved = (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || stray ?
		    EBADMSG : errno;
		for (i = 0; i < nfds && i < PROTO_FD_ROOM; i++)
			close(fds[i]);
		if (saved != EBADMSG) {
			/* Keep the header so a version can be named. */
			if (n >= (ssize_t)sizeof msg->hdr)
				memcpy(&msg->hdr, buf, sizeof msg->hdr);
		}
		msg->fd = -1;
		errno = saved;
		return (-1);
	}
	msg->fd = nfds == 1 ? fds[0] : -1;
	return (0);
}

int
proto_send(int sock, uint16_t type, uint32_t id, const void *payload,
    size_t len, int fd)
{
	unsigned char	 buf[sizeof(struct proto_hdr) + PROTO_MAX_PAYLOAD];
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct proto_hdr hdr;
	struct iovec	 iov;
	struct msghdr	 mh;
	struct cmsghdr	*c;
	ssize_t		 n;

	if (len > PROTO_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return (-1);
	}
	hdr.magic = PROTO_MAGIC;
	hdr.version = PROTO_VERSION;
	hdr.type = type;
	hdr.id = id;
	hdr.len = (uint32_t)len;
	memcpy(buf, &hdr, sizeof hdr);
	if (len != 0)
		memcpy(buf + sizeof hdr, payload, len);

	iov.iov_base = buf;
	iov.iov_len = sizeof hdr + len;
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0) {
		memset(&cbuf, 0, sizeof cbuf);
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof cbuf.buf;
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return (-1);
	if ((size_t)n != iov.iov_len) {
		errno = EMSGSIZE;
		return (-1);
	}
	return (0);
}

void
proto_msg_clear(struct proto_msg *msg)
{
	if (msg->fd != -1) {
		close(msg->fd);
		msg->fd = -1;
	}
}
