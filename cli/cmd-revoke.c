/*
 * revoke: withdraw a process's access to an object as an administrator
 * (root, or the uid that made the grants).  Unused handles made for that
 * pid (or for everyone, with --all) are destroyed now.
 */

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "qshm.h"
#include "cmd.h"

enum {
	CMD_REVOKE_PID = 'p',
	CMD_REVOKE_ALL = 'A'
};

static const struct args_opt cmd_revoke_opts[] = {
	{ CMD_REVOKE_PID, "pid", "PID", "the recipient" },
	{ CMD_REVOKE_ALL, "all", NULL, "every recipient" },
	{ 0, NULL, NULL, NULL }
};

static enum cmd_ret	cmd_revoke_exec(struct cmd_ctx *, struct args *);

const struct cmd_entry cmd_revoke_entry = {
	.name = "revoke",
	.args = { cmd_revoke_opts, 1, 1 },
	.usage = "OBJECT --pid PID|--all",
	.summary = "destroy the unused handles to an object",
	.flags = CMD_NEEDS_BROKER,
	.exec = cmd_revoke_exec
};

static enum cmd_ret
cmd_revoke_exec(struct cmd_ctx *ctx, struct args *args)
{
	struct obj	 obj;
	const char	*name = args_arg(args, 0);
	pid_t		 pid = -1;
	int		 fd, n, errnum, all = args_has(args, CMD_REVOKE_ALL);

	if (cmd_get_pid(ctx, args, CMD_REVOKE_PID, &pid) == -1)
		return (CMD_RET_USAGE);
	if ((all > 0) == (args_has(args, CMD_REVOKE_PID) > 0))
		return (cmd_usage(ctx, NULL, "give --pid PID or --all"));
	if (obj_parse(name, &obj) == -1)
		return (cmd_usage(ctx, name, "%s", errno == EINVAL ?
		    "not a /NAME or @N" : strerror(errno)));
	/* Handles of a process that is gone are reclaimed already. */
	if (!all && kill(pid, 0) == -1 && errno == ESRCH)
		return (cmd_errno(ctx, "pid %ld", (long)pid));
	if ((fd = obj_open(&obj, O_RDONLY, 0)) == -1)
		return (cmd_errno(ctx, "%s", name));
	if ((n = qshm_admin_revoke(fd, pid)) == -1) {
		errnum = errno;
		close(fd);
		errno = errnum;
		if (all)
			return (cmd_errno(ctx, "%s", name));
		return (cmd_errno(ctx, "%s from pid %ld", name, (long)pid));
	}
	close(fd);
	out_set_primary(ctx->out, "revoked");
	out_str(ctx->out, "object", name);
	out_int(ctx->out, "pid", pid);
	out_int(ctx->out, "revoked", n);
	return (CMD_RET_OK);
}
