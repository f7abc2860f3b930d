/*
 * qshm.h: QNX shared-memory handles for Linux.
 *
 * The QNX 8.0 handle API with QNX's names, prototypes and constant values,
 * implemented over a broker that passes file descriptors across a Unix
 * socket.  QNX code ports by adding #include <qshm.h>.  Every function
 * returns -1 (or MAP_FAILED, or NULL) and sets errno on failure, like libc;
 * none prints, exits or aborts.
 *
 * Beside the QNX API, the qshm_ functions at the end administer the broker:
 * listing, statistics, parked anonymous objects and limits.
 */

#ifndef QSHM_H
#define QSHM_H

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An opaque, single-use token naming one grant of one object to one process. */
typedef uint64_t shm_handle_t;

#ifndef SHM_ANON
#define SHM_ANON			((char *)-1)
#endif
#ifndef NOFD
#define NOFD				(-1)
#endif

#define SHM_CREATE_HANDLE_OPT_NOFD	0x00000001U
#define SHM_CREATE_HANDLE_OPT_SUBRANGE	0x00000002U
#define SHM_CREATE_HANDLE_OPT_VALID_MASK 0x00000003U

/*
 * QNX's number for the per-process limit on handles created and not yet
 * consumed.  On Linux 15 is RLIMIT_RTTIME, so the limit is reached through
 * the getrlimit()/setrlimit() wrappers below (or qshm_handle_limit()),
 * never through the kernel.
 */
#define RLIMIT_SHM_HANDLES_NP		15

/* shm_ctl() flags, QNX 8.0 values. */
#define SHMCTL_ANON			0x0001
#define SHMCTL_PHYS			0x0002
#define SHMCTL_SEAL			0x0004
#define SHMCTL_REVOCABLE		0x0008
#define SHMCTL_LAZY			0x0400
#define SHMCTL_REPEAT			0x0800
#define SHMCTL_TYMEM			0x2000
#define SHMCTL_GET_FLAGS		0x4000
#define SHMCTL_HAS_SPECIAL		0x8000
#define SHMCTL_FLAG_MASK		0xFFFF

/* Create a single-use handle to fd's object for process pid. */
int	shm_create_handle(int fd, pid_t pid, int flags, shm_handle_t *handlep,
	    unsigned options);
/* Like shm_create_handle(), for [offset, offset + size) of the object. */
int	shm_create_subrange_handle(int const fd, pid_t const pid,
	    int const flags, shm_handle_t *const handlep, unsigned options,
	    size_t const size, off_t const offset);
/* Turn a handle granted to the caller into a file descriptor. */
int	shm_open_handle(shm_handle_t const handle, int const flags);
/* Like shm_open_handle(), if pid (0: anyone) created the handle. */
int	shm_open_handle_pid(shm_handle_t handle, int flags, pid_t pid);
/* Map the object behind a handle granted to the caller. */
void	*mmap_handle(void *addr, size_t len, int prot, int flags,
	    shm_handle_t handle, off_t off);
/* Like mmap_handle(), if pid (0: anyone) created the handle. */
void	*mmap_handle_pid(void *addr, size_t len, int prot, int flags,
	    shm_handle_t handle, pid_t pid, off_t off);
/* Discard an unused handle; its creator or its recipient may. */
int	shm_delete_handle(shm_handle_t handle);
/*
 * Take pid's (-1: every process's) access to fd's revocable object back:
 * its unused handles go, its mappings become inaccessible.  Creator only.
 */
int	shm_revoke(int fd, pid_t pid);
/* Set an object's size and flags (SHMCTL_*), or read its flags. */
int	shm_ctl(int fd, int flags, uint64_t paddr, uint64_t size);
/* shm_ctl() with CPU-specific page attributes; only special 0 works. */
int	shm_ctl_special(int fd, int flags, uint64_t paddr, uint64_t size,
	    unsigned special);

/*
 * QNX's flag for anonymous objects, with QNX's number (Linux's O_NOATIME
 * has the same): shm_open(SHM_ANON, O_RDWR | O_CREAT | O_ANON, mode)
 * ports unchanged.  With a real name it reaches the system as O_NOATIME.
 */
#ifndef O_ANON
#define O_ANON				01000000
#endif

