/*
 * test-client.c: the library's client side without the real broker.
 *
 * First every local check (errnos the library must give before it asks a
 * broker, with no broker running: EBADF, EINVAL, EACCES, ESRCH, EMFILE,
 * ENOMEM, ECONNREFUSED) and autostart failures; then the connection
 * itself against a scripted fake broker on a temporary socket: replies
 * with another version, id or type, a peer that hangs up, reconnecting,
 * fork() safety, received fds, mappings of a range, listings, and the
 * watcher's answers to revoke notices (only objects held as revocable).
 */

#include <sys/mman.h>
#include <sys/poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "proto.h"

static char	tmpdir[32];
static char	none_sock[64];	/* nothing listens here */
static char	fake_sock[64];	/* the fake broker */
static size_t	page;

/* Check that a call failed with err. */
#define assert_fails(call, err) do {					\
	errno = 0;							\
	assert_int_equal((call), -1);					\
	assert_int_equal(errno, (err));					\
} while (0)
#define assert_map_fails(call, err) do {				\
	errno = 0;							\
	assert_ptr_equal((call), MAP_FAILED);				\
	assert_int_equal(errno, (err));					\
} while (0)

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

static int
memfd_sized(size_t size)
{
	int	fd;

	fd = memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	return (fd);
}

static int
reopen(int fd, int flags)
{
	char	path[64];
	int	nfd;

	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	nfd = open(path, flags | O_CLOEXEC);
	assert_true(nfd >= 0);
	return (nfd);
}

static int
group_setup(void **state)
{
	(void)state;
	page = (size_t)sysconf(_SC_PAGESIZE);
	strcpy(tmpdir, "/tmp/test-client-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return (-1);
	snprintf(none_sock, sizeof none_sock, "%s/none.sock", tmpdir);
	snprintf(fake_sock, sizeof fake_sock, "%s/fake.sock", tmpdir);
	setenv("QSHM_SOCKET", none_sock, 1);
	setenv("QSHM_AUTOSTART", "0", 1);
	unsetenv("QSHM_BROKER");
	return (0);
}

static int
group_teardown(void **state)
{
	(void)state;
	return (nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS));
}

/*
 * Local checks, no broker.
 */

