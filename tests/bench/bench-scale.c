/*
 * bench-scale.c: the broker's resident set and its lookup time with 1k,
 * 100k and 1M pending handles (its limits raised for the run).  A
 * creator child grants handles to a recipient child; the recipient times
 * lookups of random pending handles, asked with a creator pid that does
 * not match so that the broker finds the handle, refuses (ESRCH) and
 * keeps it: the table stays at its size while it is measured.
 */

#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qshm.h"
#include "bench.h"
#include "fdpass.h"

#define SCALE_MAX	1000000
/*
 * Per run: every timed lookup is a failed one, and the broker penalizes
 * a uid after GUARD_BURST (1000) of those (guard.h); the nine runs of a
 * full bench stay under it, even without the allowance regained between.
 */
#define SCALE_LOOKUPS	100

/* An order to a child: grant up to n, or time lookups. */
struct scale_cmd {
	uint64_t	n;		/* handles pending (creator) */
	uint64_t	miss;		/* recipient: 1 = unknown handles */
};

struct scale_shared {
	uint64_t	 handles[SCALE_MAX];
	uint64_t	 samples[SCALE_LOOKUPS];
	uint64_t	 median;
};

static struct scale_shared	*scale_sh;

/* The creator: grant until n handles are pending for pid r. */
static void
scale_creator(int sock, pid_t r)
{
	struct scale_cmd	c;
	uint64_t		have = 0;
	int			fd;

	bench_pin(0, 0);
	if ((fd = memfd_create("qshm-bench-scale", MFD_CLOEXEC)) == -1 ||
	    ftruncate(fd, 65536) == -1)
		bench_die("memfd");
	while (fdpass_recv(sock, &c, sizeof c, NULL) == 0) {
		for (; have < c.n; have++)
			if (shm_create_handle(fd, r, O_RDONLY,
			    &scale_sh->handles[have], 0) == -1)
				bench_die("grant %llu", (unsigned long long)have);
		if (fdpass_send(sock, &c, sizeof c, -1) == -1)
			bench_die("creator reply");
	}
	_exit(0);
}

/* The recipient: time lookups among the first n handles. */
static void
scale_lookups(const struct scale_cmd *c)
{
	uint64_t	idx[SCALE_LOOKUPS], h, t0;
	size_t		i;

	if (getrandom(idx, sizeof idx, 0) != (ssize_t)sizeof idx)
		bench_die("getrandom");
	for (i = 0; i < SCALE_LOOKUPS; i++) {
		h = c->miss ? idx[i] | 1 : scale_sh->handles[idx[i] % c->n];
		t0 = bench_ns();
		/* Pid 1 never made a handle here: found, refused, kept. */
		if (shm_open_handle_pid(h, O_RDONLY, 1) != -1 ||
		    errno != ESRCH)
			bench_die("lookup did not fail with ESRCH");
		scale_sh->samples[i] = bench_ns() - t0;
	}
	scale_sh->median = bench_quantile(scale_sh->samples, SCALE_LOOKUPS,
	    0.5);
}

static void
scale_recipient(int sock)
{
	struct scale_cmd	c;

	bench_pin(0, 0);
	while (fdpass_recv(sock, &c, sizeof c, NULL) == 0) {
		scale_lookups(&c);
		if (fdpass_send(sock, &c, sizeof c, -1) == -1)
			bench_die("recipient reply");
	}
	_exit(0);
}

static pid_t
scale_child(int *sock, void (*fn)(int, pid_t), pid_t arg)
{
	int	sv[2];
	pid_t	pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		bench_die("socketpair");
	if ((pid = fork()) == -1)
		bench_die("fork");
	if (pid == 0) {
		close(sv[0]);
		fn(sv[1], arg);
	}
	close(sv[1]);
	*sock = sv[0];
	return (pid);
}

static void
scale_recipient_fn(int sock, pid_t unused)
{
	(void)unused;
	scale_recipient(sock);
}

