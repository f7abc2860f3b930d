/*
 * demo-reader: the recipient side of `make demo`.  It takes commands from
 * the writer on the fd named by its first argument and answers on the
 * second: open a handle, map it and print
 * what it holds; try to write through it (the kernel refuses); read again
 * after the writer changed the data; try a handle that was revoked; read
 * its mapping after the writer revoked it (SIGSEGV, caught).
 */

#include <sys/mman.h>

#include <err.h>
#include <setjmp.h>
#include <signal.h>
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

static char	*view;
static int	 failures;
static sigjmp_buf revoked;

static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list	ap;

	printf("reader[%ld]: ", (long)getpid());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* A refusal is what we want; a success means the grant leaked write. */
static void
expect_refused(const char *what, int failed)
{
	if (failed)
		say("%s: %s (refused by the kernel)", what, strerror(errno));
	else {
		say("%s: succeeded, write access leaked", what);
		failures++;
	}
}

/* Try every way to write that the reader's own fd offers. */
static void
try_writes(int fd)
{
	char	path[64];
	int	rw;

	expect_refused("make the mapping writable",
	    mprotect(view, OBJECT_SIZE, PROT_READ | PROT_WRITE) == -1);
	expect_refused("map the fd for writing", mmap(NULL, OBJECT_SIZE,
	    PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	if ((rw = open(path, O_RDWR | O_CLOEXEC)) == -1) {
		expect_refused("reopen the fd read-write", 1);
		return;
	}
	expect_refused("reopened read-write (same uid), then map for writing",
	    mmap(NULL, OBJECT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, rw,
	    0) == MAP_FAILED);
	expect_refused("reopened read-write, then write()",
	    pwrite(rw, "x", 1, 0) == -1);
	close(rw);
}

static void
do_open(shm_handle_t h)
{
	int	fd;

	if ((fd = shm_open_handle(h, O_RDONLY)) == -1)
		err(1, "shm_open_handle 0x%016" PRIx64, h);
	view = mmap(NULL, OBJECT_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (view == MAP_FAILED)
		err(1, "mmap");
	say("opened handle 0x%016" PRIx64 ", mapped it, read: \"%s\"", h,
	    view);
	if (shm_open_handle(h, O_RDONLY) == -1)
		say("open the same handle again: %s (single use)",
		    strerror(errno));
	else {
		say("the handle opened twice");
		failures++;
	}
	try_writes(fd);
	close(fd);
}

static void
do_revoked(shm_handle_t h)
{
	if (shm_open_handle(h, O_RDONLY) == -1 && errno == ESRCH)
		say("open revoked handle 0x%016" PRIx64 ": %s", h,
		    strerror(errno));
	else {
		say("revoked handle 0x%016" PRIx64 " still worked", h);
		failures++;
	}
}

static void
on_segv(int sig)
{
	(void)sig;
	siglongjmp(revoked, 1);
}

/* After shm_revoke() the next access must raise SIGSEGV. */
static void
do_touch(void)
{
	struct sigaction	sa, old;
	volatile char		c;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_segv;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(revoked, 1) == 0) {
		c = view[0];
		say("read the mapping after the revoke: '%c', not revoked", c);
		failures++;
	} else
		say("read the mapping after the revoke: SIGSEGV, access was "
		    "revoked");
	sigaction(SIGSEGV, &old, NULL);
}

int
main(int argc, char *argv[])
{
	FILE		*from, *to;
	char		 line[128], verb[16];
	shm_handle_t	 h;

	if (argc != 3)
		errx(2, "usage: demo-reader READ-FD WRITE-FD");
	if ((from = fdopen(atoi(argv[1]), "r")) == NULL ||
	    (to = fdopen(atoi(argv[2]), "w")) == NULL)
		err(1, "fdopen");
	while (fgets(line, sizeof line, from) != NULL) {
		h = 0;
		if (sscanf(line, "%15s %" SCNx64, verb, &h) < 1)
			errx(1, "bad command from the writer: %s", line);
		if (strcmp(verb, "map") == 0)
			do_open(h);
		else if (strcmp(verb, "reread") == 0)
			say("read again: \"%s\"", view);
		else if (strcmp(verb, "open") == 0)
			do_revoked(h);
		else if (strcmp(verb, "touch") == 0)
			do_touch();
		else
			errx(1, "unknown command from the writer: %s", verb);
		fprintf(to, "done\n");
		fflush(to);
	}
	return (failures == 0 ? 0 : 1);
}
