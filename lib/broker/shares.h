/*
 * shares.h: what each uid holds of the broker's shared resources, so one
 * uid cannot take them all: connections, parked objects, and descriptors
 * in replies it has not read yet (in flight, charged by the kernel to the
 * broker's own uid).  The caps themselves are broker_share() of the
 * broker-wide ones.
 */

#ifndef QSHM_SHARES_H
#define QSHM_SHARES_H

#include <sys/types.h>

#include <stdint.h>

enum share_kind {
	SHARE_CONNS,
	SHARE_PARKED,
	SHARE_INFLIGHT,
	SHARE_NKINDS
};

/* Count n more (or fewer, n < 0) of kind for uid; returns errno. */
int		shares_add(uid_t, enum share_kind, int64_t n);
/* What uid holds of kind now. */
uint64_t	shares_count(uid_t, enum share_kind);
/* What every uid holds of kind now. */
uint64_t	shares_total(enum share_kind);
/* Forget everything (at exit). */
void		shares_free_all(void);

#endif /* QSHM_SHARES_H */
