/*
 * bench-exec.c: the figures of whole commands.  map-dump of a 256 MiB
 * object against xxd and hexdump -C reading the same bytes (outputs
 * compared byte for byte in the same run), and start-up of qshmctl
 * against lsipc and ipcs with 1000 objects on each side.
 */

#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qshm.h"
#include "bench.h"

#define EXEC_OBJECTS	1000
#define EXEC_CHUNK	(1024 * 1024)

static int	exec_shmids[EXEC_OBJECTS];
static int	exec_nshmids;

/* Start argv pinned to cpu with stdout on out; returns its pid. */
static pid_t
exec_spawn(const char *const *argv, int cpu, int out)
{
	pid_t	pid;

	if ((pid = fork()) == -1)
		bench_die("fork");
	if (pid == 0) {
		bench_pin(0, cpu);
		if (dup2(out, STDOUT_FILENO) == -1)
			_exit(127);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "bench: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return (pid);
}

/* Wall time of one run of argv, output to /dev/null. */
static uint64_t
exec_time(const char *const *argv, int cpu)
{
	uint64_t	t0;
	pid_t		pid;
	int		null;

	if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1)
		bench_die("/dev/null");
	t0 = bench_ns();
	pid = exec_spawn(argv, cpu, null);
	bench_wait(pid, argv[0]);
	t0 = bench_ns() - t0;
	close(null);
	return (t0);
}

/* The q-quantile of n runs' wall times (0: the best). */
static uint64_t
exec_quantile(const char *const *argv, int cpu, size_t n, double q)
{
	uint64_t	*v = calloc(n, sizeof *v), m;
	size_t		 i;

	if (v == NULL)
		bench_die("calloc");
	for (i = 0; i < n; i++)
		v[i] = exec_time(argv, cpu);
	m = bench_quantile(v, n, q);
	free(v);
	return (m);
}

/* Median wall time of n runs. */
static uint64_t
exec_median(const char *const *argv, int cpu, size_t n)
{
	return (exec_quantile(argv, cpu, n, 0.5));
}

/* Read exactly n bytes unless EOF comes first; returns the count. */
static size_t
exec_read(int fd, char *buf, size_t n)
{
	size_t	done = 0;
	ssize_t	r;

	while (done < n) {
		if ((r = read(fd, buf + done, n - done)) == -1 &&
		    errno == EINTR)
			continue;
		if (r == -1)
			bench_die("read");
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (done);
}

/* Whether two commands print the same bytes (streamed, not stored). */
static bool
exec_same_output(const char *const *a, const char *const *b)
{
	static char	ba[EXEC_CHUNK], bb[EXEC_CHUNK];
	int		pa[2], pb[2];
	pid_t		ia, ib;
	size_t		na, nb;
	bool		same = true;

	if (pipe2(pa, O_CLOEXEC) == -1 || pipe2(pb, O_CLOEXEC) == -1)
		bench_die("pipe");
	ia = exec_spawn(a, 0, pa[1]);
	ib = exec_spawn(b, bench_cpu(1), pb[1]);
	close(pa[1]);
	close(pb[1]);
	do {
		na = exec_read(pa[0], ba, sizeof ba);
		nb = exec_read(pb[0], bb, sizeof bb);
		if (na != nb || memcmp(ba, bb, na) != 0)
			same = false;
	} while (same && na == sizeof ba);
	close(pa[0]);
	close(pb[0]);
	if (!same) {
		kill(ia, SIGTERM);
		kill(ib, SIGTERM);
		waitpid(ia, NULL, 0);
		waitpid(ib, NULL, 0);
	} else {
		bench_wait(ia, a[0]);
		bench_wait(ib, b[0]);
	}
	return (same);
}

/* Bytes with some of everything: random, text, and a run of zeros. */
static void
exec_fill(int fd, size_t size)
{
	static uint64_t	buf[EXEC_CHUNK / 8];
	uint64_t	x = 0x9e3779b97f4a7c15ULL;
	size_t		off, i;

	for (off = 0; off < size; off += sizeof buf) {
		for (i = 0; i < sizeof buf / 8; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = x;
		}
		if (off == sizeof buf)
			memset(buf, 0, sizeof buf);
		else if (off == 2 * sizeof buf)
			for (i = 0; i < sizeof buf; i++)
				((char *)buf)[i] = (char)(' ' + i % 95);
		if (pwrite(fd, buf, sizeof buf, (off_t)off) != sizeof buf)
			bench_die("fill");
	}
}

static void
exec_dump_row(const char *fig, const char *bname, uint64_t q, uint64_t b,
    bool same, double target)
{
	struct bench_row	*r;

	r = bench_row(fig, "command CPU0");
	bench_fmt_ns(r->value, sizeof r->value, (double)q);
	snprintf(r->baseline, sizeof r->baseline, "%s, %s", bname,
	    same ? "same output" : "OUTPUT DIFFERS");
	bench_fmt_ns(r->base_value, sizeof r->base_value, (double)b);
	/* Here the ratio is a speed-up: the baseline's time over ours. */
	r->ratio = same ? (double)b / (double)q : 0;
	r->goal = BENCH_GOAL_RATIO_GE;
	r->target = target;
}

/* Section 4: map-dump against xxd and hexdump -C on the same bytes. */
void
bench_dump(void)
{
	char		 name[64], path[128], fig[48];
	size_t		 size = (bench.quick ? 32 : 256) * (size_t)EXEC_CHUNK;
	const char	*q[] = { bench.qshmctl, "map-dump", name, "--format",
			    "xxd", NULL };
	const char	*x[] = { "xxd", path, NULL };
	const char	*h[] = { "hexdump", "-C", path, NULL };
	uint64_t	 tq, tb;
	bool		 same;
	int		 fd;

	snprintf(name, sizeof name, "/qshm-bench-%ld", (long)getpid());
	snprintf(path, sizeof path, "/dev/shm%s", name);
	if ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) == -1)
		bench_die("%s", name);
	exec_fill(fd, size);
	close(fd);
	snprintf(fig, sizeof fig, "map-dump %zu MiB, xxd", size >> 20);
	/* Best runs: other load on the machine only ever adds time. */
	same = exec_same_output(q, x);
	tq = exec_quantile(q, 0, 5, 0);
	tb = exec_quantile(x, 0, 2, 0);
	exec_dump_row(fig, "xxd", tq, tb, same, 10);
	q[4] = "canonical";
	snprintf(fig, sizeof fig, "map-dump %zu MiB, canonical", size >> 20);
	same = exec_same_output(q, h);
	tq = exec_quantile(q, 0, 5, 0);
	tb = exec_time(h, 0);
	exec_dump_row(fig, "hexdump -C", tq, tb, same, 50);
	shm_unlink(name);
}

