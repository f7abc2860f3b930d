/*
 * broker: run the broker in the foreground, or as a daemon with --daemon.
 * The broker prints its own errors; this file only turns options into a
 * struct broker_config.
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "path.h"
#include "broker/broker.h"
#include "cmd.h"

enum {
	CMD_BROKER_SOCKET = 's',
	CMD_BROKER_DAEMON = 'd',
	CMD_BROKER_AUDIT = 'a',
	CMD_BROKER_ENFORCED = ARGS_LONG,
	CMD_BROKER_MAX_HANDLES,
	CMD_BROKER_PER_UID,
	CMD_BROKER_PER_PROC,
	CMD_BROKER_PER_PROC_MAX,
	CMD_BROKER_MAX_OBJECTS,
	CMD_BROKER_MAX_CONNS,
	CMD_BROKER_CONNS_PER_UID,
	CMD_BROKER_MAX_PARKED,
	CMD_BROKER_PARKED_PER_UID,
	CMD_BROKER_MAX_INFLIGHT,
	CMD_BROKER_INFLIGHT_PER_UID,
	CMD_BROKER_REVOKE_TIMEOUT,
	CMD_BROKER_REVOKE_ENFORCE,
	CMD_BROKER_SYSTEM
};

static const struct args_opt cmd_broker_opts[] = {
	{ CMD_BROKER_SOCKET, "socket", "PATH", "listen at PATH" },
	{ CMD_BROKER_DAEMON, "daemon", NULL,
	    "run in the background once listening" },
	{ CMD_BROKER_AUDIT, "audit", "FILE",
	    "log events as JSON to a file only it may write (- stderr)" },
	{ CMD_BROKER_ENFORCED, "require-enforced", NULL,
	    "refuse advisory grants" },
	{ CMD_BROKER_MAX_HANDLES, "max-handles", "N",
	    "pending handles, broker-wide" },
	{ CMD_BROKER_PER_UID, "max-handles-per-uid", "N",
	    "pending handles per creator uid" },
	{ CMD_BROKER_PER_PROC, "handles-per-process", "N",
	    "per-process soft limit" },
	{ CMD_BROKER_PER_PROC_MAX, "handles-per-process-max", "N",
	    "per-process hard limit" },
	{ CMD_BROKER_MAX_OBJECTS, "max-objects", "N", "objects held" },
	{ CMD_BROKER_MAX_CONNS, "max-connections", "N",
	    "client connections (default 1024)" },
	{ CMD_BROKER_CONNS_PER_UID, "max-connections-per-uid", "N",
	    "of one uid (default 1/4 of that, >= 16)" },
	{ CMD_BROKER_MAX_PARKED, "max-parked", "N",
	    "parked objects (default 4096, <= 1/8 fd limit)" },
	{ CMD_BROKER_PARKED_PER_UID, "max-parked-per-uid", "N",
	    "of one uid (default 1/4 of that, >= 16)" },
	{ CMD_BROKER_MAX_INFLIGHT, "max-inflight", "N",
	    "fds in unread replies (default 4096, <= 1/2 fd limit)" },
	{ CMD_BROKER_INFLIGHT_PER_UID, "max-inflight-per-uid", "N",
	    "of one uid (default 1/4 of that, >= 16)" },
	{ CMD_BROKER_REVOKE_TIMEOUT, "revoke-timeout", "MS",
	    "how long a recipient has to answer a revoke (default 2000)" },
	{ CMD_BROKER_REVOKE_ENFORCE, "revoke-enforce", "report|kill",
	    "what to do when it does not (default report)" },
	{ CMD_BROKER_SYSTEM, "system", NULL,
	    "serve every uid at " PATH_SYSTEM_SOCKET " (socket 0666)" },
	{ 0, NULL, NULL, NULL }
};

static enum cmd_ret	cmd_broker_exec(struct cmd_ctx *, struct args *);

const struct cmd_entry cmd_broker_entry = {
	.name = "broker",
	.args = { cmd_broker_opts, 0, 0 },
	.usage = "[--system] [--socket PATH] [--daemon] [--audit FILE|-] "
	    "[--require-enforced] [--revoke-timeout MS] "
	    "[--revoke-enforce report|kill] [LIMITS]",
	.summary = "run the broker",
	.flags = CMD_RAW_OUTPUT | CMD_NO_SHELL,
	.exec = cmd_broker_exec
};

/* An option of 1 to UINT32_MAX into *v, left alone when not given. */
static int
cmd_broker_u32(struct cmd_ctx *ctx, struct args *args, int opt,
    const char *name, uint64_t *v)
{
	if (cmd_get_u64(ctx, args, opt, v) == -1)
		return (-1);
	if (*v == 0 || *v > UINT32_MAX) {
		cmd_usage(ctx, args_get(args, opt), "number for --%s: out of "
		    "range", name);
		return (-1);
	}
	return (0);
}

/* The shares of connections, parkings and fds in flight. */
static int
cmd_broker_shares(struct cmd_ctx *ctx, struct args *args,
    struct broker_config *bc)
{
	uint64_t	conns = UINT32_MAX;

