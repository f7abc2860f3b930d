/*
 * test-load.c: 256 client processes in a ring, each granting handles to
 * the next (passed through a small pipe), opening what the previous one
 * sent, and deleting what it cannot pass on, for $QSHM_LOAD_SECONDS (5;
 * CI runs 30).  Every handle is opened exactly once or deleted: the
 * processes' counts add up to the broker's, nothing is pending at the
 * end, every open gives the sender's object, and an opened handle cannot
 * be opened again.  The broker's fds and RSS come back to their baseline.
 * Worker 0 runs with a handle limit of 4 to provoke quota errors (EAGAIN),
 * the only errors allowed.
 */

#include <sys/mman.h>
#include <sys/resource.h>
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

#define TL_WORKERS	256

struct tl_counts {
	uint64_t	granted, opened, deleted, quota, errors, twice;
	uint64_t	wrong;		/* an open that gave another object */
};

struct tl_shared {
	atomic_int		done;		/* workers past granting */
	struct tl_counts	c[TL_WORKERS];
};

struct tl_worker {
	int			 i;
	int			 in;		/* from the previous worker */
	int			 out;		/* to the next */
	int			 start;		/* the next one's pid, then go */
	int			 seconds;
	struct tl_shared	*sh;
	int			(*pipes)[2];	/* everyone's, to close */
	int			(*starts)[2];
};

/* Open one handle from the previous worker; check it, try it twice. */
static void
tl_open(struct tl_worker *w, struct tl_counts *c, shm_handle_t h)
{
	unsigned char	b = 0;
	int		fd, prev = (w->i + TL_WORKERS - 1) % TL_WORKERS;

	if ((fd = shm_open_handle(h, O_RDONLY)) == -1) {
		c->errors++;
		return;
	}
	c->opened++;
	if (pread(fd, &b, 1, 0) != 1 || b != (unsigned char)prev)
		c->wrong++;
	close(fd);
	/* Rarely: a replay is a failed lookup, which the broker rations. */
	if (c->opened == 1 && (fd = shm_open_handle(h, O_RDONLY)) != -1) {
		c->twice++;
		close(fd);
	}
}

/* Open whatever arrived; all of it once `all` (the others are done). */
static void
tl_drain(struct tl_worker *w, struct tl_counts *c, bool all)
{
	shm_handle_t	h;
	ssize_t		n;
	bool		fin;

	for (;;) {
		/* Sampled before the read: then empty means empty for good. */
		fin = all && atomic_load(&w->sh->done) == TL_WORKERS;
		n = read(w->in, &h, sizeof h);
		if (n == (ssize_t)sizeof h) {
			tl_open(w, c, h);
			continue;
		}
		if (n != -1 || errno != EAGAIN || fin || !all)
			return;
		qt_nap(1);
	}
}

static void
tl_grant(struct tl_worker *w, struct tl_counts *c, int fd, pid_t next)
{
	shm_handle_t	h;

	if (shm_create_handle(fd, next, O_RDONLY, &h, 0) == -1) {
		if (errno == EAGAIN && w->i == 0)
			c->quota++;
		else
			c->errors++;
		return;
	}
	c->granted++;
	if (write(w->out, &h, sizeof h) == (ssize_t)sizeof h)
		return;
	/* The pipe is full: nobody will open it, so delete it. */
	if (shm_delete_handle(h) == 0)
		c->deleted++;
	else
		c->errors++;
}

/* Worker 0: a limit of 4 pending handles, and a fifth grant refused. */
static int
tl_quota(struct tl_counts *c, int fd)
{
	struct rlimit	rl = { 4, 4 };
	shm_handle_t	h[4], x;
	int		i;

	if (qshm_setrlimit(RLIMIT_SHM_HANDLES_NP, &rl) == -1)
		return (-1);
	for (i = 0; i < 4; i++) {
		if (shm_create_handle(fd, getpid(), O_RDONLY, &h[i], 0) == -1)
			return (-1);
		c->granted++;
	}
	if (shm_create_handle(fd, getpid(), O_RDONLY, &x, 0) != -1 ||
	    errno != EAGAIN)
		return (-1);
	c->quota++;
	for (i = 0; i < 4; i++) {
		if (shm_delete_handle(h[i]) == -1)
			return (-1);
		c->deleted++;
	}
	return (0);
}

