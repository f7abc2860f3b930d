/*
 * demo-writer: the creator side of `make demo`.  It makes an anonymous
 * object, writes a message into it, seals it against new writable
 * mappings, starts demo-reader and grants that process a read-only handle.
 * Then it changes the message while the reader has it mapped, grants a
 * second handle, and calls shm_revoke() for the reader: the unused handle
 * is destroyed and the reader's live mapping becomes inaccessible.
 */

#include <sys/mman.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qshm.h>

#define OBJECT_SIZE	4096

static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list	ap;

	printf("writer[%ld]: ", (long)getpid());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Send one line to the reader, wait for its one-line answer. */
static void
exchange(FILE *to, FILE *from, const char *line)
{
	char	buf[64];

	fprintf(to, "%s\n", line);
	fflush(to);
	if (fgets(buf, sizeof buf, from) == NULL)
		errx(1, "the reader went away");
}

int
main(int argc, char *argv[])
{
	int		 down[2], up[2], fd;
	char		*p, line[64];
	shm_handle_t	 h, h2;
	pid_t		 pid;
	FILE		*to, *from;
	int		 status;

	if (argc != 2)
		errx(2, "usage: demo-writer PATH-OF-DEMO-READER");
	fd = shm_open(SHM_ANON, O_RDWR | O_CREAT, 0600);
	if (fd == -1 || shm_ctl(fd, SHMCTL_ANON | SHMCTL_REVOCABLE, 0,
	    OBJECT_SIZE) == -1)
		err(1, "anonymous revocable object");
	p = mmap(NULL, OBJECT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	snprintf(p, OBJECT_SIZE, "hello from the writer, pid %ld",
	    (long)getpid());
	/* From now on nobody gets a new writable mapping; ours stays. */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK |
	    F_SEAL_GROW | F_SEAL_SEAL) == -1)
		err(1, "seal");
	say("made a %d-byte revocable anonymous object (memfd), sealed "
	    "against new writes", OBJECT_SIZE);

	if (pipe(down) == -1 || pipe(up) == -1)
		err(1, "pipe");
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		char	rfd[16], wfd[16];

		/* The reader keeps only its ends, so it sees EOF. */
		close(down[1]);
		close(up[0]);
		snprintf(rfd, sizeof rfd, "%d", down[0]);
		snprintf(wfd, sizeof wfd, "%d", up[1]);
		execl(argv[1], argv[1], rfd, wfd, (char *)NULL);
		err(127, "%s", argv[1]);
	}
	close(down[0]);
	close(up[1]);
	if ((to = fdopen(down[1], "w")) == NULL ||
	    (from = fdopen(up[0], "r")) == NULL)
		err(1, "fdopen");

	if (shm_create_handle(fd, pid, O_RDONLY, &h, 0) == -1)
		err(1, "shm_create_handle for pid %ld", (long)pid);
	say("granted read-only handle 0x%016" PRIx64 " to pid %ld", h,
	    (long)pid);
	snprintf(line, sizeof line, "map 0x%016" PRIx64, h);
	exchange(to, from, line);

	snprintf(p, OBJECT_SIZE, "the writer changed this while it was "
	    "mapped");
	say("changed the message in place");
	exchange(to, from, "reread");

	if (shm_create_handle(fd, pid, O_RDONLY, &h2, 0) == -1)
		err(1, "second shm_create_handle");
	say("granted handle 0x%016" PRIx64, h2);
	if (shm_revoke(fd, pid) == -1)
		err(1, "shm_revoke");
	say("shm_revoke(fd, %ld): its unused handle is gone and its live "
	    "mapping revoked", (long)pid);
	snprintf(line, sizeof line, "open 0x%016" PRIx64, h2);
	exchange(to, from, line);
	exchange(to, from, "touch");

	fclose(to);
	if (waitpid(pid, &status, 0) == -1)
		err(1, "waitpid");
	say("reader exited with status %d", WIFEXITED(status) ?
	    WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return (WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1);
}
