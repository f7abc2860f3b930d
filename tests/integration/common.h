/*
 * common.h: helpers of the integration tests.  A private broker on a
 * temporary socket; child processes that run a function and report its
 * result; a peer process that makes library calls on request, so a test
 * can act as several processes (and uids); pipes that carry handle values;
 * descriptor counts of a process; checks for test bodies that run in a
 * child, where cmocka's assertions cannot be used.
 */

#ifndef QSHM_TEST_COMMON_H
#define QSHM_TEST_COMMON_H

#include <sys/types.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "qshm.h"

/* Bound of every wait: a test that needs longer is broken. */
#define QT_TIMEOUT_MS	10000

/* An unprivileged uid and gid for tests run as root. */
#define QT_NOBODY	65534

struct qt_broker {
	char	dir[64];	/* mkdtemp() directory, removed at stop */
	char	sock[128];	/* dir/broker.sock */
	char	lock[140];	/* sock.lock */
	pid_t	pid;
};

/* The qshmctl program to run: $QSHMCTL, else build/qshmctl. */
const char	*qt_qshmctl(void);
/*
 * Start `qshmctl broker --socket DIR/broker.sock EXTRA...` in a fresh
 * temporary directory, export QSHM_SOCKET (and QSHM_AUTOSTART=0) and wait
 * until the socket accepts.  uid != (uid_t)-1 runs the broker as that uid
 * and gid, in a directory it owns.  Returns 0, or -1 with a message.
 */
int	qt_broker_start(struct qt_broker *, const char *const *extra);
int	qt_broker_start_as(struct qt_broker *, uid_t, gid_t,
	    const char *const *extra);
/*
 * SIGTERM the broker; 0 if it exited with status 0 and removed its socket
 * and lock file (the directory is removed too), else -1 with a message.
 */
int	qt_broker_stop(struct qt_broker *);
/* No pidfds for this process and its children from now on (seccomp). */
int	qt_forbid_pidfds(void);
/* Make SO_PEERPIDFD alone fail with err; 0 or -1. */
int	qt_forbid_peerpidfd(int err);
/* Connect a raw SOCK_SEQPACKET socket to path; -1 on failure. */
int	qt_connect(const char *path);

/* Descriptors open in process pid (0: this one), from /proc/PID/fd. */
int	qt_count_fds(pid_t pid);
/*
 * Poll until pid has at most want descriptors open or the bound passes;
 * returns the last count.
 */
int	qt_wait_fds(pid_t pid, int want);
/* Sleep ms milliseconds, one step of a bounded polling loop. */
void	qt_nap(int ms);
/* Milliseconds on the monotonic clock. */
int64_t	qt_now_ms(void);

/* _exit(status), counting a coverage build's child in its figures. */
void	qt_exit(int status) __attribute__((noreturn));
/*
 * Wait (bounded) until this process's other threads (a watcher a library
 * call just started) wait in a system call.  Before fork(): GCC 12's ASan
 * does not lock its allocator across fork, so a child forked while such
 * a thread allocates inherits the lock taken and hangs on it.  qt_fork()
 * and qt_peer_start() call it.
 */
void	qt_settle(void);
/* Run fn(arg) in a child process; its return value is the exit status. */
pid_t	qt_fork(int (*fn)(void *), void *arg);
/*
 * Wait (bounded) for a child: its exit status, 128 + the signal that
 * killed it, or -1 (the child was killed after the bound).
 */
int	qt_wait(pid_t pid);
/* qt_fork() then qt_wait(). */
int	qt_run(int (*fn)(void *), void *arg);
/*
 * Start a broker with extra options, run body(arg) in a child (arg NULL:
 * the struct qt_broker), stop the broker; asserts that both went well.
 */
void	qt_with_broker(const char *const *extra, int (*body)(void *),
	    void *arg);
/* Has pid exited (zombie or gone)?  Does not reap. */
bool	qt_exited(pid_t pid);

/* Write or read one 64-bit value (a handle, a pid) through a pipe. */
int	qt_send_u64(int fd, uint64_t v);
int	qt_recv_u64(int fd, uint64_t *v);	/* bounded; -1 on EOF */

