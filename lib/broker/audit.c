/*
 * audit.c: the audit log.  Each event is one JSON object on one line,
 * written with a single write() so lines from a crash are never torn in
 * the middle; a failed write is dropped rather than stalling the broker.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "proto.h"
#include "audit.h"
#include "handles.h"
#include "objects.h"
#include "policy.h"
#include "procs.h"

static int	audit_fd = -1;
static int	audit_own_fd;	/* close it at the end */
static uint64_t	audit_dropped;	/* lines the file would not take */

/* Start logging to path ("-": stderr, NULL: nowhere); returns errno. */
int
audit_open(const char *path)
{
	audit_close();
	if (path == NULL)
		return (0);
	if (strcmp(path, "-") == 0) {
		audit_fd = STDERR_FILENO;
		return (0);
	}
	audit_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOCTTY, 0600);
	if (audit_fd == -1)
		return (errno);
	audit_own_fd = 1;
	return (0);
}

/* Stop logging. */
void
audit_close(void)
{
	if (audit_fd != -1 && audit_own_fd)
		close(audit_fd);
	audit_fd = -1;
	audit_own_fd = 0;
}

/* Whether events are logged at all. */
bool
audit_enabled(void)
{
	return (audit_fd != -1);
}

/* A record of event with nothing else set. */
void
audit_rec_init(struct audit_rec *r, const char *event)
{
	memset(r, 0, sizeof *r);
	r->event = event;
	r->access = r->enforcement = r->reason = -1;
}

/* Fill a record from a handle (object, both ends, access, enforcement). */
void
audit_rec_handle(struct audit_rec *r, const struct handle *h)
{
	r->handle = h->id;
	r->obj = h->obj;
	r->has_creator = r->has_recipient = true;
	r->cpid = h->creator->pid;
	r->cuid = h->creator_uid;
	r->rpid = h->recipient->pid;
	r->ruid = h->recipient_uid;
	r->access = h->access;
	r->enforcement = h->enforcement;
	r->reason = h->reason;
}

/* "2025-01-31T12:34:56.789Z" */
static void
audit_time(char *buf, size_t size)
{
	struct timespec	ts;
	struct tm	tm;
	char		s[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03ldZ", s, ts.tv_nsec / 1000000L);
}

/* A JSON string of s; bytes that are not UTF-8 become '?'. */
static json_t *
audit_string(const char *s)
{
	json_t	*j;
	char	*copy, *p;

	if ((j = json_string(s)) != NULL || (copy = strdup(s)) == NULL)
		return (j);
	for (p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return (j);
}

static json_t *
audit_who(pid_t pid, uid_t uid)
{
	return (json_pack("{s:I,s:I}", "pid", (json_int_t)pid,
	    "uid", (json_int_t)uid));
}

static void
audit_object(json_t *o, const struct audit_rec *r)
{
	json_t	*obj;

	if (r->obj != NULL) {
		obj = json_pack("{s:I,s:I}", "dev", (json_int_t)r->obj->dev,
		    "ino", (json_int_t)r->obj->ino);
		if (obj != NULL && r->obj->path != NULL)
			json_object_set_new(obj, "path",
			    audit_string(r->obj->path));
	} else if (r->has_inode)
		obj = json_pack("{s:I,s:I}", "dev", (json_int_t)r->dev,
		    "ino", (json_int_t)r->ino);
	else
		return;
	if (obj != NULL)
		json_object_set_new(o, "object", obj);
}

static void
audit_fields(json_t *o, const struct audit_rec *r)
{
	char	buf[32];

	if (r->handle != 0) {
		snprintf(buf, sizeof buf, "0x%016" PRIx64, r->handle);
		json_object_set_new(o, "handle", json_string(buf));
	}
	audit_object(o, r);
	if (r->has_creator)
		json_object_set_new(o, "creator", audit_who(r->cpid, r->cuid));
	if (r->has_recipient)
		json_object_set_new(o, "recipient",
		    audit_who(r->rpid, r->ruid));
	if (r->access != -1)
		json_object_set_new(o, "access",
		    json_string(policy_access_str(r->access)));
	if (r->enforcement != -1)
		json_object_set_new(o, "enforcement", json_string(
		    r->enforcement == QSHM_ENF_KERNEL ? "kernel" : "advisory"));
	if (r->reason != -1)
		json_object_set_new(o, "reason",
		    json_string(qshm_reason_str((unsigned)r->reason)));
	if (r->state != NULL)
		json_object_set_new(o, "state", json_string(r->state));
	if (r->err != 0) {
		json_object_set_new(o, "errno", json_integer(r->err));
		json_object_set_new(o, "error", json_string(strerror(r->err)));
	}
	if (r->detail != NULL)
		json_object_set_new(o, "detail", json_string(r->detail));
}

/* Write one event. */
void
audit_log(const struct audit_rec *r)
{
	json_t	*o;
	char	 t[48], *line;
	size_t	 len;

	if (audit_fd == -1)
		return;
	audit_time(t, sizeof t);
	if ((o = json_pack("{s:s,s:s}", "time", t, "event", r->event)) == NULL)
		return;
	audit_fields(o, r);
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (line == NULL)
		return;
	len = strlen(line);
	line[len] = '\n';	/* over the NUL: one write per line */
	if (write(audit_fd, line, len + 1) != (ssize_t)(len + 1))
		audit_dropped++;
	free(line);
}

/* Log event for h with errno err (0: none). */
void
audit_handle(const char *event, const struct handle *h, int err)
{
	struct audit_rec	r;

	if (audit_fd == -1)
		return;
	audit_rec_init(&r, event);
	audit_rec_handle(&r, h);
	r.err = err;
	audit_log(&r);
}
