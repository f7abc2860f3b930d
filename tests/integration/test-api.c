/*
 * test-api.c: the QNX handle calls against a real broker and real
 * processes.  Every errno of the team brief's table for shm_create_handle,
 * shm_create_subrange_handle, shm_open_handle(_pid), mmap_handle(_pid)
 * and shm_delete_handle; single use; failures that do not consume; pid
 * binding; the creator check of the _pid variants; NOFD handles; sub-range
 * contents; the properties of a returned fd; fork safety; SHM_ANON.
 *
 * One broker serves the whole file; this process uses the library
 * directly and peers (common.h) play the other processes.
 */

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"

static struct qt_broker	th_broker;
static size_t		th_pg;

static int
th_setup(void **state)
{
	(void)state;
	th_pg = qt_page();
	return (qt_broker_start(&th_broker, NULL));
}

static int
th_teardown(void **state)
{
	(void)state;
	return (qt_broker_stop(&th_broker));
}

/* An object of n pages, page i filled with 'A' + i. */
static int
th_object(size_t pages)
{
	int	fd = qt_memfd(pages * th_pg, 'A');

	assert_true(fd >= 0);
	return (fd);
}

/* Grant to this process; the handle is non-zero. */
static shm_handle_t
th_grant(int fd, pid_t pid, int flags, unsigned options)
{
	shm_handle_t	h = 0;

	assert_ok(shm_create_handle(fd, pid, flags, &h, options));
	assert_true(h != 0);
	return (h);
}

/* The n lowest free descriptor numbers. */
static int
th_lowest_free(void)
{
	int	fd;

	for (fd = 0; fd < 65536; fd++) {
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF)
			return (fd);
	}
	fail_msg("no free descriptor");
	return (-1);
}

/* EBADF: not an open descriptor, or an O_PATH one. */
static void
test_create_ebadf(void **state)
{
	shm_handle_t	h;
	int		fd, opath;

	(void)state;
	fd = th_object(1);
	opath = qt_reopen(fd, O_PATH);
	assert_true(opath >= 0);
	assert_errno(shm_create_handle(-1, getpid(), O_RDONLY, &h, 0), EBADF);
	assert_errno(shm_create_handle(4000, getpid(), O_RDONLY, &h, 0),
	    EBADF);
	assert_errno(shm_create_handle(opath, getpid(), O_RDONLY, &h, 0),
	    EBADF);
	assert_errno(shm_create_subrange_handle(opath, getpid(), O_RDONLY, &h,
	    0, th_pg, 0), EBADF);
	close(opath);
	close(fd);
	assert_errno(shm_create_handle(fd, getpid(), O_RDONLY, &h, 0), EBADF);
	assert_errno(shm_create_subrange_handle(fd, getpid(), O_RDONLY, &h, 0,
	    th_pg, 0), EBADF);
}

/* EINVAL: flags, options, handlep. */
static void
test_create_einval_args(void **state)
{
	int		flags[] = { O_RDONLY | O_CLOEXEC, O_RDWR | O_CREAT,
			    O_ACCMODE, O_WRONLY | O_NONBLOCK, O_RDONLY | O_TRUNC,
			    O_RDWR | O_APPEND, -1 };
	unsigned	opts[] = { SHM_CREATE_HANDLE_OPT_SUBRANGE, 0x4,
			    0x80000000U, SHM_CREATE_HANDLE_OPT_NOFD | 0x10 };
	shm_handle_t	h;
	size_t		i;
	int		fd;

	(void)state;
	fd = th_object(1);
	for (i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		assert_errno(shm_create_handle(fd, getpid(), flags[i], &h, 0),
		    EINVAL);
		assert_errno(shm_create_subrange_handle(fd, getpid(), flags[i],
		    &h, 0, th_pg, 0), EINVAL);
	}
	for (i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		assert_errno(shm_create_handle(fd, getpid(), O_RDONLY, &h,
		    opts[i]), EINVAL);
		assert_errno(shm_create_subrange_handle(fd, getpid(), O_RDONLY,
		    &h, opts[i], th_pg, 0), EINVAL);
	}
	assert_errno(shm_create_handle(fd, getpid(), O_RDONLY, NULL, 0),
	    EINVAL);
	assert_errno(shm_create_subrange_handle(fd, getpid(), O_RDONLY, NULL,
	    0, th_pg, 0), EINVAL);
	close(fd);
}

/* EINVAL: the fd is no regular file. */
static void
test_create_einval_type(void **state)
{
	shm_handle_t	h;
	int		p[2], sv[2], dir, null;

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	dir = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(dir >= 0 && null >= 0);
	assert_errno(shm_create_handle(p[0], getpid(), O_RDONLY, &h, 0),
	    EINVAL);
	assert_errno(shm_create_handle(p[1], getpid(), O_WRONLY, &h, 0),
	    EINVAL);
	assert_errno(shm_create_handle(sv[0], getpid(), O_RDONLY, &h, 0),
	    EINVAL);
	assert_errno(shm_create_handle(dir, getpid(), O_RDONLY, &h, 0),
	    EINVAL);
	assert_errno(shm_create_handle(null, getpid(), O_RDWR, &h, 0), EINVAL);
	assert_errno(shm_create_subrange_handle(null, getpid(), O_RDONLY, &h,
	    0, th_pg, 0), EINVAL);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
	close(dir);
	close(null);
}

