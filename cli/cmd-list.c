/*
 * list: what exists.  objects: /dev/shm and the objects the broker holds
 * (parked @N ones included), with their pending handles and how many
 * processes map them; handles: the pending handles the caller may see;
 * mappings: shared-memory mappings found in /proc/PID/maps.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qshm.h"
#include "broker/htab.h"
#include "cmd.h"
#include "list-broker.h"
#include "maps.h"

enum {
	CMD_LIST_OUTPUT = 'o',
	CMD_LIST_BYTES = 'b',
	CMD_LIST_NOHEADINGS = 'n',
	CMD_LIST_PID = 'p',
	CMD_LIST_UID = 'u',
	CMD_LIST_NAME = 'N'
};

static const struct args_opt cmd_list_opts[] = {
	{ CMD_LIST_OUTPUT, "output", "COLUMNS",
	    "columns to show (+COL adds to the defaults)" },
	{ CMD_LIST_BYTES, "bytes", NULL, "sizes in bytes" },
	{ CMD_LIST_NOHEADINGS, "noheadings", NULL, "no heading line" },
	{ CMD_LIST_PID, "pid", "PID", "only what involves PID" },
	{ CMD_LIST_UID, "uid", "UID", "only what involves UID" },
	{ CMD_LIST_NAME, "name", "PATTERN", "only objects named so (glob)" },
	{ 0, NULL, NULL, NULL }
};

static enum cmd_ret	cmd_list_exec(struct cmd_ctx *, struct args *);

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.args = { cmd_list_opts, 0, 1 },
	.usage = "[objects|handles|mappings|broker] [-o COLUMNS] [--bytes] "
	    "[--noheadings] [--pid PID] [--uid UID] [--name PATTERN]",
	.summary = "list objects, handles, mappings or broker counters",
	.flags = CMD_NEEDS_BROKER,
	.exec = cmd_list_exec
};

struct cmd_list_filter {
	pid_t		 pid;		/* 0: any */
	int		 has_uid;
	uid_t		 uid;
	const char	*name;		/* NULL: any */
};

static int
cmd_list_name_ok(const struct cmd_list_filter *f, const char *name)
{
	return (f->name == NULL || fnmatch(f->name, name, 0) == 0);
}

static void
cmd_list_owner(struct cmd_ctx *ctx, const char *key, uid_t uid)
{
	/* getpwuid() reads /etc/passwd anew; rows mostly share a uid. */
	static char	 name[256];
	static uid_t	 last;
	static int	 known = -1;	/* -1: nothing asked yet */
	struct passwd	*pw;

	if (known == -1 || uid != last) {
		last = uid;
		known = (pw = getpwuid(uid)) != NULL &&
		    strlen(pw->pw_name) < sizeof name;
		if (known)
			memcpy(name, pw->pw_name, strlen(pw->pw_name) + 1);
	}
	if (known)
		out_str(ctx->out, key, name);
	else
		out_uint(ctx->out, key, uid);
}

/*
 * Handles.
 */

static const struct out_col cmd_list_handle_cols[] = {
	{ "handle", "handle", OUT_DEFAULT, "the handle" },
	{ "object", "object", OUT_DEFAULT, "its object" },
	{ "creator", "creator", OUT_DEFAULT | OUT_RIGHT, "creator pid" },
	{ "creator_uid", "cuid", OUT_RIGHT, "creator uid" },
	{ "recipient", "recipient", OUT_DEFAULT | OUT_RIGHT,
	    "recipient pid" },
	{ "recipient_uid", "ruid", OUT_RIGHT, "recipient uid" },
	{ "access", "access", OUT_DEFAULT, "ro, wo or rw" },
	{ "range", "range", OUT_DEFAULT, "OFFSET+LENGTH, or all" },
	{ "offset", "offset", OUT_RIGHT, "range start" },
	{ "length", "length", OUT_RIGHT, "range length, 0: all" },
	{ "options", "options", OUT_DEFAULT, "nofd, subrange" },
	{ "enforcement", "enforcement", OUT_DEFAULT, "kernel or advisory" },
	{ "reason", "reason", OUT_DEFAULT, "why" },
	{ "state", "state", OUT_DEFAULT,
	    "pending, in use, revoking, acknowledged, enforced, timed out" },
	{ "age_ms", "age", OUT_DEFAULT | OUT_RIGHT, "since the grant" },
	{ "path", "path", 0, "the object as the broker sees it" },
	{ NULL, NULL, 0, NULL }
};

