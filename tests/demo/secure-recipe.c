/*
 * secure-recipe: QNX's "secure buffer management" recipe, step by step,
 * on Linux with libqshm.  The creator
 *   1. makes an anonymous object: shm_open(SHM_ANON),
 *   2. sizes it and makes it revocable and sealed in one shm_ctl(),
 *   3. creates a NOFD handle for the recipient only after that,
 *   4. sends the handle over IPC (a pipe here);
 * the recipient
 *   5. maps it with mmap_handle() (no descriptor ever exists there),
 *   6. uses it;
 * they agree it is done (7), and the creator
 *   8. calls shm_revoke(), after which the recipient's next access raises
 *      SIGSEGV, which it catches with sigsetjmp().
 * Run it with a broker reachable (QSHM_SOCKET) or let libqshm start one.
 */

#include <sys/mman.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <qshm.h>

#define SIZE	4096

static sigjmp_buf	revoked;

static void
on_segv(int sig)
{
	(void)sig;
	siglongjmp(revoked, 1);
}

static void
xread(int fd, void *buf, size_t len)
{
	if (read(fd, buf, len) != (ssize_t)len)
		errx(1, "the other side went away");
}

static void
xwrite(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		err(1, "write");
}

/* Steps 5 to 7, and the SIGSEGV after step 8. */
static int
recipient(int in, int out)
{
	struct sigaction	 sa;
	volatile char		*p;
	shm_handle_t		 h;
	char			 c = 'k';

	xread(in, &h, sizeof h);
	p = mmap_handle(NULL, SIZE, PROT_READ, MAP_SHARED, h, 0);
	if (p == MAP_FAILED)
		err(1, "recipient: mmap_handle");
	printf("recipient[%ld]: mapped handle 0x%016" PRIx64 " (no fd); "
	    "reads \"%s\"\n", (long)getpid(), h, (const char *)p);
	xwrite(out, &c, 1);		/* 7: done with it */
	xread(in, &c, 1);		/* 8 happened */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_segv;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	if (sigsetjmp(revoked, 1) == 0) {
		c = p[0];
		printf("recipient: still reads after the revoke: %c\n", c);
		return (1);
	}
	printf("recipient: access after shm_revoke(): SIGSEGV, access was "
	    "revoked\n");
	return (0);
}

int
main(void)
{
	shm_handle_t	 h;
	char		*p, c;
	pid_t		 pid;
	int		 fd, down[2], up[2], status;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* the child ends in _exit() */
	/* 1, 2 */
	if ((fd = shm_open(SHM_ANON, O_RDWR | O_CREAT, 0600)) == -1)
		err(1, "shm_open(SHM_ANON)");
	if (shm_ctl(fd, SHMCTL_ANON | SHMCTL_REVOCABLE | SHMCTL_SEAL, 0,
	    SIZE) == -1)
		err(1, "shm_ctl");
	printf("creator[%ld]: anonymous object, flags 0x%x "
	    "(ANON|SEAL|REVOCABLE); resizing now fails: %s\n", (long)getpid(),
	    shm_ctl(fd, SHMCTL_GET_FLAGS, 0, 0), ftruncate(fd, 2 * SIZE) ==
	    -1 ? strerror(errno) : "it worked");
	p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	snprintf(p, SIZE, "a secret from pid %ld", (long)getpid());
	munmap(p, SIZE);

	if (pipe(down) == -1 || pipe(up) == -1)
		err(1, "pipe");
	fflush(stdout);
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		close(fd);	/* the recipient gets no descriptor at all */
		close(down[1]);
		close(up[0]);
		_exit(recipient(down[0], up[1]));
	}
	close(down[0]);
	close(up[1]);
	/* 3, 4 */
	if (shm_create_handle(fd, pid, O_RDONLY, &h,
	    SHM_CREATE_HANDLE_OPT_NOFD) == -1)
		err(1, "shm_create_handle");
	xwrite(down[1], &h, sizeof h);
	xread(up[0], &c, 1);
	/* 8 */
	if (shm_revoke(fd, pid) == -1)
		err(1, "shm_revoke");
	printf("creator: shm_revoke(fd, %ld) returned 0\n", (long)pid);
	fflush(stdout);
	xwrite(down[1], &c, 1);
	if (waitpid(pid, &status, 0) == -1)
		err(1, "waitpid");
	return (WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1);
}
