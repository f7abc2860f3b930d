/*
 * bench.c: `make bench`.  Runs each section (handle cycle, throughput,
 * scale, map-dump, start-up), each figure beside a baseline measured in
 * the same run, and prints one table; --record FILE also writes the
 * machine, the kernel and the table as markdown.
 *
 * usage: bench --qshmctl PATH --minibroker PATH [--quick] [--record FILE]
 *            [SECTION...]       (cycle throughput scale dump startup)
 */

#include <sys/utsname.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

struct bench_env	bench;

static const struct {
	const char	*name;
	void		(*fn)(void);
} bench_sections[] = {
	{ "cycle", bench_cycle },
	{ "throughput", bench_throughput },
	{ "scale", bench_scale },
	{ "dump", bench_dump },
	{ "startup", bench_startup },
};
#define BENCH_NSECTIONS	(sizeof bench_sections / sizeof bench_sections[0])

static char	bench_dir[] = "/tmp/qshm-bench.XXXXXX";
static char	bench_load[64];		/* /proc/loadavg at the start */

static void
bench_cleanup(void)
{
	char	cmd[64];

	snprintf(cmd, sizeof cmd, "rm -rf %s", bench_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench: could not remove %s\n", bench_dir);
}

static void
bench_usage(void)
{
	fprintf(stderr, "usage: bench --qshmctl PATH --minibroker PATH "
	    "[--quick] [--record FILE] [SECTION...]\n");
	exit(2);
}

/* The CPU model, from /proc/cpuinfo. */
static void
bench_cpu_model(char *buf, size_t size)
{
	char	 line[256], *p;
	FILE	*fp;

	snprintf(buf, size, "unknown CPU");
	if ((fp = fopen("/proc/cpuinfo", "r")) == NULL)
		return;
	while (fgets(line, sizeof line, fp) != NULL) {
		if (strncmp(line, "model name", 10) != 0 ||
		    (p = strchr(line, ':')) == NULL)
			continue;
		p += strspn(p + 1, " \t") + 1;
		p[strcspn(p, "\n")] = '\0';
		snprintf(buf, size, "%s", p);
		break;
	}
	fclose(fp);
}

/* Other load makes every figure slower: say how much there was. */
static void
bench_loadavg(char *buf, size_t size)
{
	FILE	*fp;

	snprintf(buf, size, "unknown");
	if ((fp = fopen("/proc/loadavg", "r")) == NULL)
		return;
	if (fgets(buf, (int)size, fp) != NULL)
		buf[strcspn(buf, "\n")] = '\0';
	fclose(fp);
}

static void
bench_record_head(FILE *fp)
{
	struct utsname	u;
	char		cpu[160], date[64], load[64];
	time_t		now = time(NULL);
	long		pages = sysconf(_SC_PHYS_PAGES);

	uname(&u);
	bench_cpu_model(cpu, sizeof cpu);
	bench_loadavg(load, sizeof load);
	strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
	fprintf(fp, "# qshm benchmark results\n\n"
	    "Recorded by `make bench RECORD=1` on %s.\n\n"
	    "- machine: %s, %d CPUs, %.1f GiB RAM\n"
	    "- kernel: %s %s %s\n"
	    "- /proc/loadavg: %s at the start, %s at the end\n\n", date, cpu,
	    bench.ncpu, (double)pages * (double)sysconf(_SC_PAGESIZE) /
	    (1024.0 * 1024 * 1024), u.sysname, u.release, u.machine,
	    bench_load, load);
	fprintf(fp, "Placement: C creator, R recipient, B broker, each pinned "
	    "to that CPU; \"all 0\" pins every process to CPU 0.  Ratio "
	    "is qshm over the baseline, except map-dump, where it is the "
	    "baseline's time over qshm's (a speed-up).  Lookups are "
	    "non-consuming (creator pid mismatch: found, refused).\n\n");
}

static bool
bench_wanted(int argc, char **argv, const char *name)
{
	int	i;

	if (argc == 0)
		return (true);
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return (true);
	return (false);
}

int
main(int argc, char **argv)
{
	const char	*record = NULL;
	FILE		*fp = NULL;
	size_t		 i;

	for (argc--, argv++; argc > 0 && strncmp(*argv, "--", 2) == 0;
	    argc--, argv++) {
		if (strcmp(*argv, "--quick") == 0)
			bench.quick = true;
		else if (argc < 2)
			bench_usage();
		else if (strcmp(*argv, "--qshmctl") == 0)
			bench.qshmctl = *++argv, argc--;
		else if (strcmp(*argv, "--minibroker") == 0)
			bench.minibroker = *++argv, argc--;
		else if (strcmp(*argv, "--record") == 0)
			record = *++argv, argc--;
		else
			bench_usage();
	}
	if (bench.qshmctl == NULL || bench.minibroker == NULL)
		bench_usage();
	for (i = 0; i < (size_t)argc; i++) {
		size_t	k;

		for (k = 0; k < BENCH_NSECTIONS; k++)
			if (strcmp(argv[i], bench_sections[k].name) == 0)
				break;
		if (k == BENCH_NSECTIONS)
			bench_usage();
	}
	bench.ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (mkdtemp(bench_dir) == NULL)
		bench_die("mkdtemp");
	bench.dir = bench_dir;
	atexit(bench_cleanup);
	setenv("QSHM_AUTOSTART", "0", 1);
	bench_loadavg(bench_load, sizeof bench_load);
	for (i = 0; i < BENCH_NSECTIONS; i++) {
		if (!bench_wanted(argc, argv, bench_sections[i].name))
			continue;
		fprintf(stderr, "bench: %s...\n", bench_sections[i].name);
		bench_sections[i].fn();
	}
	if (record != NULL && (fp = fopen(record, "w")) == NULL)
		bench_die("%s", record);
	if (fp != NULL)
		bench_record_head(fp);
	bench_print(fp);
	if (fp != NULL && fclose(fp) == EOF)
		bench_die("%s", record);
	return (0);
}