static int
cmd_list_handle_ok(const struct cmd_list_filter *f,
    const struct qshm_handle_info *hi, const char *name)
{
	if (f->pid != 0 && hi->creator_pid != f->pid &&
	    hi->recipient_pid != f->pid)
		return (0);
	if (f->has_uid && hi->creator_uid != f->uid &&
	    hi->recipient_uid != f->uid)
		return (0);
	return (cmd_list_name_ok(f, name));
}

static void
cmd_list_handle_range(struct cmd_ctx *ctx, const struct qshm_handle_info *hi)
{
	char	buf[64];

	if (hi->options & SHM_CREATE_HANDLE_OPT_SUBRANGE)
		snprintf(buf, sizeof buf, "%" PRIu64 "+%" PRIu64, hi->offset,
		    hi->length);
	else
		snprintf(buf, sizeof buf, "all");
	out_str(ctx->out, "range", buf);
	out_uint(ctx->out, "offset", hi->offset);
	out_uint(ctx->out, "length", hi->length);
}

static void
cmd_list_handle_options(struct cmd_ctx *ctx, unsigned options)
{
	const char	*s = "-";

	if ((options & SHM_CREATE_HANDLE_OPT_NOFD) &&
	    (options & SHM_CREATE_HANDLE_OPT_SUBRANGE))
		s = "nofd,subrange";
	else if (options & SHM_CREATE_HANDLE_OPT_NOFD)
		s = "nofd";
	else if (options & SHM_CREATE_HANDLE_OPT_SUBRANGE)
		s = "subrange";
	out_str(ctx->out, "options", s);
}

static void
cmd_list_handle_row(struct cmd_ctx *ctx, const struct qshm_handle_info *hi,
    const char *name)
{
	out_row(ctx->out);
	out_handle(ctx->out, "handle", hi->handle);
	out_str(ctx->out, "object", name);
	out_int(ctx->out, "creator", hi->creator_pid);
	out_uint(ctx->out, "creator_uid", hi->creator_uid);
	out_int(ctx->out, "recipient", hi->recipient_pid);
	out_uint(ctx->out, "recipient_uid", hi->recipient_uid);
	out_str(ctx->out, "access", parse_access_str(hi->access));
	cmd_list_handle_range(ctx, hi);
	cmd_list_handle_options(ctx, hi->options);
	out_str(ctx->out, "enforcement", hi->enforcement == QSHM_ENF_KERNEL ?
	    "kernel" : "advisory");
	out_str(ctx->out, "reason", qshm_reason_str(hi->reason));
	out_str(ctx->out, "state", qshm_state_str(hi->state));
	out_ms(ctx->out, "age_ms", hi->age_ms);
	out_str(ctx->out, "path", hi->path);
}

static enum cmd_ret
cmd_list_handles(struct cmd_ctx *ctx, const struct cmd_list_filter *f)
{
	struct qshm_handle_info	*list;
	char			 name[PATH_MAX];
	size_t			 n, i;

	if (qshm_list_handles(&list, &n) == -1)
		return (cmd_errno(ctx, "handles"));
	for (i = 0; i < n; i++) {
		list[i].path[sizeof list[i].path - 1] = '\0';
		maps_object_name(list[i].path, list[i].object_id, name,
		    sizeof name);
		if (cmd_list_handle_ok(f, &list[i], name))
			cmd_list_handle_row(ctx, &list[i], name);
	}
	free(list);
	return (CMD_RET_OK);
}