/* EINVAL: sub-range geometry. */
static void
test_create_einval_subrange(void **state)
{
	shm_handle_t	h;
	off_t		big = (off_t)(INT64_MAX & ~(int64_t)(th_pg - 1));
	int		fd;

	(void)state;
	fd = th_object(4);
	assert_errno(shm_create_subrange_handle(fd, getpid(), O_RDONLY, &h, 0,
	    0, 0), EINVAL);
	assert_errno(shm_create_subrange_handle(fd, getpid(), O_RDONLY, &h, 0,
	    th_pg - 1, 0), EINVAL);
	assert_errno(shm_create_subrange_handle(fd, getpid(), O_RDONLY, &h, 0,
	    th_pg + 1, 0), EINVAL);
	assert_errno(shm_create_subrange_handle(fd, getpid(), O_RDONLY, &h, 0,
	    th_pg, 100), EINVAL);
	assert_errno(shm_create_subrange_handle(fd, getpid(), O_RDONLY, &h, 0,
	    th_pg, -(off_t)th_pg), EINVAL);
	/* Past the end, and overflowing. */
	assert_errno(shm_create_subrange_handle(fd, getpid(), O_RDONLY, &h, 0,
	    3 * th_pg, 2 * th_pg), EINVAL);
	assert_errno(shm_create_subrange_handle(fd, getpid(), O_RDONLY, &h, 0,
	    th_pg, 4 * th_pg), EINVAL);
	assert_errno(shm_create_subrange_handle(fd, getpid(), O_RDONLY, &h, 0,
	    5 * th_pg, 0), EINVAL);
	assert_errno(shm_create_subrange_handle(fd, getpid(), O_RDONLY, &h, 0,
	    2 * th_pg, big), EINVAL);
	assert_errno(shm_create_subrange_handle(fd, getpid(), O_RDONLY, &h, 0,
	    SIZE_MAX & ~(th_pg - 1), th_pg), EINVAL);
	/* The object's current size counts: grown, the range fits. */
	assert_int_equal(ftruncate(fd, 5 * (off_t)th_pg), 0);
	h = 0;
	assert_ok(shm_create_subrange_handle(fd, getpid(), O_RDONLY, &h, 0,
	    2 * th_pg, 3 * th_pg));
	assert_true(h != 0);
	assert_ok(shm_delete_handle(h));
	assert_ok(shm_create_subrange_handle(fd, getpid(), O_RDONLY, &h, 0,
	    th_pg, 4 * th_pg));
	assert_ok(shm_delete_handle(h));
	close(fd);
}

/* EACCES: no more than the fd's own access mode. */
static void
test_create_eacces(void **state)
{
	shm_handle_t	h;
	int		fd, ro, wo;

	(void)state;
	fd = th_object(1);
	ro = qt_reopen(fd, O_RDONLY);
	wo = qt_reopen(fd, O_WRONLY);
	assert_true(ro >= 0 && wo >= 0);
	assert_errno(shm_create_handle(ro, getpid(), O_RDWR, &h, 0), EACCES);
	assert_errno(shm_create_handle(ro, getpid(), O_WRONLY, &h, 0), EACCES);
	assert_errno(shm_create_subrange_handle(ro, getpid(), O_RDWR, &h, 0,
	    th_pg, 0), EACCES);
	assert_errno(shm_create_handle(wo, getpid(), O_RDONLY, &h, 0), EACCES);
	assert_errno(shm_create_handle(wo, getpid(), O_RDWR, &h, 0), EACCES);
	assert_errno(shm_create_subrange_handle(wo, getpid(), O_RDONLY, &h, 0,
	    th_pg, 0), EACCES);
	/* What the fd allows works. */
	h = th_grant(ro, getpid(), O_RDONLY, 0);
	assert_ok(shm_delete_handle(h));
	h = th_grant(wo, getpid(), O_WRONLY, 0);
	assert_ok(shm_delete_handle(h));
	h = th_grant(fd, getpid(), O_RDONLY, 0);
	assert_ok(shm_delete_handle(h));
	h = th_grant(fd, getpid(), O_WRONLY, 0);
	assert_ok(shm_delete_handle(h));
	h = th_grant(fd, getpid(), O_RDWR, 0);
	assert_ok(shm_delete_handle(h));
	close(ro);
	close(wo);
	close(fd);
}

static int
th_exit_now(void *arg)
{
	(void)arg;
	return (0);
}

/* ESRCH: no process, a zombie, pid <= 0. */
static void
test_create_esrch(void **state)
{
	shm_handle_t	h;
	pid_t		pid;
	int64_t		deadline;
	int		fd;

	(void)state;
	fd = th_object(1);
	assert_errno(shm_create_handle(fd, 0, O_RDONLY, &h, 0), ESRCH);
	assert_errno(shm_create_handle(fd, -1, O_RDONLY, &h, 0), ESRCH);
	assert_errno(shm_create_handle(fd, INT_MIN, O_RDONLY, &h, 0), ESRCH);
	assert_errno(shm_create_handle(fd, INT_MAX, O_RDONLY, &h, 0), ESRCH);
	assert_errno(shm_create_subrange_handle(fd, 0, O_RDONLY, &h, 0, th_pg,
	    0), ESRCH);
	/* A zombie: exited, not reaped. */
	pid = qt_fork(th_exit_now, NULL);
	assert_true(pid > 0);
	deadline = qt_now_ms() + QT_TIMEOUT_MS;
	while (!qt_exited(pid) && qt_now_ms() < deadline)
		qt_nap(1);
	assert_true(qt_exited(pid));
	assert_errno(shm_create_handle(fd, pid, O_RDONLY, &h, 0), ESRCH);
	/* Reaped: no such process. */
	assert_int_equal(qt_wait(pid), 0);
	assert_errno(shm_create_handle(fd, pid, O_RDONLY, &h, 0), ESRCH);
	close(fd);
}

