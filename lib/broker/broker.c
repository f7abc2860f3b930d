/*
 * broker.c: the broker's entry point.  broker_run() resolves the socket
 * path, optionally detaches, sets up every module, runs the event loop
 * until SIGTERM or SIGINT, and tears everything down so that valgrind
 * finds nothing left.
 */

#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "path.h"
#include "broker-int.h"
#include "audit.h"
#include "caps.h"
#include "guard.h"
#include "handles.h"
#include "ident.h"
#include "listener.h"
#include "loop.h"
#include "objects.h"
#include "peers.h"
#include "procs.h"
#include "restart.h"
#include "revoke.h"
#include "sd.h"
#include "shares.h"

#define BROKER_ERRLEN	(PATH_MAX + 256)
#define BROKER_SHARE_FLOOR	16	/* a uid's least share (or the cap) */

const struct broker_config	*broker_cfg;
struct qshm_stats		 broker_stats;
static uint64_t			 broker_start_ms;

/* Fill a configuration with the documented defaults. */
void
broker_config_defaults(struct broker_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->max_handles = 1048576;
	cfg->max_handles_per_uid = 65536;
	cfg->handles_per_process = 1024;
	cfg->handles_per_process_max = 65536;
	cfg->max_objects = 65536;
	cfg->max_connections = 1024;
	cfg->max_parked = 4096;
	cfg->max_inflight = 4096;
	cfg->revoke_timeout_ms = 2000;
}

/* Milliseconds on the monotonic clock. */
uint64_t
broker_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* The start time a restart carries over (monotonic ms). */
uint64_t *
broker_start_time(void)
{
	return (&broker_start_ms);
}

/* Count a denial under its reason (errno). */
void
broker_count_denial(int err)
{
	broker_stats.denials++;
	switch (err) {
	case ESRCH:
		broker_stats.denied_unknown++;
		break;
	case EACCES:
	case EPERM:
		broker_stats.denied_access++;
		break;
	case EAGAIN:
	case ENOSPC:
		broker_stats.denied_limit++;
		break;
	case EINVAL:
	case EBADF:
		broker_stats.denied_invalid++;
		break;
	default:
		broker_stats.denied_other++;
		break;
	}
}

/*
 * A uid's share of a broker-wide cap: per_uid if set (at most the cap),
 * else a quarter of it, at least BROKER_SHARE_FLOOR, so that four uids at
 * their shares fill the broker and one alone leaves room for the others.
 */
uint64_t
broker_share(uint64_t cap, uint64_t per_uid)
{
	uint64_t	share = per_uid != 0 ? per_uid : cap / 4;

	if (per_uid == 0 && share < BROKER_SHARE_FLOOR)
		share = BROKER_SHARE_FLOOR;
	return (share < cap ? share : cap);
}

/*
 * cap, or less when the descriptor limit is low: at most 1/div of
 * RLIMIT_NOFILE as it is now (an operator may lower it at run time).
 */
uint64_t
broker_fd_budget(uint64_t cap, unsigned div)
{
	struct rlimit	rl;
	uint64_t	budget;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		return (cap);
	budget = (uint64_t)rl.rlim_cur / div;
	if (budget == 0)
		budget = 1;
	return (budget < cap ? budget : cap);
}

/*
 * The caps on parkings (each holds up to 3 fds: at most 1/8 of the fd
 * limit) and on fds in flight (the kernel refuses more than RLIMIT_NOFILE
 * of the broker's uid: half of it), as they are now.
 */
uint64_t
broker_parked_cap(void)
{
	return (broker_fd_budget(broker_cfg->max_parked, 8));
}

uint64_t
broker_inflight_cap(void)
{
	return (broker_fd_budget(broker_cfg->max_inflight, 2));
}

/* Milliseconds since the broker started. */
uint64_t
broker_uptime_ms(void)
{
	return (broker_now_ms() - broker_start_ms);
}

/* The system page size. */
uint64_t
broker_page_size(void)
{
	static uint64_t	page;
	long		n;

	if (page == 0)
		page = (n = sysconf(_SC_PAGESIZE)) > 0 ? (uint64_t)n : 4096;
	return (page);
}

/* Make path absolute, so detaching (chdir "/") cannot move it. */
static int
broker_abspath(const char *in, char *out, size_t size)
{
	char	cwd[PATH_MAX];
	int	n;

	if (in[0] == '/')
		n = snprintf(out, size, "%s", in);
	else if (getcwd(cwd, sizeof cwd) == NULL)
		return (errno);
	else
		n = snprintf(out, size, "%s/%s", cwd, in);
	return (n < 0 || (size_t)n >= size ? ENAMETOOLONG : 0);
}

/*
 * The socket path.  Its directory is made (0700) when missing; when the
 * path is the per-user default, an existing directory must also pass
 * path_prepare_dir()'s ownership check, since /tmp/qshm-UID could have
 * been made by someone else.  A path the operator names is theirs.
 */