static void
exec_shm_remove(void)
{
	while (exec_nshmids > 0)
		(void)shmctl(exec_shmids[--exec_nshmids], IPC_RMID, NULL);
}

/* As many System V segments as qshm objects, for lsipc and ipcs. */
static void
exec_shm_make(void)
{
	int	id;

	atexit(exec_shm_remove);
	while (exec_nshmids < EXEC_OBJECTS) {
		if ((id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600)) == -1)
			bench_die("shmget");
		exec_shmids[exec_nshmids++] = id;
	}
}

/* Park EXEC_OBJECTS anonymous objects in the broker (from a child). */
static void
exec_park(void)
{
	uint32_t	id;
	pid_t		pid;
	int		i, fd;

	if ((pid = fork()) == -1)
		bench_die("fork");
	if (pid == 0) {
		for (i = 0; i < EXEC_OBJECTS; i++) {
			if ((fd = memfd_create("qshm-bench-list", MFD_CLOEXEC))
			    == -1 || ftruncate(fd, 4096) == -1 ||
			    qshm_park(fd, &id) == -1)
				bench_die("park %d", i);
			close(fd);
		}
		_exit(0);
	}
	bench_wait(pid, "park");
}

static void
exec_start_row(const char *fig, const char *placement, const char *bname,
    uint64_t q, uint64_t b, bool goal)
{
	struct bench_row	*r;

	r = bench_row(fig, placement);
	bench_fmt_ns(r->value, sizeof r->value, (double)q);
	snprintf(r->baseline, sizeof r->baseline, "%s", bname);
	bench_fmt_ns(r->base_value, sizeof r->base_value, (double)b);
	r->ratio = (double)q / (double)b;
	if (goal) {
		r->goal = BENCH_GOAL_RATIO_LE;
		r->target = 1.0;
	}
}

/* Section 5: start-up against lsipc and ipcs -m, 1000 objects each. */
void
bench_startup(void)
{
	static const char	*opts[] = { NULL };
	const char		*qv[] = { bench.qshmctl, "--version", NULL };
	const char		*ql[] = { bench.qshmctl, "--json", "list",
				    NULL };
	const char		*lv[] = { "lsipc", "--version", NULL };
	const char		*ll[] = { "lsipc", "-m", "--json", NULL };
	const char		*im[] = { "ipcs", "-m", NULL };
	struct bench_broker	 b;
	size_t			 n = bench.quick ? 20 : 200;
	uint64_t		 tq, tl, ti;
	int			 p;

	tq = exec_median(qv, 0, n);
	tl = exec_median(lv, 0, n);
	exec_start_row("start-up, --version", "command CPU0",
	    "lsipc --version", tq, tl, true);
	bench_broker_start(&b, "startup", 0, opts);
	exec_park();
	exec_shm_make();
	for (p = 0; p < 2; p++) {
		bench_pin(b.pid, bench_cpu(p));
		tq = exec_median(ql, 0, n);
		tl = exec_median(ll, 0, n);
		ti = exec_median(im, 0, n);
		exec_start_row("start-up, list --json, 1000 obj",
		    p == 0 ? "same CPU (all 0)" : "across (cmd 0, B1)",
		    "lsipc -m --json, 1000 seg", tq, tl, true);
		exec_start_row("start-up, list --json, 1000 obj",
		    p == 0 ? "same CPU (all 0)" : "across (cmd 0, B1)",
		    "ipcs -m, 1000 seg", tq, ti, false);
	}
	exec_shm_remove();
	bench_broker_stop(&b);
}