static void
test_create_ebadf(void **state)
{
	shm_handle_t	h;
	int		fd;

	(void)state;
	assert_fails(shm_create_handle(-1, getpid(), O_RDWR, &h, 0), EBADF);
	assert_fails(shm_create_handle(987, getpid(), O_RDWR, &h, 0), EBADF);
	fd = open("/tmp", O_PATH | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_fails(shm_create_handle(fd, getpid(), O_RDONLY, &h, 0), EBADF);
	assert_fails(shm_create_subrange_handle(fd, getpid(), O_RDONLY, &h,
	    0, page, 0), EBADF);
	close(fd);
	/* EBADF comes before the EINVALs. */
	assert_fails(shm_create_handle(-1, getpid(), 77, NULL, 99), EBADF);
}

static void
test_create_einval(void **state)
{
	static const int	 bad_flags[] = { O_RDWR | O_CREAT, O_ACCMODE,
	    O_RDONLY | O_CLOEXEC, O_WRONLY | O_TRUNC, -1 };
	static const unsigned	 bad_opts[] = { SHM_CREATE_HANDLE_OPT_SUBRANGE,
	    0x4, 0x80000000U, SHM_CREATE_HANDLE_OPT_NOFD |
	    SHM_CREATE_HANDLE_OPT_SUBRANGE };
	shm_handle_t		 h;
	size_t			 i;
	int			 fd, sv[2], pfd[2], dir, dev;

	(void)state;
	fd = memfd_sized(4 * page);
	for (i = 0; i < sizeof bad_flags / sizeof bad_flags[0]; i++)
		assert_fails(shm_create_handle(fd, getpid(), bad_flags[i], &h,
		    0), EINVAL);
	for (i = 0; i < sizeof bad_opts / sizeof bad_opts[0]; i++)
		assert_fails(shm_create_handle(fd, getpid(), O_RDWR, &h,
		    bad_opts[i]), EINVAL);
	assert_fails(shm_create_handle(fd, getpid(), O_RDWR, NULL, 0),
	    EINVAL);
	assert_fails(shm_create_subrange_handle(fd, getpid(), O_RDWR, NULL, 0,
	    page, 0), EINVAL);
	assert_true(strlen(qshm_error_detail()) > 0);

	/* Only regular files: not sockets, pipes, directories, devices. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	dir = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dev = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(dir >= 0 && dev >= 0);
	assert_fails(shm_create_handle(sv[0], getpid(), O_RDWR, &h, 0),
	    EINVAL);
	assert_fails(shm_create_handle(pfd[0], getpid(), O_RDONLY, &h, 0),
	    EINVAL);
	assert_fails(shm_create_handle(dir, getpid(), O_RDONLY, &h, 0),
	    EINVAL);
	assert_fails(shm_create_handle(dev, getpid(), O_RDWR, &h, 0),
	    EINVAL);
	close(sv[0]);
	close(sv[1]);
	close(pfd[0]);
	close(pfd[1]);
	close(dir);
	close(dev);
	close(fd);
}

static void
test_create_eacces(void **state)
{
	shm_handle_t	h;
	int		rw, ro, wo;

	(void)state;
	rw = memfd_sized(page);
	ro = reopen(rw, O_RDONLY);
	wo = reopen(rw, O_WRONLY);
	assert_fails(shm_create_handle(ro, getpid(), O_RDWR, &h, 0), EACCES);
	assert_fails(shm_create_handle(ro, getpid(), O_WRONLY, &h, 0), EACCES);
	assert_fails(shm_create_handle(wo, getpid(), O_RDONLY, &h, 0), EACCES);
	assert_fails(shm_create_handle(wo, getpid(), O_RDWR, &h, 0), EACCES);
	assert_fails(shm_create_subrange_handle(ro, getpid(), O_RDWR, &h, 0,
	    page, 0), EACCES);
	/* EACCES comes before ESRCH. */
	assert_fails(shm_create_handle(ro, 0, O_RDWR, &h, 0), EACCES);
	/* What the fd allows gets as far as the (absent) broker. */
	assert_fails(shm_create_handle(ro, getpid(), O_RDONLY, &h, 0),
	    ECONNREFUSED);
	assert_fails(shm_create_handle(wo, getpid(), O_WRONLY, &h, 0),
	    ECONNREFUSED);
	assert_fails(shm_create_handle(rw, getpid(), O_RDONLY, &h,
	    SHM_CREATE_HANDLE_OPT_NOFD), ECONNREFUSED);
	close(ro);
	close(wo);
	close(rw);
}

static void
test_create_esrch(void **state)
{
	shm_handle_t	h;
	int		fd;

	(void)state;
	fd = memfd_sized(page);
	assert_fails(shm_create_handle(fd, 0, O_RDWR, &h, 0), ESRCH);
	assert_fails(shm_create_handle(fd, -1, O_RDWR, &h, 0), ESRCH);
	assert_fails(shm_create_handle(fd, INT_MIN, O_RDWR, &h, 0), ESRCH);
	assert_fails(shm_create_subrange_handle(fd, 0, O_RDWR, &h, 0, page,
	    0), ESRCH);
	close(fd);
}

static void
test_subrange_einval(void **state)
{
	shm_handle_t	h;
	pid_t		me = getpid();
	int		fd;

	(void)state;
	fd = memfd_sized(4 * page);
	assert_fails(shm_create_subrange_handle(fd, me, O_RDWR, &h, 0, 0, 0),
	    EINVAL);
	assert_fails(shm_create_subrange_handle(fd, me, O_RDWR, &h, 0,
	    page + 1, 0), EINVAL);
	assert_fails(shm_create_subrange_handle(fd, me, O_RDWR, &h, 0, page,
	    1), EINVAL);
	assert_fails(shm_create_subrange_handle(fd, me, O_RDWR, &h, 0, page,
	    -(off_t)page), EINVAL);
	assert_fails(shm_create_subrange_handle(fd, me, O_RDWR, &h, 0, page,
	    4 * (off_t)page), EINVAL);
	assert_fails(shm_create_subrange_handle(fd, me, O_RDWR, &h, 0,
	    2 * page, 3 * (off_t)page), EINVAL);
	assert_fails(shm_create_subrange_handle(fd, me, O_RDWR, &h, 0,
	    SIZE_MAX - page + 1, (off_t)page), EINVAL);
	assert_fails(shm_create_subrange_handle(fd, me, O_RDWR, &h,
	    SHM_CREATE_HANDLE_OPT_SUBRANGE, page, 0), EINVAL);
	/* Valid ranges, the whole object included, reach the broker. */
	assert_fails(shm_create_subrange_handle(fd, me, O_RDWR, &h, 0, page,
	    3 * (off_t)page), ECONNREFUSED);
	assert_fails(shm_create_subrange_handle(fd, me, O_RDONLY, &h,
	    SHM_CREATE_HANDLE_OPT_NOFD, 4 * page, 0), ECONNREFUSED);
	close(fd);
}

static void
test_open_local(void **state)
{
	static const int	bad[] = { O_RDWR | O_CREAT, O_ACCMODE,
	    O_RDONLY | O_TRUNC, O_WRONLY | O_APPEND, -1 };
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_fails(shm_open_handle(0x1234, bad[i]), EINVAL);
		assert_fails(shm_open_handle_pid(0x1234, bad[i], 0), EINVAL);
	}
	assert_fails(shm_open_handle(0, O_RDONLY), EBADF);
	assert_fails(shm_open_handle((shm_handle_t)-1, O_RDWR), EBADF);
	assert_fails(shm_open_handle_pid(0x1234, O_RDONLY, -1), ESRCH);
	assert_fails(shm_open_handle(0x1234, O_RDONLY | O_CLOEXEC),
	    ECONNREFUSED);
	assert_non_null(strstr(qshm_error_detail(), none_sock));
	assert_non_null(strstr(qshm_error_detail(), "QSHM_AUTOSTART"));
	assert_fails(shm_open_handle_pid(0x1234, O_RDWR, getpid()),
	    ECONNREFUSED);
	assert_fails(shm_delete_handle(0), EBADF);
	assert_fails(shm_delete_handle(UINT64_MAX), EBADF);
	assert_fails(shm_delete_handle(0x1234), ECONNREFUSED);
}

