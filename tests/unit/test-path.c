/*
 * test-path.c: the broker socket path (order of $QSHM_SOCKET, the system
 * socket, $XDG_RUNTIME_DIR and /tmp), its length limit, and the checks on
 * its directory (owner, mode, symlink, explicit paths, $HOME/.cache/qshm)
 * and what path_why() says of them.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "path.h"

#define SUN_MAX	sizeof(((struct sockaddr_un *)NULL)->sun_path)

static char	tmpdir[32];

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

static int
setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/test-path-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return (-1);
	unsetenv("QSHM_SOCKET");
	setenv("XDG_RUNTIME_DIR", tmpdir, 1);
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	unsetenv("QSHM_SOCKET");
	unsetenv("XDG_RUNTIME_DIR");
	return (nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS));
}

static void
expect_path(int probe, const char *want)
{
	char	buf[SUN_MAX];

	assert_int_equal(path_socket(buf, sizeof buf, probe), 0);
	assert_string_equal(buf, want);
}

static void
expect_tmp_default(void)
{
	char	want[SUN_MAX];

	snprintf(want, sizeof want, "/tmp/qshm-%lu/broker.sock",
	    (unsigned long)geteuid());
	expect_path(1, want);
}

static void
test_env_socket_wins(void **state)
{
	(void)state;
	setenv("QSHM_SOCKET", "/some/where/b.sock", 1);
	expect_path(1, "/some/where/b.sock");
	expect_path(0, "/some/where/b.sock");
}

static void
test_empty_env_socket_ignored(void **state)
{
	char	want[SUN_MAX];

	(void)state;
	setenv("QSHM_SOCKET", "", 1);
	snprintf(want, sizeof want, "%s/qshm/broker.sock", tmpdir);
	expect_path(0, want);
}

static void
test_xdg(void **state)
{
	char	want[SUN_MAX], slashed[PATH_MAX];

	(void)state;
	snprintf(want, sizeof want, "%s/qshm/broker.sock", tmpdir);
	expect_path(0, want);
	/* No system broker listens here, so probing changes nothing. */
	if (access(PATH_SYSTEM_SOCKET, F_OK) == -1)
		expect_path(1, want);
	snprintf(slashed, sizeof slashed, "%s//", tmpdir);
	setenv("XDG_RUNTIME_DIR", slashed, 1);
	expect_path(0, want);
}

static void
test_xdg_unusable(void **state)
{
	char	file[PATH_MAX];
	FILE	*f;

	(void)state;
	if (access(PATH_SYSTEM_SOCKET, F_OK) == 0)
		skip();
	setenv("XDG_RUNTIME_DIR", "relative/dir", 1);
	expect_tmp_default();
	setenv("XDG_RUNTIME_DIR", "/nonexistent/qshm-test", 1);
	expect_tmp_default();
	snprintf(file, sizeof file, "%s/file", tmpdir);
	assert_non_null(f = fopen(file, "w"));
	fclose(f);
	setenv("XDG_RUNTIME_DIR", file, 1);
	expect_tmp_default();
	unsetenv("XDG_RUNTIME_DIR");
	expect_tmp_default();
}

