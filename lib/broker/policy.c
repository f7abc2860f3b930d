/*
 * policy.c: the rules of DESIGN.md section 4 and the team brief, kept free
 * of I/O so every branch can be unit tested.  A grant is "kernel" only if
 * the kernel stops the recipient at it whatever the recipient does:
 * reopen through /proc/self/fd, change the mode, use a capability.
 */

#include <sys/stat.h>

#include <linux/capability.h>

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
 * Whether the recipient could reopen the object with the withheld rights
 * by its ids; *why says how.  Any of its real, effective, saved or fs ids
 * counts, since a process can switch to each of them.
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

#define POLICY_CAP(c)		(1ULL << (c))
/* Reach an inode whose uid and gid are mapped in their namespace. */
#define POLICY_CAPS_INODE	(POLICY_CAP(CAP_DAC_OVERRIDE) |		\
				 POLICY_CAP(CAP_FOWNER) |		\
				 POLICY_CAP(CAP_CHOWN) |		\
				 POLICY_CAP(CAP_SETFCAP) |		\
				 POLICY_CAP(CAP_SYS_PTRACE))
/* Reach every inode, from the initial namespace. */
#define POLICY_CAPS_ALL		(POLICY_CAP(CAP_SYS_ADMIN) |		\
				 POLICY_CAP(CAP_SYS_MODULE) |		\
				 POLICY_CAP(CAP_SETFCAP) |		\
				 POLICY_CAP(CAP_SYS_PTRACE))

/*
 * Whether a capability the recipient holds, or may make effective, gets
 * it the withheld right; what does not provably fail counts:
 * - CAP_DAC_OVERRIDE opens whatever the mode says; CAP_FOWNER fchmod()s
 *   a file it does not own, CAP_CHOWN makes it its own, then it reopens;
 *   CAP_SETFCAP gives a program of its own any capability;
 * - CAP_DAC_READ_SEARCH reads (a write-only grant withholds that);
 * - CAP_SETUID becomes the owner, CAP_SETGID joins the inode's group;
 * - CAP_SYS_PTRACE takes a writable fd from the creator or the broker
 *   (pidfd_getfd()), or writes the creator's mapping;
 * - CAP_SYS_ADMIN (fanotify event fds are opened unchecked, bpf writes
 *   user memory) and CAP_SYS_MODULE reach everything.
 * In a user namespace below ours, each needs the inode's ids mapped
 * there (the processes it may trace are its namespace's, and so are
 * their objects), and the kernel's own are nothing.
 */
static bool
policy_caps_reach(const struct policy_grant *g, bool want_write)
{
	const struct ident_caps	*c = g->caps;
	mode_t			 group = want_write ? S_IWGRP : S_IRGRP;
	uint64_t		 prm = c->permitted;

	if (!c->child_ns && (prm & POLICY_CAPS_ALL))
		return (true);
	if ((prm & POLICY_CAP(CAP_SETUID)) && !c->uid_unmapped)
		return (true);
	if ((prm & POLICY_CAP(CAP_SETGID)) && !c->gid_unmapped &&
	    (g->inode_mode & group))
		return (true);
	if (c->uid_unmapped || c->gid_unmapped)
		return (false);
	if (prm & POLICY_CAPS_INODE)
		return (true);
	return (!want_write && (prm & POLICY_CAP(CAP_DAC_READ_SEARCH)));
}

#define POLICY_SEALS_WRITE	(F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)

/* Sealed against writes and every change of size: nobody can write. */
static bool
policy_sealed(uint32_t seals)
{
	return ((seals & POLICY_SEALS_WRITE) && (seals & F_SEAL_SHRINK) &&
	    (seals & F_SEAL_GROW));
}

/*
 * Whether the enforcement could depend on the recipient's capabilities,
 * so they must be read (ident_caps()) before policy_enforcement().
 */
bool
policy_needs_caps(const struct policy_grant *g)
{
	bool		w = g->access == O_RDONLY;
	unsigned	why;

	if (g->access == O_RDWR || (w && policy_sealed(g->seals)))
		return (false);
	return (!policy_can_regain(g, w, &why));
}

/*
 * Whether the recipient could take back what the grant withholds (ro
 * withholds write, wo read); *why says how, or why it cannot.  Seals stop
 * writes only as far as they go: F_SEAL_WRITE and F_SEAL_FUTURE_WRITE do
 * not stop ftruncate(), so a recipient that can reopen the object
 * read-write can still shrink it under the creator's mapping (SIGBUS) or
 * grow it: "resize".
 */
static bool
policy_withheld(const struct policy_grant *g, unsigned *why)
{
	bool	w = g->access == O_RDONLY;
	bool	regain;

	if (w && policy_sealed(g->seals)) {
		*why = QSHM_WHY_SEALED;
		return (false);
	}
	if (!(regain = policy_can_regain(g, w, why)) && g->caps != NULL &&
	    policy_caps_reach(g, w)) {
		*why = QSHM_WHY_CAPS;
		regain = true;
	}
	if (!regain) {
		*why = QSHM_WHY_MODE;
		return (false);
	}
	if (w && (g->seals & POLICY_SEALS_WRITE))
		*why = QSHM_WHY_RESIZE;
	return (true);
}

/* Compute the enforcement (QSHM_ENF_*) and its reason (QSHM_WHY_*). */
void
policy_enforcement(const struct policy_grant *g, unsigned *enf,
    unsigned *why)
{
	*enf = QSHM_ENF_KERNEL;
	*why = QSHM_WHY_FULL;
	if (g->access != O_RDWR && policy_withheld(g, why)) {
		*enf = QSHM_ENF_ADVISORY;
		return;
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
