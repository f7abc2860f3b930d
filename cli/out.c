/*
 * out.c: the one output model.  Fields keep both a typed JSON value and
 * the text a person reads; out_render() picks one.  A record is a list of
 * fields; a table is a list of rows of fields under chosen columns.
 * Strings are encoded here as they are rendered (enc.c): valid UTF-8 in
 * JSON, no raw control bytes in text.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cmd.h"
#include "enc.h"

enum out_kind {
	OUT_KIND_STR,		/* v.s */
	OUT_KIND_INT,		/* v.i */
	OUT_KIND_UINT,		/* v.u */
	OUT_KIND_SIZE,		/* v.u bytes: 4.0K in text */
	OUT_KIND_MS,		/* v.u milliseconds: 850ms in text */
	OUT_KIND_BOOL		/* v.i: yes or no in text */
};

/*
 * A field keeps its typed value; its JSON value or its text is made when
 * it is rendered, for the chosen columns alone.  Making both for every
 * field as it was filled was half of `qshmctl --json list`'s own time
 * with 1000 objects.
 */
struct out_field {
	const char	*key;		/* not copied: a constant */
	enum out_kind	 kind;
	union {
		char		*s;
		int64_t		 i;
		uint64_t	 u;
	}		 v;
	char		*safe;		/* v.s as text prints it; NULL: not
					   made yet; v.s: the same */
};

#define OUT_TEXT_SIZE	32	/* the text of any number */

struct out_rec {
	struct out_field	*f;
	size_t			 n;
	size_t			 cap;	/* f grows by doubling */
};

struct out {
	char			*command;
	int			 json;
	int			 quiet;
	int			 bytes;
	int			 noheadings;
	int			 raw;
	char			*primary;
	struct out_rec		 top;
	char			*tkey;
	const struct out_col	*cols;
	size_t			*sel;
	size_t			 nsel;
	struct out_rec		*rows;
	size_t			 nrows;
	size_t			 rowcap;	/* rows grows by doubling */
	json_t			*error;
	char			 ptext[OUT_TEXT_SIZE];	/* a primary number */
};

static void
out_oom(void)
{
	fputs("qshmctl: out of memory\n", stderr);
	abort();
}

static void *
out_alloc(void *p, size_t n, size_t size)
{
	if ((p = reallocarray(p, n, size)) == NULL)
		out_oom();
	return (p);
}

static char *
out_strdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		out_oom();
	return (p);
}

static char * __attribute__((format(printf, 1, 2)))
out_printf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		out_oom();
	va_end(ap);
	return (s);
}

/* Start an empty output for a command, in JSON or text. */
struct out *
out_new(const char *command, int json, int quiet)
{
	struct out	*out;

	if ((out = calloc(1, sizeof *out)) == NULL)
		out_oom();
	out->command = out_strdup(command);
	out->json = json;
	out->quiet = quiet;
	return (out);
}

static void
out_rec_free(struct out_rec *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++) {
		if (r->f[i].kind != OUT_KIND_STR)
			continue;
		if (r->f[i].safe != r->f[i].v.s)
			free(r->f[i].safe);
		free(r->f[i].v.s);
	}
	free(r->f);
	r->f = NULL;
	r->n = r->cap = 0;
}

/* Free an output and everything filled into it. */
void
out_free(struct out *out)
{
	size_t	i;

	if (out == NULL)
		return;
	out_rec_free(&out->top);
	for (i = 0; i < out->nrows; i++)
		out_rec_free(&out->rows[i]);
	free(out->rows);
	free(out->sel);
	free(out->tkey);
	free(out->primary);
	free(out->command);
	json_decref(out->error);
	free(out);
}

/* Show sizes as exact byte counts rather than 4.0K, 1.5M. */
void
out_set_bytes(struct out *out, int bytes)
{
	out->bytes = bytes;
}

/* Print tables without their heading line. */
void
out_set_headings(struct out *out, int headings)
{
	out->noheadings = !headings;
}

/* Name the field -q prints alone in text mode. */
void
out_set_primary(struct out *out, const char *key)
{
	free(out->primary);
	out->primary = out_strdup(key);
}

/* Nothing to render on success: the command wrote its output itself. */
void
out_raw(struct out *out)
{
	out->raw = 1;
}

