/*
 * ctl.c: shm_ctl(), shm_ctl_special() and shm_revoke().  The flags of an
 * object live in the broker, so every process sees the same; the library
 * checks what it can first (the descriptor, flags Linux cannot honour)
 * and sends the rest.  Making an object revocable starts this process's
 * watcher, since shm_revoke(fd, -1) reaches the creator too.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>

#include "client.h"
#include "watcher.h"

/* QNX 8.0's hints: accepted and ignored, as deprecated there. */
#define CTL_HINTS	(0x0010 | 0x0020 | 0x0040 | 0x0080 | 0x0200 | 0x1000)
/* Physical, typed and repeated memory: Linux offers no such backing. */
#define CTL_UNSUPPORTED	(SHMCTL_PHYS | SHMCTL_TYMEM | SHMCTL_REPEAT)
#define CTL_KNOWN	(PROTO_CTL_CHANGE | CTL_HINTS | CTL_UNSUPPORTED | \
			 SHMCTL_GET_FLAGS | SHMCTL_HAS_SPECIAL)

/* The flags shm_ctl() sends, or -1 (errno set) if it must fail here. */
static int
ctl_check(int flags, uint64_t size, unsigned special)
{
	if ((unsigned)flags & ~(unsigned)CTL_KNOWN)
		return (client_fail(EINVAL, "unknown flags 0x%x",
		    (unsigned)flags & ~(unsigned)CTL_KNOWN));
	if (flags & CTL_UNSUPPORTED)
		return (client_fail(ENOTSUP, "physical, typed or repeated "
		    "memory (0x%x) does not exist on Linux",
		    flags & CTL_UNSUPPORTED));
	if (special != 0)
		return (client_fail(EINVAL, "special 0x%x: no page attributes "
		    "on Linux", special));
	flags &= ~(CTL_HINTS | SHMCTL_HAS_SPECIAL);
	if ((flags & SHMCTL_GET_FLAGS) && flags != SHMCTL_GET_FLAGS)
		return (client_fail(EINVAL, "SHMCTL_GET_FLAGS with other "
		    "flags 0x%x", flags & ~SHMCTL_GET_FLAGS));
	if ((flags & SHMCTL_ANON) && size > INT64_MAX)
		return (client_fail(EINVAL, "size %ju", (uintmax_t)size));
	return (flags);
}

/* shm_ctl() with CPU-specific page attributes; only special 0 works. */
int
shm_ctl_special(int fd, int flags, uint64_t paddr, uint64_t size,
    unsigned special)
{
	struct proto_ctl	c;
	struct proto_msg	reply;
	struct stat		st;
	uint64_t		gen;
	int			accmode, send;

	(void)paddr;	/* only SHMCTL_PHYS reads it */
	client_detail_clear();
	if (client_check_object(fd, &st, &accmode) == -1)
		return (-1);
	/* The broker decides EPERM (sealed) before EACCES (read-only). */
	if ((send = ctl_check(flags, size, special)) <= 0)
		return (send);	/* -1, or 0: nothing but hints */
	memset(&c, 0, sizeof c);
	c.flags = (uint32_t)send;
	if (send & SHMCTL_ANON)
		c.size = size;
	gen = watcher_gen();
	if (client_call(PROTO_CTL, &c, sizeof c, fd, -1, &reply) == -1)
		return (-1);
	if (send == SHMCTL_GET_FLAGS)
		return ((int)(reply.u.status.value & SHMCTL_FLAG_MASK));
	if (reply.u.status.value & SHMCTL_REVOCABLE)
		watcher_hold(fd, NULL, 0, gen);
	return (0);
}

/* Set an object's size and flags (SHMCTL_*), or read its flags. */
int
shm_ctl(int fd, int flags, uint64_t paddr, uint64_t size)
{
	return (shm_ctl_special(fd, flags, paddr, size, 0));
}

/* Take pid's (-1: everyone's) access to fd's revocable object back. */
int
shm_revoke(int fd, pid_t pid)
{
	struct proto_revoke	r;
	struct proto_msg	reply;
	struct stat		st;
	int			accmode;

	client_detail_clear();
	if (client_check_object(fd, &st, &accmode) == -1)
		return (-1);
	if (pid < -1)
		return (client_fail(EINVAL, "pid %ld", (long)pid));
	if (pid == 0)
		return (client_fail(ESRCH, "no process 0"));
	memset(&r, 0, sizeof r);
	r.pid = pid;
	if (client_call(PROTO_REVOKE, &r, sizeof r, fd, -1, &reply) == -1) {
		if (errno == ETIMEDOUT)
			client_fail(ETIMEDOUT, "a recipient did not answer "
			    "in time; its handles are gone, its mappings may "
			    "not be");
		return (-1);
	}
	return (0);
}
