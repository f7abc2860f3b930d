/*
 * anon.c: the libc calls QNX code makes that must learn QNX's meanings.
 *
 * shm_open() itself is defined here, so that shm_open(SHM_ANON, ...)
 * makes a sealable memfd however the caller names the function: a call,
 * ::shm_open, &shm_open, a C++ member or mock of that name (a macro
 * would rewrite the last two).  A program linked with libqshm binds its
 * shm_open to this one; other libraries keep the system's (libqshm.so
 * exports it under its own symbol version).  Any real name goes on to the
 * system's shm_open(), found with dlsym(RTLD_NEXT).
 *
 * getrlimit() / setrlimit() cannot be taken over so: QNX's
 * RLIMIT_SHM_HANDLES_NP is Linux's RLIMIT_RTTIME (15), which other code
 * in the process may mean.  <qshm.h> renames them, for its includers
 * only, to qshm_getrlimit() / qshm_setrlimit().
 */

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

#define ANON_NAME	"qshm-anon"
#define ANON_OFLAGS	(O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC | \
			 O_ANON)

typedef int	(*anon_shm_open_fn)(const char *, int, mode_t);

static anon_shm_open_fn	anon_next;
static pthread_once_t	anon_once = PTHREAD_ONCE_INIT;

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

/*
 * The process's umask, read from /proc without changing it: umask(2) can
 * only set it, and setting and restoring races with other threads'
 * creations, so that is done only where /proc cannot tell.
 */
static mode_t
anon_umask(void)
{
	char	 buf[4096], *p;
	ssize_t	 n = -1;
	mode_t	 m;
	int	 fd;

	if ((fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
	}
	if (n > 0) {
		buf[n] = '\0';
		if ((p = strstr(buf, "\nUmask:")) != NULL)
			return ((mode_t)(strtoul(p + 7, NULL, 8) & 0777));
	}
	m = umask(022);
	umask(m);
	return (m);
}

/*
 * The permission bits: mode less the umask, as a named shm_open() gives
 * (POSIX); 0 stays the 0600 it always was, so the creator can reopen it.
 */
static mode_t
anon_mode(mode_t mode)
{
	if ((mode & 0777) == 0)
		return (0600);
	return (mode & 0777 & ~anon_umask());
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
	if (fchmod(fd, anon_mode(mode)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	if (access == O_RDWR)
		return (fd);
	return (anon_reopen(fd, access));
}

static void
anon_find_next(void)
{
	anon_next = (anon_shm_open_fn)dlsym(RTLD_NEXT, "shm_open");
}

/*
 * A named object without the system's shm_open() (a static program has
 * no RTLD_NEXT): the file of that name under /dev/shm, as glibc opens it.
 */
static int
anon_open_named(const char *name, int oflag, mode_t mode)
{
	char	path[sizeof "/dev/shm/" + NAME_MAX];

	while (*name == '/')
		name++;
	if (*name == '\0' || strchr(name, '/') != NULL)
		return (client_fail(EINVAL, "bad object name"));
	if (strlen(name) > NAME_MAX)
		return (client_fail(ENAMETOOLONG, "object name too long"));
	snprintf(path, sizeof path, "/dev/shm/%s", name);
	return (open(path, oflag | O_NOFOLLOW | O_CLOEXEC, mode));
}

/* shm_open() that understands SHM_ANON (and O_ANON with it). */
int
shm_open(const char *name, int oflag, mode_t mode)
{
	client_detail_clear();
	if (name == SHM_ANON)
		return (anon_create(oflag, mode));
	(void)pthread_once(&anon_once, anon_find_next);
	if (anon_next == NULL || anon_next == shm_open)
		return (anon_open_named(name, oflag, mode));
	return (anon_next(name, oflag, mode));
}

/* The same, under the name it has always had. */
int
qshm_shm_open(const char *name, int oflag, mode_t mode)
{
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
