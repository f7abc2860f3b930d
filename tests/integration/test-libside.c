/*
 * test-libside.c: what the library trusts around it.  A set-uid program
 * that autostarts the broker runs only the installed qshmctl, never one
 * its caller plants on PATH or names in the environment, and starts it
 * with an environment of PATH alone; a fallback
 * socket directory that another uid made first (/tmp/qshm-UID) is never
 * used: the client moves to $HOME/.cache/qshm, or fails saying whose the
 * directory is and what to set.  Run as root: the callers are other uids.
 */

#include <sys/auxv.h>
#include <sys/mount.h>
#include <sys/poll.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <paths.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"
#include "path.h"

#define LS_OWNER	65532		/* owns the set-uid program */
#define LS_CALLER	65533		/* runs it; the squatter's victim */
#define LS_SQUATTER	QT_NOBODY
#define LS_HELPER	"--setuid-helper"
#define LS_OUT_MAX	1024

/* The set-uid fixture: a copy of this program and a planted qshmctl. */
struct ls_suid {
	char	dir[64];	/* /tmp/qshm-suid-XXXXXX, 0755 */
	char	prog[96];	/* dir/prog: this program, set-uid LS_OWNER */
	char	bin[96];	/* dir/bin: the caller's PATH */
	char	out[96];	/* dir/out: 0777, the canary's */
	char	canary[128];	/* written by the planted qshmctl, if run */
	char	owner_dir[64];	/* /tmp/qshm-LS_OWNER, made by the library */
	char	installed[96];	/* dir/inst: bound over QSHM_BINDIR, or "" */
	int	pipe[2];	/* the helper's report */
};

static int
ls_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

/* Whether a system broker answers: then no test here reaches a fallback. */
static bool
ls_system_broker(void)
{
	int	s;

	if ((s = qt_connect(PATH_SYSTEM_SOCKET)) == -1)
		return (false);
	close(s);
	return (true);
}

/* Remove an empty directory left by an earlier run; false if in use. */
static bool
ls_clear_dir(const char *dir)
{
	return (rmdir(dir) == 0 || errno == ENOENT);
}

/*
 * The set-uid helper: the library's first call, as a privileged program
 * makes it; it reports what it saw and what the call did on stdout.
 */
static int
ls_helper(void)
{
	struct qshm_stats	st;
	int			r, err;

	r = qshm_stats(&st);
	err = errno;
	printf("secure %lu\nret %d\nerrno %d\ndetail %s\n",
	    getauxval(AT_SECURE), r, err, qshm_error_detail());
	fflush(stdout);
	/* Not dumpable, so LeakSanitizer could not look at it at exit. */
	qt_exit(0);
}

static void
ls_copy_self(const char *to)
{
	char	buf[65536];
	ssize_t	n;
	int	in, out;

	assert_true((in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)) >= 0);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	assert_true(out >= 0);
	while ((n = read(in, buf, sizeof buf)) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	/* chown() clears the set-uid bit: owner first, then the mode. */
	assert_int_equal(fchown(out, LS_OWNER, LS_OWNER), 0);
	assert_int_equal(fchmod(out, 04755), 0);
	close(in);
	assert_int_equal(close(out), 0);
}

/* A qshmctl at dir/qshmctl that leaves its uid and arguments in mark. */
static void
ls_plant(const char *dir, const char *mark)
{
	char	path[128];
	FILE	*f;

	snprintf(path, sizeof path, "%s/qshmctl", dir);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "#!/bin/sh\necho \"$(id -u) $*\" >> %s\nexit 0\n", mark);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0755), 0);
}

/* The installed qshmctl, as seen in a mount namespace: it saves its env. */
static void
ls_plant_installed(struct ls_suid *s)
{
	char	path[128];
	FILE	*f;

	snprintf(s->installed, sizeof s->installed, "%s/inst", s->dir);
	assert_int_equal(mkdir(s->installed, 0755), 0);
	snprintf(path, sizeof path, "%s/qshmctl", s->installed);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "#!/bin/sh\n/usr/bin/env > %s/env\nexit 3\n", s->out);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0755), 0);
}

