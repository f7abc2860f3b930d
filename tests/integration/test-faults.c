/*
 * test-faults.c: the broker dies under load.  kill -9: clients busy with
 * grants and opens get a clear errno (never a hang or a SIGPIPE death),
 * their next call autostarts a new broker, and named objects keep their
 * data.  SIGTERM: the broker exits 0 and removes its socket and lock; the
 * next call starts a new one.
 */

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"

#define TF_CLIENTS	8

struct tf_shared {
	atomic_int	phase;		/* 1: kill now; 2: stop */
	atomic_int	failed;		/* calls that failed after the kill */
	atomic_int	bad_errno;
	atomic_int	after;		/* calls that worked after the kill */
	atomic_int	busy;		/* cycles done before it */
};

/* Errnos a call may fail with when its broker dies under it. */
static bool
tf_clear(int e)
{
	return (e == ECONNRESET || e == EPIPE || e == ECONNREFUSED ||
	    e == ESRCH || e == ENOTCONN);
}

/* A busy client: grant to itself and open, until told to stop. */
static int
tf_client(void *arg)
{
	struct tf_shared	*sh = arg;
	struct qshm_stats	 st;
	shm_handle_t		 h;
	int			 fd, o;

	if ((fd = qt_memfd(qt_page(), 'c')) == -1)
		return (1);
	while (atomic_load(&sh->phase) < 2) {
		if (shm_create_handle(fd, getpid(), O_RDONLY, &h, 0) == -1 ||
		    (o = shm_open_handle(h, O_RDONLY)) == -1) {
			if (!tf_clear(errno))
				atomic_fetch_add(&sh->bad_errno, 1);
			atomic_fetch_add(&sh->failed, 1);
			continue;
		}
		close(o);
		if (atomic_load(&sh->phase) == 0)
			atomic_fetch_add(&sh->busy, 1);
		else if (atomic_load(&sh->phase) == 1 && qshm_stats(&st) == 0)
			atomic_fetch_add(&sh->after, 1);
	}
	close(fd);
	return (0);
}

static int
tf_wait_broker(pid_t old, struct qshm_stats *st)
{
	int64_t	deadline = qt_now_ms() + QT_TIMEOUT_MS;

	while (qt_now_ms() < deadline) {
		if (qshm_stats(st) == 0 && (pid_t)st->pid != old)
			return (0);
		qt_nap(10);
	}
	return (-1);
}

static int
tf_body_kill9(void *arg)
{
	struct tf_shared	*sh;
	struct qshm_stats	 st, st2;
	char			 dir[] = "/tmp/qshm-faults-XXXXXX", sock[128];
	unsigned char		*p;
	pid_t			 pids[TF_CLIENTS];
	int			 i, fd, bad = 0;

	(void)arg;
	QT_CHECK(mkdtemp(dir) != NULL);
	snprintf(sock, sizeof sock, "%s/broker.sock", dir);
	setenv("QSHM_SOCKET", sock, 1);
	unsetenv("QSHM_AUTOSTART");
	setenv("QSHM_BROKER", qt_qshmctl(), 1);
	/* Autostarted brokers become our children, to be reaped. */
	QT_CHECK_OK(prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L));
	/* A named object with data, and a broker that knows it. */
	shm_unlink(qt_shm_name("qshm-faults"));
	QT_CHECK((fd = shm_open(qt_shm_name("qshm-faults"), O_RDWR | O_CREAT | O_EXCL,
	    0600)) >= 0);
	QT_CHECK_OK(ftruncate(fd, (off_t)qt_page()));
	QT_CHECK_OK(pwrite(fd, "intact", 6, 100));
	QT_CHECK_OK(qshm_stats(&st));
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	QT_CHECK(sh != MAP_FAILED);
	memset(sh, 0, sizeof *sh);
	for (i = 0; i < TF_CLIENTS; i++)
		QT_CHECK((pids[i] = qt_fork(tf_client, sh)) > 0);
	{
		int64_t	deadline = qt_now_ms() + QT_TIMEOUT_MS;

		while (atomic_load(&sh->busy) < 50 * TF_CLIENTS &&
		    qt_now_ms() < deadline)
			qt_nap(2);
	}
	QT_CHECK_OK(kill((pid_t)st.pid, SIGKILL));
	QT_CHECK_EQ(qt_wait((pid_t)st.pid), 128 + SIGKILL);
	atomic_store(&sh->phase, 1);
	/* Each client fails clearly at most a little, then is served anew. */
	{
		int64_t	deadline = qt_now_ms() + QT_TIMEOUT_MS;

		while (atomic_load(&sh->after) < 100 * TF_CLIENTS &&
		    qt_now_ms() < deadline)
			qt_nap(5);
	}
	atomic_store(&sh->phase, 2);
	for (i = 0; i < TF_CLIENTS; i++)
		if (qt_wait(pids[i]) != 0)
			bad++;
	fprintf(stderr, "kill -9: %d calls failed clearly, %d served after; "
	    "broker %u\n", atomic_load(&sh->failed),
	    atomic_load(&sh->after), st.pid);
	QT_CHECK_EQ(bad, 0);		/* no SIGPIPE death, no hang */
	QT_CHECK_EQ(atomic_load(&sh->bad_errno), 0);
	QT_CHECK(atomic_load(&sh->after) >= 100 * TF_CLIENTS);
	QT_CHECK_OK(tf_wait_broker((pid_t)st.pid, &st2));
	QT_CHECK((pid_t)st2.pid != (pid_t)st.pid);
	/* The named object and its data are as they were. */
	close(fd);
	QT_CHECK((fd = shm_open(qt_shm_name("qshm-faults"), O_RDONLY, 0)) >= 0);
	p = mmap(NULL, qt_page(), PROT_READ, MAP_SHARED, fd, 0);
	QT_CHECK(p != MAP_FAILED);
	QT_CHECK(memcmp(p + 100, "intact", 6) == 0);
	munmap(p, qt_page());
	close(fd);
	shm_unlink(qt_shm_name("qshm-faults"));
	/* SIGTERM drains: exit 0, socket and lock gone; then a new one. */
	QT_CHECK_OK(kill((pid_t)st2.pid, SIGTERM));
	QT_CHECK_EQ(qt_wait((pid_t)st2.pid), 0);
	QT_CHECK_ERR(access(sock, F_OK), ENOENT);
	{
		char	lock[140];

		snprintf(lock, sizeof lock, "%s.lock", sock);
		QT_CHECK_ERR(access(lock, F_OK), ENOENT);
	}
	QT_CHECK_OK(tf_wait_broker((pid_t)st2.pid, &st));
	QT_CHECK_OK(kill((pid_t)st.pid, SIGTERM));
	QT_CHECK_EQ(qt_wait((pid_t)st.pid), 0);
	QT_CHECK_OK(rmdir(dir));
	munmap(sh, sizeof *sh);
	return (0);
}

/* kill -9 under load, autostart, intact objects; then SIGTERM. */
static void
test_kill9_then_term(void **state)
{
	(void)state;
	assert_int_equal(qt_run(tf_body_kill9, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill9_then_term),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
