/*
 * api.c: the QNX handle calls.  Each checks what it can locally, in the
 * order of the errno table, before asking the broker (which checks it all
 * again), so a local mistake costs no round trip and needs no broker.
 * Calls that consume a handle first secure what could fail afterwards (a
 * descriptor slot, the address range), so a failure never eats a handle.
 */

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "watcher.h"

static size_t
api_page(void)
{
	return ((size_t)sysconf(_SC_PAGESIZE));
}

static const char *
api_access_name(int access)
{
	switch (access) {
	case O_RDONLY:
		return ("read-only");
	case O_WRONLY:
		return ("write-only");
	}
	return ("read-write");
}

/* A sub-range: page multiples, not empty, inside the object. */
static int
api_check_range(const struct stat *st, size_t size, off_t offset)
{
	size_t	page = api_page();

	if (size == 0 || size % page != 0)
		return (client_fail(EINVAL, "size %zu is not a positive "
		    "multiple of the page size", size));
	if (offset < 0 || (uint64_t)offset % page != 0)
		return (client_fail(EINVAL, "offset %jd is not a multiple of "
		    "the page size", (intmax_t)offset));
	if ((uint64_t)offset > UINT64_MAX - size ||
	    (uint64_t)offset + size > (uint64_t)st->st_size)
		return (client_fail(EINVAL, "range %jd+%zu exceeds the "
		    "object's %jd bytes", (intmax_t)offset, size,
		    (intmax_t)st->st_size));
	return (0);
}

static int
api_check_grant(int fd, pid_t pid, int flags, shm_handle_t *handlep,
    unsigned options, const size_t *size, off_t offset)
{
	struct stat	st;
	int		accmode;

	if (client_check_object(fd, &st, &accmode) == -1)
		return (-1);
	if ((flags & ~O_ACCMODE) != 0 || (flags & O_ACCMODE) == O_ACCMODE)
		return (client_fail(EINVAL, "flags must be one of O_RDONLY, "
		    "O_WRONLY, O_RDWR"));
	if (options & ~SHM_CREATE_HANDLE_OPT_NOFD)
		return (client_fail(EINVAL, "unknown options 0x%x", options));
	if (handlep == NULL)
		return (client_fail(EINVAL, "handlep is NULL"));
	if (size != NULL && api_check_range(&st, *size, offset) == -1)
		return (-1);
	if (accmode != O_RDWR && accmode != flags)
		return (client_fail(EACCES, "fd %d is %s, %s asked", fd,
		    api_access_name(accmode), api_access_name(flags)));
	if (pid <= 0)
		return (client_fail(ESRCH, "no process %ld", (long)pid));
	return (0);
}

static int
api_grant(int fd, pid_t pid, int flags, shm_handle_t *handlep,
    unsigned options, const size_t *size, off_t offset)
{
	struct proto_grant	g;
	struct proto_msg	reply;

	client_detail_clear();
	if (api_check_grant(fd, pid, flags, handlep, options, size,
	    offset) == -1)
		return (-1);
	memset(&g, 0, sizeof g);
	g.pid = pid;
	g.access = (uint32_t)flags;
	g.options = options;
	if (size != NULL) {
		g.options |= SHM_CREATE_HANDLE_OPT_SUBRANGE;
		g.offset = (uint64_t)offset;
		g.length = *size;
	}
	if (client_call(PROTO_GRANT, &g, sizeof g, fd, -1, &reply) == -1)
		return (-1);
	if (reply.u.grant_reply.handle == 0)
		return (client_fail(EPROTO, "the broker sent handle 0"));
	*handlep = reply.u.grant_reply.handle;
	return (0);
}

/* Create a single-use handle to fd's object for process pid. */
int
shm_create_handle(int fd, pid_t pid, int flags, shm_handle_t *handlep,
    unsigned options)
{
	return (api_grant(fd, pid, flags, handlep, options, NULL, 0));
}

/* Create a handle for [offset, offset + size) of fd's object. */
int
shm_create_subrange_handle(int const fd, pid_t const pid, int const flags,
    shm_handle_t *const handlep, unsigned options, size_t const size,
    off_t const offset)
{
	return (api_grant(fd, pid, flags, handlep, options, &size, offset));
}

