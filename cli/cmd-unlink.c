/*
 * unlink: remove an object's name, or release a parked @N object.  The
 * memory goes once the last process, handle and mapping lets go of it.
 */

#include <errno.h>
#include <string.h>

#include "cmd.h"

static enum cmd_ret	cmd_unlink_exec(struct cmd_ctx *, struct args *);

const struct cmd_entry cmd_unlink_entry = {
	.name = "unlink",
	.args = { NULL, 1, 1 },
	.usage = "OBJECT",
	.summary = "remove an object",
	.flags = 0,
	.exec = cmd_unlink_exec
};

static enum cmd_ret
cmd_unlink_exec(struct cmd_ctx *ctx, struct args *args)
{
	struct obj	 obj;
	const char	*name = args_arg(args, 0);

	if (obj_parse(name, &obj) == -1)
		return (cmd_usage(ctx, name, "%s", errno == EINVAL ?
		    "not a /NAME or @N" : strerror(errno)));
	if (obj_unlink(&obj) == -1)
		return (cmd_errno(ctx, "%s", name));
	out_set_primary(ctx->out, "object");
	out_str(ctx->out, "object", name);
	out_bool(ctx->out, "unlinked", 1);
	return (CMD_RET_OK);
}