static int
out_col_find(const struct out_col *cols, const char *name, size_t len)
{
	size_t	i;

	for (i = 0; cols[i].key != NULL; i++) {
		if (strlen(cols[i].key) == len &&
		    strncasecmp(cols[i].key, name, len) == 0)
			return ((int)i);
	}
	return (-1);
}

static void
out_select_defaults(struct out *out)
{
	size_t	i;

	for (i = 0; out->cols[i].key != NULL; i++) {
		if (out->cols[i].flags & OUT_DEFAULT) {
			out->sel = out_alloc(out->sel, out->nsel + 1,
			    sizeof *out->sel);
			out->sel[out->nsel++] = i;
		}
	}
}

static int
out_select(struct out *out, const char *list, char **cause)
{
	const char	*p = list, *end;
	size_t		 len;
	int		 c;

	if (*p == '+') {
		out_select_defaults(out);
		p++;
	}
	for (; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		if ((c = out_col_find(out->cols, p, len)) == -1) {
			*cause = out_printf("unknown column: %.*s", (int)len,
			    p);
			return (-1);
		}
		out->sel = out_alloc(out->sel, out->nsel + 1,
		    sizeof *out->sel);
		out->sel[out->nsel++] = (size_t)c;
	}
	if (out->nsel == 0) {
		*cause = out_printf("no columns chosen");
		return (-1);
	}
	return (0);
}

/*
 * Start a table under key with the given columns (ending with a zeroed
 * entry); select is a -o list ("a,b", "+c" adds to the defaults) or NULL.
 */
int
out_table(struct out *out, const char *key, const struct out_col *cols,
    const char *select, char **cause)
{
	out->tkey = out_strdup(key);
	out->cols = cols;
	if (select == NULL) {
		out_select_defaults(out);
		return (0);
	}
	return (out_select(out, select, cause));
}

/* Start a new row; the fields that follow fill it. */
void
out_row(struct out *out)
{
	if (out->nrows == out->rowcap) {
		out->rowcap = out->rowcap == 0 ? 64 : out->rowcap * 2;
		out->rows = out_alloc(out->rows, out->rowcap,
		    sizeof *out->rows);
	}
	memset(&out->rows[out->nrows], 0, sizeof *out->rows);
	out->nrows++;
}

/* A new field of the current row (or of the record) to fill. */
static struct out_field *
out_add(struct out *out, const char *key, enum out_kind kind)
{
	struct out_rec		*r;
	struct out_field	*f;

	r = out->nrows > 0 ? &out->rows[out->nrows - 1] : &out->top;
	if (r->n == r->cap) {
		r->cap = r->cap == 0 ? 16 : r->cap * 2;
		r->f = out_alloc(r->f, r->cap, sizeof *r->f);
	}
	f = &r->f[r->n++];
	f->key = key;
	f->kind = kind;
	f->safe = NULL;
	return (f);
}

/* Add a string field. */
void
out_str(struct out *out, const char *key, const char *value)
{
	out_add(out, key, OUT_KIND_STR)->v.s = out_strdup(value);
}

/* Add a signed number. */
void
out_int(struct out *out, const char *key, int64_t value)
{
	out_add(out, key, OUT_KIND_INT)->v.i = value;
}

/* jansson's integers stop at 2^63 - 1; past that, a double. */
static json_t *
out_json_u64(uint64_t value)
{
	if (value > INT64_MAX)
		return (json_real((double)value));
	return (json_integer((json_int_t)value));
}

/* Add an unsigned number. */
void
out_uint(struct out *out, const char *key, uint64_t value)
{
	out_add(out, key, OUT_KIND_UINT)->v.u = value;
}

/* Add a size in bytes: a number in JSON, 4K or 1.5M in text. */
void
out_size(struct out *out, const char *key, uint64_t value)
{
	out_add(out, key, OUT_KIND_SIZE)->v.u = value;
}

/* Add a duration: milliseconds in JSON, 850ms, 12s, 3m, 2h or 4d in text. */
void
out_ms(struct out *out, const char *key, uint64_t ms)
{
	out_add(out, key, OUT_KIND_MS)->v.u = ms;
}

/* Add a yes/no field. */
void
out_bool(struct out *out, const char *key, int value)
{
	out_add(out, key, OUT_KIND_BOOL)->v.i = value != 0;
}

