/*
 * restart.h: SIGHUP re-executes the broker in place (same pid, possibly
 * an upgraded binary at the same path).  What it holds crosses the exec:
 * the listening socket and its lock, every object's descriptors, every
 * process record with its pidfd, every pending handle and grant, every
 * client connection.  A sealed memfd describes them; the new image checks
 * it like any other input before it trusts a byte of it.
 */

#ifndef QSHM_RESTART_H
#define QSHM_RESTART_H

#include <stdbool.h>
#include <stddef.h>

/* Whether this process was started by a restart (a state to load). */
bool	restart_pending(void);
/*
 * Load the state the previous image left, listening again at path; -1
 * with a message in err if it is missing or not valid.
 */
int	restart_load(const char *path, char *err, size_t errlen);
/*
 * Remember how this image was started (its binary and argv) so SIGHUP
 * can start it again; returns errno.  Installs the SIGHUP handler.
 */
int	restart_init(void);
/* Free what restart_init() kept (at exit). */
void	restart_done(void);
/*
 * Whether a SIGHUP waits for the revokes under way; meanwhile a new
 * revoke is refused (EAGAIN), so the wait ends by their deadlines.
 */
bool	restart_waiting(void);

#endif /* QSHM_RESTART_H */