/*
 * Become uid/gid with no supplementary groups (ngroups, groups: set
 * these instead).  With keep_dac the process keeps CAP_DAC_OVERRIDE only,
 * enough to reach a root broker's 0600 socket; qt_drop_caps() drops it.
 */
int	qt_become(uid_t uid, gid_t gid, int ngroups, const gid_t *groups,
	    bool keep_dac);
int	qt_drop_caps(void);

/* A peer: a child process that makes library calls on request. */
struct qt_peer {
	pid_t	pid;
	int	to;		/* requests */
	int	from;		/* replies */
};

enum qt_op {
	QT_OP_EXIT = 1,
	QT_OP_STATS,		/* qshm_stats(): connects */
	QT_OP_OPEN,		/* shm_open_handle() / _pid() */
	QT_OP_MAP,		/* mmap_handle() / _pid() */
	QT_OP_DELETE,
	QT_OP_GRANT,		/* shm_create_handle() / subrange */
	QT_OP_LIMIT,		/* qshm_handle_limit() */
	QT_OP_DROP_CAPS,
	QT_OP_LIST,		/* qshm_list_handles(): find req.handle */
	QT_OP_PARKED_OPEN,
	QT_OP_UNPARK,
	QT_OP_ADMIN_REVOKE,
	QT_OP_WRITE_FD,		/* pwrite a byte to inherited fd at off */
	QT_OP_PARK,		/* qshm_park() of inherited fd: val[0] id */
};

struct qt_req {
	uint32_t	op;
	int32_t		flags;		/* O_* access, or MAP_* flags */
	int32_t		prot;
	int32_t		pid;		/* creator check / target */
	int32_t		use_pid;	/* call the _pid variant */
	int32_t		fd;		/* an fd the peer inherited */
	uint32_t	options;
	uint32_t	subrange;	/* shm_create_subrange_handle() */
	uint64_t	handle;
	uint64_t	len;
	int64_t		off;
	uint64_t	cur, max;	/* LIMIT; set when cur or max != 0 */
};

#define QT_PAGES	64

struct qt_rep {
	int64_t		ret;
	int32_t		err;		/* errno when ret == -1 */
	int32_t		fdflags;	/* OPEN: F_GETFD of the fd */
	int32_t		accmode;	/* OPEN: F_GETFL & O_ACCMODE */
	int32_t		reopen_err;	/* OPEN: reopen O_RDWR: 0 or errno */
	uint64_t	val[2];		/* GRANT: handle; LIMIT: old cur, max */
	uint32_t	npages;		/* MAP: pages looked at */
	uint32_t	uniform;	/* MAP: each page one byte value */
	unsigned char	first[QT_PAGES]; /* MAP: first byte of each page */
};

/*
 * Start a peer.  uid != (uid_t)-1: it becomes that uid/gid first (keeping
 * CAP_DAC_OVERRIDE if keep_dac, to reach the broker).
 */
int	qt_peer_start(struct qt_peer *);
int	qt_peer_start_as(struct qt_peer *, uid_t, gid_t, bool keep_dac);
/* A peer as uid and gid QT_NOBODY (keeping CAP_DAC_OVERRIDE), connected. */
int	qt_peer_start_nobody(struct qt_peer *);
/* Run one request in the peer; -1 if the peer is gone. */
int	qt_peer_call(struct qt_peer *, const struct qt_req *, struct qt_rep *);
/* Ask the peer to exit and reap it; its exit status. */
int	qt_peer_stop(struct qt_peer *);
/* SIGKILL the peer and reap it. */
void	qt_peer_kill(struct qt_peer *);

/* Shorthands: ret, with *err the errno (0 on success). */
int	qt_peer_open(struct qt_peer *, shm_handle_t, int flags, int use_pid,
	    pid_t pid, struct qt_rep *);
int	qt_peer_map(struct qt_peer *, shm_handle_t, size_t len, int prot,
	    int flags, int use_pid, pid_t pid, off_t off, struct qt_rep *);
int	qt_peer_delete(struct qt_peer *, shm_handle_t);	/* 0 or errno */
int	qt_peer_grant(struct qt_peer *, int fd, pid_t pid, int flags,
	    unsigned options, shm_handle_t *);		/* 0 or errno */