/* With no fd slot free, nothing reaches the broker: EMFILE. */
static void
test_emfile(void **state)
{
	struct rlimit	 old, low;
	int		 fds[64], n = 0, i;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 32;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	while (n < 64 && (fds[n] = dup(0)) != -1)
		n++;
	assert_int_equal(errno, EMFILE);
	assert_fails(shm_open_handle(0x1234, O_RDONLY), EMFILE);
	assert_map_fails(mmap_handle(NULL, page, PROT_READ, MAP_SHARED,
	    0x1234, 0), EMFILE);
	assert_fails(qshm_open_parked(1, O_RDONLY), EMFILE);
	for (i = 0; i < n; i++)
		close(fds[i]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

static int
count_maps(void)
{
	FILE	*f;
	int	 c, n = 0;

	assert_non_null(f = fopen("/proc/self/maps", "r"));
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return (n);
}

static void
test_mmap_local(void **state)
{
	void	*p;
	int	 before, i;

	(void)state;
	assert_map_fails(mmap_handle(NULL, 0, PROT_READ, MAP_SHARED, 1, 0),
	    EINVAL);
	assert_map_fails(mmap_handle(NULL, page, PROT_READ, MAP_SHARED, 1,
	    -(off_t)page), EINVAL);
	assert_map_fails(mmap_handle(NULL, page, PROT_READ, MAP_SHARED, 1, 1),
	    EINVAL);
	assert_map_fails(mmap_handle(NULL, page, PROT_READ, 0, 1, 0), EINVAL);
	assert_map_fails(mmap_handle(NULL, page, PROT_READ,
	    MAP_SHARED | MAP_PRIVATE, 1, 0), EINVAL);
	assert_map_fails(mmap_handle(NULL, page, PROT_READ,
	    MAP_SHARED | MAP_ANONYMOUS, 1, 0), EINVAL);
	assert_map_fails(mmap_handle(NULL, page, 0x10, MAP_SHARED, 1, 0),
	    EINVAL);
	assert_map_fails(mmap_handle((void *)0x10001, page, PROT_READ,
	    MAP_SHARED | MAP_FIXED, 1, 0), EINVAL);
	assert_map_fails(mmap_handle(NULL, SIZE_MAX, PROT_READ, MAP_SHARED, 1,
	    0), ENOMEM);
	/* No room for the reservation (valgrind's mmap says EINVAL). */
	errno = 0;
	assert_ptr_equal(mmap_handle(NULL, (size_t)1 << 62, PROT_READ,
	    MAP_SHARED, 1, 0), MAP_FAILED);
	assert_true(errno == ENOMEM || errno == EINVAL);
	assert_map_fails(mmap_handle(NULL, page, PROT_READ, MAP_SHARED, 0, 0),
	    EBADF);
	assert_map_fails(mmap_handle(NULL, page, PROT_READ, MAP_SHARED,
	    UINT64_MAX, 0), EBADF);
	assert_map_fails(mmap_handle_pid(NULL, page, PROT_READ, MAP_SHARED, 1,
	    -5, 0), ESRCH);

	/* MAP_FIXED_NOREPLACE over a mapping fails before the broker. */
	p = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_ptr_not_equal(p, MAP_FAILED);
	assert_map_fails(mmap_handle(p, page, PROT_READ,
	    MAP_SHARED | MAP_FIXED_NOREPLACE, 1, 0), EEXIST);
	munmap(p, page);

	/* Reaching the missing broker leaves no reservation behind. */
	before = count_maps();
	for (i = 0; i < 50; i++)
		assert_map_fails(mmap_handle(NULL, 16 * page,
		    PROT_READ | PROT_WRITE, MAP_SHARED, 1, 0), ECONNREFUSED);
	assert_int_equal(count_maps(), before);
}

static void
test_anon(void **state)
{
	struct stat	st;
	char		name[64];
	int		fd;

	(void)state;
	fd = qshm_shm_open(SHM_ANON, O_RDWR | O_CREAT, 0);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(fcntl(fd, F_GETFD), FD_CLOEXEC);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	assert_int_equal(fcntl(fd, F_GET_SEALS), 0);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	close(fd);

	fd = qshm_shm_open(SHM_ANON, O_RDWR, 0640);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	close(fd);

	fd = qshm_shm_open(SHM_ANON, O_RDONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_int_equal(fcntl(fd, F_GETFD), FD_CLOEXEC);
	close(fd);

	assert_fails(qshm_shm_open(SHM_ANON, O_ACCMODE, 0), EINVAL);
	assert_fails(qshm_shm_open(SHM_ANON, O_RDWR | O_APPEND, 0), EINVAL);

	/* Names go to the system's shm_open(). */
	snprintf(name, sizeof name, "/qshm-test-%ld", (long)getpid());
	fd = qshm_shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_fails(qshm_shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600),
	    EEXIST);
	assert_int_equal(shm_unlink(name), 0);
	close(fd);
}

static void
test_rlimit(void **state)
{
	struct rlimit	a, b, bad = { 10, 5 };

	(void)state;
	assert_int_equal(qshm_getrlimit(RLIMIT_NOFILE, &a), 0);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &b), 0);
	assert_int_equal(a.rlim_cur, b.rlim_cur);
	assert_int_equal(qshm_setrlimit(RLIMIT_NOFILE, &a), 0);
	assert_fails(qshm_getrlimit(RLIMIT_SHM_HANDLES_NP, &a), ECONNREFUSED);
	assert_fails(qshm_getrlimit(RLIMIT_SHM_HANDLES_NP, NULL), EFAULT);
	assert_fails(qshm_setrlimit(RLIMIT_SHM_HANDLES_NP, &bad), EINVAL);
	assert_fails(qshm_setrlimit(RLIMIT_SHM_HANDLES_NP, NULL), EFAULT);
	assert_fails(qshm_handle_limit(-1, NULL, &a), ESRCH);
	assert_fails(qshm_handle_limit(0, &bad, NULL), EINVAL);
}

static void
test_admin_local(void **state)
{
	struct qshm_handle_info	*hi;
	struct qshm_object_info	*oi;
	struct qshm_uid_info	*ui;
	struct qshm_stats	 st;
	uint32_t		 id;
	size_t			 n;
	int			 fd, pfd[2];

	(void)state;
	fd = memfd_sized(page);
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	assert_fails(qshm_park(-1, &id), EBADF);
	assert_fails(qshm_park(fd, NULL), EINVAL);
	assert_fails(qshm_park(pfd[0], &id), EINVAL);
	assert_fails(qshm_open_parked(1, O_RDWR | O_CREAT), EINVAL);
	assert_fails(qshm_open_parked(0, O_RDONLY), ENOENT);
	assert_fails(qshm_unpark(0), ENOENT);
	assert_fails(qshm_admin_revoke(-1, 5), EBADF);
	assert_fails(qshm_admin_revoke(pfd[1], 5), EINVAL);
	assert_fails(qshm_admin_revoke(fd, -2), EINVAL);
	assert_fails(qshm_list_handles(NULL, &n), EINVAL);
	assert_fails(qshm_list_objects(&oi, NULL), EINVAL);
	assert_fails(qshm_list_objects(NULL, &n), EINVAL);
	assert_fails(qshm_list_uids(NULL, &n), EINVAL);
	assert_fails(qshm_list_uids(&ui, NULL), EINVAL);
	assert_fails(qshm_stats(NULL), EINVAL);

	assert_fails(qshm_park(fd, &id), ECONNREFUSED);
	assert_fails(qshm_open_parked(1, O_RDONLY), ECONNREFUSED);
	assert_fails(qshm_unpark(1), ECONNREFUSED);
	assert_fails(qshm_admin_revoke(fd, -1), ECONNREFUSED);
	assert_fails(qshm_list_handles(&hi, &n), ECONNREFUSED);
	assert_fails(qshm_list_objects(&oi, &n), ECONNREFUSED);
	assert_fails(qshm_list_uids(&ui, &n), ECONNREFUSED);
	assert_fails(qshm_stats(&st), ECONNREFUSED);
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(qshm_reason_str(QSHM_WHY_FULL), "full");
	assert_string_equal(qshm_reason_str(QSHM_WHY_SAME_UID), "same uid");
	assert_string_equal(qshm_reason_str(QSHM_WHY_NOFD), "nofd");
	assert_string_equal(qshm_reason_str(99), "unknown");
	assert_string_equal(qshm_state_str(QSHM_STATE_TIMED_OUT), "timed out");
	assert_string_equal(qshm_state_str(99), "unknown");
	assert_string_equal(qshm_socket_path(), none_sock);
}

