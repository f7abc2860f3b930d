/*
 * bench-cycle.c: the handle cycle (a creator grants, its recipient opens,
 * fd in hand) and broker throughput.  The same creator/recipient pair
 * runs over three transports: a raw SCM_RIGHTS pass on their own
 * socketpair (the physical limit), the minimal fd-forwarding broker
 * (minibroker.c), and the qshm broker.  Every process is pinned.
 */

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qshm.h"
#include "bench.h"
#include "fdpass.h"

enum cycle_via {
	CYCLE_RAW,		/* the fd itself, over the pair's socket */
	CYCLE_MINI,		/* minibroker */
	CYCLE_QSHM		/* shm_create_handle + shm_open_handle */
};

/* What one creator/recipient pair does and where it reports. */
struct cycle_job {
	enum cycle_via	 via;
	int		 cpu_c, cpu_r;
	uint64_t	*samples;	/* per cycle, or NULL */
	size_t		 nsamples;
	uint64_t	*count;		/* cycles done, shared */
	volatile int	*stop;
	int		 start;		/* read end: EOF means go */
	int		 start_w;	/* write end, closed in children */
};

static void	cycle_mini_start(int);
static void	cycle_mini_stop(void);

static char	cycle_mini_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static pid_t	cycle_mini_pid;

static int
cycle_mini_connect(void)
{
	struct sockaddr_un	sun;
	int			s;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, cycle_mini_path, sizeof sun.sun_path);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&sun, sizeof sun) == -1)
		bench_die("connect %s", cycle_mini_path);
	return (s);
}

/* The creator's half of one cycle: hand fd over, wait for the reply. */
static void
cycle_give(const struct cycle_job *j, int pair, int mini, int fd, pid_t r)
{
	struct mini_msg	m;
	shm_handle_t	h = 0;
	char		ack;

	switch (j->via) {
	case CYCLE_RAW:
		if (fdpass_send(pair, &h, sizeof h, fd) == -1)
			bench_die("raw send");
		break;
	case CYCLE_MINI:
		memset(&m, 0, sizeof m);
		m.op = MINI_GRANT;
		if (fdpass_send(mini, &m, sizeof m, fd) == -1 ||
		    fdpass_recv(mini, &m, sizeof m, NULL) == -1 || m.err != 0)
			bench_die("minibroker grant");
		h = m.id;
		break;
	case CYCLE_QSHM:
		if (shm_create_handle(fd, r, O_RDWR, &h, 0) == -1)
			bench_die("shm_create_handle");
		break;
	}
	if (j->via != CYCLE_RAW && fdpass_send(pair, &h, sizeof h, -1) == -1)
		bench_die("send handle");
	if (fdpass_recv(pair, &ack, sizeof ack, NULL) == -1)
		bench_die("recv ack");
}

/* The recipient's half: the fd in hand, then the reply. */
static int
cycle_take(const struct cycle_job *j, int pair, int mini)
{
	struct mini_msg	m;
	shm_handle_t	h;
	int		fd;
	char		ack = 0;

	if (fdpass_recv(pair, &h, sizeof h, &fd) == -1)
		return (-1);
	if (j->via == CYCLE_MINI) {
		memset(&m, 0, sizeof m);
		m.op = MINI_OPEN;
		m.id = h;
		if (fdpass_send(mini, &m, sizeof m, -1) == -1 ||
		    fdpass_recv(mini, &m, sizeof m, &fd) == -1 || fd == -1)
			bench_die("minibroker open");
	} else if (j->via == CYCLE_QSHM &&
	    (fd = shm_open_handle(h, O_RDWR)) == -1)
		bench_die("shm_open_handle");
	if (fd == -1)
		bench_die("no fd");
	close(fd);
	return (fdpass_send(pair, &ack, sizeof ack, -1));
}

static void
cycle_await_start(const struct cycle_job *j)
{
	char	c;

	close(j->start_w);
	while (read(j->start, &c, 1) == -1 && errno == EINTR)
		;
	close(j->start);
}

static void
cycle_recipient(const struct cycle_job *j, int pair)
{
	int	mini = -1;

	bench_pin(0, j->cpu_r);
	if (j->via == CYCLE_MINI)
		mini = cycle_mini_connect();
	cycle_await_start(j);
	while (cycle_take(j, pair, mini) == 0)
		;
	_exit(0);
}

static void
cycle_creator(const struct cycle_job *j, int pair, pid_t r)
{
	uint64_t	t0;
	size_t		i;
	int		fd, mini = -1;

	bench_pin(0, j->cpu_c);
	if ((fd = memfd_create("qshm-bench", MFD_CLOEXEC)) == -1 ||
	    ftruncate(fd, 65536) == -1)
		bench_die("memfd");
	if (j->via == CYCLE_MINI)
		mini = cycle_mini_connect();
	cycle_await_start(j);
	for (i = 0; j->samples != NULL ? i < j->nsamples : !*j->stop; i++) {
		t0 = bench_ns();
		cycle_give(j, pair, mini, fd, r);
		if (j->samples != NULL)
			j->samples[i] = bench_ns() - t0;
		__atomic_store_n(j->count, i + 1, __ATOMIC_RELAXED);
	}
	_exit(0);
}

