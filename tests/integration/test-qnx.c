/*
 * test-qnx.c: what public QNX code (Eclipse S-CORE, QNX's examples, the
 * HailoRT driver) does with the handle API, done here as it does it:
 * O_ANON with SHM_ANON, shm_open reached by address, the umask, EBADF for
 * a handle value never issued (from the library and over the raw
 * protocol, where it counts as no guess), and the behaviours such code
 * relies on (the creator closing its fd at once, flags 0 meaning
 * read-only, deleting a consumed handle, typed and physical memory, a
 * failed open that leaves the handle); and revocation in time: only
 * mappings made after the object became revocable are revoked.
 */

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <signal.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"
#include "proto.h"

static struct qt_broker	tq_broker;

static int
tq_setup(void **state)
{
	(void)state;
	return (qt_broker_start(&tq_broker, NULL));
}

static int
tq_teardown(void **state)
{
	(void)state;
	return (qt_broker_stop(&tq_broker));
}

/* The permission bits of fd. */
static mode_t
tq_mode(int fd)
{
	struct stat	st;

	assert_int_equal(fstat(fd, &st), 0);
	return (st.st_mode & 07777);
}

/* S-CORE: shm_open(SHM_ANON, O_RDWR | O_CREAT | O_ANON, mode). */
static void
test_o_anon(void **state)
{
	char	link[64], path[64];
	ssize_t	n;
	int	fd;

	(void)state;
	assert_int_equal(O_ANON, 01000000);
	fd = shm_open(SHM_ANON, O_RDWR | O_CREAT | O_ANON, 0600);
	assert_true(fd >= 0);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	assert_true((n = readlink(path, link, sizeof link - 1)) > 0);
	link[n] = '\0';
	assert_memory_equal(link, "/memfd:", 7);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	close(fd);
	fd = shm_open(SHM_ANON, O_RDONLY | O_ANON, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(fd);
}

/* A named object with O_ANON reaches the system (as O_NOATIME). */
static void
test_o_anon_named(void **state)
{
	const char	*name = qt_shm_name("oanon");
	int		 fd;

	(void)state;
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_ANON, 0600);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFL) & O_NOATIME);
	close(fd);
	assert_int_equal(shm_unlink(name), 0);
}

/* shm_open reached through a pointer still knows SHM_ANON. */
static void
test_shm_open_by_address(void **state)
{
	int	(*fn)(const char *, int, mode_t) = &shm_open;
	int	fd;

	(void)state;
	fd = fn(SHM_ANON, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	fd = (shm_open)(SHM_ANON, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
}

/* SHM_ANON takes the mode less the umask, as a named object does. */
static void
test_anon_umask(void **state)
{
	mode_t	old;
	int	fd;

	(void)state;
	old = umask(022);
	assert_true((fd = shm_open(SHM_ANON, O_RDWR, 0777)) >= 0);
	assert_int_equal(tq_mode(fd), 0755);
	close(fd);
	umask(077);
	assert_true((fd = shm_open(SHM_ANON, O_RDWR, 0666)) >= 0);
	assert_int_equal(tq_mode(fd), 0600);
	close(fd);
	/* 0 stays 0600, whatever the umask. */
	assert_true((fd = shm_open(SHM_ANON, O_RDWR, 0)) >= 0);
	assert_int_equal(tq_mode(fd), 0600);
	close(fd);
	umask(old);
}

/*
 * Under umask 022, mode 0666 is 0644: a read-only grant to another uid
 * is then kernel-enforced, where the 0666 the umask used to be ignored
 * for let it write.
 */
static int
tq_body_umask_enforced(void *arg)
{
	struct qshm_handle_info	 info;
	struct qt_peer		 w;
	struct qt_rep		 rep;
	shm_handle_t		 h;
	int			 fd;

	(void)arg;
	umask(022);
	QT_CHECK((fd = shm_open(SHM_ANON, O_RDWR, 0666)) >= 0);
	QT_CHECK_OK(ftruncate(fd, (off_t)qt_page()));
	QT_CHECK_OK(qt_peer_start_nobody(&w));
	/* Connected: it needs CAP_DAC_OVERRIDE no more, and must not keep it. */
	QT_CHECK_OK(qt_peer_call(&w, &(struct qt_req){ .op = QT_OP_DROP_CAPS },
	    &rep));
	QT_CHECK_OK(rep.ret);
	QT_CHECK_OK(shm_create_handle(fd, w.pid, O_RDONLY, &h, 0));
	QT_CHECK_OK(qt_find_handle(h, &info));
	QT_CHECK_EQ(info.enforcement, QSHM_ENF_KERNEL);
	QT_CHECK_OK(shm_delete_handle(h));
	QT_CHECK_EQ(qt_peer_stop(&w), 0);
	close(fd);
	return (0);
}

static void
test_anon_umask_enforced(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("needs root (another uid)\n");
		skip();
	}
	assert_int_equal(qt_run(tq_body_umask_enforced, NULL), 0);
}

/* S-CORE's QNX 8 suite: shm_open_handle((shm_handle_t)-1, ...) EBADF. */
static void
test_malformed_handle(void **state)
{
	shm_handle_t	bad[] = { (shm_handle_t)-1, 0 };
	size_t		i, pg = qt_page();

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_errno(shm_open_handle(bad[i], O_RDWR), EBADF);
		assert_errno(shm_open_handle_pid(bad[i], O_RDWR, getpid()),
		    EBADF);
		assert_map_errno(mmap_handle(NULL, pg, PROT_READ, MAP_SHARED,
		    bad[i], 0), EBADF);
		assert_map_errno(mmap_handle_pid(NULL, pg, PROT_READ,
		    MAP_SHARED, bad[i], getpid(), 0), EBADF);
		assert_errno(shm_delete_handle(bad[i]), EBADF);
	}
}

