/*
 * create: make a POSIX shared-memory object, or an anonymous one (a
 * memfd) parked in the broker as @N so that it outlives this process.
 */

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define QSHM_NO_WRAPPERS
#include "qshm.h"
#include "cmd.h"

enum {
	CMD_CREATE_ANON = 'a',
	CMD_CREATE_EXCL = 'x',
	CMD_CREATE_MODE = 'm',
	CMD_CREATE_SIZE = 'S',
	CMD_CREATE_SEAL = ARGS_LONG,
	CMD_CREATE_REVOCABLE
};

static const struct args_opt cmd_create_opts[] = {
	{ CMD_CREATE_ANON, "anon", NULL, "anonymous, parked in the broker" },
	{ CMD_CREATE_SIZE, "size", "N", "size in bytes (K, M, G suffixes)" },
	{ CMD_CREATE_MODE, "mode", "OCTAL", "permissions (default 0600)" },
	{ CMD_CREATE_EXCL, "excl", NULL, "fail if the name exists" },
	{ CMD_CREATE_SEAL, "seal", NULL,
	    "seal the size (--anon only: shrink, grow, seal)" },
	{ CMD_CREATE_REVOCABLE, "revocable", NULL,
	    "let mappings be revoked (--anon only)" },
	{ 0, NULL, NULL, NULL }
};

static enum cmd_ret	cmd_create_exec(struct cmd_ctx *, struct args *);

const struct cmd_entry cmd_create_entry = {
	.name = "create",
	.args = { cmd_create_opts, 0, 1 },
	.usage = "/NAME|--anon [--size N] [--mode OCTAL] [--excl] [--seal] "
	    "[--revocable]",
	.summary = "create a shared-memory object",
	.flags = CMD_SETS_LAST,
	.exec = cmd_create_exec
};

struct cmd_create {
	uint64_t	size;
	int		has_size;
	mode_t		mode;
	int		excl;
	int		seal;
	int		revocable;
};

/* Open or make the object; *created says whether it is new. */
static int
cmd_create_open(const struct obj *obj, const struct cmd_create *cc,
    int *created)
{
	int	fd;

	*created = 1;
	fd = shm_open(obj->spec, O_RDWR | O_CREAT | O_EXCL, cc->mode);
	if (fd != -1 || errno != EEXIST || cc->excl)
		return (fd);
	*created = 0;
	return (shm_open(obj->spec, O_RDWR, 0));
}

static void
cmd_create_output(struct cmd_ctx *ctx, const char *object, int fd,
    int created)
{
	struct stat	st;

	out_set_primary(ctx->out, "object");
	out_str(ctx->out, "object", object);
	if (fstat(fd, &st) == 0) {
		out_size(ctx->out, "size", (uint64_t)st.st_size);
		out_mode(ctx->out, "mode", st.st_mode);
	}
	out_bool(ctx->out, "created", created);
}

static enum cmd_ret
cmd_create_posix(struct cmd_ctx *ctx, const struct obj *obj,
    const struct cmd_create *cc)
{
	int	fd, created, errnum;

	if ((fd = cmd_create_open(obj, cc, &created)) == -1)
		return (cmd_errno(ctx, "%s", obj->spec));
	/* The umask is not meant to narrow an explicit --mode. */
	if ((created && fchmod(fd, cc->mode) == -1) ||
	    (cc->has_size && ftruncate(fd, (off_t)cc->size) == -1)) {
		errnum = errno;
		if (created)
			shm_unlink(obj->spec);
		close(fd);
		errno = errnum;
		return (cmd_errno(ctx, "%s", obj->spec));
	}
	cmd_create_output(ctx, obj->spec, fd, created);
	close(fd);
	return (CMD_RET_OK);
}

static int
cmd_create_memfd(const struct cmd_create *cc)
{
	int	fd, errnum;

	if ((fd = memfd_create("qshm-anon", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1)
		return (-1);
	/* Through the broker, which keeps the flags after we exit. */
	if (fchmod(fd, cc->mode) == -1 ||
	    ftruncate(fd, (off_t)cc->size) == -1 ||
	    ((cc->seal || cc->revocable) && shm_ctl(fd,
	    (cc->seal ? SHMCTL_SEAL : 0) |
	    (cc->revocable ? SHMCTL_REVOCABLE : 0), 0, 0) == -1)) {
		errnum = errno;
		close(fd);
		errno = errnum;
		return (-1);
	}
	return (fd);
}

static enum cmd_ret
cmd_create_anon(struct cmd_ctx *ctx, const struct cmd_create *cc)
{
	char		object[16];
	uint32_t	id;
	int		fd;

	if ((fd = cmd_create_memfd(cc)) == -1)
		return (cmd_errno(ctx, "anonymous object"));
	if (qshm_park(fd, &id) == -1) {
		close(fd);
		return (cmd_errno(ctx, "anonymous object"));
	}
	snprintf(object, sizeof object, "@%u", id);
	cmd_create_output(ctx, object, fd, 1);
	out_uint(ctx->out, "id", id);
	out_bool(ctx->out, "sealed", cc->seal);
	out_bool(ctx->out, "revocable", cc->revocable);
	close(fd);
	return (CMD_RET_OK);
}

static enum cmd_ret
cmd_create_exec(struct cmd_ctx *ctx, struct args *args)
{
	struct cmd_create	 cc = { 0, 0, 0600, 0, 0, 0 };
	struct obj		 obj;
	const char		*name = args_arg(args, 0);
	int			 anon = args_has(args, CMD_CREATE_ANON) > 0;

	if ((cc.has_size = cmd_get_size(ctx, args, CMD_CREATE_SIZE,
	    &cc.size)) == -1 ||
	    cmd_get_mode(ctx, args, CMD_CREATE_MODE, &cc.mode) == -1)
		return (CMD_RET_USAGE);
	cc.excl = args_has(args, CMD_CREATE_EXCL) > 0;
	cc.seal = args_has(args, CMD_CREATE_SEAL) > 0;
	cc.revocable = args_has(args, CMD_CREATE_REVOCABLE) > 0;
	if (anon == (name != NULL))
		return (cmd_usage(ctx, NULL, "give a /NAME or --anon"));
	if (anon)
		return (cmd_create_anon(ctx, &cc));
	if (cc.seal || cc.revocable)
		return (cmd_usage(ctx, name, "%s needs --anon", cc.seal ?
		    "--seal" : "--revocable"));
	if (obj_parse(name, &obj) == -1 || obj.id != 0)
		return (cmd_usage(ctx, name, "%s", errno == ENAMETOOLONG ?
		    strerror(errno) : "not a /NAME"));
	return (cmd_create_posix(ctx, &obj, &cc));
}
