/*
 * truncate: set the size of an object.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static enum cmd_ret	cmd_truncate_exec(struct cmd_ctx *, struct args *);

const struct cmd_entry cmd_truncate_entry = {
	.name = "truncate",
	.args = { NULL, 2, 2 },
	.usage = "OBJECT SIZE",
	.summary = "set the size of an object",
	.flags = 0,
	.exec = cmd_truncate_exec
};

static enum cmd_ret
cmd_truncate_exec(struct cmd_ctx *ctx, struct args *args)
{
	struct obj	 obj;
	const char	*name = args_arg(args, 0), *s = args_arg(args, 1);
	uint64_t	 size;
	int		 fd, errnum;

	if (obj_parse(name, &obj) == -1)
		return (cmd_usage(ctx, name, "%s", errno == EINVAL ?
		    "not a /NAME or @N" : strerror(errno)));
	if (parse_size(s, &size) == -1)
		return (cmd_usage(ctx, s, "size: %s", errno == ERANGE ?
		    "out of range" : "invalid"));
	if ((fd = obj_open(&obj, O_RDWR, 0)) == -1)
		return (cmd_errno(ctx, "%s", name));
	if (ftruncate(fd, (off_t)size) == -1) {
		errnum = errno;
		close(fd);
		errno = errnum;
		return (cmd_errno(ctx, "%s", name));
	}
	close(fd);
	out_set_primary(ctx->out, "object");
	out_str(ctx->out, "object", name);
	out_size(ctx->out, "size", size);
	return (CMD_RET_OK);
}