/*
 * shm_open() itself, as libqshm defines it: SHM_ANON makes an anonymous
 * object (a memfd, mode less the umask, 0600 when mode is 0); any other
 * name goes to the system's shm_open().  No macro is involved, so
 * ::shm_open, &shm_open and C++ members or mocks named shm_open all work.
 * <sys/mman.h> declares it; qshm_shm_open() is the same function.
 */
int	qshm_shm_open(const char *name, int oflag, mode_t mode);
/* getrlimit()/setrlimit() that also know RLIMIT_SHM_HANDLES_NP. */
int	qshm_getrlimit(int resource, struct rlimit *rlp);
int	qshm_setrlimit(int resource, const struct rlimit *rlp);

/*
 * RLIMIT_SHM_HANDLES_NP is Linux's RLIMIT_RTTIME (15), so getrlimit() and
 * setrlimit() are renamed for this file's includers alone, by object-like
 * macros (a call, &getrlimit and ::getrlimit reach qshm; so does a member
 * or mock of that name, renamed alike in every file that includes this
 * one first).  QSHM_NO_WRAPPERS keeps the system's.
 */
#ifndef QSHM_NO_WRAPPERS
#undef getrlimit
#undef setrlimit
#define getrlimit			qshm_getrlimit
#define setrlimit			qshm_setrlimit
#endif

/*
 * The administrative API.
 */

/* Enforcement of a grant: whether the kernel stops the recipient at it. */
#define QSHM_ENF_KERNEL		0
#define QSHM_ENF_ADVISORY	1

/* Why a grant is enforced as it is (qshm_reason_str() names each). */
#define QSHM_WHY_FULL		0	/* kernel: nothing withheld */
#define QSHM_WHY_SEALED		1	/* kernel: sealed: write, shrink, grow */
#define QSHM_WHY_MODE		2	/* kernel: inode mode denies the rest */
#define QSHM_WHY_SAME_UID	3	/* advisory: recipient owns the inode */
#define QSHM_WHY_ROOT		4	/* advisory: recipient is root */
#define QSHM_WHY_MODE_ALLOWS	5	/* advisory: inode mode allows the rest */
#define QSHM_WHY_SUBRANGE	6	/* advisory: fd spans the whole object */
#define QSHM_WHY_NOFD		7	/* advisory: mapping goes through an fd */
#define QSHM_WHY_CAPS		8	/* advisory: a capability overrides mode */
#define QSHM_WHY_RESIZE		9	/* advisory: write-sealed, not resize */

/*
 * Grant states (qshm_state_str() names each): a pending handle, then, for
 * a revocable object, the grant in use and how its revocation went.
 */
#define QSHM_STATE_PENDING	0	/* handle not consumed yet */
#define QSHM_STATE_IN_USE	1	/* consumed; mappings may be live */
#define QSHM_STATE_REVOKING	2	/* revoke sent, no answer yet */
#define QSHM_STATE_ACKNOWLEDGED	3	/* the recipient revoked its mappings */
#define QSHM_STATE_ENFORCED	4	/* killed, or exited, after no answer */
#define QSHM_STATE_TIMED_OUT	5	/* no answer by the deadline: reported */
#define QSHM_STATE_UNCOVERED	6	/* a process it gave the mapping to
					   still maps it: reported */

/* One pending handle, as qshm_list_handles() reports it. */
struct qshm_handle_info {
	shm_handle_t	handle;
	uint64_t	dev;		/* the object's st_dev and st_ino */
	uint64_t	ino;
	uint32_t	object_id;	/* parked anonymous object @N, or 0 */
	int32_t		creator_pid;
	uint32_t	creator_uid;
	int32_t		recipient_pid;
	uint32_t	recipient_uid;
	int32_t		access;		/* O_RDONLY, O_WRONLY or O_RDWR */
	uint32_t	options;	/* SHM_CREATE_HANDLE_OPT_* */
	uint32_t	enforcement;	/* QSHM_ENF_* */
	uint32_t	reason;		/* QSHM_WHY_* */
	uint32_t	state;		/* QSHM_STATE_* */
	uint64_t	offset;		/* range; length 0 is the whole object */
	uint64_t	length;
	uint64_t	age_ms;		/* since the grant */
	char		path[256];	/* as the broker sees it */
};

