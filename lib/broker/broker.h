/*
 * broker.h: the broker's entry point, as qshmctl broker calls it.  The
 * modules behind it (loop, peers, objects, handles, policy, audit) have
 * their own headers in this directory.
 */

#ifndef QSHM_BROKER_H
#define QSHM_BROKER_H

#include <stdbool.h>
#include <stdint.h>

struct broker_config {
	const char	*socket_path;	/* NULL: path_socket() without probe */
	const char	*audit_path;	/* NULL: no audit; "-": stderr */
	bool		 daemonize;	/* fork; parent exits once listening */
	bool		 require_enforced; /* refuse advisory grants: EACCES */
	uint64_t	 max_handles;	/* pending, broker-wide */
	uint64_t	 max_handles_per_uid; /* pending, by creator uid */
	uint64_t	 handles_per_process; /* RLIMIT_SHM_HANDLES_NP soft */
	uint64_t	 handles_per_process_max; /* and hard */
	uint64_t	 max_objects;
	uint32_t	 max_connections;
	/* Per-uid shares, 0: broker_share() of the broker-wide cap. */
	uint32_t	 max_connections_per_uid;
	uint64_t	 max_parked;	/* parked objects, broker-wide */
	uint64_t	 max_parked_per_uid;
	uint64_t	 max_inflight;	/* fds in replies not yet read */
	uint64_t	 max_inflight_per_uid;
	uint32_t	 revoke_timeout_ms; /* for a watcher's answer */
	bool		 revoke_kill;	/* SIGKILL who does not answer */
	bool		 system;	/* every uid's broker: socket 0666 */
};

/* Fill a configuration with the documented defaults. */
void	broker_config_defaults(struct broker_config *);
/*
 * Run the broker until SIGTERM or SIGINT; returns the exit status.  Prints
 * its own errors to stderr, prefixed "qshmctl: broker: ".
 */
int	broker_run(const struct broker_config *);

#endif /* QSHM_BROKER_H */