static void
test_too_long(void **state)
{
	char	buf[SUN_MAX], name[SUN_MAX + 8], small[16], deep[PATH_MAX];
	size_t	n;

	(void)state;
	/* 107 bytes plus the NUL fit sun_path; 108 do not. */
	memset(name, 'a', sizeof name);
	name[0] = '/';
	name[SUN_MAX - 1] = '\0';
	setenv("QSHM_SOCKET", name, 1);
	assert_int_equal(path_socket(buf, sizeof buf, 0), 0);
	assert_string_equal(buf, name);
	name[SUN_MAX - 1] = 'a';
	name[SUN_MAX] = '\0';
	setenv("QSHM_SOCKET", name, 1);
	errno = 0;
	assert_int_equal(path_socket(buf, sizeof buf, 0), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(path_prepare_dir(name), -1);
	assert_int_equal(errno, ENAMETOOLONG);

	/* A buffer too small for the path. */
	setenv("QSHM_SOCKET", "/a/rather/long/socket.sock", 1);
	assert_int_equal(path_socket(small, sizeof small, 0), -1);
	assert_int_equal(errno, ENAMETOOLONG);

	/* A usable XDG_RUNTIME_DIR whose socket path would not fit. */
	unsetenv("QSHM_SOCKET");
	n = (size_t)snprintf(deep, sizeof deep, "%s/", tmpdir);
	memset(deep + n, 'd', SUN_MAX - n);
	deep[SUN_MAX - 10] = '\0';
	assert_int_equal(mkdir(deep, 0700), 0);
	setenv("XDG_RUNTIME_DIR", deep, 1);
	assert_int_equal(path_socket(buf, sizeof buf, 0), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

/* With a listener on the system socket, probing picks it. */
static void
test_system_probe(void **state)
{
	struct sockaddr_un	sun;
	char			want[SUN_MAX];
	int			s;

	(void)state;
	if (geteuid() != 0 || access("/run/qshm", F_OK) == 0)
		skip();
	assert_int_equal(mkdir("/run/qshm", 0755), 0);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, PATH_SYSTEM_SOCKET);
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(s, 4), 0);

	expect_path(1, PATH_SYSTEM_SOCKET);
	snprintf(want, sizeof want, "%s/qshm/broker.sock", tmpdir);
	expect_path(0, want);
	setenv("QSHM_SOCKET", "/x/y.sock", 1);
	expect_path(1, "/x/y.sock");

	/* A socket file nobody listens on is not a broker. */
	close(s);
	unsetenv("QSHM_SOCKET");
	expect_path(1, want);
	unlink(PATH_SYSTEM_SOCKET);
	rmdir("/run/qshm");
}

static void
sock_in(char *buf, size_t size, const char *sub)
{
	snprintf(buf, size, "%s/%s/broker.sock", tmpdir, sub);
}

static void
test_prepare_creates(void **state)
{
	char		sock[SUN_MAX], dir[PATH_MAX];
	struct stat	st;

	(void)state;
	assert_int_equal(path_socket(sock, sizeof sock, 0), 0);
	assert_int_equal(path_prepare_dir(sock), 0);
	snprintf(dir, sizeof dir, "%s/qshm", tmpdir);
	assert_int_equal(lstat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_uid, geteuid());
	/* A second time finds it in order. */
	assert_int_equal(path_prepare_dir(sock), 0);
}

static void
expect_prepare(const char *sock, int err)
{
	errno = 0;
	assert_int_equal(path_prepare_dir(sock), err == 0 ? 0 : -1);
	if (err != 0)
		assert_int_equal(errno, err);
}

static void
test_prepare_mode(void **state)
{
	char	sock[SUN_MAX], dir[PATH_MAX];

	(void)state;
	sock_in(sock, sizeof sock, "qshm");
	snprintf(dir, sizeof dir, "%s/qshm", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0770), 0);
	expect_prepare(sock, EPERM);
	assert_int_equal(chmod(dir, 0702), 0);
	expect_prepare(sock, EPERM);
	assert_int_equal(chmod(dir, 0755), 0);
	expect_prepare(sock, 0);
	assert_int_equal(chmod(dir, 0700), 0);
	expect_prepare(sock, 0);
}

static void
test_prepare_symlink(void **state)
{
	char	sock[SUN_MAX], dir[PATH_MAX], target[PATH_MAX];

	(void)state;
	sock_in(sock, sizeof sock, "qshm");
	snprintf(dir, sizeof dir, "%s/qshm", tmpdir);
	snprintf(target, sizeof target, "%s/real", tmpdir);
	assert_int_equal(mkdir(target, 0700), 0);
	assert_int_equal(symlink(target, dir), 0);
	expect_prepare(sock, EPERM);
	/* Dangling: mkdir must not follow it either. */
	assert_int_equal(rmdir(target), 0);
	expect_prepare(sock, EPERM);
	assert_int_equal(access(target, F_OK), -1);
}

static void
test_prepare_not_dir(void **state)
{
	char	sock[SUN_MAX], dir[PATH_MAX];
	FILE	*f;

	(void)state;
	sock_in(sock, sizeof sock, "qshm");
	snprintf(dir, sizeof dir, "%s/qshm", tmpdir);
	assert_non_null(f = fopen(dir, "w"));
	fclose(f);
	expect_prepare(sock, ENOTDIR);
}

