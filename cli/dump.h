/*
 * dump.h: stream a window of an object as xxd, hexdump -C, raw bytes or
 * a JSON document with base64, in bounded memory.
 */

#ifndef QSHMCTL_DUMP_H
#define QSHMCTL_DUMP_H

#include <stdint.h>
#include <stdio.h>

enum dump_format {
	DUMP_XXD,
	DUMP_CANONICAL,
	DUMP_RAW,
	DUMP_JSON
};

/* Where the bytes come from: an fd read with pread(), or a mapping. */
struct dump_src {
	int			 fd;	/* -1: use mem */
	const unsigned char	*mem;
};

struct cmd_ctx;

int		 dump_format_parse(const char *, enum dump_format *);
enum cmd_ret	 dump_run(struct cmd_ctx *, const char *,
		     const struct dump_src *, uint64_t, uint64_t,
		     enum dump_format);

#endif /* QSHMCTL_DUMP_H */