/*
 * Mappings.
 */

static const struct out_col cmd_list_mapping_cols[] = {
	{ "pid", "pid", OUT_DEFAULT | OUT_RIGHT, "the process" },
	{ "command", "command", OUT_DEFAULT, "its name" },
	{ "uid", "uid", OUT_RIGHT, "its uid" },
	{ "object", "object", OUT_DEFAULT, "the object mapped" },
	{ "start", "start", OUT_DEFAULT, "first address" },
	{ "end", "end", OUT_DEFAULT, "address past the last" },
	{ "size", "size", OUT_DEFAULT | OUT_RIGHT, "bytes mapped" },
	{ "prot", "prot", OUT_DEFAULT, "protection, s: shared" },
	{ "offset", "offset", OUT_RIGHT, "offset in the object" },
	{ "dev", "dev", OUT_RIGHT, "the object's device" },
	{ "ino", "ino", OUT_RIGHT, "the object's inode" },
	{ NULL, NULL, 0, NULL }
};

struct cmd_list_maps {
	struct cmd_ctx			*ctx;
	const struct cmd_list_filter	*f;
};

static int
cmd_list_mapping_row(const struct maps_entry *e, void *arg)
{
	struct cmd_list_maps	*lm = arg;
	struct out		*out = lm->ctx->out;
	char			 name[PATH_MAX], addr[32];

	maps_object_name(e->path, 0, name, sizeof name);
	if ((lm->f->pid != 0 && e->pid != lm->f->pid) ||
	    (lm->f->has_uid && e->uid != lm->f->uid) ||
	    !cmd_list_name_ok(lm->f, name))
		return (0);
	out_row(out);
	out_int(out, "pid", e->pid);
	out_str(out, "command", e->comm);
	out_uint(out, "uid", e->uid);
	out_str(out, "object", name);
	snprintf(addr, sizeof addr, "0x%" PRIx64, e->start);
	out_str(out, "start", addr);
	snprintf(addr, sizeof addr, "0x%" PRIx64, e->end);
	out_str(out, "end", addr);
	out_size(out, "size", e->end - e->start);
	out_str(out, "prot", e->prot);
	out_uint(out, "offset", e->offset);
	out_uint(out, "dev", e->dev);
	out_uint(out, "ino", e->ino);
	return (0);
}

static enum cmd_ret
cmd_list_mappings(struct cmd_ctx *ctx, const struct cmd_list_filter *f)
{
	struct cmd_list_maps	lm = { ctx, f };

	if (maps_scan(cmd_list_mapping_row, &lm) == -1)
		return (cmd_errno(ctx, "/proc"));
	return (CMD_RET_OK);
}

/*
 * Objects.
 */

static const struct out_col cmd_list_object_cols[] = {
	{ "name", "name", OUT_DEFAULT, "/name, @N or memfd:name" },
	{ "size", "size", OUT_DEFAULT | OUT_RIGHT, "size" },
	{ "mode", "mode", OUT_DEFAULT, "permissions" },
	{ "owner", "owner", OUT_DEFAULT, "inode owner (parked: the parker)" },
	{ "uid", "uid", OUT_RIGHT, "owner uid" },
	{ "gid", "gid", OUT_RIGHT, "group id" },
	{ "seals", "seals", OUT_DEFAULT, "memfd seals" },
	{ "flags", "flags", 0, "SHMCTL flags set through the broker" },
	{ "pending", "pending", OUT_DEFAULT | OUT_RIGHT, "pending handles" },
	{ "mappers", "mappers", OUT_DEFAULT | OUT_RIGHT,
	    "processes mapping it" },
	{ "broker", "broker", 0, "held by the broker" },
	{ "dev", "dev", OUT_RIGHT, "device" },
	{ "ino", "ino", OUT_RIGHT, "inode" },
	{ NULL, NULL, 0, NULL }
};

