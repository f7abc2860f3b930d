/*
 * map-dump: print an object's bytes, or those behind a handle granted to
 * this process, as xxd, hexdump -C, raw bytes or JSON with base64.
 */

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qshm.h"
#include "cmd.h"
#include "dump.h"

enum {
	CMD_MAP_DUMP_HANDLE = 'H',
	CMD_MAP_DUMP_OFFSET = 'o',
	CMD_MAP_DUMP_LENGTH = 'l',
	CMD_MAP_DUMP_FORMAT = 'f'
};

static const struct args_opt cmd_map_dump_opts[] = {
	{ CMD_MAP_DUMP_HANDLE, "handle", "H", "dump what a handle grants" },
	{ CMD_MAP_DUMP_OFFSET, "offset", "N", "start at byte N" },
	{ CMD_MAP_DUMP_LENGTH, "length", "N", "dump N bytes at most" },
	{ CMD_MAP_DUMP_FORMAT, "format", "xxd|canonical|raw|json",
	    "the format (default xxd; json with -j)" },
	{ 0, NULL, NULL, NULL }
};

static enum cmd_ret	cmd_map_dump_exec(struct cmd_ctx *, struct args *);

const struct cmd_entry cmd_map_dump_entry = {
	.name = "map-dump",
	.args = { cmd_map_dump_opts, 0, 1 },
	.usage = "OBJECT|--handle H [--offset N] [--length N] "
	    "[--format xxd|canonical|raw|json]",
	.summary = "print an object's contents",
	.flags = 0,
	.exec = cmd_map_dump_exec
};

struct cmd_map_dump {
	const char		*object;
	uint64_t		 offset;
	uint64_t		 length;
	int			 has_length;
	enum dump_format	 format;
};

/*
 * Clip the window to size as xxd -s/-l and hexdump -s/-n do: an offset
 * past the end shows nothing but hexdump's final offset line, and an
 * explicit length 0 shows nothing at all.
 */
static enum cmd_ret
cmd_map_dump_window(struct cmd_ctx *ctx, struct cmd_map_dump *md,
    const struct dump_src *src, uint64_t size)
{
	if (md->has_length && md->length == 0 && md->format != DUMP_JSON) {
		out_raw(ctx->out);
		return (CMD_RET_OK);
	}
	if (md->offset > size)
		md->offset = size;
	if (!md->has_length || md->length > size - md->offset)
		md->length = size - md->offset;
	return (dump_run(ctx, md->object, src, md->offset, md->length,
	    md->format));
}

static enum cmd_ret
cmd_map_dump_fd(struct cmd_ctx *ctx, struct cmd_map_dump *md, int fd)
{
	struct dump_src	src = { fd, NULL };
	struct stat	st;
	enum cmd_ret	ret;

	if (fstat(fd, &st) == -1)
		ret = cmd_errno(ctx, "%s", md->object);
	else
		ret = cmd_map_dump_window(ctx, md, &src, (uint64_t)st.st_size);
	close(fd);
	return (ret);
}

/* The bytes a handle that gives no fd grants (a sub-range or NOFD). */
static int
cmd_map_dump_range(shm_handle_t h, uint64_t *len)
{
	struct qshm_handle_info	*hl;
	struct qshm_object_info	*ol;
	size_t			 nh, no, i, j;

	if (qshm_list_handles(&hl, &nh) == -1)
		return (-1);
	if (qshm_list_objects(&ol, &no) == -1) {
		free(hl);
		return (-1);
	}
	*len = 0;
	for (i = 0; i < nh && hl[i].handle != h; i++)
		;
	for (j = 0; i < nh && j < no; j++) {
		if (ol[j].dev == hl[i].dev && ol[j].ino == hl[i].ino)
			*len = hl[i].length != 0 ? hl[i].length : ol[j].size;
	}
	free(ol);
	free(hl);
	if (i == nh)
		errno = ESRCH;
	return (i == nh ? -1 : 0);
}

static enum cmd_ret
cmd_map_dump_mapped(struct cmd_ctx *ctx, struct cmd_map_dump *md,
    shm_handle_t h)
{
	struct dump_src	 src = { -1, NULL };
	uint64_t	 len;
	void		*p;
	enum cmd_ret	 ret;

	if (cmd_map_dump_range(h, &len) == -1)
		return (cmd_errno(ctx, "%s", md->object));
	if (len == 0)
		return (cmd_map_dump_window(ctx, md, &src, 0));
	p = mmap_handle(NULL, (size_t)len, PROT_READ, MAP_SHARED, h, 0);
	if (p == MAP_FAILED)
		return (cmd_errno(ctx, "%s", md->object));
	src.mem = p;
	ret = cmd_map_dump_window(ctx, md, &src, len);
	munmap(p, (size_t)len);
	return (ret);
}

static enum cmd_ret
cmd_map_dump_handle(struct cmd_ctx *ctx, struct cmd_map_dump *md)
{
	uint64_t	h;
	int		fd;

	if (parse_handle(md->object, &h) == -1)
		return (cmd_usage(ctx, md->object, "not a handle"));
	if ((fd = shm_open_handle(h, O_RDONLY | O_CLOEXEC)) != -1)
		return (cmd_map_dump_fd(ctx, md, fd));
	/* NOFD and sub-range handles give no fd, but can be mapped. */
	if (errno != EACCES)
		return (cmd_errno(ctx, "%s", md->object));
	return (cmd_map_dump_mapped(ctx, md, h));
}

static enum cmd_ret
cmd_map_dump_object(struct cmd_ctx *ctx, struct cmd_map_dump *md)
{
	struct obj	obj;
	int		fd;

	if (obj_parse(md->object, &obj) == -1)
		return (cmd_usage(ctx, md->object, "%s", errno == EINVAL ?
		    "not a /NAME or @N" : strerror(errno)));
	if ((fd = obj_open(&obj, O_RDONLY, 0)) == -1)
		return (cmd_errno(ctx, "%s", md->object));
	return (cmd_map_dump_fd(ctx, md, fd));
}

static enum cmd_ret
cmd_map_dump_exec(struct cmd_ctx *ctx, struct args *args)
{
	struct cmd_map_dump	 md;
	const char		*f = args_get(args, CMD_MAP_DUMP_FORMAT);
	const char		*hs = args_get(args, CMD_MAP_DUMP_HANDLE);

	memset(&md, 0, sizeof md);
	md.format = ctx->json ? DUMP_JSON : DUMP_XXD;
	if (f != NULL && dump_format_parse(f, &md.format) == -1)
		return (cmd_usage(ctx, f, "unknown format"));
	if (cmd_get_size(ctx, args, CMD_MAP_DUMP_OFFSET, &md.offset) == -1 ||
	    (md.has_length = cmd_get_size(ctx, args, CMD_MAP_DUMP_LENGTH,
	    &md.length)) == -1)
		return (CMD_RET_USAGE);
	if ((hs != NULL) == (args_count(args) == 1))
		return (cmd_usage(ctx, NULL, "give an OBJECT or --handle"));
	if (hs != NULL) {
		md.object = hs;
		return (cmd_map_dump_handle(ctx, &md));
	}
	md.object = args_arg(args, 0);
	return (cmd_map_dump_object(ctx, &md));
}