/* Fork one pair; returns the creator's and recipient's pids. */
static void
cycle_pair(const struct cycle_job *j, pid_t pids[2])
{
	int	sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		bench_die("socketpair");
	if ((pids[1] = fork()) == -1)
		bench_die("fork");
	if (pids[1] == 0) {
		close(sv[0]);
		cycle_recipient(j, sv[1]);
	}
	if ((pids[0] = fork()) == -1)
		bench_die("fork");
	if (pids[0] == 0) {
		close(sv[1]);
		cycle_creator(j, sv[0], pids[1]);
	}
	close(sv[0]);
	close(sv[1]);
}

/* Run npairs pairs; with samples, one pair until nsamples are taken. */
static double
cycle_run(struct cycle_job *tmpl, int npairs, uint64_t duration_ns)
{
	struct cycle_job	 j = *tmpl;
	pid_t			*pids = calloc((size_t)npairs * 2, sizeof *pids);
	uint64_t		*count = bench_shared(4096), c0 = 0, c1 = 0;
	uint64_t		 t0 = 0, t1 = 1;
	volatile int		*stop = (volatile int *)(count + 256);
	int			 go[2], i;

	if (pids == NULL || pipe2(go, O_CLOEXEC) == -1)
		bench_die("cycle_run");
	j.start = go[0];
	j.start_w = go[1];
	j.stop = stop;
	for (i = 0; i < npairs; i++) {
		j.count = &count[i];
		cycle_pair(&j, &pids[2 * i]);
	}
	close(go[0]);
	close(go[1]);
	if (duration_ns != 0) {
		usleep(200000);		/* connections made, caches warm */
		t0 = bench_ns();
		for (i = 0; i < npairs; i++)
			c0 += __atomic_load_n(&count[i], __ATOMIC_RELAXED);
		usleep((useconds_t)(duration_ns / 1000));
		for (i = 0; i < npairs; i++)
			c1 += __atomic_load_n(&count[i], __ATOMIC_RELAXED);
		t1 = bench_ns();
		*stop = 1;
	}
	for (i = 0; i < 2 * npairs; i++)
		bench_wait(pids[i], i % 2 ? "recipient" : "creator");
	munmap(count, 4096);
	free(pids);
	return (duration_ns == 0 ? 0 : (double)(c1 - c0) * 1e9 /
	    (double)(t1 - t0));
}

/*
 * Comparisons run in alternating slices, so that load from other processes
 * on a shared machine falls on each transport alike.
 */
#define CYCLE_SLICES	5

/* n per-cycle samples of one pair over via, appended to all at *have. */
static void
cycle_sample(enum cycle_via via, int cpu_r, size_t n, uint64_t *all,
    size_t *have)
{
	struct cycle_job	 j;
	size_t			 warm = n / 10;
	uint64_t		*s = bench_shared((n + warm) * sizeof *s);

	memset(&j, 0, sizeof j);
	j.via = via;
	j.cpu_c = 0;
	j.cpu_r = cpu_r;
	j.samples = s;
	j.nsamples = n + warm;
	(void)cycle_run(&j, 1, 0);
	memcpy(all + *have, s + warm, n * sizeof *s);
	*have += n;
	munmap(s, (n + warm) * sizeof *s);
}

/* Median and p99 of n cycles of each transport (q[CYCLE_*][2]). */
static void
cycle_latency(int cpu_r, size_t n, uint64_t q[3][2])
{
	uint64_t	*all[3];
	size_t		 have[3] = { 0, 0, 0 }, k;
	int		 via;

	for (via = 0; via < 3; via++)
		if ((all[via] = calloc(n, sizeof *all[via])) == NULL)
			bench_die("calloc");
	for (k = 0; k < CYCLE_SLICES; k++)
		for (via = 0; via < 3; via++)
			cycle_sample((enum cycle_via)via, cpu_r,
			    n / CYCLE_SLICES, all[via], &have[via]);
	for (via = 0; via < 3; via++) {
		q[via][0] = bench_quantile(all[via], have[via], 0.5);
		q[via][1] = bench_quantile(all[via], have[via], 0.99);
		free(all[via]);
	}
}

static void
cycle_rows(const char *placement, uint64_t q[3][2])
{
	static const char	*names[2] = { "handle cycle, median",
				    "handle cycle, p99" };
	struct bench_row	*r;
	int			 i;

	for (i = 0; i < 2; i++) {
		r = bench_row(names[i], placement);
		bench_fmt_ns(r->value, sizeof r->value, (double)q[CYCLE_QSHM][i]);
		snprintf(r->baseline, sizeof r->baseline, "SCM_RIGHTS + reply");
		bench_fmt_ns(r->base_value, sizeof r->base_value,
		    (double)q[CYCLE_RAW][i]);
		r->ratio = (double)q[CYCLE_QSHM][i] / (double)q[CYCLE_RAW][i];
		r->goal = BENCH_GOAL_RATIO_LE;
		r->target = 2.5;
	}
	/* What any broker costs: the minimal one makes the same hops. */
	r = bench_row(names[0], placement);
	bench_fmt_ns(r->value, sizeof r->value, (double)q[CYCLE_QSHM][0]);
	snprintf(r->baseline, sizeof r->baseline, "minimal fd broker");
	bench_fmt_ns(r->base_value, sizeof r->base_value,
	    (double)q[CYCLE_MINI][0]);
	r->ratio = (double)q[CYCLE_QSHM][0] / (double)q[CYCLE_MINI][0];
}

