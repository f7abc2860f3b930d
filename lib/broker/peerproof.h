/*
 * peerproof.h: who holds the other end of a connection, on kernels
 * without SO_PEERPIDFD (before Linux 6.5), where SO_PEERCRED's pid is a
 * number read at connect() that may name another process by accept().
 */

#ifndef QSHM_PEERPROOF_H
#define QSHM_PEERPROOF_H

#include <sys/types.h>

/* Most descriptors a peer may hold and still be proved (a scan each). */
#define PEERPROOF_MAX_FDS	16384

/*
 * A pidfd (or /proc/PID directory, see ident.c) of the process pid, once
 * it is proved to hold the other end of sock and to run as euid: -1 and
 * errno (ESRCH: it does not hold it, runs as another user, or is gone;
 * EACCES: its descriptors cannot be read; E2BIG: it holds more than
 * PEERPROOF_MAX_FDS; EPROTONOSUPPORT: no unix sock_diag in the kernel).
 */
int	peerproof_pidfd(int sock, pid_t pid, uid_t euid);
/* Close the diagnostics socket (at exit). */
void	peerproof_done(void);

#endif /* QSHM_PEERPROOF_H */
