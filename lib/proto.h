/*
 * proto.h: the wire protocol between libqshm and the broker.
 *
 * One request or reply per SOCK_SEQPACKET message: a fixed header, then a
 * fixed-layout payload chosen by the type; file descriptors travel in
 * SCM_RIGHTS.  Fields are fixed-width, in host order (both ends share the
 * machine), with explicit padding that must be zero.
 *
 * Any change to a header or payload layout, a type number or the meaning
 * of a field bumps PROTO_VERSION.  The magic and version sit at the same
 * offsets in every version, so a mismatch can always be named.
 */

#ifndef QSHM_PROTO_H
#define QSHM_PROTO_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#define QSHM_NO_WRAPPERS
#include "qshm.h"

#define PROTO_MAGIC		0x48534d51U	/* "QMSH" in memory */
#define PROTO_VERSION		1
#define PROTO_MAX_PAYLOAD	256		/* bytes; above the largest struct */
#define PROTO_MAX_FDS		1

struct proto_hdr {
	uint32_t	magic;
	uint16_t	version;
	uint16_t	type;
	uint32_t	id;		/* chosen by the client, echoed back */
	uint32_t	len;		/* payload bytes after the header */
};

/*
 * Values no handle ever has: 0 and all ones (-1, which QNX code passes
 * for "no handle").  Calls given one fail EBADF, not ESRCH: it was never
 * a handle, rather than one that is gone or is another's.
 */
#define PROTO_HANDLE_MALFORMED(h)	((h) == 0 || (h) == UINT64_MAX)

/* Replies have the request's type with this bit set. */
#define PROTO_REPLY		0x8000

enum proto_type {
	PROTO_GRANT = 1,	/* fd: the object */
	PROTO_OPEN,		/* reply fd: the object, on success */
	PROTO_DELETE,
	PROTO_LIMIT,
	PROTO_LIST,		/* reply fd: sealed memfd of records */
	PROTO_STATS,
	PROTO_PARK,		/* fd: the object */
	PROTO_PARKED_OPEN,	/* reply fd: the object, on success */
	PROTO_UNPARK,
	PROTO_ADMIN_REVOKE,	/* fd: the object */
	PROTO_CTL,		/* fd: the object */
	PROTO_REVOKE,		/* fd: the object; replied once done */
	PROTO_WATCH,		/* this connection is the process's watcher */
	PROTO_NOTICE,		/* broker to watcher; the reply acknowledges */
	PROTO_TYPE_MAX		/* one past the last */
};

/* PROTO_GRANT: make a handle for pid to the object in the fd. */
struct proto_grant {
	int32_t		pid;		/* recipient */
	uint32_t	access;		/* O_RDONLY, O_WRONLY or O_RDWR */
	uint32_t	options;	/* SHM_CREATE_HANDLE_OPT_* */
	uint32_t	pad;
	uint64_t	offset;		/* with OPT_SUBRANGE only, else 0 */
	uint64_t	length;
};
struct proto_grant_reply {
	int32_t		err;		/* errno, 0 on success */
	uint16_t	enforcement;	/* QSHM_ENF_* */
	uint16_t	reason;		/* QSHM_WHY_* */
	uint64_t	handle;
};

/* PROTO_OPEN: consume a handle; the reply carries the fd. */
#define PROTO_OPEN_FD		0	/* shm_open_handle*() */
#define PROTO_OPEN_MAP		1	/* mmap_handle*() */
struct proto_open {
	uint64_t	handle;
	int32_t		creator;	/* pid that must have made it, 0: any */
	uint32_t	access;		/* O_RDONLY, O_WRONLY or O_RDWR */
	uint32_t	purpose;	/* PROTO_OPEN_FD or PROTO_OPEN_MAP */
	uint32_t	prot;		/* MAP: PROT_READ|PROT_WRITE|PROT_EXEC */
	uint64_t	offset;		/* MAP: from the start of the range */
	uint64_t	length;		/* MAP: bytes to map, > 0 */
};
struct proto_open_reply {
	int32_t		err;
	uint32_t	access;		/* the fd's access mode */
	uint64_t	offset;		/* where the range starts in the object */
	uint64_t	length;		/* the range; 0 is the whole object */
	uint32_t	flags;		/* SHMCTL_* shm_ctl() set, not SEAL */
	uint32_t	pad;
};

/* PROTO_DELETE: discard an unused handle. */
struct proto_delete {
	uint64_t	handle;
};

/* Replies that carry only an errno and a count. */
struct proto_status_reply {
	int32_t		err;
	uint32_t	value;		/* count or id, by request type */
};