/* Ask the broker raw: the reply's errno for handle h. */
static int
tq_raw(int s, uint16_t type, uint64_t h)
{
	struct proto_open	o;
	struct proto_delete	d;
	struct proto_msg	m;
	int			err;

	memset(&o, 0, sizeof o);
	o.handle = h;
	o.access = O_RDONLY;
	d.handle = h;
	if (type == PROTO_OPEN)
		err = proto_send(s, type, 1, &o, sizeof o, -1);
	else
		err = proto_send(s, type, 1, &d, sizeof d, -1);
	if (err == -1 || proto_recv(s, &m) == -1)
		return (-1);
	err = type == PROTO_OPEN ? m.u.open_reply.err : m.u.status.err;
	proto_msg_clear(&m);
	return (err);
}

/*
 * The broker says EBADF too, to a client that speaks the protocol, and
 * does not count such values as guesses: more of them than the guessing
 * allowance still leave a right handle usable.
 */
static void
test_malformed_handle_raw(void **state)
{
	shm_handle_t	h;
	int		s, fd, i, o;

	(void)state;
	assert_true((s = qt_connect(tq_broker.sock)) >= 0);
	for (i = 0; i < 1100; i++) {
		assert_int_equal(tq_raw(s, PROTO_OPEN, i % 2 ? 0 : UINT64_MAX),
		    EBADF);
	}
	assert_int_equal(tq_raw(s, PROTO_DELETE, UINT64_MAX), EBADF);
	assert_int_equal(tq_raw(s, PROTO_DELETE, 0), EBADF);
	close(s);
	assert_true((fd = qt_memfd(qt_page(), 'b')) >= 0);
	assert_ok(shm_create_handle(fd, getpid(), O_RDONLY, &h, 0));
	assert_true((o = shm_open_handle(h, O_RDONLY)) >= 0);
	close(o);
	close(fd);
}

/* A recipient that opens its handle after the creator closed its fd. */
static int
tq_body_creator_closes(void *arg)
{
	struct qt_peer	w;
	struct qt_rep	rep;
	shm_handle_t	h;
	int		fd;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'c')) >= 0);
	QT_CHECK_OK(qt_peer_start(&w));
	QT_CHECK_OK(shm_create_handle(fd, w.pid, O_RDWR, &h, 0));
	close(fd);
	QT_CHECK(qt_peer_open(&w, h, O_RDWR, 0, 0, &rep) >= 0);
	QT_CHECK_EQ(rep.accmode, O_RDWR);
	QT_CHECK_EQ(qt_peer_stop(&w), 0);
	return (0);
}

static void
test_creator_closes_at_once(void **state)
{
	(void)state;
	assert_int_equal(qt_run(tq_body_creator_closes, NULL), 0);
}