static void
test_prepare_owner(void **state)
{
	char	sock[SUN_MAX], dir[PATH_MAX];

	(void)state;
	if (geteuid() != 0)
		skip();
	sock_in(sock, sizeof sock, "qshm");
	snprintf(dir, sizeof dir, "%s/qshm", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chown(dir, 65534, 65534), 0);
	expect_prepare(sock, EPERM);
	assert_int_equal(chown(dir, 0, 0), 0);
	expect_prepare(sock, 0);
}

/* What path_why() says of a default directory: whose, which mode, a hint. */
static void
test_why(void **state)
{
	char	sock[SUN_MAX], dir[64], why[256], want[256];

	(void)state;
	sock_in(sock, sizeof sock, "qshm");
	snprintf(dir, sizeof dir, "%s/qshm", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0772), 0);
	expect_prepare(sock, EPERM);
	path_why(sock, EPERM, why, sizeof why);
	snprintf(want, sizeof want, "%s is writable by others (mode 772); "
	    "set XDG_RUNTIME_DIR or QSHM_SOCKET", dir);
	assert_string_equal(why, want);
	if (geteuid() != 0)
		return;
	assert_int_equal(chown(dir, 65534, 65534), 0);
	path_why(sock, EPERM, why, sizeof why);
	snprintf(want, sizeof want, "%s is owned by uid 65534, not you "
	    "(uid 0); set XDG_RUNTIME_DIR or QSHM_SOCKET", dir);
	assert_string_equal(why, want);
}

/*
 * $HOME/.cache/qshm is a default directory: made private (with .cache)
 * and checked, .cache included; a HOME writable by others is none.
 */
static void
test_home_dir(void **state)
{
	char		home[48], cache[80], sock[SUN_MAX], why[256], want[256];
	struct stat	st;

	(void)state;
	snprintf(home, sizeof home, "%s/home", tmpdir);
	snprintf(cache, sizeof cache, "%s/.cache", home);
	snprintf(sock, sizeof sock, "%s/qshm/broker.sock", cache);
	assert_int_equal(mkdir(home, 0755), 0);
	setenv("HOME", home, 1);
	expect_prepare(sock, 0);
	assert_int_equal(stat(cache, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(cache, sizeof cache, "%s/.cache/qshm", home);
	assert_int_equal(lstat(cache, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(cache, sizeof cache, "%s/.cache", home);
	assert_int_equal(chmod(cache, 0777), 0);
	expect_prepare(sock, EPERM);
	path_why(sock, EPERM, why, sizeof why);
	snprintf(want, sizeof want, "%s is writable by others (mode 777); "
	    "set XDG_RUNTIME_DIR or QSHM_SOCKET", cache);
	/* qshm itself is fine: the fault named is its parent's. */
	assert_int_equal(rmdir(strcat(cache, "/qshm")), 0);
	path_why(sock, EPERM, why, sizeof why);
	assert_string_equal(why, want);
	/* A HOME others may write to makes no default: explicit rules. */
	assert_int_equal(chmod(home, 0777), 0);
	expect_prepare(sock, ENOENT);
	unsetenv("HOME");
}

/* An explicit path's directory only has to exist. */
static void
test_prepare_explicit(void **state)
{
	char	sock[SUN_MAX], dir[PATH_MAX];
	FILE	*f;

	(void)state;
	sock_in(sock, sizeof sock, "mine");
	setenv("QSHM_SOCKET", sock, 1);
	expect_prepare(sock, ENOENT);
	snprintf(dir, sizeof dir, "%s/mine", tmpdir);
	assert_int_equal(access(dir, F_OK), -1);	/* not made */
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	expect_prepare(sock, 0);
	assert_int_equal(rmdir(dir), 0);
	assert_non_null(f = fopen(dir, "w"));
	fclose(f);
	expect_prepare(sock, ENOTDIR);
	expect_prepare("", ENOENT);
	expect_prepare("/tmp", 0);	/* its directory is "/" */
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_setup_teardown(test_env_socket_wins,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_env_socket_ignored,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_xdg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xdg_unusable,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_long,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_system_probe,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepare_creates,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepare_mode,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepare_symlink,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepare_not_dir,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepare_owner,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepare_explicit,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_why, setup, teardown),
		cmocka_unit_test_setup_teardown(test_home_dir,
		    setup, teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