/* PROTO_LIMIT: read, and optionally set, a process's handle limit. */
#define PROTO_LIMIT_SET		0x1
struct proto_limit {
	int32_t		pid;		/* 0: the caller */
	uint32_t	flags;		/* PROTO_LIMIT_SET */
	uint64_t	cur;		/* UINT64_MAX: unlimited */
	uint64_t	max;
};
struct proto_limit_reply {
	int32_t		err;
	uint32_t	pad;
	uint64_t	cur;		/* the limit before any change */
	uint64_t	max;
};

/* PROTO_LIST: the reply carries a sealed memfd of fixed records. */
#define PROTO_LIST_HANDLES	1	/* struct qshm_handle_info */
#define PROTO_LIST_OBJECTS	2	/* struct qshm_object_info */
#define PROTO_LIST_UIDS		3	/* struct qshm_uid_info */
struct proto_list {
	uint32_t	what;
	uint32_t	pad;
};
struct proto_list_reply {
	int32_t		err;
	uint32_t	count;		/* records in the memfd */
	uint32_t	recsize;	/* bytes per record */
	uint32_t	pad;
};

/* PROTO_STATS: empty request. */
struct proto_stats_reply {
	int32_t			err;
	uint32_t		pad;
	struct qshm_stats	stats;
};

/* PROTO_PARK: the fd is the object; reply value is the new id. */
/* PROTO_PARKED_OPEN: reply carries the fd. */
struct proto_parked {
	uint32_t	id;
	uint32_t	access;		/* PARKED_OPEN only, else 0 */
};

/* PROTO_ADMIN_REVOKE: the fd names the object; reply value is a count. */
struct proto_admin_revoke {
	int32_t		pid;		/* -1: every recipient */
	uint32_t	pad;
};

/*
 * PROTO_CTL: shm_ctl() on the object in the fd.  flags is SHMCTL_GET_FLAGS
 * alone (a query), or a non-empty set of PROTO_CTL_CHANGE bits; size is
 * the new size with SHMCTL_ANON, else 0.  Reply value: the flag word.
 */
#define PROTO_CTL_CHANGE \
	(SHMCTL_ANON | SHMCTL_LAZY | SHMCTL_SEAL | SHMCTL_REVOCABLE)
struct proto_ctl {
	uint32_t	flags;
	uint32_t	pad;
	uint64_t	size;
};

/*
 * PROTO_REVOKE: shm_revoke() of the object in the fd for pid (-1: every
 * process).  The reply comes once every target acknowledged, was killed
 * or timed out; its value counts handles and grants revoked.
 */
struct proto_revoke {
	int32_t		pid;
	uint32_t	pad;
};

/*
 * PROTO_NOTICE: sent by the broker on a watcher connection: replace every
 * mapping of dev/ino with inaccessible memory.  The watcher replies with
 * the request's id, err 0 and the number of mappings it replaced.
 */
struct proto_notice {
	uint64_t	dev;
	uint64_t	ino;
};

/*
 * A received message.  The decoder has checked everything in it; fd is -1
 * or a descriptor the message owns until someone takes it (and sets -1).
 */
struct proto_msg {
	struct proto_hdr	hdr;
	union {
		struct proto_grant		grant;
		struct proto_grant_reply	grant_reply;
		struct proto_open		open;
		struct proto_open_reply		open_reply;
		struct proto_delete		del;
		struct proto_status_reply	status;
		struct proto_limit		limit;
		struct proto_limit_reply	limit_reply;
		struct proto_list		list;
		struct proto_list_reply		list_reply;
		struct proto_parked		parked;
		struct proto_admin_revoke	admin_revoke;
		struct proto_stats_reply	stats_reply;
		struct proto_ctl		ctl;
		struct proto_revoke		revoke;
		struct proto_notice		notice;
		unsigned char			raw[PROTO_MAX_PAYLOAD];
	} u;
	int			fd;
};

/*
 * Decode one message of n bytes that arrived with nfds descriptors; fail
 * with EBADMSG (malformed), EPROTO (bad magic), EPROTONOSUPPORT (other
 * version: msg->hdr.version holds it).  Pure: touches no descriptor.
 */
int	proto_decode(const void *buf, size_t n, int nfds,
	    struct proto_msg *msg);
/* Receive and decode one message; extra or unwanted fds are closed. */
int	proto_recv(int sock, struct proto_msg *msg);
/* Send one message with an optional fd (-1 for none). */
int	proto_send(int sock, uint16_t type, uint32_t id, const void *payload,
	    size_t len, int fd);
/* Close the message's fd if nobody took it. */
void	proto_msg_clear(struct proto_msg *msg);
/* The payload size a type must have, or -1 if the type is unknown. */
ssize_t	proto_payload_size(uint16_t type);
/* How many fds a type carries. */
int	proto_fd_count(uint16_t type, const void *payload);
/* The name of a message type, for logs. */
const char *proto_type_name(uint16_t type);

#endif /* QSHM_PROTO_H */