/* A memfd of size bytes, page i filled with byte base + i. */
int	qt_memfd(size_t size, unsigned char base);
/* "/base-PID": a POSIX name no concurrent run of the suites shares. */
const char *qt_shm_name(const char *base);
/* Reopen fd through /proc/self/fd with flags (O_CLOEXEC added). */
int	qt_reopen(int fd, int flags);
/* The page size. */
size_t	qt_page(void);
/* The pending handle h as the broker lists it; 0 found, -1 not. */
int	qt_find_handle(shm_handle_t, struct qshm_handle_info *);
/* errno's name, for messages. */
const char *qt_errname(int);
/* The byte at p, or QT_SEGV if reading it raised SIGSEGV. */
#define QT_SEGV	(-1)
int	qt_touch(volatile const unsigned char *p);

/*
 * Checks for test bodies run in a child (qt_run()): print what failed on
 * stderr and return 1 from the body.
 */
void	qt_fail(const char *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

#define QT_CHECK(c) do {						\
	if (!(c)) {							\
		qt_fail(__FILE__, __LINE__, "%s (errno %s)", #c,	\
		    qt_errname(errno));					\
		return (1);						\
	}								\
} while (0)

/* expr must succeed (not -1); errno is named otherwise. */
#define QT_CHECK_OK(expr) do {						\
	long	qt_r_;							\
									\
	errno = 0;							\
	qt_r_ = (long)(expr);						\
	if (qt_r_ == -1) {						\
		qt_fail(__FILE__, __LINE__, "%s: expected success, "	\
		    "got -1 %s", #expr, qt_errname(errno));		\
		return (1);						\
	}								\
} while (0)

/* expr must fail with -1 and errno e. */
#define QT_CHECK_ERR(expr, e) do {					\
	long	qt_r_;							\
	int	qt_e_;							\
									\
	errno = 0;							\
	qt_r_ = (long)(expr);						\
	qt_e_ = errno;							\
	if (qt_r_ != -1 || qt_e_ != (e)) {				\
		qt_fail(__FILE__, __LINE__, "%s: expected -1 %s, got "	\
		    "%ld %s", #expr, qt_errname(e), qt_r_,		\
		    qt_r_ == -1 ? qt_errname(qt_e_) : "");		\
		return (1);						\
	}								\
} while (0)

/* Two values must be equal (integers). */
#define QT_CHECK_EQ(a, b) do {						\
	long long qt_a_ = (long long)(a), qt_b_ = (long long)(b);	\
									\
	if (qt_a_ != qt_b_) {						\
		qt_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld",	\
		    #a, #b, qt_a_, qt_b_);				\
		return (1);						\
	}								\
} while (0)

/* For cmocka bodies: expr must fail with -1 and errno e. */
#define assert_errno(expr, e) do {					\
	long	qt_r_;							\
	int	qt_e_;							\
									\
	errno = 0;							\
	qt_r_ = (long)(expr);						\
	qt_e_ = errno;							\
	if (qt_r_ != -1 || qt_e_ != (e))				\
		fail_msg("%s: expected -1 %s, got %ld %s", #expr,	\
		    qt_errname(e), qt_r_,				\
		    qt_r_ == -1 ? qt_errname(qt_e_) : "");		\
} while (0)

/* For cmocka bodies: expr must not return -1. */
#define assert_ok(expr) do {						\
	long	qt_r_;							\
									\
	errno = 0;							\
	qt_r_ = (long)(expr);						\
	if (qt_r_ == -1)						\
		fail_msg("%s: expected success, got -1 %s", #expr,	\
		    qt_errname(errno));					\
} while (0)

/* For cmocka bodies: a mapping call must fail with errno e. */
#define assert_map_errno(expr, e) do {					\
	void	*qt_p_;							\
	int	 qt_e_;							\
									\
	errno = 0;							\
	qt_p_ = (expr);							\
	qt_e_ = errno;							\
	if (qt_p_ != MAP_FAILED || qt_e_ != (e))			\
		fail_msg("%s: expected MAP_FAILED %s, got %p %s",	\
		    #expr, qt_errname(e), qt_p_,			\
		    qt_p_ == MAP_FAILED ? qt_errname(qt_e_) : "");	\
} while (0)

#endif /* QSHM_TEST_COMMON_H */