struct cmd_list_obj {
	uint64_t	 ino;		/* by_ino's key */
	uint64_t	 dev;
	struct cmd_list_obj *same_ino;	/* other devices', same ino */
	char		 name[PATH_MAX];
	uint64_t	 size;
	uint32_t	 mode;
	uint32_t	 uid;
	uint32_t	 gid;
	uint32_t	 seals;
	uint32_t	 flags;
	uint32_t	 pending;
	int		 broker;
	int		 mappers;
	pid_t		 last_pid;
	int		 mapped_by;	/* the --pid process maps it */
};

/*
 * The objects in the order found, and the broker's hash table of them by
 * inode (htab.h), as its object registry keeps them: searching v for
 * every object of the broker's and every mapping was an eighth of
 * `qshmctl list`'s time with 1000.
 */
struct cmd_list_objs {
	struct cmd_list_obj	**v;
	size_t			  n;
	size_t			  cap;	/* v grows by doubling */
	struct htab		  by_ino;
	pid_t			  pid;	/* --pid */
};

static void
cmd_list_objs_init(struct cmd_list_objs *lo, pid_t pid)
{
	memset(lo, 0, sizeof *lo);
	htab_init(&lo->by_ino, offsetof(struct cmd_list_obj, ino));
	lo->pid = pid;
}

static void
cmd_list_objs_free(struct cmd_list_objs *lo)
{
	size_t	i;

	for (i = 0; i < lo->n; i++)
		free(lo->v[i]);
	free(lo->v);
	htab_free(&lo->by_ino);
}

/* The object of dev and ino, or NULL. */
static struct cmd_list_obj *
cmd_list_obj_find(const struct cmd_list_objs *lo, uint64_t dev, uint64_t ino)
{
	struct cmd_list_obj	*o;

	for (o = htab_lookup(&lo->by_ino, ino); o != NULL; o = o->same_ino)
		if (o->dev == dev)
			return (o);
	return (NULL);
}

/* The object of dev and ino, added if new; NULL without memory. */
static struct cmd_list_obj *
cmd_list_obj_get(struct cmd_list_objs *lo, uint64_t dev, uint64_t ino)
{
	struct cmd_list_obj	*o, *head, **v;
	size_t			 cap;

	if ((o = cmd_list_obj_find(lo, dev, ino)) != NULL)
		return (o);
	if (lo->n == lo->cap) {
		cap = lo->cap == 0 ? 64 : lo->cap * 2;
		if ((v = reallocarray(lo->v, cap, sizeof *v)) == NULL)
			return (NULL);
		lo->v = v;
		lo->cap = cap;
	}
	if ((o = calloc(1, sizeof *o)) == NULL)
		return (NULL);
	o->dev = dev;
	o->ino = ino;
	if ((head = htab_lookup(&lo->by_ino, ino)) != NULL) {
		o->same_ino = head->same_ino;
		head->same_ino = o;
	} else if (htab_insert(&lo->by_ino, o) != 0) {
		free(o);
		return (NULL);
	}
	lo->v[lo->n++] = o;
	return (o);
}

static int
cmd_list_obj_shm(struct cmd_list_objs *lo)
{
	struct cmd_list_obj	*o;
	struct dirent		*de;
	struct stat		 st;
	DIR			*d;

	if ((d = opendir("/dev/shm")) == NULL)
		return (errno == ENOENT ? 0 : -1);
	while ((de = readdir(d)) != NULL) {
		if (fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode))
			continue;
		if ((o = cmd_list_obj_get(lo, st.st_dev, st.st_ino)) == NULL)
			break;
		snprintf(o->name, sizeof o->name, "/%s", de->d_name);
		o->size = (uint64_t)st.st_size;
		o->mode = st.st_mode;
		o->uid = st.st_uid;
		o->gid = st.st_gid;
	}
	closedir(d);
	return (de == NULL ? 0 : -1);
}