/* Close the ring's fds that are not this worker's. */
static void
tl_close_others(const struct tl_worker *w)
{
	int	i, j;

	for (i = 0; i < TL_WORKERS; i++) {
		for (j = 0; j < 2; j++) {
			if (w->pipes[i][j] != w->in &&
			    w->pipes[i][j] != w->out)
				close(w->pipes[i][j]);
			if (w->starts[i][j] != w->start)
				close(w->starts[i][j]);
		}
	}
}

static int
tl_worker(void *arg)
{
	struct tl_worker	*w = arg;
	struct tl_counts	*c = &w->sh->c[w->i];
	uint64_t		 next;
	int64_t			 deadline;
	int			 fd;

	tl_close_others(w);
	if ((fd = qt_memfd(qt_page(), (unsigned char)w->i)) == -1 ||
	    qt_recv_u64(w->start, &next) == -1)
		return (1);
	/* From the go, so slow forks (sanitizers) do not eat the time. */
	deadline = qt_now_ms() + w->seconds * 1000;
	if (w->i == 0 && tl_quota(c, fd) == -1)
		return (1);
	fcntl(w->in, F_SETFL, O_NONBLOCK);
	fcntl(w->out, F_SETFL, O_NONBLOCK);
	while (qt_now_ms() < deadline) {
		tl_grant(w, c, fd, (pid_t)next);
		tl_drain(w, c, false);
	}
	atomic_fetch_add(&w->sh->done, 1);
	tl_drain(w, c, true);
	close(fd);
	return (0);
}

/*
 * Reap pid within seconds plus the usual bound (qt_wait()'s alone is
 * shorter than a 30 s run); its exit status, or -1 (killed after it).
 */
static int
tl_wait(pid_t pid, int seconds)
{
	int64_t	deadline = qt_now_ms() + seconds * 1000 + 3 * QT_TIMEOUT_MS;
	int	status;
	pid_t	r;

	while ((r = waitpid(pid, &status, WNOHANG)) == 0 &&
	    qt_now_ms() < deadline)
		qt_nap(5);
	if (r != pid) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return (-1);
	}
	return (WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
	    WTERMSIG(status));
}

/* VmRSS of pid in KiB. */
static long
tl_rss(pid_t pid)
{
	char	path[64], line[256];
	FILE	*f;
	long	kb = -1;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return (kb);
}