static void
scale_ask(int sock, uint64_t n, uint64_t miss)
{
	struct scale_cmd	c = { n, miss };

	if (fdpass_send(sock, &c, sizeof c, -1) == -1 ||
	    fdpass_recv(sock, &c, sizeof c, NULL) == -1)
		bench_die("scale child");
}

static const char *
scale_name(char *buf, size_t size, const char *what, uint64_t n)
{
	snprintf(buf, size, "%s @%s", what, n >= 1000000 ? "1M" :
	    n >= 100000 ? "100k" : "1k");
	return (buf);
}

static void
scale_rss_row(uint64_t n, uint64_t idle, uint64_t rss)
{
	struct bench_row	*r;
	char			 fig[48];
	double			 per = ((double)rss - (double)idle) / (double)n;

	r = bench_row(scale_name(fig, sizeof fig, "broker RSS/handle", n),
	    "broker CPU0");
	snprintf(r->value, sizeof r->value, "%.0f B", per);
	snprintf(r->baseline, sizeof r->baseline, "RSS idle %.1f MiB, now",
	    (double)idle / (1024 * 1024));
	snprintf(r->base_value, sizeof r->base_value, "%.1f MiB",
	    (double)rss / (1024 * 1024));
	r->goal = BENCH_GOAL_VALUE_LE;
	r->target = 256;
	r->unit = "B";
}

static void
scale_lookup_row(uint64_t n, const char *placement, const char *bname,
    uint64_t base, uint64_t v)
{
	struct bench_row	*r;
	char			 fig[48];

	r = bench_row(scale_name(fig, sizeof fig, "lookup, median", n),
	    placement);
	bench_fmt_ns(r->value, sizeof r->value, (double)v);
	snprintf(r->baseline, sizeof r->baseline, "%s", bname);
	bench_fmt_ns(r->base_value, sizeof r->base_value, (double)base);
	r->ratio = (double)v / (double)base;
	if (n > 1000) {
		r->goal = BENCH_GOAL_RATIO_LE;
		r->target = 1.2;	/* flat, within noise */
	}
}

/* Section 3: resident set and lookup time by pending handles. */
void
bench_scale(void)
{
	static const char	*opts[] = { "--max-handles", "2000000",
				    "--max-handles-per-uid", "2000000",
				    "--handles-per-process", "2000000",
				    "--handles-per-process-max", "2000000",
				    NULL };
	static const uint64_t	 sizes[] = { 1000, 100000, SCALE_MAX };
	struct bench_broker	 b;
	uint64_t		 idle, base[2] = { 0, 0 };
	pid_t			 cpid, rpid;
	int			 cs, rs, p;
	size_t			 i;

	scale_sh = bench_shared(sizeof *scale_sh);
	bench_broker_start(&b, "scale", 0, opts);
	rpid = scale_child(&rs, scale_recipient_fn, 0);
	cpid = scale_child(&cs, scale_creator, rpid);
	/* Every code path once, so the idle figure holds them. */
	scale_ask(cs, 1, 0);
	scale_ask(rs, 1, 0);
	idle = bench_rss(b.pid);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		if (bench.quick && sizes[i] > 100000)
			break;
		scale_ask(cs, sizes[i], 0);
		scale_rss_row(sizes[i], idle, bench_rss(b.pid));
		for (p = 0; p < 2; p++) {
			bench_pin(b.pid, bench_cpu(p));
			if (i == 0) {
				scale_ask(rs, sizes[i], 1);
				base[p] = scale_sh->median;
			}
			scale_ask(rs, sizes[i], 0);
			scale_lookup_row(sizes[i], p == 0 ? "same CPU (all 0)" :
			    "across (R0 B1)", i == 0 ? "unknown handle @1k" :
			    "lookup @1k", base[p], scale_sh->median);
			if (i == 0)
				base[p] = scale_sh->median;
		}
		bench_pin(b.pid, 0);
	}
	close(cs);
	close(rs);
	bench_wait(cpid, "scale creator");
	bench_wait(rpid, "scale recipient");
	bench_broker_stop(&b);
	munmap(scale_sh, sizeof *scale_sh);
}