/* flags 0 is O_RDONLY: a read-only handle, a read-only fd. */
static void
test_flags_zero(void **state)
{
	shm_handle_t	h;
	int		fd, o;

	(void)state;
	assert_true((fd = qt_memfd(qt_page(), 'z')) >= 0);
	assert_ok(shm_create_handle(fd, getpid(), 0, &h, 0));
	assert_true((o = shm_open_handle(h, 0)) >= 0);
	assert_int_equal(fcntl(o, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_int_equal(write(o, "x", 1), -1);
	close(o);
	close(fd);
}

static void
test_create_bad_fd(void **state)
{
	shm_handle_t	h;

	(void)state;
	assert_errno(shm_create_handle(-1, getpid(), O_RDONLY, &h, 0), EBADF);
	assert_errno(shm_create_subrange_handle(-1, getpid(), O_RDONLY, &h,
	    0, qt_page(), 0), EBADF);
}

/* Deleting a consumed handle: ESRCH; the mapping made from it stays. */
static void
test_delete_consumed(void **state)
{
	shm_handle_t	 h;
	unsigned char	*p;
	int		 fd;

	(void)state;
	assert_true((fd = qt_memfd(qt_page(), 'd')) >= 0);
	assert_ok(shm_create_handle(fd, getpid(), O_RDONLY, &h, 0));
	p = mmap_handle(NULL, qt_page(), PROT_READ, MAP_SHARED, h, 0);
	assert_true(p != MAP_FAILED);
	assert_errno(shm_delete_handle(h), ESRCH);
	assert_int_equal(p[0], 'd');
	assert_int_equal(pwrite(fd, "e", 1, 0), 1);
	assert_int_equal(p[0], 'e');
	munmap(p, qt_page());
	close(fd);
}

/* Typed and physical memory do not exist here: a clean refusal. */
static void
test_tymem_phys(void **state)
{
	int	fd;

	(void)state;
	assert_true((fd = shm_open(SHM_ANON, O_RDWR | O_CREAT, 0600)) >= 0);
	assert_errno(shm_ctl(fd, SHMCTL_PHYS, 0x1000, qt_page()), ENOTSUP);
	assert_errno(shm_ctl(fd, SHMCTL_ANON | SHMCTL_TYMEM, 3, qt_page()),
	    ENOTSUP);
	/* Still usable after both. */
	assert_ok(shm_ctl(fd, SHMCTL_ANON, 0, qt_page()));
	close(fd);
}

/* An O_RDWR open of a read-only handle fails and leaves it usable. */
static void
test_failed_open_keeps_handle(void **state)
{
	shm_handle_t	h;
	int		fd, o;

	(void)state;
	assert_true((fd = qt_memfd(qt_page(), 'r')) >= 0);
	assert_ok(shm_create_handle(fd, getpid(), O_RDONLY, &h, 0));
	assert_errno(shm_open_handle(h, O_RDWR), EACCES);
	assert_true((o = shm_open_handle(h, O_RDONLY)) >= 0);
	close(o);
	close(fd);
}

/*
 * Revocation covers mappings made after the object became revocable:
 * the creator's older mapping, and a child's that it inherited before,
 * survive shm_revoke(fd, -1); the newer one goes.
 */
static void
test_revoke_in_time(void **state)
{
	unsigned char	*old, *new;
	size_t		 pg = qt_page();
	pid_t		 child;
	int		 fd, p[2], st;
	char		 c;

	(void)state;
	assert_true((fd = qt_memfd(pg, 't')) >= 0);
	old = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(old != MAP_FAILED);
	assert_int_equal(pipe(p), 0);
	/* A process that mapped it (by inheritance) before it was revocable. */
	if ((child = fork()) == 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 1 && qt_touch(old) == 't' ? 0 : 1);
	}
	close(p[0]);
	assert_ok(shm_ctl(fd, SHMCTL_REVOCABLE, 0, 0));
	new = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(new != MAP_FAILED);
	assert_int_equal(qt_touch(new), 't');
	assert_ok(shm_revoke(fd, -1));
	assert_int_equal(qt_touch(new), QT_SEGV);
	assert_int_equal(qt_touch(old), 't');
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p[1]);
	munmap(old, pg);
	munmap(new, pg);
	close(fd);
}

/* The older mapping is still inherited by fork (it is no revocable one). */
static void
test_revoke_in_time_fork(void **state)
{
	unsigned char	*old;
	size_t		 pg = qt_page();
	pid_t		 child;
	int		 fd, st;

	(void)state;
	assert_true((fd = qt_memfd(pg, 'f')) >= 0);
	old = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(old != MAP_FAILED);
	assert_ok(shm_ctl(fd, SHMCTL_REVOCABLE, 0, 0));
	if ((child = fork()) == 0)
		_exit(qt_touch(old) == 'f' ? 0 : 1);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	munmap(old, pg);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_o_anon),
		cmocka_unit_test(test_o_anon_named),
		cmocka_unit_test(test_shm_open_by_address),
		cmocka_unit_test(test_anon_umask),
		cmocka_unit_test(test_anon_umask_enforced),
		cmocka_unit_test(test_malformed_handle),
		cmocka_unit_test(test_malformed_handle_raw),
		cmocka_unit_test(test_creator_closes_at_once),
		cmocka_unit_test(test_flags_zero),
		cmocka_unit_test(test_create_bad_fd),
		cmocka_unit_test(test_delete_consumed),
		cmocka_unit_test(test_tymem_phys),
		cmocka_unit_test(test_failed_open_keeps_handle),
		cmocka_unit_test(test_revoke_in_time),
		cmocka_unit_test(test_revoke_in_time_fork),
	};

	return (cmocka_run_group_tests(tests, tq_setup, tq_teardown));
}