/* Add a handle, "0x" and 16 hex digits in both modes. */
void
out_handle(struct out *out, const char *key, uint64_t handle)
{
	char	buf[32];

	snprintf(buf, sizeof buf, "0x%016" PRIx64, handle);
	out_str(out, key, buf);
}

/* Add permission bits as an octal string, "0600". */
void
out_mode(struct out *out, const char *key, mode_t mode)
{
	char	buf[16];

	snprintf(buf, sizeof buf, "%04o", (unsigned)(mode & 07777));
	out_str(out, key, buf);
}

static void
out_human(char *buf, uint64_t n)
{
	static const char	 units[] = "KMGTPE";
	double			 v = (double)n;
	int			 u = -1;

	if (n < 1024) {
		snprintf(buf, OUT_TEXT_SIZE, "%" PRIu64 "B", n);
		return;
	}
	while (v >= 1024 && units[u + 1] != '\0') {
		v /= 1024;
		u++;
	}
	if (v < 10 && (uint64_t)(v * 10) % 10 != 0)
		snprintf(buf, OUT_TEXT_SIZE, "%.1f%c", v, units[u]);
	else
		snprintf(buf, OUT_TEXT_SIZE, "%.0f%c", v, units[u]);
}

static void
out_duration(char *buf, uint64_t ms)
{
	if (ms < 1000)
		snprintf(buf, OUT_TEXT_SIZE, "%" PRIu64 "ms", ms);
	else if (ms < 60 * 1000)
		snprintf(buf, OUT_TEXT_SIZE, "%" PRIu64 "s", ms / 1000);
	else if (ms < 3600 * 1000)
		snprintf(buf, OUT_TEXT_SIZE, "%" PRIu64 "m", ms / 60000);
	else if (ms < 86400 * 1000)
		snprintf(buf, OUT_TEXT_SIZE, "%" PRIu64 "h", ms / 3600000);
	else
		snprintf(buf, OUT_TEXT_SIZE, "%" PRIu64 "d", ms / 86400000);
}

/* The text a person reads for f: its string, or buf filled. */
static const char *
out_text(const struct out *out, const struct out_field *f,
    char buf[OUT_TEXT_SIZE])
{
	switch (f->kind) {
	case OUT_KIND_STR:
		return (f->v.s);
	case OUT_KIND_INT:
		snprintf(buf, OUT_TEXT_SIZE, "%" PRId64, f->v.i);
		break;
	case OUT_KIND_SIZE:
		if (!out->bytes) {
			out_human(buf, f->v.u);
			break;
		}
		/* FALLTHROUGH */
	case OUT_KIND_UINT:
		snprintf(buf, OUT_TEXT_SIZE, "%" PRIu64, f->v.u);
		break;
	case OUT_KIND_MS:
		out_duration(buf, f->v.u);
		break;
	case OUT_KIND_BOOL:
		return (f->v.i ? "yes" : "no");
	}
	return (buf);
}

/*
 * The text of f as it is printed: strings escaped by enc_text() (with
 * flags: ENC_SPACE in table cells), once, and kept in f.
 */
static const char *
out_print_text(const struct out *out, struct out_field *f, int flags,
    char buf[OUT_TEXT_SIZE])
{
	if (f->kind != OUT_KIND_STR)
		return (out_text(out, f, buf));
	if (f->safe == NULL) {
		if (enc_text_len(f->v.s, flags) == strlen(f->v.s))
			f->safe = f->v.s;
		else if ((f->safe = enc_text(f->v.s, flags)) == NULL)
			out_oom();
	}
	return (f->safe);
}

/*
 * A JSON string of s.  jansson refuses what is not UTF-8; then each
 * byte that does not start a valid sequence becomes U+FFFD, so a hostile
 * name changes its own field only (its object keeps its dev and ino).
 */
static json_t *
out_json_str(const char *s)
{
	json_t	*j;
	char	*t;

	if ((j = json_string(s)) != NULL)
		return (j);
	if ((t = enc_utf8(s)) == NULL || (j = json_string(t)) == NULL)
		out_oom();
	free(t);
	return (j);
}

/* A new JSON value for f. */
static json_t *
out_json(const struct out_field *f)
{
	json_t	*j;

	switch (f->kind) {
	case OUT_KIND_STR:
		j = out_json_str(f->v.s);
		break;
	case OUT_KIND_INT:
		j = json_integer(f->v.i);
		break;
	case OUT_KIND_BOOL:
		j = json_boolean(f->v.i);
		break;
	default:
		j = out_json_u64(f->v.u);
		break;
	}
	if (j == NULL)
		out_oom();
	return (j);
}

