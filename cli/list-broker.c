/*
 * list-broker.c: `qshmctl list broker`.  Counters from qshm_stats() and
 * usage from qshm_list_uids() become rows of one table: what is counted,
 * for which uid (none: the whole broker), its value and the cap it runs
 * against, if any.
 */

#include <stdlib.h>

#include "qshm.h"
#include "list-broker.h"

const struct out_col list_broker_cols[] = {
	{ "name", "name", OUT_DEFAULT, "what is counted" },
	{ "uid", "uid", OUT_DEFAULT | OUT_RIGHT, "whose (none: everyone's)" },
	{ "value", "value", OUT_DEFAULT | OUT_RIGHT, "now, or since start" },
	{ "limit", "limit", OUT_DEFAULT | OUT_RIGHT, "the cap, if any" },
	{ NULL, NULL, 0, NULL }
};

static void
list_broker_row(struct cmd_ctx *ctx, const char *name, const uid_t *uid,
    uint64_t value, uint64_t limit)
{
	out_row(ctx->out);
	out_str(ctx->out, "name", name);
	if (uid != NULL)
		out_uint(ctx->out, "uid", *uid);
	out_uint(ctx->out, "value", value);
	if (limit != 0)
		out_uint(ctx->out, "limit", limit);
}

static void
list_broker_table(struct cmd_ctx *ctx, const struct qshm_stats *s)
{
	const struct {
		const char	*name;
		uint64_t	 value;
		uint64_t	 limit;
	} rows[] = {
		{ "pid", s->pid, 0 },
		{ "uptime_ms", s->uptime_ms, 0 },
		{ "restarts", s->restarts, 0 },
		{ "connections", s->connections, s->max_connections },
		{ "connections_total", s->connections_total, 0 },
		{ "objects", s->objects, s->max_objects },
		{ "handles", s->handles, s->max_handles },
		{ "procs", s->procs, 0 },
		{ "grants", s->grants, 0 },
		{ "opens", s->opens, 0 },
		{ "maps", s->maps, 0 },
		{ "deletes", s->deletes, 0 },
		{ "reclaimed", s->reclaimed, 0 },
		{ "revokes", s->revokes, 0 },
		{ "denials", s->denials, 0 },
		{ "denied_unknown", s->denied_unknown, 0 },
		{ "denied_access", s->denied_access, 0 },
		{ "denied_limit", s->denied_limit, 0 },
		{ "denied_invalid", s->denied_invalid, 0 },
		{ "denied_other", s->denied_other, 0 },
		{ "bad_messages", s->bad_messages, 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
		list_broker_row(ctx, rows[i].name, NULL, rows[i].value,
		    rows[i].limit);
}

/* The broker's counters, and totals of the uids' rows. */
static void
list_broker_counters(struct cmd_ctx *ctx, const struct qshm_stats *s,
    const struct qshm_uid_info *v, size_t n)
{
	uint64_t	parked = 0, inflight = 0;
	size_t		i;

	for (i = 0; i < n; i++) {
		parked += v[i].parked;
		inflight += v[i].inflight;
	}
	list_broker_table(ctx, s);
	list_broker_row(ctx, "parked", NULL, parked, s->max_parked);
	list_broker_row(ctx, "inflight", NULL, inflight, s->max_inflight);
}

static void
list_broker_uid(struct cmd_ctx *ctx, const struct qshm_uid_info *u)
{
	uid_t	uid = u->uid;

	list_broker_row(ctx, "uid_handles", &uid, u->handles, u->max_handles);
	list_broker_row(ctx, "uid_received", &uid, u->received, 0);
	list_broker_row(ctx, "uid_connections", &uid, u->connections,
	    u->max_connections);
	list_broker_row(ctx, "uid_procs", &uid, u->procs, 0);
	list_broker_row(ctx, "uid_parked", &uid, u->parked, u->max_parked);
	list_broker_row(ctx, "uid_inflight", &uid, u->inflight,
	    u->max_inflight);
}

/* Fill the table; see list-broker.h. */
enum cmd_ret
list_broker(struct cmd_ctx *ctx, int has_uid, uid_t uid)
{
	struct qshm_stats	 s;
	struct qshm_uid_info	*v;
	size_t			 n, i;

	if (qshm_stats(&s) == -1)
		return (cmd_errno(ctx, "broker"));
	if (qshm_list_uids(&v, &n) == -1)
		return (cmd_errno(ctx, "broker"));
	if (!has_uid)
		list_broker_counters(ctx, &s, v, n);
	for (i = 0; i < n; i++)
		if (!has_uid || v[i].uid == uid)
			list_broker_uid(ctx, &v[i]);
	free(v);
	return (CMD_RET_OK);
}
