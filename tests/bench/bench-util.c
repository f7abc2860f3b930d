/*
 * bench-util.c: pinning, clocks, quantiles, child processes, the brokers
 * a figure runs against, and the table every figure ends up in.
 */

#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qshm.h"
#include "bench.h"

static struct bench_row	bench_rows[BENCH_MAX_ROWS];
static size_t		bench_nrows;

/* Print a message and exit 1. */
void
bench_die(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	fputs("bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (saved != 0)
		fprintf(stderr, ": %s", strerror(saved));
	fputc('\n', stderr);
	exit(1);
}

/* Pin pid (0: self) to one CPU; exits on failure (a figure needs it). */
void
bench_pin(pid_t pid, int cpu)
{
	cpu_set_t	set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(pid, sizeof set, &set) == -1)
		bench_die("sched_setaffinity %ld to CPU %d", (long)pid, cpu);
}

/* The CPU for a placement slot: 0, or 1 when there are two CPUs. */
int
bench_cpu(int slot)
{
	return (bench.ncpu > 1 ? slot : 0);
}

/* Monotonic nanoseconds. */
uint64_t
bench_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec);
}

static int
bench_cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

/* Sort samples and return the q-quantile (0.5 median, 0.99 p99). */
uint64_t
bench_quantile(uint64_t *v, size_t n, double q)
{
	size_t	i;

	if (n == 0)
		return (0);
	qsort(v, n, sizeof *v, bench_cmp_u64);
	i = (size_t)(q * (double)(n - 1) + 0.5);
	return (v[i < n ? i : n - 1]);
}

/* A zeroed shared anonymous mapping, for children to report in. */
void *
bench_shared(size_t len)
{
	void	*p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		bench_die("mmap %zu", len);
	return (p);
}

/* Wait for a child; dies unless it exited 0. */
void
bench_wait(pid_t pid, const char *what)
{
	int	st;

	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			bench_die("waitpid %s", what);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		errno = 0;
		bench_die("%s failed (status 0x%x)", what, st);
	}
}

/* Format a duration or a rate into buf. */
const char *
bench_fmt_ns(char *buf, size_t size, double ns)
{
	if (ns < 1e4)
		snprintf(buf, size, "%.2f us", ns / 1e3);
	else if (ns < 1e6)
		snprintf(buf, size, "%.1f us", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, size, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, size, "%.2f s", ns / 1e9);
	return (buf);
}

/* Format a duration or a rate into buf. */
const char *
bench_fmt_rate(char *buf, size_t size, double per_s)
{
	if (per_s >= 1e6)
		snprintf(buf, size, "%.2fM/s", per_s / 1e6);
	else if (per_s >= 1e3)
		snprintf(buf, size, "%.1fk/s", per_s / 1e3);
	else
		snprintf(buf, size, "%.0f/s", per_s);
	return (buf);
}

/* Format a duration or a rate into buf. */
const char *
bench_fmt_bytes(char *buf, size_t size, double b)
{
	if (b >= 1024.0 * 1024 * 1024)
		snprintf(buf, size, "%.2f GiB", b / (1024.0 * 1024 * 1024));
	else if (b >= 1024.0 * 1024)
		snprintf(buf, size, "%.1f MiB", b / (1024.0 * 1024));
	else if (b >= 10240)
		snprintf(buf, size, "%.0f KiB", b / 1024);
	else
		snprintf(buf, size, "%.0f B", b);
	return (buf);
}

/* Add a row to the table. */
struct bench_row *
bench_row(const char *figure, const char *placement)
{
	struct bench_row	*r;

	if (bench_nrows == BENCH_MAX_ROWS) {
		errno = 0;
		bench_die("too many rows");
	}
	r = &bench_rows[bench_nrows++];
	memset(r, 0, sizeof *r);
	snprintf(r->figure, sizeof r->figure, "%s", figure);
	snprintf(r->placement, sizeof r->placement, "%s", placement);
	r->ratio = -1;
	return (r);
}

static const char *
bench_verdict(const struct bench_row *r)
{
	double	v;

	switch (r->goal) {
	case BENCH_GOAL_RATIO_LE:
		return (r->ratio <= r->target ? "met" : "MISSED");
	case BENCH_GOAL_RATIO_GE:
		return (r->ratio >= r->target ? "met" : "MISSED");
	case BENCH_GOAL_VALUE_LE:
		v = strtod(r->value, NULL);
		return (v <= r->target ? "met" : "MISSED");
	default:
		return ("");
	}
}

static void
bench_target(const struct bench_row *r, char *buf, size_t size)
{
	switch (r->goal) {
	case BENCH_GOAL_RATIO_LE:
		snprintf(buf, size, "<= %.2gx", r->target);
		break;
	case BENCH_GOAL_RATIO_GE:
		snprintf(buf, size, ">= %.2gx", r->target);
		break;
	case BENCH_GOAL_VALUE_LE:
		snprintf(buf, size, "<= %.0f %s", r->target, r->unit);
		break;
	default:
		buf[0] = '\0';
	}
}