/* Whether pid runs with ASan, whose quarantine makes RSS meaningless. */
static bool
tl_sanitized(pid_t pid)
{
	char	path[64], line[512];
	FILE	*f;
	bool	asan = false;

	snprintf(path, sizeof path, "/proc/%ld/maps", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (false);
	while (!asan && fgets(line, sizeof line, f) != NULL)
		asan = strstr(line, "libasan") != NULL;
	fclose(f);
	return (asan);
}

/* Run the ring for seconds; 0 if every count adds up. */
static int
tl_ring(struct tl_shared *sh, int seconds)
{
	struct tl_worker	w;
	struct qshm_stats	s0, s1;
	struct tl_counts	t;
	pid_t			pids[TL_WORKERS];
	int			p[TL_WORKERS][2], st[TL_WORKERS][2], i, bad = 0;

	memset(sh, 0, sizeof *sh);
	memset(&t, 0, sizeof t);
	if (qshm_stats(&s0) == -1)
		return (-1);
	for (i = 0; i < TL_WORKERS; i++) {
		if (pipe2(p[i], O_CLOEXEC) == -1 ||
		    pipe2(st[i], O_CLOEXEC) == -1)
			return (-1);
		fcntl(p[i][1], F_SETPIPE_SZ, 4096);
	}
	w.seconds = seconds;
	w.sh = sh;
	w.pipes = p;
	w.starts = st;
	for (i = 0; i < TL_WORKERS; i++) {
		w.i = i;
		w.in = p[i][0];
		w.out = p[(i + 1) % TL_WORKERS][1];
		w.start = st[i][0];
		if ((pids[i] = qt_fork(tl_worker, &w)) == -1)
			return (-1);
	}
	for (i = 0; i < TL_WORKERS; i++) {
		qt_send_u64(st[i][1], (uint64_t)pids[(i + 1) % TL_WORKERS]);
		close(st[i][0]);
		close(st[i][1]);
		close(p[i][0]);
		close(p[i][1]);
	}
	for (i = 0; i < TL_WORKERS; i++)
		if (tl_wait(pids[i], seconds) != 0)
			bad++;
	for (i = 0; i < TL_WORKERS; i++) {
		t.granted += sh->c[i].granted;
		t.opened += sh->c[i].opened;
		t.deleted += sh->c[i].deleted;
		t.quota += sh->c[i].quota;
		t.errors += sh->c[i].errors;
		t.twice += sh->c[i].twice;
		t.wrong += sh->c[i].wrong;
	}
	if (qshm_stats(&s1) == -1)
		return (-1);
	fprintf(stderr, "load: %d s: %lu grants, %lu opens, %lu deletes, "
	    "%lu quota errors, %lu other errors\n", seconds,
	    (unsigned long)t.granted, (unsigned long)t.opened,
	    (unsigned long)t.deleted, (unsigned long)t.quota,
	    (unsigned long)t.errors);
	QT_CHECK_EQ(bad, 0);
	QT_CHECK_EQ(t.errors, 0);
	QT_CHECK_EQ(t.twice, 0);
	QT_CHECK_EQ(t.wrong, 0);
	QT_CHECK(t.quota > 0);
	QT_CHECK(t.opened > 0);
	/* Each handle opened exactly once or deleted; none left, none lost. */
	QT_CHECK_EQ(t.granted, t.opened + t.deleted);
	QT_CHECK_EQ(s1.grants - s0.grants, t.granted);
	QT_CHECK_EQ(s1.opens - s0.opens, t.opened);
	QT_CHECK_EQ(s1.deletes - s0.deletes, t.deleted);
	QT_CHECK_EQ(s1.reclaimed - s0.reclaimed, 0);
	QT_CHECK_EQ(s1.handles, 0);
	return (0);
}

static int
tl_body(void *arg)
{
	struct qt_broker	*b = arg;
	struct tl_shared	*sh;
	const char		*env = getenv("QSHM_LOAD_SECONDS");
	int			 seconds = env != NULL ? atoi(env) : 5;
	int			 fds0, fds1;
	long			 rss0, rss1;

	struct rlimit		 rl;

	if (seconds < 1)
		seconds = 1;
	/* The ring's 1024 pipe ends pass through here. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	QT_CHECK(sh != MAP_FAILED);
	/* A short warm-up sizes the broker's tables and heap. */
	QT_CHECK_OK(tl_ring(sh, 1));
	fds0 = qt_count_fds(b->pid);
	rss0 = tl_rss(b->pid);
	QT_CHECK_OK(tl_ring(sh, seconds));
	fds1 = qt_wait_fds(b->pid, fds0);
	rss1 = tl_rss(b->pid);
	fprintf(stderr, "broker: %d fds before, %d after; RSS %ld KiB "
	    "before, %ld after\n", fds0, fds1, rss0, rss1);
	QT_CHECK_EQ(fds1, fds0);
	/* Back to its baseline, give or take the allocator's slack. */
	if (!tl_sanitized(b->pid))
		QT_CHECK(rss1 <= rss0 + 1024);
	munmap(sh, sizeof *sh);
	return (0);
}

/* 256 processes grant, open and delete for a while: nothing lost. */
static void
test_load(void **state)
{
	const char		*extra[] = { "--max-handles-per-uid", "1000000",
				    NULL };
	struct qt_broker	 b;
	int			 status, stop;

	(void)state;
	const char		*env = getenv("QSHM_LOAD_SECONDS");
	pid_t			 pid;

	assert_int_equal(qt_broker_start(&b, extra), 0);
	pid = qt_fork(tl_body, &b);
	status = pid == -1 ? -1 : tl_wait(pid, 1 + (env != NULL ?
	    atoi(env) : 5));
	stop = qt_broker_stop(&b);
	assert_int_equal(status, 0);
	assert_int_equal(stop, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
