/*
 * shell.h: qshmctl's shell.  One process runs command after command
 * through the command table, so what one command makes (a handle granted
 * to "self") the next can use as $_.  Interactive with libedit on a
 * terminal (shell-edit.c); otherwise a script, line by line (shell.c).
 */

#ifndef QSHMCTL_SHELL_H
#define QSHMCTL_SHELL_H

#include <stdio.h>

#include "cmd.h"

struct shell {
	int		 json;		/* -j given to qshmctl */
	int		 quiet;		/* -q */
	int		 keep_going;	/* scripts go past failures */
	int		 done;		/* exit or quit was run */
	int		 status;	/* $?, and the final exit status */
	char		*last;		/* $_ */
	char		 pid[16];	/* $$ */
	char		 code[16];	/* $? as text */
};

/* shell.c */
void		 shell_init(struct shell *, const struct cmd_ctx *);
void		 shell_free(struct shell *);
enum cmd_ret	 shell_line(struct shell *, const char *, const char *);
enum cmd_ret	 shell_script(struct shell *, FILE *, const char *);

/* shell-edit.c */
enum cmd_ret	 shell_interactive(struct shell *);

#endif /* QSHMCTL_SHELL_H */