/* Autostart runs $QSHM_BROKER as "broker --daemon --socket PATH". */
static void
test_autostart_fails(void **state)
{
	char	script[128], out[128], line[512], want[256], leaked[256];
	char	self[64];
	FILE	*f;
	int	leak[4], i;
	ssize_t	n;

	(void)state;
	/* Descriptors without FD_CLOEXEC must not reach the broker either. */
	assert_true((leak[0] = open(tmpdir, O_RDONLY | O_DIRECTORY)) >= 0);
	for (i = 1; i < 4; i++)
		assert_true((leak[i] = dup(leak[0])) >= 0);
	snprintf(self, sizeof self, "/proc/self/fd/%d", leak[0]);
	assert_true((n = readlink(self, leaked, sizeof leaked - 1)) > 0);
	leaked[n] = '\0';
	unsetenv("QSHM_AUTOSTART");
	setenv("QSHM_BROKER", "/nonexistent/qshmctl", 1);
	assert_fails(shm_delete_handle(0x1234), ECONNREFUSED);
	/* posix_spawn() reports it, or (valgrind) the child exits 127. */
	assert_true(strstr(qshm_error_detail(), "cannot start") != NULL ||
	    strstr(qshm_error_detail(), "status 127") != NULL);

	/* A broker that exits at once without listening. */
	snprintf(script, sizeof script, "%s/broker.sh", tmpdir);
	snprintf(out, sizeof out, "%s/broker.out", tmpdir);
	assert_non_null(f = fopen(script, "w"));
	fprintf(f, "#!/bin/sh\n"
	    "a=$(readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2)\n"
	    "n=$(readlink /proc/$$/fd/* | grep -c -x -F '%s')\n"
	    "printf '%%s\\n%%s\\n%%s\\n' \"$*\" \"$a\" $n > %s\n"
	    "exit 3\n", leaked, out);
	fclose(f);
	assert_int_equal(chmod(script, 0700), 0);
	setenv("QSHM_BROKER", script, 1);
	assert_fails(shm_delete_handle(0x1234), ECONNREFUSED);
	assert_non_null(strstr(qshm_error_detail(), "status 3"));

	assert_non_null(f = fopen(out, "r"));
	snprintf(want, sizeof want, "broker --daemon --socket %s\n",
	    none_sock);
	assert_non_null(fgets(line, sizeof line, f));
	assert_string_equal(line, want);
	for (i = 0; i < 3; i++) {
		assert_non_null(fgets(line, sizeof line, f));
		assert_string_equal(line, "/dev/null\n");
	}
	/* No descriptor of ours reached it (its own pipes come and go). */
	assert_non_null(fgets(line, sizeof line, f));
	assert_int_equal(atoi(line), 0);
	fclose(f);
	for (i = 0; i < 4; i++)
		close(leak[i]);

	setenv("QSHM_AUTOSTART", "0", 1);
	unsetenv("QSHM_BROKER");
}

/*
 * The fake broker: a thread serving the fake socket, its behaviour set by
 * fake_mode before each call.
 */

enum fake_mode {
	FAKE_OK,
	FAKE_BAD_VERSION,
	FAKE_BAD_ID,
	FAKE_BAD_TYPE,
	FAKE_HANG_UP,		/* close without replying */
	FAKE_CLOSE_AFTER,	/* reply, then close */
	FAKE_WRONG_ACCESS,	/* send an rw fd whatever was asked */
	FAKE_LIST_UNSEALED,
	FAKE_LIST_RECSIZE,
	FAKE_LIST_COUNT,
	FAKE_HANG_UP_ONCE,	/* close without replying, then FAKE_OK */
	FAKE_REVOCABLE,		/* OPEN: the object is revocable */
	FAKE_REVOKE_FIRST	/* OPEN: revocable, revoked before the reply */
};

#define FAKE_CONNS	16

static struct fake {
	pthread_t	thr;
	int		lsock;
	int		stop[2];
	int		conns[FAKE_CONNS];
	_Atomic int	watch;		/* the watcher's connection, or -1 */
	int		memfd;		/* the object OPEN hands out */
	int		object;		/* if not -1: the one it hands out */
	_Atomic int	early;		/* FAKE_REVOKE_FIRST: its count */
	uint64_t	range_off, range_len;
	_Atomic int	mode;
	_Atomic int	err;		/* errno every reply carries */
	_Atomic int	accepted;
	_Atomic int	requests;	/* received, replied or not */
} fake;

static void
fake_send_bad_version(int c, const struct proto_msg *m)
{
	unsigned char	 buf[sizeof(struct proto_hdr) + PROTO_MAX_PAYLOAD];
	struct proto_hdr h;
	ssize_t		 len = proto_payload_size(m->hdr.type | PROTO_REPLY);

	memset(buf, 0, sizeof buf);
	h.magic = PROTO_MAGIC;
	h.version = PROTO_VERSION + 1;
	h.type = m->hdr.type | PROTO_REPLY;
	h.id = m->hdr.id;
	h.len = (uint32_t)len;
	memcpy(buf, &h, sizeof h);
	(void)send(c, buf, sizeof h + (size_t)len, MSG_NOSIGNAL);
}

static int
fake_open_fd(const struct proto_msg *m, struct proto_open_reply *r, int mode)
{
	char		path[64];
	uint32_t	access;

	access = m->hdr.type == PROTO_OPEN ? m->u.open.access :
	    m->u.parked.access;
	if (mode == FAKE_WRONG_ACCESS)
		access = O_RDWR;
	if (m->hdr.type == PROTO_OPEN) {
		r->access = access;
		r->offset = fake.range_off;
		r->length = fake.range_len;
		if (mode == FAKE_REVOCABLE || mode == FAKE_REVOKE_FIRST)
			r->flags = SHMCTL_REVOCABLE;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d",
	    fake.object != -1 ? fake.object : fake.memfd);
	return (open(path, (int)access | O_CLOEXEC));
}

