/*
 * cmd.h: qshmctl's command table, the argument parser every command
 * declares its options to, the output model and the checked number
 * parsers.  Commands never exit or print errors themselves: they return an
 * enum cmd_ret and report through the command context, so main() and the
 * shell can run them alike.
 */

#ifndef QSHMCTL_CMD_H
#define QSHMCTL_CMD_H

#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define QSHMCTL_SCHEMA	1	/* version of every --json document */

enum cmd_ret {
	CMD_RET_OK = 0,
	CMD_RET_ERR = 1,
	CMD_RET_USAGE = 2
};

/* Options with no short letter use values from ARGS_LONG up. */
#define ARGS_LONG	256

/* One option a command accepts. */
struct args_opt {
	int		 ch;	/* short letter, or ARGS_LONG + n */
	const char	*name;	/* long name, without "--" */
	const char	*arg;	/* its argument's name; NULL: a flag */
	const char	*help;
};

/* The options and the number of positional arguments a command takes. */
struct args_template {
	const struct args_opt	*opts;	/* zero-ended, or NULL */
	int			 lower;
	int			 upper;	/* -1: no limit */
};

struct args;

struct cmd_ctx;

/* One command in the table. */
struct cmd_entry {
	const char		*name;
	struct args_template	 args;
	const char		*usage;
	const char		*summary;
	int			 flags;
#define CMD_NEEDS_BROKER	0x1	/* talks to the broker */
#define CMD_RAW_OUTPUT		0x2	/* writes its own stdout */
#define CMD_NO_SHELL		0x4	/* not in the shell */
#define CMD_HIDDEN		0x8	/* left out of help */
#define CMD_SETS_LAST		0x10	/* the shell's $_ */
	enum cmd_ret		(*exec)(struct cmd_ctx *, struct args *);
};

/* What a running command reports through. */
struct cmd_ctx {
	const struct cmd_entry	*entry;
	struct out		*out;
	int			 json;		/* -j */
	int			 quiet;		/* -q */
	int			 interactive;	/* run from the shell */
	int			 reported;	/* an error was reported */
};

extern const struct cmd_entry	*cmd_table[];

/* cmd.c */
const struct cmd_entry	*cmd_find(const char *, int *);
enum cmd_ret	 cmd_run(struct cmd_ctx *, int, char **);
enum cmd_ret	 cmd_execute(struct cmd_ctx *, int, char **);
void		 cmd_print_usage(const struct cmd_entry *, FILE *);
void		 cmd_print_help(const struct cmd_entry *, FILE *);
void		 cmd_print_commands(FILE *);
enum cmd_ret	 cmd_errno(struct cmd_ctx *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
enum cmd_ret	 cmd_error(struct cmd_ctx *, int, const char *,
		     const char *, ...) __attribute__((format(printf, 4, 5)));
enum cmd_ret	 cmd_usage(struct cmd_ctx *, const char *, const char *,
		     ...) __attribute__((format(printf, 3, 4)));
enum cmd_ret	 cmd_fail(struct cmd_ctx *);
void		 cmd_print_error(const char *, const char *, const char *);
int		 cmd_get_size(struct cmd_ctx *, struct args *, int,
		     uint64_t *);
int		 cmd_get_pid(struct cmd_ctx *, struct args *, int, pid_t *);
int		 cmd_get_u64(struct cmd_ctx *, struct args *, int,
		     uint64_t *);
int		 cmd_get_mode(struct cmd_ctx *, struct args *, int,
		     mode_t *);
int		 cmd_get_access(struct cmd_ctx *, struct args *, int, int,
		     int *);

/* args.c */
struct args	*args_parse(const struct args_template *, int, char **,
		     char **);
void		 args_free(struct args *);
int		 args_has(struct args *, int);
const char	*args_get(struct args *, int);
int		 args_count(struct args *);
const char	*args_arg(struct args *, int);
char	       **args_argv(struct args *, int);
const char	*args_opt_name(const struct args_template *, int);

/* parse.c */
int		 parse_size(const char *, uint64_t *);
int		 parse_u64(const char *, uint64_t *);
int		 parse_pid(const char *, pid_t *);
int		 parse_handle(const char *, uint64_t *);
int		 parse_mode(const char *, mode_t *);
int		 parse_uid(const char *, uid_t *);
int		 parse_access(const char *, int *);
const char	*parse_access_str(int);

/* obj.c: OBJECT arguments, "/name" or "@N". */
struct obj {
	const char	*spec;		/* as given */
	uint32_t	 id;		/* @N, or 0 for a POSIX name */
};
int		 obj_parse(const char *, struct obj *);
int		 obj_open(const struct obj *, int, mode_t);
int		 obj_unlink(const struct obj *);

#include "out.h"

extern const struct cmd_entry	cmd_broker_entry;
extern const struct cmd_entry	cmd_complete_entry;
extern const struct cmd_entry	cmd_create_entry;
extern const struct cmd_entry	cmd_grant_entry;
extern const struct cmd_entry	cmd_help_entry;
extern const struct cmd_entry	cmd_list_entry;
extern const struct cmd_entry	cmd_map_dump_entry;
extern const struct cmd_entry	cmd_open_entry;
extern const struct cmd_entry	cmd_revoke_entry;
extern const struct cmd_entry	cmd_shell_entry;
extern const struct cmd_entry	cmd_truncate_entry;
extern const struct cmd_entry	cmd_unlink_entry;

#endif /* QSHMCTL_CMD_H */
