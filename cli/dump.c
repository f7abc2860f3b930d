/*
 * dump.c: stream a window of an object as xxd (byte-identical to xxd's
 * default output), canonical (to hexdump -C, squeezed lines and final
 * offset included), raw bytes, or one JSON document carrying base64.
 * Reads go by fixed chunks, so any size dumps in bounded memory.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "dump.h"

/* A multiple of 16 (one line) and of 3 (one base64 quantum). */
#define DUMP_CHUNK	(3 * 16 * 1024)

struct dump_state {
	FILE		*fp;
	enum dump_format format;
	unsigned char	 prev[16];	/* hexdump -C: last full line */
	int		 have_prev;
	int		 squeezing;
};

static const char dump_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Name a format: xxd, canonical, raw, json. */
int
dump_format_parse(const char *s, enum dump_format *out)
{
	static const char	*names[] = { "xxd", "canonical", "raw",
				    "json" };
	size_t			 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum dump_format)i;
			return (0);
		}
	}
	errno = EINVAL;
	return (-1);
}

static int
dump_printable(unsigned char c)
{
	return (c >= 0x20 && c <= 0x7e);
}

/* One xxd line: "%08x: ", 8 groups of 2 bytes, a space, the text. */
static void
dump_xxd_line(FILE *fp, uint64_t addr, const unsigned char *p, size_t n)
{
	size_t	i;

	fprintf(fp, "%08" PRIx64 ": ", addr);
	for (i = 0; i < 16; i++) {
		if (i < n)
			fprintf(fp, "%02x", p[i]);
		else
			fputs("  ", fp);
		if (i % 2 == 1)
			fputc(' ', fp);
	}
	fputc(' ', fp);
	for (i = 0; i < n; i++)
		fputc(dump_printable(p[i]) ? p[i] : '.', fp);
	fputc('\n', fp);
}

/* One hexdump -C line: "%08x  ", 2 groups of 8 bytes, "|text|". */
static void
dump_hex_line(FILE *fp, uint64_t addr, const unsigned char *p, size_t n)
{
	size_t	i;

	fprintf(fp, "%08" PRIx64 "  ", addr);
	for (i = 0; i < 16; i++) {
		if (i < n)
			fprintf(fp, "%02x ", p[i]);
		else
			fputs("   ", fp);
		if (i == 7)
			fputc(' ', fp);
	}
	fputs(" |", fp);
	for (i = 0; i < n; i++)
		fputc(dump_printable(p[i]) ? p[i] : '.', fp);
	fputs("|\n", fp);
}

/* hexdump -C prints a run of full lines equal to the last one as "*". */
static void
dump_canonical(struct dump_state *st, uint64_t addr, const unsigned char *p,
    size_t n)
{
	if (n == 16 && st->have_prev && memcmp(st->prev, p, 16) == 0) {
		if (!st->squeezing)
			fputs("*\n", st->fp);
		st->squeezing = 1;
		return;
	}
	st->squeezing = 0;
	st->have_prev = n == 16;
	if (n == 16)
		memcpy(st->prev, p, 16);
	dump_hex_line(st->fp, addr, p, n);
}

static void
dump_base64(FILE *fp, const unsigned char *p, size_t n)
{
	char		 q[4];
	uint32_t	 v;
	size_t		 i;

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = dump_b64[v >> 18];
		q[1] = dump_b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? dump_b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? dump_b64[v & 63] : '=';
		fwrite(q, 1, 4, fp);
	}
}

static void
dump_chunk(struct dump_state *st, uint64_t addr, const unsigned char *p,
    size_t n)
{
	size_t	i, k;

	switch (st->format) {
	case DUMP_RAW:
		fwrite(p, 1, n, st->fp);
		return;
	case DUMP_JSON:
		dump_base64(st->fp, p, n);
		return;
	default:
		break;
	}
	for (i = 0; i < n; i += 16) {
		k = n - i < 16 ? n - i : 16;
		if (st->format == DUMP_XXD)
			dump_xxd_line(st->fp, addr + i, p + i, k);
		else
			dump_canonical(st, addr + i, p + i, k);
	}
}

/* Read n bytes at off; a short read means the object shrank. */
static int
dump_read(const struct dump_src *src, unsigned char *buf, uint64_t off,
    size_t n)
{
	ssize_t	r;
	size_t	done = 0;

	if (src->fd == -1) {
		memcpy(buf, src->mem + off, n);
		return (0);
	}
	while (done < n) {
		r = pread(src->fd, buf + done, n - done, (off_t)(off + done));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return (-1);
		if (r == 0) {
			errno = ENODATA;
			return (-1);
		}
		done += (size_t)r;
	}
	return (0);
}

static int
dump_begin(struct cmd_ctx *ctx, struct dump_state *st, const char *object,
    uint64_t off, uint64_t len)
{
	if (st->format != DUMP_JSON) {
		out_raw(ctx->out);
		return (0);
	}
	out_str(ctx->out, "object", object);
	out_uint(ctx->out, "offset", off);
	out_uint(ctx->out, "length", len);
	return (out_stream_begin(ctx->out, st->fp, "base64"));
}

static int
dump_end(struct cmd_ctx *ctx, struct dump_state *st, uint64_t end)
{
	if (st->format == DUMP_JSON)
		return (out_stream_end(ctx->out, st->fp));
	if (st->format == DUMP_CANONICAL && end > 0)
		fprintf(st->fp, "%08" PRIx64 "\n", end);
	return (0);
}

/*
 * Dump len bytes from off; lines show the object's offsets.  A failure
 * after output began is reported on stderr; the output stops there.
 */
enum cmd_ret
dump_run(struct cmd_ctx *ctx, const char *object, const struct dump_src *src,
    uint64_t off, uint64_t len, enum dump_format format)
{
	static unsigned char	 buf[DUMP_CHUNK];
	struct dump_state	 st;
	uint64_t		 pos;
	size_t			 n;

	memset(&st, 0, sizeof st);
	st.fp = stdout;
	st.format = format;
	if (dump_begin(ctx, &st, object, off, len) == -1)
		return (cmd_errno(ctx, "%s", object));
	for (pos = off; pos < off + len; pos += n) {
		n = off + len - pos < DUMP_CHUNK ? off + len - pos : DUMP_CHUNK;
		if (dump_read(src, buf, pos, n) == -1) {
			out_raw(ctx->out);
			return (cmd_errno(ctx, "%s at offset %" PRIu64, object,
			    pos));
		}
		dump_chunk(&st, pos, buf, n);
		if (ferror(st.fp))
			return (cmd_errno(ctx, "stdout"));
	}
	if (dump_end(ctx, &st, off + len) == -1)
		return (cmd_errno(ctx, "stdout"));
	return (CMD_RET_OK);
}