static int
fake_list_fd(struct proto_list_reply *r, int mode)
{
	struct qshm_handle_info	recs[3];
	int			fd, i;

	memset(recs, 0, sizeof recs);
	for (i = 0; i < 3; i++) {
		recs[i].handle = (shm_handle_t)i + 1;
		memset(recs[i].path, 'p', sizeof recs[i].path);
	}
	fd = memfd_create("list", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (write(fd, recs, sizeof recs) != (ssize_t)sizeof recs)
		return (-1);
	if (mode != FAKE_LIST_UNSEALED)
		(void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
		    F_SEAL_WRITE | F_SEAL_SEAL);
	r->count = mode == FAKE_LIST_COUNT ? 4 : 3;
	r->recsize = sizeof recs[0] -
	    (mode == FAKE_LIST_RECSIZE ? 8 : 0);
	return (fd);
}

/* Send the watcher a notice for dev/ino; its count, or -1. */
static int
fake_notice_send(uint64_t dev, uint64_t ino)
{
	static _Atomic uint32_t	id = 100;
	struct proto_notice	n = { dev, ino };
	struct proto_msg	m;
	struct pollfd		pfd = { fake.watch, POLLIN, 0 };
	uint32_t		my = ++id;
	int			count = -1;

	if (proto_send(fake.watch, PROTO_NOTICE, my, &n, sizeof n, -1) == -1 ||
	    poll(&pfd, 1, 10000) != 1 || proto_recv(fake.watch, &m) == -1)
		return (-1);
	if (m.hdr.type == (PROTO_NOTICE | PROTO_REPLY) && m.hdr.id == my &&
	    m.u.status.err == 0)
		count = (int)m.u.status.value;
	proto_msg_clear(&m);
	return (count);
}

/* FAKE_REVOKE_FIRST: the object is revoked before the reply goes out. */
static void
fake_revoke_first(int fd)
{
	struct stat	st;

	fake.early = fstat(fd, &st) == -1 ? -1 :
	    fake_notice_send(st.st_dev, st.st_ino);
}

static void
fake_reply(int c, const struct proto_msg *m, int mode)
{
	union {
		struct proto_grant_reply	g;
		struct proto_open_reply		o;
		struct proto_status_reply	s;
		struct proto_limit_reply	l;
		struct proto_list_reply		li;
		struct proto_stats_reply	st;
	}		r;
	struct ucred	cr;
	socklen_t	sl = sizeof cr;
	uint16_t	type = m->hdr.type | PROTO_REPLY;
	uint32_t	id = m->hdr.id;
	int		fd = -1;

	memset(&r, 0, sizeof r);
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &sl) == -1)
		cr.pid = -1;
	if (mode == FAKE_BAD_VERSION) {
		fake_send_bad_version(c, m);
		return;
	}
	if (mode == FAKE_BAD_ID)
		id++;
	if (mode == FAKE_BAD_TYPE)
		type = PROTO_REPLY |
		    (m->hdr.type == PROTO_DELETE ? PROTO_UNPARK : PROTO_DELETE);
	r.s.err = fake.err;
	if (r.s.err == 0) {
		switch (m->hdr.type) {
		case PROTO_LIMIT:
			r.l.cur = (uint64_t)cr.pid;
			r.l.max = (uint64_t)fake.accepted;
			break;
		case PROTO_STATS:
			r.st.stats.pid = (uint32_t)cr.pid;
			break;
		case PROTO_GRANT:
			r.g.handle = 0x1234;
			break;
		case PROTO_PARK:
			r.s.value = 7;
			break;
		case PROTO_OPEN:
		case PROTO_PARKED_OPEN:
			fd = fake_open_fd(m, &r.o, mode);
			if (mode == FAKE_REVOKE_FIRST && fd != -1)
				fake_revoke_first(fd);
			break;
		case PROTO_LIST:
			fd = fake_list_fd(&r.li, mode);
			break;
		}
	}
	(void)proto_send(c, type, id, &r,
	    (size_t)proto_payload_size(type), fd);
	if (fd != -1)
		close(fd);
}

static void
fake_serve(int *cp)
{
	struct proto_msg	m;
	int			mode;

	/* The test sets the mode before its request; read it once after. */
	if (proto_recv(*cp, &m) == -1)
		mode = FAKE_HANG_UP;
	else {
		fake.requests++;
		proto_msg_clear(&m);
		if ((mode = fake.mode) == FAKE_HANG_UP_ONCE)
			fake.mode = FAKE_OK;
	}
	if (mode == FAKE_HANG_UP || mode == FAKE_HANG_UP_ONCE) {
		close(*cp);
		*cp = -1;
		return;
	}
	fake_reply(*cp, &m, mode);
	/* The test speaks on the watcher's connection itself. */
	if (m.hdr.type == PROTO_WATCH && fake.watch == -1) {
		fake.watch = *cp;
		*cp = -1;
		return;
	}
	if (mode == FAKE_CLOSE_AFTER) {
		close(*cp);
		*cp = -1;
	}
}

