/*
 * anon.c: the libc calls <qshm.h> routes through the library:
 * shm_open(SHM_ANON, ...) makes a sealable memfd, and getrlimit() /
 * setrlimit() learn RLIMIT_SHM_HANDLES_NP, which the broker keeps.
 * Everything else goes to the system's own functions.
 */

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "client.h"

#define ANON_NAME	"qshm-anon"
#define ANON_OFLAGS	(O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC)

/* Trade the memfd for a descriptor with the asked access mode. */
static int
anon_reopen(int fd, int access)
{
	char	path[64];
	int	nfd, saved;

	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	nfd = open(path, access | O_CLOEXEC);
	saved = errno;
	close(fd);
	errno = saved;
	return (nfd);
}

static int
anon_create(int oflag, mode_t mode)
{
	int	access = oflag & O_ACCMODE, fd, saved;

	if (access == O_ACCMODE || (oflag & ~ANON_OFLAGS) != 0)
		return (client_fail(EINVAL, "bad oflag 0x%x for SHM_ANON",
		    (unsigned)oflag));
	fd = memfd_create(ANON_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd == -1)
		return (-1);
	if (fchmod(fd, mode == 0 ? 0600 : (mode & 0777)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	if (access == O_RDWR)
		return (fd);
	return (anon_reopen(fd, access));
}

/* shm_open() that understands SHM_ANON. */
int
qshm_shm_open(const char *name, int oflag, mode_t mode)
{
	client_detail_clear();
	if (name == SHM_ANON)
		return (anon_create(oflag, mode));
	return (shm_open(name, oflag, mode));
}

/* getrlimit() that also knows RLIMIT_SHM_HANDLES_NP. */
int
qshm_getrlimit(int resource, struct rlimit *rlp)
{
	if (resource != RLIMIT_SHM_HANDLES_NP)
		return (getrlimit(resource, rlp));
	client_detail_clear();
	if (rlp == NULL)
		return (client_fail(EFAULT, "rlp is NULL"));
	return (qshm_handle_limit(0, NULL, rlp));
}

/* setrlimit() that also knows RLIMIT_SHM_HANDLES_NP. */
int
qshm_setrlimit(int resource, const struct rlimit *rlp)
{
	if (resource != RLIMIT_SHM_HANDLES_NP)
		return (setrlimit(resource, rlp));
	client_detail_clear();
	if (rlp == NULL)
		return (client_fail(EFAULT, "rlp is NULL"));
	return (qshm_handle_limit(0, rlp, NULL));
}
