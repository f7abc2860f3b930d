/*
 * policy.h: the broker's rules, as pure functions where they can be: which
 * access mode is weaker than which, how strongly the kernel enforces a
 * grant (by the recipient's ids and capabilities, the inode's mode and the
 * object's seals), and what a limit change may do.
 */

#ifndef QSHM_POLICY_H
#define QSHM_POLICY_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include "ident.h"

/* Everything the enforcement of a grant depends on. */
struct policy_grant {
	int				 access;	/* O_RDONLY... */
	uint32_t			 seals;		/* F_GET_SEALS */
	uid_t				 inode_uid;
	gid_t				 inode_gid;
	mode_t				 inode_mode;
	uid_t				 creator_uid;
	const struct ident_creds	*recipient;
	const struct ident_caps		*caps;		/* NULL: none */
	bool				 partial;	/* sub-range < object */
	bool				 nofd;
};

/* Whether access mode asked is no more than have (ro, wo <= rw). */
bool	policy_access_le(int asked, int have);
/*
 * Whether the enforcement could depend on the recipient's capabilities,
 * so they must be read (ident_caps()) before policy_enforcement().
 */
bool	policy_needs_caps(const struct policy_grant *);
/* Compute the enforcement (QSHM_ENF_*) and its reason (QSHM_WHY_*). */
void	policy_enforcement(const struct policy_grant *, unsigned *enf,
	    unsigned *why);
/* Check a limit change (UINT64_MAX: unlimited); returns errno or 0. */
int	policy_limit_change(uint64_t cur, uint64_t max, uint64_t new_cur,
	    uint64_t new_max, bool root);
/* Check a sub-range against the object's size; returns errno or 0. */
int	policy_subrange(uint64_t offset, uint64_t length, uint64_t size,
	    uint64_t page);
/* Check a mapping of len bytes at off in a range; returns errno or 0. */
int	policy_map_range(uint64_t off, uint64_t len, uint64_t range,
	    uint64_t page);
/* Name an access mode: "ro", "wo" or "rw". */
const char *policy_access_str(int access);

#endif /* QSHM_POLICY_H */