static void
fake_accept(void)
{
	int	c, i;

	if ((c = accept4(fake.lsock, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	fake.accepted++;
	for (i = 0; i < FAKE_CONNS; i++)
		if (fake.conns[i] == -1) {
			fake.conns[i] = c;
			return;
		}
	close(c);
}

static void *
fake_main(void *arg)
{
	struct pollfd	pfd[FAKE_CONNS + 2];
	int		i;

	(void)arg;
	for (;;) {
		pfd[0].fd = fake.stop[0];
		pfd[1].fd = fake.lsock;
		for (i = 0; i < FAKE_CONNS; i++)
			pfd[i + 2].fd = fake.conns[i];
		for (i = 0; i < FAKE_CONNS + 2; i++)
			pfd[i].events = POLLIN;
		if (poll(pfd, FAKE_CONNS + 2, -1) == -1)
			continue;
		if (pfd[0].revents)
			break;
		if (pfd[1].revents)
			fake_accept();
		for (i = 0; i < FAKE_CONNS; i++)
			if (fake.conns[i] != -1 && pfd[i + 2].revents)
				fake_serve(&fake.conns[i]);
	}
	return (NULL);
}

static int
fake_setup(void **state)
{
	struct sockaddr_un	sun;
	int			i;

	(void)state;
	memset(&fake, 0, sizeof fake);
	for (i = 0; i < FAKE_CONNS; i++)
		fake.conns[i] = -1;
	fake.watch = -1;
	fake.object = -1;
	fake.memfd = memfd_create("object", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fake.memfd == -1 || ftruncate(fake.memfd, 4 * (off_t)page) == -1)
		return (-1);
	for (i = 0; i < 4; i++)
		if (pwrite(fake.memfd, "ABCD" + i, 1, (off_t)page * i) != 1)
			return (-1);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, fake_sock);
	fake.lsock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fake.lsock == -1 ||
	    bind(fake.lsock, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(fake.lsock, 16) == -1 || pipe2(fake.stop, O_CLOEXEC) == -1)
		return (-1);
	if (pthread_create(&fake.thr, NULL, fake_main, NULL) != 0)
		return (-1);
	setenv("QSHM_SOCKET", fake_sock, 1);
	return (0);
}

static int
fake_teardown(void **state)
{
	int	i;

	(void)state;
	if (write(fake.stop[1], "x", 1) != 1)
		return (-1);
	pthread_join(fake.thr, NULL);
	for (i = 0; i < FAKE_CONNS; i++)
		if (fake.conns[i] != -1)
			close(fake.conns[i]);
	if (fake.watch != -1)
		close(fake.watch);
	close(fake.lsock);
	close(fake.stop[0]);
	close(fake.stop[1]);
	close(fake.memfd);
	unlink(fake_sock);
	return (0);
}

static int
fake_reset(void **state)
{
	(void)state;
	fake.mode = FAKE_OK;
	fake.err = 0;
	fake.range_off = 0;
	fake.range_len = 0;
	return (0);
}

static void
test_fake_basic(void **state)
{
	struct qshm_stats	st;
	struct rlimit		rl;
	shm_handle_t		h = 0;
	uint32_t		id = 0;
	int			fd;

	(void)state;
	assert_int_equal(qshm_stats(&st), 0);
	assert_int_equal(st.pid, getpid());
	assert_string_equal(qshm_error_detail(), "");
	assert_string_equal(qshm_socket_path(), fake_sock);
	assert_int_equal(qshm_getrlimit(RLIMIT_SHM_HANDLES_NP, &rl), 0);
	assert_int_equal(rl.rlim_cur, getpid());
	fd = memfd_sized(page);
	assert_int_equal(shm_create_handle(fd, getpid(), O_RDWR, &h, 0), 0);
	assert_int_equal(h, 0x1234);
	assert_int_equal(qshm_park(fd, &id), 0);
	assert_int_equal(id, 7);
	assert_int_equal(shm_delete_handle(h), 0);
	assert_int_equal(qshm_admin_revoke(fd, -1), 0);
	fake.err = ESRCH;
	assert_fails(shm_delete_handle(h), ESRCH);
	fake.err = EAGAIN;
	assert_fails(shm_create_handle(fd, getpid(), O_RDWR, &h, 0), EAGAIN);
	close(fd);
}

static void
test_fake_protocol_errors(void **state)
{
	struct qshm_stats	st;
	char			want[128];
	int			before;

	(void)state;
	fake.mode = FAKE_BAD_VERSION;
	assert_fails(qshm_stats(&st), EPROTONOSUPPORT);
	snprintf(want, sizeof want, "broker speaks protocol %d, library "
	    "speaks %d", PROTO_VERSION + 1, PROTO_VERSION);
	assert_string_equal(qshm_error_detail(), want);
	fake.mode = FAKE_BAD_ID;
	assert_fails(qshm_stats(&st), EPROTO);
	fake.mode = FAKE_BAD_TYPE;
	assert_fails(shm_delete_handle(5), EPROTO);
	assert_fails(qshm_stats(&st), EPROTO);
	fake.mode = FAKE_HANG_UP;
	assert_fails(qshm_stats(&st), ECONNRESET);
	assert_non_null(strstr(qshm_error_detail(), "closed"));
	/* Each failure dropped the connection; the next call reconnects. */
	fake.mode = FAKE_OK;
	before = fake.accepted;
	assert_int_equal(qshm_stats(&st), 0);
	assert_string_equal(qshm_error_detail(), "");
	assert_int_equal(fake.accepted, before + 1);
}

/* A connection the broker closed between calls is remade once. */
static void
test_fake_reconnect(void **state)
{
	struct qshm_stats	st;
	struct timespec		ts = { 0, 50 * 1000000L };
	int			before, i;

	(void)state;
	assert_int_equal(qshm_stats(&st), 0);
	fake.mode = FAKE_CLOSE_AFTER;
	before = fake.accepted;
	for (i = 0; i < 3; i++) {
		assert_int_equal(qshm_stats(&st), 0);
		nanosleep(&ts, NULL);
	}
	assert_int_equal(fake.accepted, before + 2);
}

/*
 * A request sent and answered by a hang-up (a broker restarting): sent
 * once more on a new connection if it changes nothing (statistics, a
 * limit or shm_ctl() flags read), else reported.
 */
static void
test_fake_retry(void **state)
{
	struct qshm_stats	st;
	struct rlimit		rl, set = { 5, 10 };
	int			before, sent, fd;

	(void)state;
	assert_int_equal(qshm_stats(&st), 0);
	fake.mode = FAKE_HANG_UP_ONCE;
	before = fake.accepted;
	sent = fake.requests;
	assert_int_equal(qshm_stats(&st), 0);
	assert_int_equal(fake.accepted, before + 1);
	assert_int_equal(fake.requests, sent + 2);
	/* Reading a limit is safe to repeat; setting one is not. */
	fake.mode = FAKE_HANG_UP_ONCE;
	assert_int_equal(qshm_getrlimit(RLIMIT_SHM_HANDLES_NP, &rl), 0);
	assert_int_equal(fake.requests, sent + 4);
	fake.mode = FAKE_HANG_UP_ONCE;
	assert_fails(qshm_setrlimit(RLIMIT_SHM_HANDLES_NP, &set), ECONNRESET);
	assert_int_equal(fake.requests, sent + 5);
	/* A delete may have happened: never sent twice. */
	fake.mode = FAKE_HANG_UP_ONCE;
	assert_fails(shm_delete_handle(5), ECONNRESET);
	assert_int_equal(fake.requests, sent + 6);
	assert_int_equal(shm_delete_handle(5), 0);
	/* shm_ctl(): reading the flags is repeated, changing them not. */
	assert_true((fd = memfd_create("ctl", MFD_CLOEXEC)) >= 0);
	sent = fake.requests;
	fake.mode = FAKE_HANG_UP_ONCE;
	assert_int_equal(shm_ctl(fd, SHMCTL_GET_FLAGS, 0, 0), 0);
	assert_int_equal(fake.requests, sent + 2);
	fake.mode = FAKE_HANG_UP_ONCE;
	assert_fails(shm_ctl(fd, SHMCTL_LAZY, 0, 0), ECONNRESET);
	assert_int_equal(fake.requests, sent + 3);
	close(fd);
}

/* A child of fork() speaks to the broker as itself. */
static void
test_fake_fork(void **state)
{
	struct rlimit	rl;
	pid_t		pid;
	int		status, before;

	(void)state;
	assert_int_equal(qshm_handle_limit(0, NULL, &rl), 0);
	assert_int_equal(rl.rlim_cur, getpid());
	before = fake.accepted;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (qshm_handle_limit(0, NULL, &rl) == -1 ||
		    rl.rlim_cur != (rlim_t)getpid())
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(fake.accepted, before + 1);
	/* The parent's connection is untouched. */
	assert_int_equal(qshm_handle_limit(0, NULL, &rl), 0);
	assert_int_equal(rl.rlim_cur, getpid());
	assert_int_equal(fake.accepted, before + 1);

#ifdef SYS_fork
	/* A raw fork() runs no atfork handler; the pid check catches it. */
	pid = (pid_t)syscall(SYS_fork);
	assert_true(pid >= 0);
	if (pid == 0) {
		if (qshm_handle_limit(0, NULL, &rl) == -1 ||
		    rl.rlim_cur != (rlim_t)syscall(SYS_getpid))
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(qshm_handle_limit(0, NULL, &rl), 0);
	assert_int_equal(rl.rlim_cur, getpid());
#endif
}

static void
test_fake_open(void **state)
{
	char	c;
	int	fd;

	(void)state;
	fd = shm_open_handle(0x1234, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFD), FD_CLOEXEC);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_int_equal(pread(fd, &c, 1, (off_t)page), 1);
	assert_int_equal(c, 'B');
	close(fd);
	fd = qshm_open_parked(7, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_WRONLY);
	close(fd);
	/* A descriptor with another access than asked is refused. */
	fake.mode = FAKE_WRONG_ACCESS;
	assert_fails(shm_open_handle(0x1234, O_RDONLY), EPROTO);
	assert_fails(qshm_open_parked(7, O_RDONLY), EPROTO);
	fake.mode = FAKE_OK;
	fake.err = EACCES;
	assert_fails(shm_open_handle(0x1234, O_RDWR), EACCES);
}

static void
test_fake_mmap(void **state)
{
	char	*p, *q;
	char	 c;
	int	 before;

	(void)state;
	fake.range_off = page;
	fake.range_len = 2 * page;
	/* off counts from the range's first byte. */
	p = mmap_handle(NULL, page, PROT_READ, MAP_SHARED, 0x1234,
	    (off_t)page);
	assert_ptr_not_equal(p, MAP_FAILED);
	assert_int_equal(p[0], 'C');
	munmap(p, page);

	p = mmap_handle(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED,
	    0x1234, 0);
	assert_ptr_not_equal(p, MAP_FAILED);
	assert_int_equal(p[0], 'B');
	p[1] = 'x';
	assert_int_equal(pread(fake.memfd, &c, 1, (off_t)page + 1), 1);
	assert_int_equal(c, 'x');

	/* MAP_FIXED over our own mapping. */
	q = mmap_handle(p, page, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_FIXED, 0x1234, (off_t)page);
	assert_ptr_equal(q, p);
	assert_int_equal(q[0], 'C');
	q[0] = 'y';	/* private: the object keeps its byte */
	assert_int_equal(pread(fake.memfd, &c, 1, 2 * (off_t)page), 1);
	assert_int_equal(c, 'C');
	munmap(p, 2 * page);

	/* Past the range: refused, and nothing stays reserved. */
	before = count_maps();
	assert_map_fails(mmap_handle(NULL, page + 1, PROT_READ, MAP_SHARED,
	    0x1234, (off_t)page), EINVAL);
	assert_int_equal(count_maps(), before);
	fake.mode = FAKE_WRONG_ACCESS;
	assert_map_fails(mmap_handle(NULL, page, PROT_READ, MAP_SHARED,
	    0x1234, 0), EPROTO);
	fake.mode = FAKE_OK;
	fake.err = ESRCH;
	assert_map_fails(mmap_handle(NULL, page, PROT_READ, MAP_SHARED,
	    0x1234, 0), ESRCH);
	assert_int_equal(count_maps(), before);
}

static void
test_fake_list(void **state)
{
	struct qshm_handle_info	*hi;
	struct qshm_object_info	*oi;
	size_t			 n;

	(void)state;
	assert_int_equal(qshm_list_handles(&hi, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(hi[2].handle, 3);
	assert_int_equal(strlen(hi[0].path), sizeof hi[0].path - 1);
	free(hi);
	/* The fake sends handle records for objects too: wrong size. */
	assert_fails(qshm_list_objects(&oi, &n), EPROTO);
	assert_null(oi);
	assert_int_equal(n, 0);
	fake.mode = FAKE_LIST_UNSEALED;
	assert_fails(qshm_list_handles(&hi, &n), EPROTO);
	fake.mode = FAKE_LIST_RECSIZE;
	assert_fails(qshm_list_handles(&hi, &n), EPROTO);
	fake.mode = FAKE_LIST_COUNT;
	assert_fails(qshm_list_handles(&hi, &n), EPROTO);
	assert_null(hi);
}

/* The permissions /proc/self/maps shows for the mapping at p. */
static void
maps_perms(const void *p, char perms[5])
{
	char		line[512];
	uintptr_t	start, end;
	FILE		*f;

	strcpy(perms, "none");
	assert_non_null(f = fopen("/proc/self/maps", "r"));
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %4s", &start,
		    &end, perms) == 3 && (uintptr_t)p >= start &&
		    (uintptr_t)p < end)
			break;
	fclose(f);
}

/*
 * The watcher acts only on the revocable objects this process holds: a
 * notice for its own executable or for a mapping made without a
 * revocable grant changes nothing (and counts 0); one for the object
 * mapped revocable blanks that mapping.
 */
static void
test_fake_notice(void **state)
{
	struct stat	 exe, st;
	char		*rev, *plain, perms[5];
	int		 fd, i;

	(void)state;
	fake.mode = FAKE_REVOCABLE;
	rev = mmap_handle(NULL, page, PROT_READ, MAP_SHARED, 0x1234, 0);
	assert_ptr_not_equal(rev, MAP_FAILED);
	assert_int_equal(rev[0], 'A');
	for (i = 0; i < 1000 && fake.watch == -1; i++)
		usleep(10000);
	assert_int_not_equal(fake.watch, -1);
	fd = memfd_sized(page);
	assert_int_equal(pwrite(fd, "P", 1, 0), 1);
	plain = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	assert_ptr_not_equal(plain, MAP_FAILED);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(fake_notice_send(st.st_dev, st.st_ino), 0);
	assert_int_equal(plain[0], 'P');
	assert_int_equal(stat("/proc/self/exe", &exe), 0);
	assert_int_equal(fake_notice_send(exe.st_dev, exe.st_ino), 0);
	maps_perms((const void *)test_fake_notice, perms);
	assert_string_equal(perms, "r-xp");
	assert_int_equal(fstat(fake.memfd, &st), 0);
	assert_int_equal(fake_notice_send(st.st_dev, st.st_ino), 1);
	maps_perms(rev, perms);
	assert_string_equal(perms, "---p");
	assert_int_equal(plain[0], 'P');
	munmap(plain, page);
	munmap(rev, page);
	close(fd);
}

/*
 * A notice that overtakes the reply (the object is not held yet) blanks
 * nothing then, and the mapping the reply brings is blanked at once.
 */
static void
test_fake_notice_early(void **state)
{
	char	*p, perms[5];

	(void)state;
	assert_int_not_equal(fake.watch, -1);
	fake.object = memfd_sized(page);
	fake.early = -2;
	fake.mode = FAKE_REVOKE_FIRST;
	p = mmap_handle(NULL, page, PROT_READ, MAP_SHARED, 0x1234, 0);
	assert_ptr_not_equal(p, MAP_FAILED);
	assert_int_equal(fake.early, 0);
	maps_perms(p, perms);
	assert_string_equal(perms, "---p");
	munmap(p, page);
	close(fake.object);
	fake.object = -1;
}

/*
 * More revocable objects than the watcher records (4096), each mapped
 * and let go in turn: the ones gone are forgotten, so a revoke of the
 * latest still reaches it, and notices are still checked.
 */
static void
test_fake_notice_many(void **state)
{
	struct stat	 st;
	char		*p, *q, perms[5];
	int		 i, fd;

	(void)state;
	fake.mode = FAKE_REVOCABLE;
	for (i = 0; i <= 4096; i++) {
		fake.object = memfd_sized(page);
		p = mmap_handle(NULL, page, PROT_READ, MAP_SHARED, 0x1234, 0);
		assert_ptr_not_equal(p, MAP_FAILED);
		if (i < 4096) {
			munmap(p, page);
			close(fake.object);
		}
	}
	assert_int_equal(fstat(fake.object, &st), 0);
	assert_int_equal(fake_notice_send(st.st_dev, st.st_ino), 1);
	maps_perms(p, perms);
	assert_string_equal(perms, "---p");
	/* Still checked: a notice for an object not held does nothing. */
	fd = memfd_sized(page);
	q = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	assert_ptr_not_equal(q, MAP_FAILED);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(fake_notice_send(st.st_dev, st.st_ino), 0);
	maps_perms(q, perms);
	assert_string_equal(perms, "r--s");
	munmap(q, page);
	close(fd);
	munmap(p, page);
	close(fake.object);
	fake.object = -1;
}

int
main(void)
{
	const struct CMUnitTest	local[] = {
		cmocka_unit_test(test_create_ebadf),
		cmocka_unit_test(test_create_einval),
		cmocka_unit_test(test_create_eacces),
		cmocka_unit_test(test_create_esrch),
		cmocka_unit_test(test_subrange_einval),
		cmocka_unit_test(test_open_local),
		cmocka_unit_test(test_emfile),
		cmocka_unit_test(test_mmap_local),
		cmocka_unit_test(test_anon),
		cmocka_unit_test(test_rlimit),
		cmocka_unit_test(test_admin_local),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_autostart_fails),
	};
	const struct CMUnitTest	faked[] = {
		cmocka_unit_test_setup(test_fake_basic, fake_reset),
		cmocka_unit_test_setup(test_fake_protocol_errors, fake_reset),
		cmocka_unit_test_setup(test_fake_reconnect, fake_reset),
		cmocka_unit_test_setup(test_fake_retry, fake_reset),
		cmocka_unit_test_setup(test_fake_fork, fake_reset),
		cmocka_unit_test_setup(test_fake_open, fake_reset),
		cmocka_unit_test_setup(test_fake_mmap, fake_reset),
		cmocka_unit_test_setup(test_fake_list, fake_reset),
		/* Last: the object it maps stays held as revocable. */
		cmocka_unit_test_setup(test_fake_notice, fake_reset),
		cmocka_unit_test_setup(test_fake_notice_early, fake_reset),
		cmocka_unit_test_setup(test_fake_notice_many, fake_reset),
	};
	int	rc;

	if (group_setup(NULL) == -1)
		return (1);
	rc = cmocka_run_group_tests_name("client-local", local, NULL, NULL);
	rc += cmocka_run_group_tests_name("client-fake", faked, fake_setup,
	    fake_teardown);
	group_teardown(NULL);
	return (rc != 0);
}
