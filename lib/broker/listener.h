/*
 * listener.h: the broker's socket: the lock that makes it the only broker
 * on its path, the listening socket, accepting (with a back-off when out
 * of descriptors), and detaching into the background.
 */

#ifndef QSHM_LISTENER_H
#define QSHM_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Lock path.lock, replace a stale socket and listen on path.  On failure
 * returns -1 with a message in err.
 */
int	listener_open(const char *path, char *err, size_t errlen);
/*
 * Listen on fd, a socket someone else (systemd) bound at path: no lock,
 * and the socket file is theirs, never removed here.
 */
void	listener_adopt(int fd, const char *path);
/* What a restart carries over: the socket, the lock, what we bound. */
struct listener_state {
	int		fd;
	int		lock;		/* -1: adopted from systemd */
	uint64_t	dev;		/* 0: not ours to remove */
	uint64_t	ino;
};
void	listener_save(struct listener_state *);
/* Listen as the state says (fds checked by the caller) at path. */
void	listener_restore(const struct listener_state *, const char *path);
/* Start accepting in the event loop; returns errno. */
int	listener_start(void);
/* Stop, and remove the socket (if still ours) and the lock file. */
void	listener_close(void);
/*
 * Fork.  The parent waits for the child's report and returns its exit
 * status with *child false; the child (in a new session) returns 0 with
 * *child true and *report set.  -1 with a message in err on failure.
 */
int	listener_daemonize(bool *child, int *report, char *err,
	    size_t errlen);
/* Tell the waiting parent that startup worked (err NULL) or failed. */
void	listener_report(int report, const char *err);

#endif /* QSHM_LISTENER_H */
