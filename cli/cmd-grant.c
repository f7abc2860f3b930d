/*
 * grant: make a single-use handle to an object for one process, and say
 * whether the kernel enforces its access mode or it is only advisory.
 * The handle lives in the broker, so it outlives this command.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qshm.h"
#include "cmd.h"

enum {
	CMD_GRANT_PID = 'p',
	CMD_GRANT_ACCESS = 'a',
	CMD_GRANT_OFFSET = 'o',
	CMD_GRANT_LENGTH = 'l',
	CMD_GRANT_NOFD = ARGS_LONG
};

static const struct args_opt cmd_grant_opts[] = {
	{ CMD_GRANT_PID, "pid", "PID", "the process the handle is for" },
	{ CMD_GRANT_ACCESS, "access", "ro|rw|wo", "access (default ro)" },
	{ CMD_GRANT_OFFSET, "offset", "N", "sub-range start (page-aligned)" },
	{ CMD_GRANT_LENGTH, "length", "N", "sub-range length (page-aligned)" },
	{ CMD_GRANT_NOFD, "nofd", NULL, "map only: no fd for the recipient" },
	{ 0, NULL, NULL, NULL }
};

static enum cmd_ret	cmd_grant_exec(struct cmd_ctx *, struct args *);

const struct cmd_entry cmd_grant_entry = {
	.name = "grant",
	.args = { cmd_grant_opts, 1, 1 },
	.usage = "OBJECT --pid PID [--access ro|rw|wo] "
	    "[--offset N --length N] [--nofd]",
	.summary = "make a handle to an object for a process",
	.flags = CMD_NEEDS_BROKER | CMD_SETS_LAST,
	.exec = cmd_grant_exec
};

struct cmd_grant {
	pid_t		pid;
	int		access;
	unsigned	options;
	int		subrange;
	uint64_t	offset;
	uint64_t	length;
};

static int
cmd_grant_make(int fd, const struct cmd_grant *g, shm_handle_t *h)
{
	if (g->subrange)
		return (shm_create_subrange_handle(fd, g->pid, g->access, h,
		    g->options, (size_t)g->length, (off_t)g->offset));
	return (shm_create_handle(fd, g->pid, g->access, h, g->options));
}

/* The broker decides the enforcement; read it back from its list. */
static void
cmd_grant_enforcement(struct cmd_ctx *ctx, shm_handle_t h)
{
	struct qshm_handle_info	*list;
	size_t			 n, i;

	if (qshm_list_handles(&list, &n) == -1)
		return;
	for (i = 0; i < n; i++) {
		if (list[i].handle != h)
			continue;
		out_str(ctx->out, "enforcement", list[i].enforcement ==
		    QSHM_ENF_KERNEL ? "kernel" : "advisory");
		out_str(ctx->out, "reason", qshm_reason_str(list[i].reason));
		break;
	}
	free(list);
}

static void
cmd_grant_output(struct cmd_ctx *ctx, const char *name,
    const struct cmd_grant *g, shm_handle_t h)
{
	out_set_primary(ctx->out, "handle");
	out_handle(ctx->out, "handle", h);
	out_str(ctx->out, "object", name);
	out_int(ctx->out, "pid", g->pid);
	out_str(ctx->out, "access", parse_access_str(g->access));
	if (g->subrange) {
		out_uint(ctx->out, "offset", g->offset);
		out_size(ctx->out, "length", g->length);
	}
	out_bool(ctx->out, "nofd", (g->options &
	    SHM_CREATE_HANDLE_OPT_NOFD) != 0);
	cmd_grant_enforcement(ctx, h);
}

static enum cmd_ret
cmd_grant_options(struct cmd_ctx *ctx, struct args *args, struct cmd_grant *g)
{
	int	 has_off, has_len;

	if (cmd_get_pid(ctx, args, CMD_GRANT_PID, &g->pid) == -1 ||
	    cmd_get_access(ctx, args, CMD_GRANT_ACCESS, 1, &g->access) == -1 ||
	    (has_off = cmd_get_size(ctx, args, CMD_GRANT_OFFSET,
	    &g->offset)) == -1 ||
	    (has_len = cmd_get_size(ctx, args, CMD_GRANT_LENGTH,
	    &g->length)) == -1)
		return (CMD_RET_USAGE);
	if (!args_has(args, CMD_GRANT_PID))
		return (cmd_usage(ctx, NULL, "--pid is required"));
	if (has_off != has_len)
		return (cmd_usage(ctx, NULL,
		    "--offset and --length go together"));
	g->subrange = has_off;
	if (args_has(args, CMD_GRANT_NOFD))
		g->options |= SHM_CREATE_HANDLE_OPT_NOFD;
	return (CMD_RET_OK);
}

static enum cmd_ret
cmd_grant_exec(struct cmd_ctx *ctx, struct args *args)
{
	struct cmd_grant	 g = { 0, O_RDONLY, 0, 0, 0, 0 };
	struct obj		 obj;
	const char		*name = args_arg(args, 0);
	shm_handle_t		 h;
	enum cmd_ret		 ret;
	int			 fd, errnum;

	if ((ret = cmd_grant_options(ctx, args, &g)) != CMD_RET_OK)
		return (ret);
	if (obj_parse(name, &obj) == -1)
		return (cmd_usage(ctx, name, "%s", errno == EINVAL ?
		    "not a /NAME or @N" : strerror(errno)));
	if ((fd = obj_open(&obj, g.access, 0)) == -1)
		return (cmd_errno(ctx, "%s", name));
	if (cmd_grant_make(fd, &g, &h) == -1) {
		errnum = errno;
		close(fd);
		errno = errnum;
		return (cmd_errno(ctx, "%s for pid %ld", name, (long)g.pid));
	}
	close(fd);
	cmd_grant_output(ctx, name, &g, h);
	return (CMD_RET_OK);
}
