/*
 * client.h: libqshm's side of the broker connection (internal).  One
 * connection per process, made lazily (starting the broker if allowed),
 * one request in flight, dropped in a child after fork() so the child
 * speaks as itself.  Also the thread's error detail and the local checks
 * the API functions share.
 */

#ifndef QSHM_CLIENT_H
#define QSHM_CLIENT_H

#include <sys/types.h>
#include <sys/stat.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/*
 * Send one request (with fd if >= 0) and wait for its reply.  reserve is
 * a descriptor held to keep a slot free for the reply's fd, or -1; it is
 * always closed (after the request went out).  Returns 0 with *reply
 * filled (reply->fd is the caller's), or -1 with errno: the broker's
 * error, or why the broker could not be asked.
 */
int	client_call(uint16_t type, const void *req, size_t len, int fd,
	    int reserve, struct proto_msg *reply);
/* Hold one fd slot for an fd the broker will send; -1 (EMFILE) if none. */
int	client_reserve_fd(void);
/*
 * Check fd for handing to the broker: EBADF if not open or O_PATH, EINVAL
 * if not a regular file.  Fills *st and *accmode (O_ACCMODE bits).
 */
int	client_check_object(int fd, struct stat *st, int *accmode);
/* Take reply->fd, checked: a regular file open with access; EPROTO if not. */
int	client_take_fd(struct proto_msg *reply, int access);
/* Whether flags are one access mode, optionally with O_CLOEXEC. */
int	client_valid_open_flags(int flags);
/* A second connection to the broker this process uses; -1 and errno. */
int	client_connect_extra(void);
/* The socket path this process uses, resolved now if not yet connected. */
const char *client_socket_path(void);

/* Forget the thread's error detail; every public call starts with this. */
void	client_detail_clear(void);
/* Set errno and the error detail; returns -1. */
int	client_fail(int err, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif /* QSHM_CLIENT_H */