/* A value that can be a handle (EBADF) and a creator pid (ESRCH). */
static int
api_check_handle(shm_handle_t handle, pid_t pid)
{
	if (PROTO_HANDLE_MALFORMED(handle))
		return (client_fail(EBADF, "%#jx is never a handle",
		    (uintmax_t)handle));
	if (pid < 0)
		return (client_fail(ESRCH, "no creator pid %ld", (long)pid));
	return (0);
}

/* Turn a handle granted to the caller into a file descriptor. */
int
shm_open_handle(shm_handle_t const handle, int const flags)
{
	return (shm_open_handle_pid(handle, flags, 0));
}

/* Like shm_open_handle(), if pid (0: anyone) created the handle. */
int
shm_open_handle_pid(shm_handle_t handle, int flags, pid_t pid)
{
	struct proto_open	o;
	struct proto_msg	reply;
	uint64_t		gen;
	int			reserve, fd;

	client_detail_clear();
	if (!client_valid_open_flags(flags))
		return (client_fail(EINVAL, "flags must be one access mode, "
		    "optionally with O_CLOEXEC"));
	if (api_check_handle(handle, pid) == -1)
		return (-1);
	if ((reserve = client_reserve_fd()) == -1)
		return (-1);
	memset(&o, 0, sizeof o);
	o.handle = handle;
	o.creator = pid;
	o.access = (uint32_t)(flags & O_ACCMODE);
	o.purpose = PROTO_OPEN_FD;
	gen = watcher_gen();
	if (client_call(PROTO_OPEN, &o, sizeof o, -1, reserve, &reply) == -1)
		return (-1);
	if ((fd = client_take_fd(&reply, flags & O_ACCMODE)) != -1 &&
	    (reply.u.open_reply.flags & SHMCTL_REVOCABLE))
		watcher_hold(fd, NULL, 0, gen);
	return (fd);
}

static int
api_check_map(void *addr, size_t len, int prot, int flags, off_t off)
{
	size_t	page = api_page();
	int	type = flags & MAP_TYPE;

	if (len == 0)
		return (client_fail(EINVAL, "length 0"));
	if (off < 0 || (uint64_t)off % page != 0)
		return (client_fail(EINVAL, "offset %jd is not a multiple of "
		    "the page size", (intmax_t)off));
	if ((type != MAP_SHARED && type != MAP_PRIVATE) ||
	    (flags & MAP_ANONYMOUS))
		return (client_fail(EINVAL, "flags need exactly one of "
		    "MAP_SHARED, MAP_PRIVATE and no MAP_ANONYMOUS"));
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return (client_fail(EINVAL, "unknown prot bits 0x%x", prot));
	if ((flags & MAP_FIXED) && (uintptr_t)addr % page != 0)
		return (client_fail(EINVAL, "MAP_FIXED address %p is not "
		    "page-aligned", addr));
	if (len > SIZE_MAX - (page - 1))
		return (client_fail(ENOMEM, "length %zu", len));
	return (0);
}

/* Hold the address range (unless MAP_FIXED) so ENOMEM comes first. */
static void *
api_reserve_va(void *addr, size_t len, int flags)
{
	void	*p;
	int	 rflags;

	if (flags & MAP_FIXED)
		return (addr);
	rflags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
	    (flags & MAP_FIXED_NOREPLACE);
	p = mmap(addr, len, PROT_NONE, rflags, -1, 0);
	if (p == MAP_FAILED) {
		client_fail(errno, "reserving %zu bytes: %s", len,
		    strerror(errno));
		return (MAP_FAILED);
	}
	if ((flags & MAP_FIXED_NOREPLACE) && p != addr) {
		/* A kernel that ignores the flag: keep its promise here. */
		munmap(p, len);
		client_fail(EEXIST, "address %p is taken", addr);
		return (MAP_FAILED);
	}
	return (p);
}

static void
api_release_va(void *base, size_t len, int flags)
{
	int	saved = errno;

	if (!(flags & MAP_FIXED))
		munmap(base, len);
	errno = saved;
}