static void
ls_suid_setup(struct ls_suid *s)
{
	memset(s, 0, sizeof *s);
	strcpy(s->dir, "/tmp/qshm-suid-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	assert_int_equal(chmod(s->dir, 0755), 0);
	snprintf(s->prog, sizeof s->prog, "%s/prog", s->dir);
	snprintf(s->bin, sizeof s->bin, "%s/bin", s->dir);
	snprintf(s->out, sizeof s->out, "%s/out", s->dir);
	snprintf(s->canary, sizeof s->canary, "%s/canary", s->out);
	snprintf(s->owner_dir, sizeof s->owner_dir, "/tmp/qshm-%d", LS_OWNER);
	assert_int_equal(mkdir(s->bin, 0755), 0);
	assert_int_equal(mkdir(s->out, 0777), 0);
	assert_int_equal(chmod(s->out, 0777), 0);
	ls_copy_self(s->prog);
	ls_plant(s->bin, s->canary);
}

/* In a mount namespace of its own, s->installed over QSHM_BINDIR. */
static int
ls_bind_installed(const struct ls_suid *s)
{
	if (unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount(s->installed, QSHM_BINDIR, NULL, MS_BIND, NULL) == -1)
		return (-1);
	return (0);
}

/* The caller: another uid, a PATH and an environment of its choosing. */
static int
ls_caller(void *arg)
{
	struct ls_suid	*s = arg;
	char		 broker[128], sock[128];

	snprintf(broker, sizeof broker, "%s/qshmctl", s->bin);
	snprintf(sock, sizeof sock, "%s/broker.sock", s->out);
	if (s->installed[0] != '\0' && ls_bind_installed(s) == -1)
		return (125);
	if (dup2(s->pipe[1], STDOUT_FILENO) == -1 ||
	    qt_become(LS_CALLER, LS_CALLER, 0, NULL, false) == -1)
		return (126);
	setenv("LS_CALLER_VAR", "1", 1);
	setenv("PATH", s->bin, 1);
	setenv("QSHM_BROKER", broker, 1);
	setenv("QSHM_SOCKET", sock, 1);
	setenv("XDG_RUNTIME_DIR", s->out, 1);
	unsetenv("QSHM_AUTOSTART");
	execl(s->prog, s->prog, LS_HELPER, (char *)NULL);
	return (127);
}

/*
 * Run the set-uid copy as LS_CALLER: its report into out (NUL-ended),
 * the caller's exit status returned.
 */
static int
ls_run_caller(struct ls_suid *s, char *out, size_t size)
{
	struct pollfd	pfd;
	size_t		len = 0;
	ssize_t		n;
	pid_t		pid;

	assert_int_equal(pipe2(s->pipe, O_CLOEXEC), 0);
	assert_true((pid = qt_fork(ls_caller, s)) > 0);
	close(s->pipe[1]);
	pfd.fd = s->pipe[0];
	pfd.events = POLLIN;
	while (len < size - 1 && poll(&pfd, 1, QT_TIMEOUT_MS) == 1 &&
	    (n = read(s->pipe[0], out + len, size - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(s->pipe[0]);
	return (qt_wait(pid));
}

/*
 * A set-uid program's first call finds no broker: autostart must not run
 * the qshmctl on the caller's PATH, nor $QSHM_BROKER, and must fail
 * cleanly, saying that only the installed qshmctl may be started.
 */
static void
test_setuid_autostart(void **state)
{
	struct ls_suid	s;
	char		out[LS_OUT_MAX], *detail;
	unsigned long	secure = 0;
	int		ret = 0, err = 0;

	(void)state;
	if (geteuid() != 0 || ls_system_broker() ||
	    access(QSHM_BINDIR "/qshmctl", X_OK) == 0)
		skip();
	ls_suid_setup(&s);
	assert_true(ls_clear_dir(s.owner_dir));
	assert_int_equal(ls_run_caller(&s, out, sizeof out), 0);
	assert_int_equal(sscanf(out, "secure %lu\nret %d\nerrno %d\n",
	    &secure, &ret, &err), 3);
	if (secure == 0) {
		/* A nosuid mount or no_new_privs: no set-uid run to test. */
		nftw(s.dir, ls_rm, 16, FTW_DEPTH | FTW_PHYS);
		skip();
	}
	assert_int_equal(access(s.canary, F_OK), -1);
	assert_int_equal(ret, -1);
	assert_int_equal(err, ECONNREFUSED);
	assert_non_null(detail = strstr(out, "detail "));
	assert_non_null(strstr(detail, QSHM_BINDIR "/qshmctl"));
	assert_non_null(strstr(detail, "set-uid"));
	assert_int_equal(nftw(s.dir, ls_rm, 16, FTW_DEPTH | FTW_PHYS), 0);
	assert_true(ls_clear_dir(s.owner_dir));
}

/* Whether line is one of the lines of text. */
static bool
ls_has_line(const char *text, const char *line)
{
	size_t		 n = strlen(line);
	const char	*p;

	for (p = text; (p = strstr(p, line)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') &&
		    (p[n] == '\n' || p[n] == '\0'))
			return (true);
	return (false);
}

/*
 * With qshmctl installed (a mount namespace binds a script over
 * QSHM_BINDIR), the set-uid program starts that one, by its absolute
 * path, with PATH alone for an environment: nothing of the caller's.
 */
static void
test_setuid_installed(void **state)
{
	struct ls_suid	s;
	char		out[LS_OUT_MAX], env[LS_OUT_MAX], path[128];
	unsigned long	secure = 0;
	ssize_t		n;
	int		fd, st;

	(void)state;
	if (geteuid() != 0 || ls_system_broker() ||
	    access(QSHM_BINDIR, F_OK) == -1)
		skip();
	ls_suid_setup(&s);
	ls_plant_installed(&s);
	assert_true(ls_clear_dir(s.owner_dir));
	st = ls_run_caller(&s, out, sizeof out);
	if (st == 125 || (sscanf(out, "secure %lu", &secure) == 1 &&
	    secure == 0)) {
		/* No mount namespace, or no set-uid run: nothing to test. */
		nftw(s.dir, ls_rm, 16, FTW_DEPTH | FTW_PHYS);
		skip();
	}
	assert_int_equal(st, 0);
	assert_int_equal(access(s.canary, F_OK), -1);
	assert_non_null(strstr(out, "status 3"));
	snprintf(path, sizeof path, "%s/env", s.out);
	assert_true((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0);
	assert_true((n = read(fd, env, sizeof env - 1)) > 0);
	env[n] = '\0';
	close(fd);
	assert_true(ls_has_line(env, "PATH=" _PATH_STDPATH));
	assert_null(strstr(env, "QSHM_"));
	assert_null(strstr(env, "XDG_RUNTIME_DIR"));
	assert_null(strstr(env, "LS_CALLER_VAR"));
	assert_int_equal(nftw(s.dir, ls_rm, 16, FTW_DEPTH | FTW_PHYS), 0);
	assert_true(ls_clear_dir(s.owner_dir));
}

/* The squat fixture: /tmp/qshm-LS_CALLER made by LS_SQUATTER. */
struct ls_squat {
	char	dir[64];	/* the squatted directory */
	char	home[64];	/* the victim's HOME, 0700 */
	char	qshmctl[PATH_MAX];
};

static void
ls_squat_setup(struct ls_squat *q)
{
	memset(q, 0, sizeof *q);
	snprintf(q->dir, sizeof q->dir, "/tmp/qshm-%d", LS_CALLER);
	assert_true(ls_clear_dir(q->dir));
	assert_int_equal(mkdir(q->dir, 0755), 0);
	assert_int_equal(chown(q->dir, LS_SQUATTER, LS_SQUATTER), 0);
	strcpy(q->home, "/tmp/qshm-home-XXXXXX");
	assert_non_null(mkdtemp(q->home));
	assert_int_equal(chown(q->home, LS_CALLER, LS_CALLER), 0);
	assert_non_null(realpath(qt_qshmctl(), q->qshmctl));
}

static void
ls_squat_teardown(struct ls_squat *q)
{
	/* Nothing may have been made in the squatted directory. */
	assert_int_equal(rmdir(q->dir), 0);
	assert_int_equal(nftw(q->home, ls_rm, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* The victim: LS_CALLER, no XDG_RUNTIME_DIR (cron, su), autostart on. */
static int
ls_victim(const struct ls_squat *q)
{
	QT_CHECK_OK(qt_become(LS_CALLER, LS_CALLER, 0, NULL, false));
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("QSHM_SOCKET");
	unsetenv("QSHM_AUTOSTART");
	setenv("QSHM_BROKER", q->qshmctl, 1);
	return (0);
}

/* Poll until path is gone; 0, or -1 after the bound. */
static int
ls_wait_gone(const char *path)
{
	int64_t	deadline = qt_now_ms() + QT_TIMEOUT_MS;

	while (access(path, F_OK) == 0)
		if (qt_now_ms() > deadline)
			return (-1);
		else
			qt_nap(5);
	return (0);
}

static int
ls_body_home(void *arg)
{
	const struct ls_squat	*q = arg;
	struct qshm_stats	 st;
	char			 want[128], squat[128];

	QT_CHECK_OK(ls_victim(q));
	setenv("HOME", q->home, 1);
	snprintf(want, sizeof want, "%s/.cache/qshm/broker.sock", q->home);
	snprintf(squat, sizeof squat, "%s/broker.sock", q->dir);
	QT_CHECK(qshm_socket_path() != NULL);
	QT_CHECK(strcmp(qshm_socket_path(), want) == 0);
	QT_CHECK_OK(qshm_stats(&st));
	QT_CHECK(access(want, F_OK) == 0);
	QT_CHECK(access(squat, F_OK) == -1 && errno == ENOENT);
	QT_CHECK_OK(kill((pid_t)st.pid, SIGTERM));
	QT_CHECK_OK(ls_wait_gone(want));
	return (0);
}

/*
 * Another uid made /tmp/qshm-UID first: with a HOME of its own the victim
 * is served by a broker at $HOME/.cache/qshm, and nothing goes into the
 * squatted directory.
 */
static void
test_squatted_home(void **state)
{
	struct ls_squat	q;

	(void)state;
	if (geteuid() != 0 || ls_system_broker())
		skip();
	ls_squat_setup(&q);
	assert_int_equal(qt_run(ls_body_home, &q), 0);
	ls_squat_teardown(&q);
}

/* The call fails ECONNREFUSED, naming the directory, its owner, a way out. */
static int
ls_check_refused(const struct ls_squat *q)
{
	struct qshm_stats	st;
	char			want[128];

	QT_CHECK_ERR(qshm_stats(&st), ECONNREFUSED);
	snprintf(want, sizeof want, "%s is owned by uid %d, not you",
	    q->dir, LS_SQUATTER);
	if (strstr(qshm_error_detail(), want) == NULL ||
	    strstr(qshm_error_detail(), "XDG_RUNTIME_DIR") == NULL ||
	    strstr(qshm_error_detail(), "QSHM_SOCKET") == NULL) {
		qt_fail(__FILE__, __LINE__, "detail \"%s\"",
		    qshm_error_detail());
		return (1);
	}
	return (0);
}

static int
ls_body_no_home(void *arg)
{
	const struct ls_squat	*q = arg;
	char			 squat[128];

	QT_CHECK_OK(ls_victim(q));
	snprintf(squat, sizeof squat, "%s/broker.sock", q->dir);
	unsetenv("HOME");
	QT_CHECK(strcmp(qshm_socket_path(), squat) == 0);
	QT_CHECK(ls_check_refused(q) == 0);
	/* A HOME that is not the victim's is no fallback either. */
	setenv("HOME", "/", 1);
	QT_CHECK(ls_check_refused(q) == 0);
	setenv("HOME", q->dir, 1);
	QT_CHECK(ls_check_refused(q) == 0);
	return (0);
}

/*
 * Squatted, and no HOME of the victim's to fall back to: a clear refusal
 * (whose directory it is, what to set), no broker started, nothing made.
 */
static void
test_squatted_no_home(void **state)
{
	struct ls_squat	q;

	(void)state;
	if (geteuid() != 0 || ls_system_broker())
		skip();
	ls_squat_setup(&q);
	assert_int_equal(qt_run(ls_body_no_home, &q), 0);
	ls_squat_teardown(&q);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_setuid_autostart),
		cmocka_unit_test(test_setuid_installed),
		cmocka_unit_test(test_squatted_home),
		cmocka_unit_test(test_squatted_no_home),
	};

	if (argc == 2 && strcmp(argv[1], LS_HELPER) == 0)
		return (ls_helper());
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