/* Handles are non-zero and distinct. */
static void
test_create_values(void **state)
{
	shm_handle_t	h[200];
	int		fd, i, j;

	(void)state;
	fd = th_object(1);
	for (i = 0; i < 200; i++) {
		h[i] = th_grant(fd, getpid(), O_RDONLY, 0);
		for (j = 0; j < i; j++)
			assert_true(h[i] != h[j]);
	}
	for (i = 0; i < 200; i++)
		assert_ok(shm_delete_handle(h[i]));
	close(fd);
}

/* A handle is consumed by its first open, map or delete. */
static void
test_single_use(void **state)
{
	shm_handle_t	 h;
	void		*p;
	int		 fd, o;

	(void)state;
	fd = th_object(2);
	h = th_grant(fd, getpid(), O_RDONLY, 0);
	o = shm_open_handle(h, O_RDONLY);
	assert_true(o >= 0);
	close(o);
	assert_errno(shm_open_handle(h, O_RDONLY), ESRCH);
	assert_map_errno(mmap_handle(NULL, th_pg, PROT_READ, MAP_SHARED, h, 0),
	    ESRCH);
	assert_errno(shm_delete_handle(h), ESRCH);

	h = th_grant(fd, getpid(), O_RDONLY, 0);
	p = mmap_handle(NULL, th_pg, PROT_READ, MAP_SHARED, h, 0);
	assert_true(p != MAP_FAILED);
	munmap(p, th_pg);
	assert_map_errno(mmap_handle(NULL, th_pg, PROT_READ, MAP_SHARED, h, 0),
	    ESRCH);
	assert_errno(shm_open_handle(h, O_RDONLY), ESRCH);

	h = th_grant(fd, getpid(), O_RDONLY, 0);
	assert_ok(shm_delete_handle(h));
	assert_errno(shm_open_handle(h, O_RDONLY), ESRCH);
	assert_errno(shm_delete_handle(h), ESRCH);
	close(fd);
}

/* shm_open_handle(): EINVAL and EACCES do not consume the handle. */
static void
test_open_einval_eacces(void **state)
{
	int		bad[] = { O_RDONLY | O_CREAT, O_RDWR | O_TRUNC, O_ACCMODE,
			    O_RDONLY | O_NONBLOCK, O_WRONLY | O_APPEND,
			    O_RDONLY | O_DIRECTORY, -1 };
	shm_handle_t	h;
	size_t		i;
	int		fd, o;

	(void)state;
	fd = th_object(1);
	h = th_grant(fd, getpid(), O_RDONLY, 0);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_errno(shm_open_handle(h, bad[i]), EINVAL);
		assert_errno(shm_open_handle_pid(h, bad[i], 0), EINVAL);
	}
	assert_errno(shm_open_handle(h, O_RDWR), EACCES);
	assert_errno(shm_open_handle(h, O_WRONLY), EACCES);
	assert_errno(shm_open_handle_pid(h, O_RDWR, getpid()), EACCES);
	o = shm_open_handle(h, O_RDONLY | O_CLOEXEC);
	assert_true(o >= 0);
	close(o);

	/* wo and ro are incomparable; rw covers both. */
	h = th_grant(fd, getpid(), O_WRONLY, 0);
	assert_errno(shm_open_handle(h, O_RDONLY), EACCES);
	assert_errno(shm_open_handle(h, O_RDWR), EACCES);
	o = shm_open_handle(h, O_WRONLY);
	assert_true(o >= 0);
	assert_int_equal(fcntl(o, F_GETFL) & O_ACCMODE, O_WRONLY);
	close(o);
	h = th_grant(fd, getpid(), O_RDWR, 0);
	o = shm_open_handle(h, O_WRONLY);
	assert_true(o >= 0);
	assert_int_equal(fcntl(o, F_GETFL) & O_ACCMODE, O_WRONLY);
	close(o);
	h = th_grant(fd, getpid(), O_RDWR, 0);
	o = shm_open_handle(h, O_RDONLY);
	assert_true(o >= 0);
	assert_int_equal(fcntl(o, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(o);
	close(fd);
}

/* ESRCH for unknown handles, EBADF for values never issued, every call. */
static void
test_unknown_handle(void **state)
{
	shm_handle_t	bad[] = { 1, 0x0123456789abcdefULL, 0, UINT64_MAX };
	size_t		i;
	int		e;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		e = i < 2 ? ESRCH : EBADF;
		assert_errno(shm_open_handle(bad[i], O_RDONLY), e);
		assert_errno(shm_open_handle_pid(bad[i], O_RDONLY, 0), e);
		assert_map_errno(mmap_handle(NULL, th_pg, PROT_READ,
		    MAP_SHARED, bad[i], 0), e);
		assert_map_errno(mmap_handle_pid(NULL, th_pg, PROT_READ,
		    MAP_SHARED, bad[i], 0, 0), e);
		assert_errno(shm_delete_handle(bad[i]), e);
	}
}

