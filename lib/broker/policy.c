/*
 * policy.c: the rules of DESIGN.md section 4 and the team brief, kept free
 * of I/O so every branch can be unit tested.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>

#include "proto.h"
#include "policy.h"

/* Whether access mode asked is no more than have (ro, wo <= rw). */
bool
policy_access_le(int asked, int have)
{
	if (asked == have)
		return (true);
	return (have == O_RDWR && (asked == O_RDONLY || asked == O_WRONLY));
}

/* Name an access mode: "ro", "wo" or "rw". */
const char *
policy_access_str(int access)
{
	switch (access) {
	case O_RDONLY:
		return ("ro");
	case O_WRONLY:
		return ("wo");
	case O_RDWR:
		return ("rw");
	}
	return ("?");
}

static bool
policy_any_uid(const struct ident_creds *c, uid_t uid)
{
	int	i;

	for (i = 0; i < 4; i++)
		if (c->uid[i] == uid)
			return (true);
	return (false);
}

static bool
policy_in_group(const struct ident_creds *c, gid_t gid)
{
	size_t	i;

	for (i = 0; i < 4; i++)
		if (c->gid[i] == gid)
			return (true);
	for (i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return (true);
	return (false);
}

/*
 * Whether the recipient could reopen the object with the withheld rights;
 * *why says how.  Any of its real, effective, saved or fs ids counts,
 * since a process can switch to each of them.
 */
static bool
policy_can_regain(const struct policy_grant *g, bool want_write,
    unsigned *why)
{
	mode_t	group = want_write ? S_IWGRP : S_IRGRP;
	mode_t	other = want_write ? S_IWOTH : S_IROTH;

	if (policy_any_uid(g->recipient, 0)) {
		*why = QSHM_WHY_ROOT;
		return (true);
	}
	if (policy_any_uid(g->recipient, g->inode_uid) ||
	    policy_any_uid(g->recipient, g->creator_uid)) {
		*why = QSHM_WHY_SAME_UID;
		return (true);
	}
	if ((policy_in_group(g->recipient, g->inode_gid) &&
	    (g->inode_mode & group)) || (g->inode_mode & other)) {
		*why = QSHM_WHY_MODE_ALLOWS;
		return (true);
	}
	return (false);
}

/* Compute the enforcement (QSHM_ENF_*) and its reason (QSHM_WHY_*). */
void
policy_enforcement(const struct policy_grant *g, unsigned *enf,
    unsigned *why)
{
	*enf = QSHM_ENF_KERNEL;
	*why = QSHM_WHY_FULL;
	if (g->access != O_RDWR) {
		/* ro withholds write, wo withholds read. */
		bool	w = g->access == O_RDONLY;

		if (w && (g->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
			*why = QSHM_WHY_SEALED;
		else if (policy_can_regain(g, w, why)) {
			*enf = QSHM_ENF_ADVISORY;
			return;
		} else
			*why = QSHM_WHY_MODE;
	}
	/* The fd we hand out always spans the whole object. */
	if (g->partial) {
		*enf = QSHM_ENF_ADVISORY;
		*why = QSHM_WHY_SUBRANGE;
	} else if (g->nofd) {
		*enf = QSHM_ENF_ADVISORY;
		*why = QSHM_WHY_NOFD;
	}
}

/* Check a limit change (UINT64_MAX: unlimited); returns errno or 0. */
int
policy_limit_change(uint64_t cur, uint64_t max, uint64_t new_cur,
    uint64_t new_max, bool root)
{
	(void)cur;
	if (new_cur > new_max)
		return (EINVAL);
	if (new_max > max && !root)
		return (EPERM);
	return (0);
}

/* Check a sub-range against the object's size; returns errno or 0. */
int
policy_subrange(uint64_t offset, uint64_t length, uint64_t size,
    uint64_t page)
{
	uint64_t	end;

	if (length == 0 || offset % page != 0 || length % page != 0)
		return (EINVAL);
	if (offset > INT64_MAX || length > INT64_MAX)
		return (EINVAL);
	if (__builtin_add_overflow(offset, length, &end) || end > size)
		return (EINVAL);
	return (0);
}

/* Check a mapping of len bytes at off in a range; returns errno or 0. */
int
policy_map_range(uint64_t off, uint64_t len, uint64_t range, uint64_t page)
{
	uint64_t	rounded, end;

	if (len == 0 || off % page != 0 || off > INT64_MAX)
		return (EINVAL);
	if (__builtin_add_overflow(len, page - 1, &rounded))
		return (EINVAL);
	rounded -= rounded % page;
	if (__builtin_add_overflow(off, rounded, &end) || end > INT64_MAX)
		return (EINVAL);
	/* range 0 is a whole-object handle: mmap() itself judges the end. */
	if (range != 0 && end > range)
		return (EINVAL);
	return (0);
}