	if (args_get(args, CMD_BROKER_CONNS_PER_UID) != NULL) {
		if (cmd_broker_u32(ctx, args, CMD_BROKER_CONNS_PER_UID,
		    "max-connections-per-uid", &conns) == -1)
			return (-1);
		bc->max_connections_per_uid = (uint32_t)conns;
	}
	if (cmd_broker_u32(ctx, args, CMD_BROKER_MAX_PARKED, "max-parked",
	    &bc->max_parked) == -1 ||
	    cmd_broker_u32(ctx, args, CMD_BROKER_MAX_INFLIGHT, "max-inflight",
	    &bc->max_inflight) == -1)
		return (-1);
	if ((args_get(args, CMD_BROKER_PARKED_PER_UID) != NULL &&
	    cmd_broker_u32(ctx, args, CMD_BROKER_PARKED_PER_UID,
	    "max-parked-per-uid", &bc->max_parked_per_uid) == -1) ||
	    (args_get(args, CMD_BROKER_INFLIGHT_PER_UID) != NULL &&
	    cmd_broker_u32(ctx, args, CMD_BROKER_INFLIGHT_PER_UID,
	    "max-inflight-per-uid", &bc->max_inflight_per_uid) == -1))
		return (-1);
	return (0);
}

static int
cmd_broker_limits(struct cmd_ctx *ctx, struct args *args,
    struct broker_config *bc)
{
	uint64_t	conns = bc->max_connections;

	if (cmd_get_u64(ctx, args, CMD_BROKER_MAX_HANDLES,
	    &bc->max_handles) == -1 ||
	    cmd_get_u64(ctx, args, CMD_BROKER_PER_UID,
	    &bc->max_handles_per_uid) == -1 ||
	    cmd_get_u64(ctx, args, CMD_BROKER_PER_PROC,
	    &bc->handles_per_process) == -1 ||
	    cmd_get_u64(ctx, args, CMD_BROKER_PER_PROC_MAX,
	    &bc->handles_per_process_max) == -1 ||
	    cmd_get_u64(ctx, args, CMD_BROKER_MAX_OBJECTS,
	    &bc->max_objects) == -1 ||
	    cmd_get_u64(ctx, args, CMD_BROKER_MAX_CONNS, &conns) == -1)
		return (-1);
	if (conns == 0 || conns > UINT32_MAX) {
		cmd_usage(ctx, args_get(args, CMD_BROKER_MAX_CONNS),
		    "number for --max-connections: out of range");
		return (-1);
	}
	bc->max_connections = (uint32_t)conns;
	if (cmd_broker_shares(ctx, args, bc) == -1)
		return (-1);
	if (bc->handles_per_process > bc->handles_per_process_max) {
		cmd_usage(ctx, NULL, "--handles-per-process is above "
		    "--handles-per-process-max");
		return (-1);
	}
	return (0);
}

/* --revoke-timeout MS (1 ms to a day) and --revoke-enforce. */
static int
cmd_broker_revoke(struct cmd_ctx *ctx, struct args *args,
    struct broker_config *bc)
{
	const char	*enforce = args_get(args, CMD_BROKER_REVOKE_ENFORCE);
	uint64_t	 ms = bc->revoke_timeout_ms;

	if (cmd_get_u64(ctx, args, CMD_BROKER_REVOKE_TIMEOUT, &ms) == -1)
		return (-1);
	if (ms == 0 || ms > 86400000) {
		cmd_usage(ctx, args_get(args, CMD_BROKER_REVOKE_TIMEOUT),
		    "number for --revoke-timeout: out of range");
		return (-1);
	}
	bc->revoke_timeout_ms = (uint32_t)ms;
	if (enforce == NULL || strcmp(enforce, "report") == 0)
		return (0);
	if (strcmp(enforce, "kill") != 0) {
		cmd_usage(ctx, enforce, "--revoke-enforce takes report or "
		    "kill");
		return (-1);
	}
	bc->revoke_kill = true;
	return (0);
}

static enum cmd_ret
cmd_broker_exec(struct cmd_ctx *ctx, struct args *args)
{
	struct broker_config	bc;

	broker_config_defaults(&bc);
	bc.socket_path = args_get(args, CMD_BROKER_SOCKET);
	bc.audit_path = args_get(args, CMD_BROKER_AUDIT);
	bc.daemonize = args_has(args, CMD_BROKER_DAEMON) > 0;
	bc.require_enforced = args_has(args, CMD_BROKER_ENFORCED) > 0;
	bc.system = args_has(args, CMD_BROKER_SYSTEM) > 0;
	if (cmd_broker_limits(ctx, args, &bc) == -1 ||
	    cmd_broker_revoke(ctx, args, &bc) == -1)
		return (CMD_RET_USAGE);
	out_raw(ctx->out);
	fflush(stdout);
	if (broker_run(&bc) != 0)
		return (cmd_fail(ctx));
	return (CMD_RET_OK);
}
