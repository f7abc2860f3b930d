/*
 * out.h: the one output model.  A command fills a record of fields, or a
 * table of rows, once; out_render() prints it as aligned text for people
 * or as one typed JSON document (jansson) for scripts.
 */

#ifndef QSHMCTL_OUT_H
#define QSHMCTL_OUT_H

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>

/* A column of a table. */
struct out_col {
	const char	*key;		/* JSON key and -o name */
	const char	*header;	/* text heading */
	int		 flags;
#define OUT_RIGHT	0x1		/* right-aligned (numbers) */
#define OUT_DEFAULT	0x2		/* shown without -o */
	const char	*help;
};

struct out;

/* Keys of fields are not copied: they are constants, like column keys. */

struct out	*out_new(const char *, int, int);
void		 out_free(struct out *);
void		 out_set_bytes(struct out *, int);
void		 out_set_headings(struct out *, int);
void		 out_set_primary(struct out *, const char *);
void		 out_set_command(struct out *, const char *);
void		 out_set_mode(struct out *, int, int);
const char	*out_get_primary(struct out *);
int		 out_table(struct out *, const char *,
		     const struct out_col *, const char *, char **);
void		 out_row(struct out *);
void		 out_str(struct out *, const char *, const char *);
void		 out_int(struct out *, const char *, int64_t);
void		 out_uint(struct out *, const char *, uint64_t);
void		 out_size(struct out *, const char *, uint64_t);
void		 out_ms(struct out *, const char *, uint64_t);
void		 out_bool(struct out *, const char *, int);
void		 out_handle(struct out *, const char *, uint64_t);
void		 out_mode(struct out *, const char *, mode_t);
void		 out_error(struct out *, const char *, int, const char *);
void		 out_raw(struct out *);
int		 out_render(struct out *, FILE *);
int		 out_stream_begin(struct out *, FILE *, const char *);
int		 out_stream_end(struct out *, FILE *);

#endif /* QSHMCTL_OUT_H */
