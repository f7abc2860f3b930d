/*
 * ident.h: who a process is, in a way that survives pid reuse.  A process
 * is named by its identity key: the inode number of its pidfd on pidfs
 * (kernel 6.9 and later; never reused), else (start time << 22) | pid from
 * /proc.  Credentials for policy come from /proc/PID/status, read while
 * the pidfd proves the pid still names the same process.
 */

#ifndef QSHM_IDENT_H
#define QSHM_IDENT_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Credentials of a process: real, effective, saved and fs ids, groups. */
struct ident_creds {
	uid_t	 uid[4];
	gid_t	 gid[4];
	gid_t	*groups;
	size_t	 ngroups;
};

/* Find out once whether pidfds live on pidfs; returns errno. */
int	ident_init(void);
/* Whether processes are held by pidfds (else by /proc/PID directories). */
bool	ident_has_pidfd(void);
/* Whether keys are pidfs inodes (never reused), not /proc start times. */
bool	ident_keys_unique(void);
/* pidfd_open(pid); -1 and errno on failure. */
int	ident_pidfd_open(pid_t);
/* Whether the process behind a pidfd has not exited (zombies have). */
bool	ident_alive(int pidfd);
/* The identity key of pidfd's process (pid is its number); errno. */
int	ident_key(int pidfd, pid_t pid, uint64_t *key);
/* Read pid's credentials while pidfd shows it alive; returns errno. */
int	ident_creds(int pidfd, pid_t pid, struct ident_creds *);
/* pid's ids without its groups, from the pidfd if it can; errno. */
int	ident_creds_ids(int pidfd, pid_t pid, struct ident_creds *);
/* Parse the text of /proc/PID/status into creds; returns errno. */
int	ident_parse_status(const char *text, struct ident_creds *);
/* Free what ident_creds() allocated. */
void	ident_creds_free(struct ident_creds *);
/* Field 22 (start time) of a /proc/PID/stat text; returns errno. */
int	ident_parse_starttime(const char *text, uint64_t *start);

/*
 * What a process's capabilities can reach, for policy.c.  Only what is
 * proven to be out of reach is marked so: a false flag means "may".
 */
struct ident_caps {
	uint64_t	permitted;	/* CapPrm: each may be made effective */
	bool		child_ns;	/* in a user namespace below ours */
	bool		uid_unmapped;	/* the inode's uid is not in it */
	bool		gid_unmapped;	/* the inode's gid is not in it */
};

/* The CapPrm field of a /proc/PID/status text; returns errno. */
int	ident_parse_caps(const char *text, uint64_t *permitted);
/* Whether a uid_map or gid_map text maps id (our side); errno. */
int	ident_parse_map(const char *text, uint32_t id, bool *mapped);
/* Whether a uid_map or gid_map text is the initial one (all, as is). */
bool	ident_map_is_initial(const char *text);
/* pid's capabilities, and whether they reach an inode of uid and gid. */
int	ident_caps(int pidfd, pid_t pid, uid_t uid, gid_t gid,
	    struct ident_caps *);

#endif /* QSHM_IDENT_H */
