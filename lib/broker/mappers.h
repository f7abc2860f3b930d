/*
 * mappers.h: who maps an object, for a revoke.  A watcher blanks the
 * mappings of its own process only; a child made by a raw clone(), or by
 * fork() after MADV_DOFORK, has a copy no watcher covers.  At a revoke
 * the broker finds, by device and inode in /proc/PID/maps, the processes
 * that got the mapping from a target: its descendants (the parent chain
 * in /proc/PID/stat), unless a process that holds the object in its own
 * right comes first on the chain, and processes of a target's uid that
 * no holder accounts for at all (an orphan: its parent exited).
 *
 * Only mappings made after the object became revocable are revoked (as
 * on QNX): what a target still maps once its watcher has acknowledged
 * is older, and a descendant's mapping at the same place is its copy of
 * that older one, not one to reach.
 */

#ifndef QSHM_MAPPERS_H
#define QSHM_MAPPERS_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds of one scan: what a hostile process with huge maps costs. */
#define MAPPERS_MAX_PROCS	65536		/* processes looked at */
#define MAPPERS_MAX_BYTES	(16u << 20)	/* of maps read */
#define MAPPERS_MAX_UNCHECKED	16		/* of those told one by one */

/* A process found mapping the object, or one that could not be read. */
struct mappers_hit {
	pid_t	pid;
	uid_t	uid;
	pid_t	via;		/* the target it descends from, or -1 */
	int	pidfd;		/* bound to it while found() runs; -1 */
	bool	checked;	/* false: its maps could not be read */
};

struct mappers_query {
	uint64_t	 dev;
	uint64_t	 ino;
	const pid_t	*targets;	/* sorted: whose grants go */
	size_t		 ntargets;
	const pid_t	*holders;	/* sorted: who keep theirs */
	size_t		 nholders;
	const pid_t	*acked;		/* sorted: targets that acknowledged */
	size_t		 nacked;
	const uid_t	*uids;		/* sorted: whose orphans are theirs */
	size_t		 nuids;
	void		(*found)(const struct mappers_hit *, void *);
	void		*arg;
};

/*
 * Call q->found for each process outside q's targets and holders that
 * got the mapping from a target and maps q's object, and for up to
 * MAPPERS_MAX_UNCHECKED whose maps could not be read to the end; returns
 * how many could not, plus one if there were more processes than
 * MAPPERS_MAX_PROCS (-1 and errno if /proc cannot be read).
 */
long	mappers_scan(const struct mappers_query *);

#endif /* QSHM_MAPPERS_H */
