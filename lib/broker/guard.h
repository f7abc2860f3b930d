/*
 * guard.h: a limit on handle guessing.  Every open, map or delete that
 * names a handle the caller may not use is a failed lookup; each uid may
 * fail GUARD_BURST times in a row, regaining one try every GUARD_RATE_MS.
 * Once it has none left, every open, map and delete of that uid fails
 * EAGAIN without a lookup (a right guess too) for GUARD_PENALTY_MS.  By uid,
 * not by process: a new process would start with a full allowance.
 */

#ifndef QSHM_GUARD_H
#define QSHM_GUARD_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#define GUARD_BURST		1000
#define GUARD_RATE_MS		10
#define GUARD_PENALTY_MS	10000
#define GUARD_MAX_UIDS		4096

/* Whether uid may look handles up at now_ms (false: it is penalized). */
bool	guard_allowed(uid_t, uint64_t now_ms);
/* Count a failed lookup; true if it started uid's penalty. */
bool	guard_failed(uid_t, uint64_t now_ms);
/* Forget every uid (at exit). */
void	guard_free_all(void);

#endif /* QSHM_GUARD_H */
