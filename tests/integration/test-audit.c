/*
 * test-audit.c: the audit log never stalls the broker.  Standard error
 * as a pipe or a socket that nobody reads: grants and opens are served
 * all the same, and once there is room a "dropped" record counts the
 * lines lost.  An audit file replaced by a FIFO before a SIGHUP: the old
 * image refuses to restart into it and keeps serving; once the path is
 * sane again the restart goes ahead.  (Files another uid plants at start
 * are in tests/cli/test-cli-broker.sh.)
 */

#include <sys/socket.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"

/* Start a broker whose standard error is fd (ours stays ours). */
static void
ta_start(struct qt_broker *b, int fd, const char *const *extra)
{
	int	saved, rc;

	assert_true((saved = dup(STDERR_FILENO)) >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	rc = qt_broker_start(b, extra);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	assert_int_equal(rc, 0);
}

/* Write to fd (a pipe or socket) until it takes no more; left blocking. */
static void
ta_fill(int fd)
{
	char	buf[4096];
	int	fl;

	memset(buf, 'x', sizeof buf);
	assert_true((fl = fcntl(fd, F_GETFL)) != -1);
	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
	while (write(fd, buf, sizeof buf) > 0)
		;
	while (write(fd, buf, 1) == 1)
		;
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(fcntl(fd, F_SETFL, fl), 0);
}

/* Read what fd holds now, and forget it. */
static void
ta_drain(int fd)
{
	char	buf[65536];
	int	fl;

	assert_true((fl = fcntl(fd, F_GETFL)) != -1);
	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
	while (read(fd, buf, sizeof buf) > 0)
		;
	assert_int_equal(fcntl(fd, F_SETFL, fl), 0);
}

/* Read fd (bounded) until what came holds s; what came, or NULL. */
static const char *
ta_read_until(int fd, const char *s)
{
	static char	buf[65536];
	size_t		len = 0;
	ssize_t		n;
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	int64_t		deadline = qt_now_ms() + QT_TIMEOUT_MS;

	buf[0] = '\0';
	while (len < sizeof buf - 1 && qt_now_ms() < deadline) {
		if (poll(&pfd, 1, 50) != 1)
			continue;
		if ((n = read(fd, buf + len, sizeof buf - 1 - len)) <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, s) != NULL)
			return (buf);
	}
	fprintf(stderr, "wanted %s in: %s\n", s, buf);
	return (NULL);
}

/* A grant to this process and its open: two audit events. */
static int
ta_cycle(void *arg)
{
	shm_handle_t	h;
	int		fd, ofd;

	(void)arg;
	QT_CHECK((fd = qt_memfd(qt_page(), 'a')) >= 0);
	QT_CHECK_OK(shm_create_handle(fd, getpid(), O_RDONLY, &h, 0));
	QT_CHECK_OK(ofd = shm_open_handle(h, O_RDONLY));
	close(ofd);
	close(fd);
	return (0);
}

/*
 * --audit - with standard error full: the broker serves a grant and an
 * open, dropping their lines; the next line that fits says how many.
 */
static void
ta_stderr_full(bool sock)
{
	const char *const	extra[] = { "--audit", "-", NULL };
	struct qt_broker	b;
	const char		*got, *grant;
	int			p[2], rc;

	if (sock)
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM |
		    SOCK_CLOEXEC, 0, p), 0);
	else
		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	ta_fill(p[1]);
	ta_start(&b, p[1], extra);
	close(p[1]);
	rc = qt_run(ta_cycle, NULL);
	ta_drain(p[0]);		/* a broker stuck in write() goes on */
	assert_int_equal(rc, 0);
	assert_int_equal(qt_run(ta_cycle, NULL), 0);
	assert_non_null(got = ta_read_until(p[0], "\"event\":\"open\""));
	/* The first line: the two lost, then this cycle's own. */
	assert_non_null(strstr(got, "\"event\":\"dropped\",\"count\":2}\n"
	    "{\"time\":"));
	assert_non_null(grant = strstr(got, "\"event\":\"grant\""));
	assert_true(strstr(got, "dropped") < grant);
	assert_int_equal(qt_broker_stop(&b), 0);
	close(p[0]);
}

static void
test_audit_stderr_pipe(void **state)
{
	(void)state;
	ta_stderr_full(false);
}

static void
test_audit_stderr_socket(void **state)
{
	(void)state;
	ta_stderr_full(true);
}

/* Lines of path holding s. */
static int
ta_count(const char *path, const char *s)
{
	FILE	*f;
	char	 line[4096];
	int	 n = 0;

	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof line, f) != NULL)
		if (strstr(line, s) != NULL)
			n++;
	fclose(f);
	return (n);
}

/* Poll (bounded) until path holds a line with s. */
static bool
ta_wait_line(const char *path, const char *s)
{
	int64_t	deadline = qt_now_ms() + QT_TIMEOUT_MS;

	while (ta_count(path, s) < 1 && qt_now_ms() < deadline)
		qt_nap(5);
	return (ta_count(path, s) >= 1);
}

static uint64_t
ta_restarts(void)
{
	struct qshm_stats	s;

	memset(&s, 0, sizeof s);
	assert_ok(qshm_stats(&s));
	return (s.restarts);
}

/*
 * The audit file becomes a FIFO before a SIGHUP: the new image would
 * block or exit on it, so the old one stays, saying why, and serves;
 * the restart happens once the path is a file it may use again.
 */
static void
test_audit_fifo_at_restart(void **state)
{
	char			 dir[64] = "/tmp/qshm-audit-XXXXXX";
	char			 log[96], old[96], err[96], want[200];
	const char *const	 extra[] = { "--audit", log, NULL };
	struct qt_broker	 b;
	int			 efd, fd;
	bool			 said;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(log, sizeof log, "%s/audit.log", dir);
	snprintf(old, sizeof old, "%s/audit.old", dir);
	snprintf(err, sizeof err, "%s/stderr", dir);
	efd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(efd >= 0);
	ta_start(&b, efd, extra);
	close(efd);
	assert_int_equal(qt_run(ta_cycle, NULL), 0);
	assert_int_equal(rename(log, old), 0);
	assert_int_equal(mkfifo(log, 0600), 0);
	assert_int_equal(kill(b.pid, SIGHUP), 0);
	snprintf(want, sizeof want, "restart: %s: a FIFO, not a regular file",
	    log);
	said = ta_wait_line(err, want);
	/* An image blocked opening it for writing goes on (and fails). */
	if ((fd = open(log, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) != -1)
		close(fd);
	assert_true(said);
	assert_int_equal(qt_run(ta_cycle, NULL), 0);
	assert_int_equal(ta_restarts(), 0);
	assert_int_equal(ta_count(old, "\"event\":\"grant\""), 2);
	/* A file again: the restart goes ahead and logs there. */
	assert_int_equal(unlink(log), 0);
	assert_int_equal(kill(b.pid, SIGHUP), 0);
	for (int i = 0; i < 2000 && ta_restarts() != 1; i++)
		qt_nap(5);
	assert_int_equal(ta_restarts(), 1);
	assert_int_equal(qt_run(ta_cycle, NULL), 0);
	assert_int_equal(ta_count(log, "\"event\":\"grant\""), 1);
	assert_int_equal(qt_broker_stop(&b), 0);
	unlink(log);
	unlink(old);
	unlink(err);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_stderr_pipe),
		cmocka_unit_test(test_audit_stderr_socket),
		cmocka_unit_test(test_audit_fifo_at_restart),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