/* Map the received fd over the reserved range. */
static void *
api_map_fd(void *base, size_t len, int prot, int flags, off_t off,
    int access, struct proto_msg *reply, uint64_t gen)
{
	const struct proto_open_reply	*r = &reply->u.open_reply;
	size_t				 page = api_page();
	uint64_t			 rounded;
	void				*p;
	int				 fd, saved;

	rounded = ((uint64_t)len + page - 1) / page * page;
	if (r->offset % page != 0 ||
	    r->offset > (uint64_t)INT64_MAX - (uint64_t)off) {
		proto_msg_clear(reply);
		client_fail(EPROTO, "the broker sent range offset %ju",
		    (uintmax_t)r->offset);
		return (MAP_FAILED);
	}
	if (r->length != 0 && ((uint64_t)off > r->length ||
	    rounded > r->length - (uint64_t)off)) {
		proto_msg_clear(reply);
		client_fail(EINVAL, "mapping %jd+%zu exceeds the %ju-byte "
		    "range", (intmax_t)off, len, (uintmax_t)r->length);
		return (MAP_FAILED);
	}
	if ((fd = client_take_fd(reply, access)) == -1)
		return (MAP_FAILED);
	p = mmap(base, len, prot, (flags & ~MAP_FIXED_NOREPLACE) | MAP_FIXED,
	    fd, (off_t)(r->offset + (uint64_t)off));
	saved = errno;
	if (p != MAP_FAILED && (r->flags & SHMCTL_REVOCABLE))
		watcher_hold(fd, p, len, gen);
	close(fd);
	errno = saved;
	if (p == MAP_FAILED)
		client_fail(errno, "mapping the object: %s", strerror(errno));
	return (p);
}

/* Map the object behind a handle granted to the caller. */
void *
mmap_handle(void *addr, size_t len, int prot, int flags, shm_handle_t handle,
    off_t off)
{
	return (mmap_handle_pid(addr, len, prot, flags, handle, 0, off));
}

/* Like mmap_handle(), if pid (0: anyone) created the handle. */
void *
mmap_handle_pid(void *addr, size_t len, int prot, int flags,
    shm_handle_t handle, pid_t pid, off_t off)
{
	struct proto_open	 o;
	struct proto_msg	 reply;
	void			*base, *p;
	uint64_t		 gen;
	int			 reserve;

	client_detail_clear();
	if (api_check_map(addr, len, prot, flags, off) == -1)
		return (MAP_FAILED);
	if (api_check_handle(handle, pid) == -1)
		return (MAP_FAILED);
	if ((base = api_reserve_va(addr, len, flags)) == MAP_FAILED)
		return (MAP_FAILED);
	if ((reserve = client_reserve_fd()) == -1) {
		api_release_va(base, len, flags);
		return (MAP_FAILED);
	}
	memset(&o, 0, sizeof o);
	o.handle = handle;
	o.creator = pid;
	o.access = ((flags & MAP_TYPE) == MAP_SHARED && (prot & PROT_WRITE)) ?
	    O_RDWR : O_RDONLY;
	o.purpose = PROTO_OPEN_MAP;
	o.prot = (uint32_t)prot;
	o.offset = (uint64_t)off;
	o.length = len;
	gen = watcher_gen();
	if (client_call(PROTO_OPEN, &o, sizeof o, -1, reserve, &reply) == -1) {
		api_release_va(base, len, flags);
		return (MAP_FAILED);
	}
	if ((p = api_map_fd(base, len, prot, flags, off, (int)o.access,
	    &reply, gen)) == MAP_FAILED)
		api_release_va(base, len, flags);
	return (p);
}

/* Discard an unused handle; its creator or its recipient may. */
int
shm_delete_handle(shm_handle_t handle)
{
	struct proto_delete	d;
	struct proto_msg	reply;

	client_detail_clear();
	if (api_check_handle(handle, 0) == -1)
		return (-1);
	memset(&d, 0, sizeof d);
	d.handle = handle;
	return (client_call(PROTO_DELETE, &d, sizeof d, -1, -1, &reply));
}
