/*
 * watcher.h: the recipient side of revocation (internal).  A thread with
 * its own broker connection, started when the process first holds a
 * revocable object, takes the broker's revoke notices, replaces every
 * mapping of the object named, if the process holds it as revocable,
 * with inaccessible memory and answers.
 * Mappings of revocable objects are kept from children of fork().
 */

#ifndef QSHM_WATCHER_H
#define QSHM_WATCHER_H

#include <stddef.h>
#include <stdint.h>

/* The revoke generation now; take it before asking for a mapping. */
uint64_t	watcher_gen(void);
/*
 * This process holds fd's revocable object, mapped at addr (len bytes)
 * unless addr is NULL; gen is watcher_gen() from before the request.
 * Remember the object, keep the mapping from children, revoke it at once
 * if a revoke of the object came since gen, and make sure the watcher
 * runs.  Best effort: a watcher that cannot start leaves the broker's
 * deadline to act.
 */
void		watcher_hold(int fd, void *addr, size_t len, uint64_t gen);
/* Register the fork handlers (client.c calls it once, after its own). */
void		watcher_atfork(void);
/*
 * Replace every mapping of dev/ino in this process, if it holds dev/ino
 * as revocable (else nothing: 0); how many, or -1.
 */
int		watcher_revoke_maps(uint64_t dev, uint64_t ino);

#endif /* QSHM_WATCHER_H */
