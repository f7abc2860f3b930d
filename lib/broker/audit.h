/*
 * audit.h: the audit log, one JSON object per line (jansson), to a file
 * or stderr.  Fields that do not apply to an event are left out.  The
 * file must be the broker's own (see audit.c); lines it cannot take at
 * once are dropped and counted by a "dropped" record.
 */

#ifndef QSHM_AUDIT_H
#define QSHM_AUDIT_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

struct handle;
struct object;

struct audit_rec {
	const char		*event;	/* grant, open, map, delete, ... */
	uint64_t		 handle;	/* 0: none */
	const struct object	*obj;		/* NULL: dev/ino below */
	bool			 has_inode;
	uint64_t		 dev;
	uint64_t		 ino;
	bool			 has_creator;
	pid_t			 cpid;
	uid_t			 cuid;
	bool			 has_recipient;
	pid_t			 rpid;
	uid_t			 ruid;
	int			 access;	/* -1: none */
	int			 enforcement;	/* -1: none */
	int			 reason;	/* -1: none */
	int			 err;		/* 0: none */
	const char		*state;		/* a grant's; NULL: none */
	const char		*detail;	/* NULL: none */
};

/*
 * Start logging to path ("-": stderr, NULL: nowhere).  Returns 0, or -1
 * with a message naming path and the cause in err.
 */
int	audit_open(const char *path, char *err, size_t errlen);
/* Whether path would be accepted now (a restart asks before its exec). */
int	audit_check(const char *path, char *err, size_t errlen);
/* Standard error was replaced (a daemon detaching): log to the new one. */
void	audit_stderr_moved(void);
/* Stop logging. */
void	audit_close(void);
/* Whether events are logged at all. */
bool	audit_enabled(void);
/* A record of event with nothing else set. */
void	audit_rec_init(struct audit_rec *, const char *event);
/* Fill a record from a handle (object, both ends, access, enforcement). */
void	audit_rec_handle(struct audit_rec *, const struct handle *);
/* Write one event; one that does not go out is counted. */
void	audit_log(const struct audit_rec *);
/* Log event for h with errno err (0: none). */
void	audit_handle(const char *event, const struct handle *, int err);

#endif /* QSHM_AUDIT_H */