/* Record the failure the JSON document reports instead of the result. */
void
out_error(struct out *out, const char *object, int errnum,
    const char *message)
{
	if (out->error != NULL)
		return;
	out->error = json_pack("{s:o, s:o, s:i, s:o}", "command",
	    out_json_str(out->command), "object",
	    out_json_str(object != NULL ? object : ""), "errno", errnum,
	    "message", out_json_str(message));
	if (out->error == NULL)
		out_oom();
}

static struct out_field *
out_rec_get(const struct out_rec *r, const char *key)
{
	size_t	i;

	for (i = r->n; i > 0; i--) {
		if (strcmp(r->f[i - 1].key, key) == 0)
			return (&r->f[i - 1]);
	}
	return (NULL);
}

static json_t *
out_json_root(struct out *out)
{
	json_t	*root, *rows, *row;
	size_t	 i, j;

	root = json_pack("{s:i, s:o}", "schema", QSHMCTL_SCHEMA, "command",
	    out_json_str(out->command));
	if (root == NULL)
		out_oom();
	for (i = 0; i < out->top.n; i++)
		json_object_set_new(root, out->top.f[i].key,
		    out_json(&out->top.f[i]));
	if (out->tkey == NULL)
		return (root);
	if ((rows = json_array()) == NULL)
		out_oom();
	for (i = 0; i < out->nrows; i++) {
		if ((row = json_object()) == NULL)
			out_oom();
		for (j = 0; j < out->nsel; j++) {
			const char		*k;
			const struct out_field	*f;

			k = out->cols[out->sel[j]].key;
			f = out_rec_get(&out->rows[i], k);
			json_object_set_new(row, k, f != NULL ? out_json(f) :
			    json_null());
		}
		json_array_append_new(rows, row);
	}
	json_object_set_new(root, out->tkey, rows);
	return (root);
}

/*
 * One string, then one write: json_dumpf() calls fwrite() for every
 * token, a fifth of the time of a 1000-row listing.
 */
static int
out_dump(json_t *doc, FILE *fp)
{
	char	*s;
	int	 rv;

	s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (s == NULL)
		out_oom();
	rv = fputs(s, fp) == EOF || fputc('\n', fp) == EOF ? -1 : 0;
	free(s);
	return (rv);
}

static int
out_render_error(struct out *out, FILE *fp)
{
	json_t	*doc;

	if (!out->json || out->error == NULL)
		return (0);
	doc = json_pack("{s:i, s:O}", "schema", QSHMCTL_SCHEMA, "error",
	    out->error);
	if (doc == NULL)
		out_oom();
	return (out_dump(doc, fp));
}

static void
out_render_record(struct out *out, FILE *fp)
{
	struct out_field	*f;
	char			 buf[OUT_TEXT_SIZE];
	size_t			 i, w = 0;

	if (out->quiet) {
		if (out->primary != NULL &&
		    (f = out_rec_get(&out->top, out->primary)) != NULL)
			fprintf(fp, "%s\n", out_print_text(out, f, 0, buf));
		return;
	}
	for (i = 0; i < out->top.n; i++) {
		if (strlen(out->top.f[i].key) > w)
			w = strlen(out->top.f[i].key);
	}
	for (i = 0; i < out->top.n; i++) {
		f = &out->top.f[i];
		fprintf(fp, "%s:%*s %s\n", f->key,
		    (int)(w - strlen(f->key)), "",
		    out_print_text(out, f, 0, buf));
	}
}

/*
 * A table cell.  Spaces in it are escaped too: a row then splits into its
 * columns at blanks, for the eye as for awk(1).
 */
static const char *
out_cell(struct out *out, size_t row, size_t col, char buf[OUT_TEXT_SIZE])
{
	struct out_field	*f;

	f = out_rec_get(&out->rows[row], out->cols[out->sel[col]].key);
	return (f != NULL ? out_print_text(out, f, ENC_SPACE, buf) : "-");
}

static void
out_header(struct out *out, size_t col, char *buf, size_t size)
{
	const char	*h = out->cols[out->sel[col]].header;
	size_t		 i;

	for (i = 0; h[i] != '\0' && i + 1 < size; i++)
		buf[i] = (char)toupper((unsigned char)h[i]);
	buf[i] = '\0';
}