/* Section 1: the handle cycle against a raw fd pass, both placements. */
void
bench_cycle(void)
{
	static const char	*opts[] = { NULL };
	struct bench_broker	 b;
	uint64_t		 q[3][2];
	size_t			 n = bench.quick ? 2000 : 10000;
	int			 p;

	bench_broker_start(&b, "cycle", 0, opts);
	cycle_mini_start(0);
	for (p = 0; p < 2; p++) {
		bench_pin(b.pid, bench_cpu(p));
		bench_pin(cycle_mini_pid, bench_cpu(p));
		cycle_latency(bench_cpu(p), n, q);
		cycle_rows(p == 0 ? "same CPU (all 0)" : "across (C0 R1 B1)",
		    q);
	}
	cycle_mini_stop();
	bench_broker_stop(&b);
}

static void
cycle_mini_start(int cpu)
{
	struct sockaddr_un	sun;
	int			s;

	if ((size_t)snprintf(cycle_mini_path, sizeof cycle_mini_path,
	    "%s/mini.sock", bench.dir) >= sizeof cycle_mini_path)
		bench_die("%s: path too long", bench.dir);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, cycle_mini_path, sizeof sun.sun_path);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(s, 1024) == -1)
		bench_die("minibroker socket");
	if ((cycle_mini_pid = fork()) == -1)
		bench_die("fork");
	if (cycle_mini_pid == 0) {
		bench_pin(0, cpu);
		if (dup2(s, STDIN_FILENO) == -1)
			_exit(127);
		execl(bench.minibroker, bench.minibroker, (char *)NULL);
		_exit(127);
	}
	close(s);
}

static void
cycle_mini_stop(void)
{
	int	st;

	kill(cycle_mini_pid, SIGTERM);
	while (waitpid(cycle_mini_pid, &st, 0) == -1 && errno == EINTR)
		;
	unlink(cycle_mini_path);
}

/* Cycles/s of npairs pairs, each transport the median of its slices. */
static void
cycle_tput(int npairs, uint64_t d, double *q, double *mini)
{
	struct cycle_job	j;
	uint64_t		r[2][CYCLE_SLICES];
	size_t			k;

	memset(&j, 0, sizeof j);
	for (k = 0; k < CYCLE_SLICES; k++) {
		j.via = CYCLE_MINI;
		r[0][k] = (uint64_t)cycle_run(&j, npairs, d / CYCLE_SLICES);
		j.via = CYCLE_QSHM;
		r[1][k] = (uint64_t)cycle_run(&j, npairs, d / CYCLE_SLICES);
	}
	*mini = (double)bench_quantile(r[0], CYCLE_SLICES, 0.5);
	*q = (double)bench_quantile(r[1], CYCLE_SLICES, 0.5);
}

static void
cycle_tput_row(const char *placement, int npairs, double q, double mini)
{
	struct bench_row	*r;
	char			 fig[48];

	snprintf(fig, sizeof fig, "throughput, %d pair%s", npairs,
	    npairs == 1 ? "" : "s");
	r = bench_row(fig, placement);
	bench_fmt_rate(r->value, sizeof r->value, q);
	snprintf(r->baseline, sizeof r->baseline, "minimal fd broker");
	bench_fmt_rate(r->base_value, sizeof r->base_value, mini);
	r->ratio = q / mini;
	r->goal = BENCH_GOAL_RATIO_GE;
	r->target = 0.8;
}

/* Section 2: cycles/s against the minimal broker, both placements. */
void
bench_throughput(void)
{
	static const int	 pairs[] = { 1, 2, 4, 16, 64 };
	static const char	*opts[] = { NULL };
	struct bench_broker	 b;
	uint64_t		 d = bench.quick ? 300000000 : 1000000000;
	double			 q, mini;
	size_t			 i;
	int			 p;

	bench_broker_start(&b, "tput", 0, opts);
	cycle_mini_start(0);
	for (p = 0; p < 2; p++) {
		bench_pin(b.pid, bench_cpu(p));
		bench_pin(cycle_mini_pid, bench_cpu(p));
		for (i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
			cycle_tput(pairs[i], d, &q, &mini);
			cycle_tput_row(p == 0 ? "same CPU (all 0)" :
			    "across (B1, pairs 0)", pairs[i], q, mini);
		}
	}
	cycle_mini_stop();
	bench_broker_stop(&b);
}