static void
bench_ratio(const struct bench_row *r, char *buf, size_t size)
{
	if (r->ratio < 0)
		snprintf(buf, size, "-");
	else if (r->ratio >= 100)
		snprintf(buf, size, "%.0fx", r->ratio);
	else
		snprintf(buf, size, "%.2fx", r->ratio);
}

#define BENCH_FMT	"%-36s %-20s %11s  %-26s %11s %8s  %-9s %s\n"

/* Print the table (and write it as markdown to fp if not NULL). */
void
bench_print(void *fpv)
{
	FILE			*fp = fpv;
	const struct bench_row	*r;
	char			 ratio[16], target[24];
	size_t			 i;

	printf(BENCH_FMT, "figure", "placement", "qshm", "baseline", "base",
	    "ratio", "target", "");
	if (fp != NULL)
		fprintf(fp, "| figure | placement | qshm | baseline | base | "
		    "ratio | target | |\n|---|---|--:|---|--:|--:|---|---|\n");
	for (i = 0; i < bench_nrows; i++) {
		r = &bench_rows[i];
		bench_ratio(r, ratio, sizeof ratio);
		bench_target(r, target, sizeof target);
		printf(BENCH_FMT, r->figure, r->placement, r->value,
		    r->baseline, r->base_value, ratio, target,
		    bench_verdict(r));
		if (fp != NULL)
			fprintf(fp, "| %s | %s | %s | %s | %s | %s | %s | %s "
			    "|\n", r->figure, r->placement, r->value,
			    r->baseline, r->base_value, ratio, target,
			    bench_verdict(r));
	}
	fflush(stdout);
}

static void
bench_broker_exec(const char *socket, const char *const *opts)
{
	const char	*argv[32];
	size_t		 n = 0;

	argv[n++] = bench.qshmctl;
	argv[n++] = "broker";
	argv[n++] = "--daemon";
	argv[n++] = "--socket";
	argv[n++] = socket;
	while (opts != NULL && *opts != NULL && n < 31)
		argv[n++] = *opts++;
	argv[n] = NULL;
	execv(bench.qshmctl, (char *const *)argv);
	_exit(127);
}

/* The broker's pid, asked by a child: this process never connects. */
static pid_t
bench_broker_pid(const char *name)
{
	struct qshm_stats	 st;
	pid_t			*shared = bench_shared(sizeof *shared), pid;

	if ((pid = fork()) == -1)
		bench_die("fork");
	if (pid == 0) {
		if (qshm_stats(&st) == -1)
			bench_die("broker %s: stats", name);
		*shared = (pid_t)st.pid;
		_exit(0);
	}
	bench_wait(pid, "qshm_stats");
	pid = *shared;
	munmap(shared, sizeof *shared);
	return (pid);
}

/* Start `qshmctl broker` pinned to cpu with extra options (NULL-ended). */
void
bench_broker_start(struct bench_broker *b, const char *name, int cpu,
    const char *const *opts)
{
	pid_t	pid;

	snprintf(b->socket, sizeof b->socket, "%s/%s.sock", bench.dir, name);
	if ((pid = fork()) == -1)
		bench_die("fork");
	if (pid == 0) {
		bench_pin(0, cpu);
		bench_broker_exec(b->socket, opts);
	}
	/* --daemon returns once the broker listens. */
	bench_wait(pid, "qshmctl broker --daemon");
	setenv("QSHM_SOCKET", b->socket, 1);
	b->pid = bench_broker_pid(name);
	if ((b->pidfd = (int)syscall(SYS_pidfd_open, b->pid, 0)) == -1)
		bench_die("pidfd_open broker");
}

/* Stop it (SIGTERM) and wait until it is gone. */
void
bench_broker_stop(struct bench_broker *b)
{
	struct pollfd	pfd = { b->pidfd, POLLIN, 0 };

	if (kill(b->pid, SIGTERM) == -1)
		bench_die("kill broker");
	while (poll(&pfd, 1, -1) == -1)
		if (errno != EINTR)
			bench_die("poll broker pidfd");
	close(b->pidfd);
}

/* The resident set of a process, bytes. */
uint64_t
bench_rss(pid_t pid)
{
	char		 path[64], line[256];
	FILE		*fp;
	uint64_t	 kb = 0;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		bench_die("%s", path);
	while (fgets(line, sizeof line, fp) != NULL)
		if (sscanf(line, "VmRSS: %" SCNu64, &kb) == 1)
			break;
	fclose(fp);
	return (kb * 1024);
}