/* Print cell in w columns, right-aligned or left-aligned and padded. */
static void
out_render_cell(FILE *fp, const char *cell, size_t w, int right, int last)
{
	size_t	pad = w - enc_width(cell);

	if (right)
		fprintf(fp, "%*s%s", (int)pad, "", cell);
	else if (last)
		fputs(cell, fp);
	else
		fprintf(fp, "%s%*s", cell, (int)pad, "");
}

static void
out_render_line(struct out *out, FILE *fp, const char **cells,
    const size_t *w)
{
	size_t	j;

	for (j = 0; j < out->nsel; j++) {
		if (j > 0)
			fputc(' ', fp);
		out_render_cell(fp, cells[j], w[j],
		    out->cols[out->sel[j]].flags & OUT_RIGHT,
		    j + 1 == out->nsel);
	}
	fputc('\n', fp);
}

static void
out_render_table(struct out *out, FILE *fp)
{
	char		(*hdr)[64], (*text)[OUT_TEXT_SIZE];
	const char	**cells;
	size_t		 *w, i, j, len;

	hdr = out_alloc(NULL, out->nsel, sizeof *hdr);
	text = out_alloc(NULL, out->nsel, sizeof *text);
	cells = out_alloc(NULL, out->nsel, sizeof *cells);
	w = out_alloc(NULL, out->nsel, sizeof *w);
	for (j = 0; j < out->nsel; j++) {
		out_header(out, j, hdr[j], sizeof hdr[j]);
		w[j] = out->noheadings ? 0 : strlen(hdr[j]);
		for (i = 0; i < out->nrows; i++) {
			len = enc_width(out_cell(out, i, j, text[j]));
			if (len > w[j])
				w[j] = len;
		}
		cells[j] = hdr[j];
	}
	if (!out->noheadings)
		out_render_line(out, fp, cells, w);
	for (i = 0; i < out->nrows; i++) {
		for (j = 0; j < out->nsel; j++)
			cells[j] = out_cell(out, i, j, text[j]);
		out_render_line(out, fp, cells, w);
	}
	free(w);
	free(cells);
	free(text);
	free(hdr);
}

/*
 * Print what was filled: the error document if the command failed (JSON
 * only; the message already went to stderr), else the result.
 */
int
out_render(struct out *out, FILE *fp)
{
	if (out->error != NULL)
		return (out_render_error(out, fp));
	if (out->raw)
		return (0);
	if (out->json)
		return (out_dump(out_json_root(out), fp));
	out_render_record(out, fp);
	if (out->tkey != NULL)
		out_render_table(out, fp);
	return (0);
}

/*
 * Start a JSON document whose last field, key, is a string the caller
 * streams (it must write only characters JSON needs no escape for, such
 * as base64).  jansson formats the document with an empty string there;
 * the text is cut just inside that string's quotes.
 */
int
out_stream_begin(struct out *out, FILE *fp, const char *key)
{
	json_t	*root;
	char	*s;
	size_t	 len;
	int	 rv;

	root = out_json_root(out);
	json_object_set_new(root, key, json_string(""));
	s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (s == NULL)
		out_oom();
	len = strlen(s);
	/* The dump ends with the empty string and the brace: "}. */
	rv = fwrite(s, 1, len - 2, fp) == len - 2 ? 0 : -1;
	free(s);
	out->raw = 1;
	return (rv);
}

/* Close the string and the document out_stream_begin() opened. */
int
out_stream_end(struct out *out, FILE *fp)
{
	(void)out;
	return (fputs("\"}\n", fp) == EOF ? -1 : 0);
}

/* Switch to JSON or quiet output (options given after the command). */
void
out_set_mode(struct out *out, int json, int quiet)
{
	out->json = json;
	out->quiet = quiet;
}

/* Name the command the JSON document reports on. */
void
out_set_command(struct out *out, const char *command)
{
	free(out->command);
	out->command = out_strdup(command);
}

/* The text of the field out_set_primary() named, or NULL. */
const char *
out_get_primary(struct out *out)
{
	const struct out_field	*f;

	if (out->primary == NULL || out->error != NULL ||
	    (f = out_rec_get(&out->top, out->primary)) == NULL)
		return (NULL);
	return (out_text(out, f, out->ptext));
}
