/*
 * bench.h: what the parts of `make bench` share.  Every figure is
 * measured beside a baseline in the same run and printed as one row of
 * one table, with the CPUs its processes were pinned to.
 */

#ifndef QSHM_BENCH_H
#define QSHM_BENCH_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_MAX_ROWS	64

/* How a figure compares with its target. */
enum bench_goal {
	BENCH_GOAL_NONE,	/* informative */
	BENCH_GOAL_RATIO_LE,	/* figure / baseline <= target */
	BENCH_GOAL_RATIO_GE,	/* figure / baseline >= target */
	BENCH_GOAL_VALUE_LE	/* the figure itself <= target */
};

struct bench_row {
	char		 figure[48];
	char		 placement[24];
	char		 value[16];
	char		 baseline[32];
	char		 base_value[16];
	double		 ratio;		/* figure / baseline; < 0: none */
	enum bench_goal	 goal;
	double		 target;
	const char	*unit;		/* of the target for VALUE_LE */
};

/* The run: paths to the programs and the knobs. */
struct bench_env {
	const char	*qshmctl;
	const char	*minibroker;
	const char	*dir;		/* private temporary directory */
	bool		 quick;		/* smaller samples, for a smoke run */
	int		 ncpu;
};

extern struct bench_env	 bench;

/* Pin pid (0: self) to one CPU; exits on failure (a figure needs it). */
void		 bench_pin(pid_t, int cpu);
/* The CPU for a placement slot: 0, or 1 when there are two CPUs. */
int		 bench_cpu(int slot);
/* Monotonic nanoseconds. */
uint64_t	 bench_ns(void);
/* Sort samples and return the q-quantile (0.5 median, 0.99 p99). */
uint64_t	 bench_quantile(uint64_t *, size_t, double);
/* Print a message and exit 1. */
void		 bench_die(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));
/* A zeroed shared anonymous mapping, for children to report in. */
void		*bench_shared(size_t);
/* Wait for a child; dies unless it exited 0. */
void		 bench_wait(pid_t, const char *);

/* Format a duration or a rate into buf. */
const char	*bench_fmt_ns(char *, size_t, double ns);
const char	*bench_fmt_rate(char *, size_t, double per_s);
const char	*bench_fmt_bytes(char *, size_t, double);
/* Add a row to the table. */
struct bench_row *bench_row(const char *figure, const char *placement);
/* Print the table (and write it as markdown to fp if not NULL). */
void		 bench_print(void *fp);

/* A qshm broker run for a figure. */
struct bench_broker {
	char	 socket[256];
	pid_t	 pid;
	int	 pidfd;
};
/* Start `qshmctl broker` pinned to cpu with extra options (NULL-ended). */
void		 bench_broker_start(struct bench_broker *, const char *name,
		    int cpu, const char *const *opts);
/* Stop it (SIGTERM) and wait until it is gone. */
void		 bench_broker_stop(struct bench_broker *);
/* The resident set of a process, bytes. */
uint64_t	 bench_rss(pid_t);

/* The sections. */
void		 bench_cycle(void);
void		 bench_throughput(void);
void		 bench_scale(void);
void		 bench_dump(void);
void		 bench_startup(void);

#endif /* QSHM_BENCH_H */