/* EMFILE when no descriptor slot is free; the handle survives. */
static void
test_open_emfile(void **state)
{
	struct rlimit	old, tight;
	shm_handle_t	h;
	int		fd, o, fill[64], n = 0, i;

	(void)state;
	fd = th_object(1);
	h = th_grant(fd, getpid(), O_RDONLY, 0);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	tight = old;
	tight.rlim_cur = (rlim_t)qt_count_fds(0) + 8;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &tight), 0);
	while (n < 64 && (fill[n] = open("/dev/null", O_RDONLY |
	    O_CLOEXEC)) >= 0)
		n++;
	assert_true(n < 64);
	assert_int_equal(errno, EMFILE);
	assert_errno(shm_open_handle(h, O_RDONLY), EMFILE);
	for (i = 0; i < n; i++)
		close(fill[i]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	o = shm_open_handle(h, O_RDONLY);
	assert_true(o >= 0);
	close(o);
	close(fd);
}

/* mmap_handle(): EINVAL cases do not consume the handle. */
static void
test_map_einval(void **state)
{
	shm_handle_t	 h;
	void		*p;
	int		 fd;

	(void)state;
	fd = th_object(2);
	h = th_grant(fd, getpid(), O_RDWR, 0);
	assert_map_errno(mmap_handle(NULL, 0, PROT_READ, MAP_SHARED, h, 0),
	    EINVAL);
	assert_map_errno(mmap_handle(NULL, th_pg, PROT_READ, MAP_SHARED, h,
	    -(off_t)th_pg), EINVAL);
	assert_map_errno(mmap_handle(NULL, th_pg, PROT_READ, MAP_SHARED, h,
	    100), EINVAL);
	assert_map_errno(mmap_handle(NULL, th_pg, PROT_READ, 0, h, 0), EINVAL);
	assert_map_errno(mmap_handle(NULL, th_pg, PROT_READ,
	    MAP_SHARED | MAP_ANONYMOUS, h, 0), EINVAL);
	assert_map_errno(mmap_handle(NULL, th_pg, PROT_READ,
	    MAP_PRIVATE | MAP_ANONYMOUS, h, 0), EINVAL);
	assert_map_errno(mmap_handle(NULL, th_pg, PROT_READ | 0x8,
	    MAP_SHARED, h, 0), EINVAL);
	assert_map_errno(mmap_handle(NULL, th_pg, PROT_READ | PROT_GROWSDOWN,
	    MAP_SHARED, h, 0), EINVAL);
	assert_map_errno(mmap_handle_pid(NULL, 0, PROT_READ, MAP_SHARED, h,
	    getpid(), 0), EINVAL);
	p = mmap_handle(NULL, 2 * th_pg, PROT_READ | PROT_WRITE, MAP_SHARED, h,
	    0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(((unsigned char *)p)[th_pg], 'B');
	munmap(p, 2 * th_pg);
	close(fd);
}

/* mmap_handle(): EACCES for what the handle does not allow. */
static void
test_map_eacces(void **state)
{
	shm_handle_t	 h;
	unsigned char	*p;
	int		 fd;

	(void)state;
	fd = th_object(1);
	h = th_grant(fd, getpid(), O_RDONLY, 0);
	assert_map_errno(mmap_handle(NULL, th_pg, PROT_READ | PROT_WRITE,
	    MAP_SHARED, h, 0), EACCES);
	assert_map_errno(mmap_handle(NULL, th_pg, PROT_WRITE, MAP_SHARED, h,
	    0), EACCES);
	/* A private copy may be written: nothing reaches the object. */
	p = mmap_handle(NULL, th_pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, h,
	    0);
	assert_true(p != MAP_FAILED);
	p[0] = 'z';
	munmap(p, th_pg);
	{
		unsigned char	c;

		assert_int_equal(pread(fd, &c, 1, 0), 1);
		assert_int_equal(c, 'A');
	}
	/* A wo handle cannot be mapped at all; the handle survives. */
	h = th_grant(fd, getpid(), O_WRONLY, 0);
	assert_map_errno(mmap_handle(NULL, th_pg, PROT_READ, MAP_SHARED, h, 0),
	    EACCES);
	assert_map_errno(mmap_handle(NULL, th_pg, PROT_WRITE, MAP_SHARED, h,
	    0), EACCES);
	assert_map_errno(mmap_handle(NULL, th_pg, PROT_READ, MAP_PRIVATE, h,
	    0), EACCES);
	assert_ok(shm_delete_handle(h));
	close(fd);
}

/* ENOMEM: no address space for the mapping; the handle survives. */
static void
test_map_enomem(void **state)
{
	shm_handle_t	 h;
	void		*p;
	int		 fd;

	(void)state;
	fd = th_object(1);
	h = th_grant(fd, getpid(), O_RDONLY, 0);
	assert_map_errno(mmap_handle(NULL, (size_t)1 << 50, PROT_READ,
	    MAP_SHARED, h, 0), ENOMEM);
	p = mmap_handle(NULL, th_pg, PROT_READ, MAP_SHARED, h, 0);
	assert_true(p != MAP_FAILED);
	munmap(p, th_pg);
	close(fd);
}

/*
 * The mapping's fd carries only what the mapping needs: a read-only or
 * private mapping cannot be made writable later (the fd was O_RDONLY);
 * a shared writable one writes the object.  No fd is left behind.
 */
static void
test_map_contents(void **state)
{
	shm_handle_t	 h;
	unsigned char	*p, c;
	int		 fd, before;

	(void)state;
	fd = th_object(3);
	before = qt_count_fds(0);
	h = th_grant(fd, getpid(), O_RDWR, 0);
	p = mmap_handle(NULL, 3 * th_pg, PROT_READ, MAP_SHARED, h, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(qt_count_fds(0), before);
	assert_int_equal(p[0], 'A');
	assert_int_equal(p[2 * th_pg + 7], 'C');
	assert_int_equal(mprotect(p, th_pg, PROT_READ | PROT_WRITE), -1);
	assert_int_equal(errno, EACCES);
	munmap(p, 3 * th_pg);

	h = th_grant(fd, getpid(), O_RDWR, 0);
	p = mmap_handle(NULL, 2 * th_pg, PROT_READ | PROT_WRITE, MAP_SHARED,
	    h, th_pg);
	assert_true(p != MAP_FAILED);
	assert_int_equal(qt_count_fds(0), before);
	assert_int_equal(p[0], 'B');
	p[1] = 'w';
	assert_int_equal(pread(fd, &c, 1, (off_t)th_pg + 1), 1);
	assert_int_equal(c, 'w');
	munmap(p, 2 * th_pg);

	/* MAP_FIXED: the mapping lands at addr. */
	p = mmap(NULL, th_pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	h = th_grant(fd, getpid(), O_RDONLY, 0);
	assert_ptr_equal(mmap_handle(p, th_pg, PROT_READ, MAP_SHARED |
	    MAP_FIXED, h, 2 * th_pg), p);
	assert_int_equal(p[5], 'C');
	munmap(p, th_pg);
	close(fd);
}

/*
 * Two handles to one object: the first opener gets a new description, the
 * last the one the broker reopened at grant time; neither shares offset
 * or status flags with the other or with the creator.
 */
static void
test_open_fd_own_description(void **state)
{
	shm_handle_t	h1, h2;
	int		fd, a, b;

	(void)state;
	fd = th_object(1);
	assert_int_equal(lseek(fd, 100, SEEK_SET), 100);
	h1 = th_grant(fd, getpid(), O_RDWR, 0);
	h2 = th_grant(fd, getpid(), O_RDWR, 0);
	assert_true((a = shm_open_handle(h1, O_RDWR)) >= 0);
	assert_int_equal(lseek(a, 8, SEEK_SET), 8);
	assert_int_equal(fcntl(a, F_SETFL, O_APPEND | O_NONBLOCK), 0);
	assert_true((b = shm_open_handle(h2, O_RDWR)) >= 0);
	assert_int_equal(lseek(b, 0, SEEK_CUR), 0);
	assert_int_equal(fcntl(b, F_GETFL) & (O_APPEND | O_NONBLOCK), 0);
	assert_int_equal(lseek(b, 16, SEEK_SET), 16);
	assert_int_equal(lseek(a, 0, SEEK_CUR), 8);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 100);
	assert_int_equal(fcntl(fd, F_GETFL) & (O_APPEND | O_NONBLOCK), 0);
	close(a);
	close(b);
	close(fd);
}

/* The fd of shm_open_handle(): lowest slot, CLOEXEC, mode, own offset. */
static void
test_open_fd_properties(void **state)
{
	struct stat	a, b;
	shm_handle_t	h;
	char		buf[4];
	int		fd, o, want;

	(void)state;
	fd = th_object(1);
	assert_int_equal(lseek(fd, 100, SEEK_SET), 100);
	h = th_grant(fd, getpid(), O_RDWR, 0);
	want = th_lowest_free();
	o = shm_open_handle(h, O_RDWR);
	assert_int_equal(o, want);
	assert_true(fcntl(o, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fcntl(o, F_GETFL) & O_ACCMODE, O_RDWR);
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(fstat(o, &b), 0);
	assert_int_equal(a.st_dev, b.st_dev);
	assert_int_equal(a.st_ino, b.st_ino);
	/* A new open file description: its own offset. */
	assert_int_equal(lseek(o, 0, SEEK_CUR), 0);
	assert_int_equal(read(o, buf, 4), 4);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 100);
	assert_int_equal(lseek(o, 0, SEEK_CUR), 4);
	assert_int_equal(fcntl(o, F_GETFL) & O_APPEND, 0);
	close(o);

	/* Read-only: the kernel refuses writes. */
	h = th_grant(fd, getpid(), O_RDWR, 0);
	o = shm_open_handle_pid(h, O_RDONLY, getpid());
	assert_true(o >= 0);
	assert_true(fcntl(o, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fcntl(o, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_int_equal(write(o, "x", 1), -1);
	assert_int_equal(errno, EBADF);
	close(o);
	close(fd);
}

/* A handle is the recipient's alone: others get ESRCH, it survives. */
static void
test_pid_binding(void **state)
{
	struct qt_peer	a, b;
	struct qt_rep	rep;
	shm_handle_t	h;
	int		fd;

	(void)state;
	fd = th_object(1);
	assert_ok(qt_peer_start(&a));
	assert_ok(qt_peer_start(&b));
	h = th_grant(fd, a.pid, O_RDONLY, 0);
	/* The creator is not the recipient. */
	assert_errno(shm_open_handle(h, O_RDONLY), ESRCH);
	assert_map_errno(mmap_handle(NULL, th_pg, PROT_READ, MAP_SHARED, h, 0),
	    ESRCH);
	/* Nor is another process. */
	assert_int_equal(qt_peer_open(&b, h, O_RDONLY, 0, 0, &rep), -1);
	assert_int_equal(rep.err, ESRCH);
	assert_int_equal(qt_peer_map(&b, h, th_pg, PROT_READ, MAP_SHARED, 0,
	    0, 0, &rep), -1);
	assert_int_equal(rep.err, ESRCH);
	assert_int_equal(qt_peer_delete(&b, h), ESRCH);
	/* The recipient can. */
	assert_true(qt_peer_open(&a, h, O_RDONLY, 0, 0, &rep) >= 0);
	assert_true(rep.fdflags & FD_CLOEXEC);
	assert_int_equal(rep.accmode, O_RDONLY);
	assert_int_equal(qt_peer_open(&a, h, O_RDONLY, 0, 0, &rep), -1);
	assert_int_equal(rep.err, ESRCH);
	assert_int_equal(qt_peer_stop(&a), 0);
	assert_int_equal(qt_peer_stop(&b), 0);
	close(fd);
}

/* The _pid variants: 0 is anyone, a wrong pid is ESRCH (not consumed). */
static void
test_creator_check(void **state)
{
	struct qt_peer	a, c;
	struct qt_rep	rep;
	shm_handle_t	h;
	int		fd;

	(void)state;
	fd = th_object(2);
	assert_ok(qt_peer_start(&a));
	assert_ok(qt_peer_start(&c));

	h = th_grant(fd, a.pid, O_RDONLY, 0);
	assert_int_equal(qt_peer_open(&a, h, O_RDONLY, 1, a.pid, &rep), -1);
	assert_int_equal(rep.err, ESRCH);
	assert_int_equal(qt_peer_open(&a, h, O_RDONLY, 1, c.pid, &rep), -1);
	assert_int_equal(rep.err, ESRCH);
	assert_int_equal(qt_peer_map(&a, h, th_pg, PROT_READ, MAP_SHARED, 1,
	    c.pid, 0, &rep), -1);
	assert_int_equal(rep.err, ESRCH);
	assert_true(qt_peer_open(&a, h, O_RDONLY, 1, getpid(), &rep) >= 0);

	h = th_grant(fd, a.pid, O_RDONLY, 0);
	assert_true(qt_peer_open(&a, h, O_RDONLY, 1, 0, &rep) >= 0);

	h = th_grant(fd, a.pid, O_RDONLY, 0);
	assert_int_equal(qt_peer_map(&a, h, th_pg, PROT_READ, MAP_SHARED, 1,
	    a.pid, 0, &rep), -1);
	assert_int_equal(rep.err, ESRCH);
	assert_int_equal(qt_peer_map(&a, h, 2 * th_pg, PROT_READ, MAP_SHARED,
	    1, getpid(), 0, &rep), 0);
	assert_int_equal(rep.npages, 2);
	assert_int_equal(rep.first[1], 'B');

	h = th_grant(fd, a.pid, O_RDONLY, 0);
	assert_int_equal(qt_peer_map(&a, h, th_pg, PROT_READ, MAP_SHARED, 1,
	    0, 0, &rep), 0);

	/* A handle made by peer c names c as its creator, not us. */
	assert_int_equal(qt_peer_grant(&c, fd, a.pid, O_RDONLY, 0, &h), 0);
	assert_int_equal(qt_peer_open(&a, h, O_RDONLY, 1, getpid(), &rep), -1);
	assert_int_equal(rep.err, ESRCH);
	assert_true(qt_peer_open(&a, h, O_RDONLY, 1, c.pid, &rep) >= 0);

	assert_int_equal(qt_peer_stop(&a), 0);
	assert_int_equal(qt_peer_stop(&c), 0);
	close(fd);
}

/* NOFD handles: no fd (EACCES, not consumed), but mmap_handle works. */
static void
test_nofd(void **state)
{
	struct qt_peer	 a;
	struct qt_rep	 rep;
	shm_handle_t	 h;
	unsigned char	*p;
	int		 fd;

	(void)state;
	fd = th_object(2);
	h = th_grant(fd, getpid(), O_RDWR, SHM_CREATE_HANDLE_OPT_NOFD);
	assert_errno(shm_open_handle(h, O_RDONLY), EACCES);
	assert_errno(shm_open_handle(h, O_RDWR), EACCES);
	assert_errno(shm_open_handle_pid(h, O_RDONLY, 0), EACCES);
	p = mmap_handle(NULL, 2 * th_pg, PROT_READ | PROT_WRITE, MAP_SHARED,
	    h, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(p[th_pg], 'B');
	p[0] = 'n';
	munmap(p, 2 * th_pg);
	assert_map_errno(mmap_handle(NULL, th_pg, PROT_READ, MAP_SHARED, h, 0),
	    ESRCH);

	/* Another process, read-only, through the _pid variant. */
	assert_ok(qt_peer_start(&a));
	h = th_grant(fd, a.pid, O_RDONLY, SHM_CREATE_HANDLE_OPT_NOFD);
	assert_int_equal(qt_peer_open(&a, h, O_RDONLY, 0, 0, &rep), -1);
	assert_int_equal(rep.err, EACCES);
	assert_int_equal(qt_peer_map(&a, h, 2 * th_pg, PROT_READ, MAP_SHARED,
	    1, getpid(), 0, &rep), 0);
	assert_int_equal(rep.first[0], 'n');
	assert_int_equal(rep.first[1], 'B');
	assert_int_equal(qt_peer_stop(&a), 0);
	close(fd);
}

/*
 * Sub-ranges: the recipient sees exactly the granted pages; off counts
 * from the range's start; nothing maps past the range; no fd for a part.
 */
static void
test_subrange(void **state)
{
	struct qt_peer	 a;
	struct qt_rep	 rep;
	shm_handle_t	 h;
	unsigned char	*p, c;
	int		 fd;

	(void)state;
	fd = th_object(8);		/* pages A..H */
	assert_ok(qt_peer_start(&a));
	assert_ok(shm_create_subrange_handle(fd, a.pid, O_RDONLY, &h, 0,
	    3 * th_pg, 2 * th_pg));	/* C, D, E */
	assert_int_equal(qt_peer_map(&a, h, 3 * th_pg, PROT_READ, MAP_SHARED,
	    0, 0, 0, &rep), 0);
	assert_int_equal(rep.npages, 3);
	assert_true(rep.uniform);
	assert_memory_equal(rep.first, "CDE", 3);

	assert_ok(shm_create_subrange_handle(fd, a.pid, O_RDONLY, &h, 0,
	    3 * th_pg, 2 * th_pg));
	assert_int_equal(qt_peer_map(&a, h, 2 * th_pg, PROT_READ, MAP_SHARED,
	    0, 0, (off_t)th_pg, &rep), 0);
	assert_memory_equal(rep.first, "DE", 2);

	/* Past the range: EINVAL, the handle survives. */
	assert_ok(shm_create_subrange_handle(fd, a.pid, O_RDONLY, &h, 0,
	    3 * th_pg, 2 * th_pg));
	assert_int_equal(qt_peer_map(&a, h, 3 * th_pg, PROT_READ, MAP_SHARED,
	    0, 0, (off_t)th_pg, &rep), -1);
	assert_int_equal(rep.err, EINVAL);
	assert_int_equal(qt_peer_map(&a, h, th_pg + 1, PROT_READ, MAP_SHARED,
	    0, 0, 2 * (off_t)th_pg, &rep), -1);
	assert_int_equal(rep.err, EINVAL);
	assert_int_equal(qt_peer_map(&a, h, 1, PROT_READ, MAP_SHARED, 0, 0,
	    3 * (off_t)th_pg, &rep), -1);
	assert_int_equal(rep.err, EINVAL);
	assert_int_equal(qt_peer_map(&a, h, 4 * th_pg, PROT_READ, MAP_SHARED,
	    0, 0, 0, &rep), -1);
	assert_int_equal(rep.err, EINVAL);
	/* A partial last page rounds up inside the range. */
	assert_int_equal(qt_peer_map(&a, h, 1, PROT_READ, MAP_SHARED, 0, 0,
	    2 * (off_t)th_pg, &rep), 0);
	assert_int_equal(rep.first[0], 'E');

	/* No fd for part of an object; the handle survives. */
	assert_ok(shm_create_subrange_handle(fd, a.pid, O_RDONLY, &h, 0,
	    3 * th_pg, 2 * th_pg));
	assert_int_equal(qt_peer_open(&a, h, O_RDONLY, 0, 0, &rep), -1);
	assert_int_equal(rep.err, EACCES);
	assert_int_equal(qt_peer_delete(&a, h), 0);
	/* A range that is the whole object may become an fd. */
	assert_ok(shm_create_subrange_handle(fd, a.pid, O_RDONLY, &h, 0,
	    8 * th_pg, 0));
	assert_true(qt_peer_open(&a, h, O_RDONLY, 0, 0, &rep) >= 0);
	assert_int_equal(qt_peer_stop(&a), 0);

	/* Writes through a writable range land in those pages only. */
	assert_ok(shm_create_subrange_handle(fd, getpid(), O_RDWR, &h, 0,
	    2 * th_pg, 5 * th_pg));	/* F, G */
	p = mmap_handle(NULL, 2 * th_pg, PROT_READ | PROT_WRITE, MAP_SHARED,
	    h, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(p[0], 'F');
	assert_int_equal(p[th_pg], 'G');
	p[0] = 'f';
	p[th_pg] = 'g';
	munmap(p, 2 * th_pg);
	assert_int_equal(pread(fd, &c, 1, 5 * (off_t)th_pg), 1);
	assert_int_equal(c, 'f');
	assert_int_equal(pread(fd, &c, 1, 6 * (off_t)th_pg), 1);
	assert_int_equal(c, 'g');
	assert_int_equal(pread(fd, &c, 1, 4 * (off_t)th_pg), 1);
	assert_int_equal(c, 'E');
	assert_int_equal(pread(fd, &c, 1, 7 * (off_t)th_pg), 1);
	assert_int_equal(c, 'H');
	/* A sub-range handle to ourselves cannot become an fd either. */
	assert_ok(shm_create_subrange_handle(fd, getpid(), O_RDONLY, &h, 0,
	    th_pg, 0));
	assert_errno(shm_open_handle(h, O_RDONLY), EACCES);
	assert_ok(shm_delete_handle(h));
	close(fd);
}

/* Delete: creator or recipient only; anyone else ESRCH. */
static void
test_delete(void **state)
{
	struct qt_peer	a, b;
	struct qt_rep	rep;
	shm_handle_t	h;
	int		fd;

	(void)state;
	fd = th_object(1);
	assert_ok(qt_peer_start(&a));
	assert_ok(qt_peer_start(&b));
	h = th_grant(fd, a.pid, O_RDONLY, 0);
	assert_ok(shm_delete_handle(h));
	assert_int_equal(qt_peer_open(&a, h, O_RDONLY, 0, 0, &rep), -1);
	assert_int_equal(rep.err, ESRCH);

	h = th_grant(fd, a.pid, O_RDONLY, 0);
	assert_int_equal(qt_peer_delete(&b, h), ESRCH);
	assert_int_equal(qt_peer_delete(&a, h), 0);
	assert_errno(shm_delete_handle(h), ESRCH);

	h = th_grant(fd, a.pid, O_RDONLY, 0);
	assert_int_equal(qt_peer_delete(&b, h), ESRCH);
	assert_true(qt_peer_open(&a, h, O_RDONLY, 0, 0, &rep) >= 0);
	assert_errno(shm_delete_handle(h), ESRCH);
	assert_int_equal(qt_peer_stop(&a), 0);
	assert_int_equal(qt_peer_stop(&b), 0);
	close(fd);
}

/* A handle outlives the process that made it. */
static void
test_outlives_creator(void **state)
{
	struct qt_peer	 c;
	shm_handle_t	 h;
	unsigned char	*p;
	pid_t		 cpid;
	int		 fd, o;

	(void)state;
	fd = th_object(1);
	assert_ok(qt_peer_start(&c));
	assert_int_equal(qt_peer_grant(&c, fd, getpid(), O_RDONLY, 0, &h), 0);
	cpid = c.pid;
	assert_int_equal(qt_peer_stop(&c), 0);
	assert_ok(o = shm_open_handle_pid(h, O_RDONLY, cpid));
	close(o);

	assert_ok(qt_peer_start(&c));
	assert_int_equal(qt_peer_grant(&c, fd, getpid(), O_RDONLY,
	    SHM_CREATE_HANDLE_OPT_NOFD, &h), 0);
	qt_peer_kill(&c);
	p = mmap_handle(NULL, th_pg, PROT_READ, MAP_SHARED, h, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(p[0], 'A');
	munmap(p, th_pg);
	close(fd);
}

/*
 * A child of a connected process speaks as itself: a handle for the
 * child's pid opens in the child, and the child's grants name it.
 */
static void
test_fork_safety(void **state)
{
	struct qshm_stats	st;
	struct qt_peer		a;
	struct qt_rep		rep;
	shm_handle_t		h;
	int			fd, o;

	(void)state;
	fd = th_object(1);
	assert_ok(qshm_stats(&st));	/* connected before the fork */
	assert_ok(qt_peer_start(&a));
	h = th_grant(fd, a.pid, O_RDONLY, 0);
	assert_true(qt_peer_open(&a, h, O_RDONLY, 1, getpid(), &rep) >= 0);
	assert_int_equal(qt_peer_grant(&a, fd, getpid(), O_RDONLY, 0, &h), 0);
	assert_errno(shm_open_handle_pid(h, O_RDONLY, getpid()), ESRCH);
	o = shm_open_handle_pid(h, O_RDONLY, a.pid);
	assert_true(o >= 0);
	close(o);
	/* And the parent's connection still works. */
	assert_ok(qshm_stats(&st));
	assert_int_equal(qt_peer_stop(&a), 0);
	close(fd);
}

/* shm_open(SHM_ANON) through the header: a memfd, mode 0600. */
static void
test_shm_anon(void **state)
{
	struct stat	st;
	char		link[256], name[64];
	ssize_t		n;
	mode_t		mask;
	int		fd;

	(void)state;
	mask = umask(0);
	umask(mask);
	fd = shm_open(SHM_ANON, O_RDWR, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(fcntl(fd, F_GET_SEALS) >= 0);	/* only memfds */
	snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
	n = readlink(name, link, sizeof link - 1);
	assert_true(n > 0);
	link[n] = '\0';
	assert_true(strncmp(link, "/memfd:", 7) == 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	assert_int_equal(ftruncate(fd, (off_t)th_pg), 0);
	close(fd);

	fd = shm_open(SHM_ANON, O_RDWR, 0);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	close(fd);

	/* Other names go to the system's shm_open(). */
	snprintf(name, sizeof name, "/qshm-test-%ld", (long)getpid());
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0640);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640 & ~mask);
	assert_int_equal(shm_unlink(name), 0);
	close(fd);
	assert_errno(shm_open(name, O_RDWR, 0), ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_ebadf),
		cmocka_unit_test(test_create_einval_args),
		cmocka_unit_test(test_create_einval_type),
		cmocka_unit_test(test_create_einval_subrange),
		cmocka_unit_test(test_create_eacces),
		cmocka_unit_test(test_create_esrch),
		cmocka_unit_test(test_create_values),
		cmocka_unit_test(test_single_use),
		cmocka_unit_test(test_open_einval_eacces),
		cmocka_unit_test(test_unknown_handle),
		cmocka_unit_test(test_open_emfile),
		cmocka_unit_test(test_map_einval),
		cmocka_unit_test(test_map_eacces),
		cmocka_unit_test(test_map_enomem),
		cmocka_unit_test(test_map_contents),
		cmocka_unit_test(test_open_fd_properties),
		cmocka_unit_test(test_open_fd_own_description),
		cmocka_unit_test(test_pid_binding),
		cmocka_unit_test(test_creator_check),
		cmocka_unit_test(test_nofd),
		cmocka_unit_test(test_subrange),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_outlives_creator),
		cmocka_unit_test(test_fork_safety),
		cmocka_unit_test(test_shm_anon),
	};

	return (cmocka_run_group_tests(tests, th_setup, th_teardown));
}