static int
cmd_list_obj_broker(struct cmd_list_objs *lo)
{
	struct qshm_object_info	*list, *oi;
	struct cmd_list_obj	*o;
	size_t			 n, i;

	if (qshm_list_objects(&list, &n) == -1)
		return (-1);
	for (i = 0; i < n; i++) {
		oi = &list[i];
		oi->path[sizeof oi->path - 1] = '\0';
		if ((o = cmd_list_obj_get(lo, oi->dev, oi->ino)) == NULL)
			break;
		maps_object_name(oi->path, oi->object_id, o->name,
		    sizeof o->name);
		o->size = oi->size;
		o->mode = oi->mode;
		o->uid = oi->uid;
		o->gid = oi->gid;
		o->seals = oi->seals;
		o->flags = oi->flags;
		o->pending = oi->pending;
		o->broker = 1;
	}
	free(list);
	return (i == n ? 0 : -1);
}

static int
cmd_list_obj_mapper(const struct maps_entry *e, void *arg)
{
	struct cmd_list_objs	*lo = arg;
	struct cmd_list_obj	*o;

	if ((o = cmd_list_obj_find(lo, e->dev, e->ino)) == NULL)
		return (0);
	if (o->last_pid != e->pid)
		o->mappers++;
	o->last_pid = e->pid;
	if (e->pid == lo->pid)
		o->mapped_by = 1;
	return (0);
}

struct cmd_list_bit {
	uint32_t	 bit;
	const char	*name;
};

static const struct cmd_list_bit cmd_list_seal_bits[] = {
	{ F_SEAL_SEAL, "seal" }, { F_SEAL_SHRINK, "shrink" },
	{ F_SEAL_GROW, "grow" }, { F_SEAL_WRITE, "write" },
	{ F_SEAL_FUTURE_WRITE, "future_write" }, { 0, NULL }
};

static const struct cmd_list_bit cmd_list_flag_bits[] = {
	{ SHMCTL_ANON, "anon" }, { SHMCTL_SEAL, "seal" },
	{ SHMCTL_REVOCABLE, "revocable" }, { SHMCTL_LAZY, "lazy" },
	{ 0, NULL }
};

/* Add the names of the bits set in value, "a,b", or "-" if none. */
static void
cmd_list_bits(struct cmd_ctx *ctx, const char *key,
    const struct cmd_list_bit *bits, uint32_t value)
{
	char	buf[128];
	size_t	len = 0;
	int	n;

	buf[0] = '\0';
	for (; bits->name != NULL; bits++) {
		if ((value & bits->bit) == 0)
			continue;
		n = snprintf(buf + len, sizeof buf - len, "%s%s",
		    len > 0 ? "," : "", bits->name);
		if (n > 0 && (size_t)n < sizeof buf - len)
			len += (size_t)n;
	}
	out_str(ctx->out, key, len > 0 ? buf : "-");
}

static void
cmd_list_obj_row(struct cmd_ctx *ctx, const struct cmd_list_obj *o)
{
	out_row(ctx->out);
	out_str(ctx->out, "name", o->name);
	out_size(ctx->out, "size", o->size);
	out_mode(ctx->out, "mode", o->mode);
	cmd_list_owner(ctx, "owner", o->uid);
	out_uint(ctx->out, "uid", o->uid);
	out_uint(ctx->out, "gid", o->gid);
	/*
	 * tmpfs gives every file that is not a sealable memfd F_SEAL_SEAL
	 * alone: it only says no seal can be added, so it is no seal.
	 */
	cmd_list_bits(ctx, "seals", cmd_list_seal_bits,
	    o->seals == F_SEAL_SEAL ? 0 : o->seals);
	cmd_list_bits(ctx, "flags", cmd_list_flag_bits, o->flags);
	out_uint(ctx->out, "pending", o->pending);
	out_uint(ctx->out, "mappers", (uint64_t)o->mappers);
	out_bool(ctx->out, "broker", o->broker);
	out_uint(ctx->out, "dev", o->dev);
	out_uint(ctx->out, "ino", o->ino);
}