/* One object the broker holds, as qshm_list_objects() reports it. */
struct qshm_object_info {
	uint64_t	dev;
	uint64_t	ino;
	uint32_t	object_id;	/* parked anonymous object @N, or 0 */
	uint32_t	uid;		/* inode owner; parked: the parker */
	uint32_t	gid;
	uint32_t	mode;		/* st_mode */
	uint64_t	size;
	uint32_t	seals;		/* F_GET_SEALS, 0 if not a memfd */
	uint32_t	flags;		/* SHMCTL_* set through the broker */
	uint32_t	pending;	/* handles not yet consumed */
	uint32_t	reserved;
	char		path[256];
};

/* Counters of the broker since it started. */
struct qshm_stats {
	uint64_t	uptime_ms;
	uint32_t	pid;
	uint32_t	protocol;
	uint64_t	connections;	/* open now */
	uint64_t	connections_total;
	uint64_t	objects;	/* held now */
	uint64_t	handles;	/* pending now */
	uint64_t	procs;		/* processes tracked now */
	uint64_t	grants;
	uint64_t	opens;
	uint64_t	maps;
	uint64_t	deletes;
	uint64_t	reclaimed;	/* handles of exited recipients */
	uint64_t	revokes;
	uint64_t	denials;
	uint64_t	bad_messages;
	uint64_t	max_handles;	/* global cap */
	uint64_t	max_handles_per_uid;
	uint64_t	max_connections;
	uint64_t	restarts;	/* re-executions in place (SIGHUP) */
	uint64_t	denied_unknown;	/* denials: ESRCH */
	uint64_t	denied_access;	/* EACCES, EPERM */
	uint64_t	denied_limit;	/* EAGAIN, ENOSPC */
	uint64_t	denied_invalid;	/* EINVAL, EBADF */
	uint64_t	denied_other;	/* anything else (ENOMEM...) */
	uint64_t	max_objects;
	uint32_t	max_parked;	/* parked objects, broker-wide */
	uint32_t	max_inflight;	/* fds in replies not yet read */
};

/* What one uid uses of the broker, as qshm_list_uids() reports it. */
struct qshm_uid_info {
	uint32_t	uid;
	uint32_t	inflight;	/* fds in replies it has not read */
	uint64_t	handles;	/* pending, made by this uid */
	uint64_t	max_handles;	/* its cap (max_handles_per_uid) */
	uint64_t	received;	/* pending, made for this uid */
	uint64_t	connections;	/* open now */
	uint64_t	procs;		/* processes tracked now */
	uint64_t	parked;		/* objects it parked */
	uint32_t	max_connections; /* its shares of the broker's caps */
	uint32_t	max_parked;
	uint64_t	max_inflight;
};

/* Read and set pid's handle limit (0: the caller), as prlimit() does. */
int	qshm_handle_limit(pid_t pid, const struct rlimit *new_limit,
	    struct rlimit *old_limit);
/* List the handles the caller may see; free(*out) afterwards. */
int	qshm_list_handles(struct qshm_handle_info **out, size_t *count);
/* List the objects the caller may see; free(*out) afterwards. */
int	qshm_list_objects(struct qshm_object_info **out, size_t *count);
/* Read the broker's counters. */
int	qshm_stats(struct qshm_stats *stats);
/* Usage by uid (root: every uid; others: their own); free(*out). */
int	qshm_list_uids(struct qshm_uid_info **out, size_t *count);
/* Park an anonymous object in the broker; *idp receives its @N id. */
int	qshm_park(int fd, uint32_t *idp);
/* Open a parked object (owner or root) with O_RDONLY/O_WRONLY/O_RDWR. */
int	qshm_open_parked(uint32_t id, int flags);
/* Release a parked object; it disappears once its handles are gone. */
int	qshm_unpark(uint32_t id);
/*
 * Destroy the unused handles to fd's object made for pid (-1: everyone);
 * root or the uid that created them.  Returns how many went.
 */
int	qshm_admin_revoke(int fd, pid_t pid);
/* The path of the broker socket this process uses. */
const char *qshm_socket_path(void);
/* Extra words on the last failure of this thread, or "" if none. */
const char *qshm_error_detail(void);
/* Name an enforcement reason ("same uid", "sealed", ...). */
const char *qshm_reason_str(unsigned reason);
/* Name a grant state ("pending", "acknowledged", "timed out", ...). */
const char *qshm_state_str(unsigned state);

#ifdef __cplusplus
}
#endif

#endif /* QSHM_H */
