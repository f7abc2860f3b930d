/*
 * sd.h: the two small systemd protocols the broker speaks, without
 * libsystemd: socket activation (sd_listen_fds: LISTEN_PID, LISTEN_FDS,
 * the socket on fd 3) and readiness (sd_notify: a datagram to
 * $NOTIFY_SOCKET).
 */

#ifndef QSHM_SD_H
#define QSHM_SD_H

#include <stddef.h>

/*
 * The listening socket systemd passed, made non-blocking and close-on-exec,
 * with LISTEN_* removed from the environment: 1 and *fd set, 0 when none
 * was passed to this process, -1 with a message in err when what was
 * passed is not one listening AF_UNIX SOCK_SEQPACKET socket.
 */
int	sd_listen(int *fd, char *err, size_t errlen);
/* Whether fd is a listening AF_UNIX SOCK_SEQPACKET socket. */
int	sd_is_listener(int fd);
/*
 * Send state ("READY=1", ...) to $NOTIFY_SOCKET; 0 if sent or no one
 * asked, else errno.
 */
int	sd_notify(const char *state);

#endif /* QSHM_SD_H */