static enum cmd_ret
cmd_list_objects(struct cmd_ctx *ctx, const struct cmd_list_filter *f)
{
	struct cmd_list_objs	 lo;
	const struct cmd_list_obj *o;
	size_t			 i;

	cmd_list_objs_init(&lo, f->pid);
	if (cmd_list_obj_shm(&lo) == -1) {
		cmd_list_objs_free(&lo);
		return (cmd_errno(ctx, "/dev/shm"));
	}
	if (cmd_list_obj_broker(&lo) == -1) {
		cmd_list_objs_free(&lo);
		return (cmd_errno(ctx, "objects"));
	}
	maps_scan(cmd_list_obj_mapper, &lo);
	for (i = 0; i < lo.n; i++) {
		o = lo.v[i];
		if ((f->pid == 0 || o->mapped_by) &&
		    (!f->has_uid || o->uid == f->uid) &&
		    cmd_list_name_ok(f, o->name))
			cmd_list_obj_row(ctx, o);
	}
	cmd_list_objs_free(&lo);
	return (CMD_RET_OK);
}

/* The broker's counters and usage by uid (list-broker.c). */
static enum cmd_ret
cmd_list_broker(struct cmd_ctx *ctx, const struct cmd_list_filter *f)
{
	return (list_broker(ctx, f->has_uid, f->uid));
}

/*
 * The command.
 */

static const struct {
	const char		*what;
	const struct out_col	*cols;
	enum cmd_ret		(*fill)(struct cmd_ctx *,
				    const struct cmd_list_filter *);
} cmd_list_kinds[] = {
	{ "objects", cmd_list_object_cols, cmd_list_objects },
	{ "handles", cmd_list_handle_cols, cmd_list_handles },
	{ "mappings", cmd_list_mapping_cols, cmd_list_mappings },
	{ "broker", list_broker_cols, cmd_list_broker }
};

static int
cmd_list_kind(const char *what)
{
	size_t	i, len = strlen(what);

	for (i = 0; i < sizeof cmd_list_kinds / sizeof cmd_list_kinds[0];
	    i++) {
		if (len > 0 && strncmp(cmd_list_kinds[i].what, what, len) == 0)
			return ((int)i);
	}
	return (-1);
}

static enum cmd_ret
cmd_list_filters(struct cmd_ctx *ctx, struct args *args,
    struct cmd_list_filter *f)
{
	const char	*s;

	memset(f, 0, sizeof *f);
	if (cmd_get_pid(ctx, args, CMD_LIST_PID, &f->pid) == -1)
		return (CMD_RET_USAGE);
	if ((s = args_get(args, CMD_LIST_UID)) != NULL) {
		if (parse_uid(s, &f->uid) == -1)
			return (cmd_usage(ctx, s, "no such user"));
		f->has_uid = 1;
	}
	f->name = args_get(args, CMD_LIST_NAME);
	return (CMD_RET_OK);
}

static enum cmd_ret
cmd_list_exec(struct cmd_ctx *ctx, struct args *args)
{
	struct cmd_list_filter	 f;
	const char		*what = args_arg(args, 0);
	char			*cause;
	enum cmd_ret		 ret;
	int			 k = 0;

	if (what != NULL && (k = cmd_list_kind(what)) == -1)
		return (cmd_usage(ctx, what, "not objects, handles, "
		    "mappings or broker"));
	if ((ret = cmd_list_filters(ctx, args, &f)) != CMD_RET_OK)
		return (ret);
	out_set_bytes(ctx->out, args_has(args, CMD_LIST_BYTES) > 0);
	out_set_headings(ctx->out, !args_has(args, CMD_LIST_NOHEADINGS));
	if (out_table(ctx->out, cmd_list_kinds[k].what, cmd_list_kinds[k].cols,
	    args_get(args, CMD_LIST_OUTPUT), &cause) == -1) {
		ret = cmd_usage(ctx, args_get(args, CMD_LIST_OUTPUT), "%s",
		    cause);
		free(cause);
		return (ret);
	}
	return (cmd_list_kinds[k].fill(ctx, &f));
}