static int
broker_socket_path(const struct broker_config *cfg, char *buf, size_t size,
    char *err, size_t errlen)
{
	char		 dir[PATH_MAX], *slash;
	struct stat	 st;
	int		 error;
	bool		 chosen = cfg->socket_path != NULL ||
			    (!cfg->system && getenv("QSHM_SOCKET") != NULL);

	if (cfg->socket_path == NULL && cfg->system)
		snprintf(dir, sizeof dir, "%s", PATH_SYSTEM_SOCKET);
	if (cfg->socket_path == NULL && !cfg->system &&
	    path_socket(dir, sizeof dir, 0) == -1)
		error = errno;
	else
		error = broker_abspath(cfg->socket_path != NULL ?
		    cfg->socket_path : dir, buf, size);
	if (error != 0) {
		snprintf(err, errlen, "socket path: %s", strerror(error));
		return (-1);
	}
	snprintf(dir, sizeof dir, "%s", buf);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
		*slash = '\0';
	if ((!chosen || stat(dir, &st) == -1) && path_prepare_dir(buf) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return (-1);
	}
	return (0);
}

/* Descriptors are the broker's main resource: take all it may have. */
static void
broker_raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
broker_modules_init(void)
{
	memset(&broker_stats, 0, sizeof broker_stats);
	broker_start_ms = broker_now_ms();
	handles_init();
	procs_init();
	objects_init();
}

/* The socket systemd passed, else our own at path. */
static int
broker_listen(const char *path, char *err, size_t errlen)
{
	int	fd;

	switch (sd_listen(&fd, err, errlen)) {
	case -1:
		return (-1);
	case 1:
		listener_adopt(fd, path);
		return (0);
	default:
		return (listener_open(path, err, errlen));
	}
}

static int
broker_setup(const struct broker_config *cfg, const char *path, bool restored,
    char *err, size_t errlen)
{
	int	error;

	broker_raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	/* After raising the limit, which may need what is dropped here. */
	if (cfg->system && geteuid() == 0 && (error = caps_restrict()) != 0) {
		snprintf(err, errlen, "capabilities: %s", strerror(error));
		return (-1);
	}
	broker_modules_init();
	if ((error = ident_init()) != 0) {
		snprintf(err, errlen, "pidfd_open: %s", strerror(error));
		return (-1);
	}
	if (audit_open(cfg->audit_path, err, errlen) == -1)
		return (-1);
	if ((error = loop_init()) != 0 || (error = revoke_init()) != 0) {
		snprintf(err, errlen, "event loop: %s", strerror(error));
		return (-1);
	}
	if (restored ? restart_load(path, err, errlen) == -1 :
	    broker_listen(path, err, errlen) == -1)
		return (-1);
	if ((error = listener_start()) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(error));
		return (-1);
	}
	if ((error = restart_init()) != 0) {
		snprintf(err, errlen, "restart: %s", strerror(error));
		return (-1);
	}
	return (0);
}

static void
broker_teardown(void)
{
	restart_done();
	peers_close_all();
	revoke_free_all();
	handles_free_all();
	procs_free_all();
	objects_free_all();
	shares_free_all();
	guard_free_all();
	listener_close();
	loop_done();
	audit_close();
}

/* A detached broker's stdio goes nowhere (the audit file still works). */
static void
broker_detach_stdio(void)
{
	int	fd;

	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	audit_stderr_moved();
	if (chdir("/") == -1)
		return;
}

/*
 * Run the broker until SIGTERM or SIGINT; returns the exit status. Prints
 * its own errors to stderr, prefixed "qshmctl: broker: ".
 */
int
broker_run(const struct broker_config *cfg)
{
	char	path[PATH_MAX], err[BROKER_ERRLEN];
	int	report = -1, rc, error;
	bool	child = false, restored = restart_pending();

	broker_cfg = cfg;
	if (broker_socket_path(cfg, path, sizeof path, err, sizeof err) == -1)
		goto fail;
	/* A restart keeps its pid: it never detaches again. */
	if (cfg->daemonize && !restored) {
		rc = listener_daemonize(&child, &report, err, sizeof err);
		if (rc == -1)
			goto fail;
		if (!child)
			return (rc);
	}
	if (broker_setup(cfg, path, restored, err, sizeof err) == -1)
		goto fail;
	listener_report(report, NULL);
	(void)sd_notify("READY=1");
	if (child)
		broker_detach_stdio();
	error = loop_run();
	broker_teardown();
	if (error != 0) {
		fprintf(stderr, "qshmctl: broker: epoll_wait: %s\n",
		    strerror(error));
		return (1);
	}
	return (0);

fail:
	if (report != -1)
		listener_report(report, err);
	else
		fprintf(stderr, "qshmctl: broker: %s\n", err);
	broker_teardown();
	return (1);
}
