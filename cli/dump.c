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

/* Hex digit pairs and printable-or-dot, by byte value. */
static char		dump_pair[256][2];
static unsigned char	dump_text[256];

static void
dump_tables(void)
{
	static const char	digits[] = "0123456789abcdef";
	int			c;

	for (c = 0; c < 256; c++) {
		dump_pair[c][0] = digits[c >> 4];
		dump_pair[c][1] = digits[c & 15];
		dump_text[c] = c >= 0x20 && c <= 0x7e ? (unsigned char)c : '.';
	}
}

/* "%08" PRIx64 without printf: lines are formatted by the million. */
static char *
dump_addr(char *o, uint64_t addr)
{
	int	digits = 8, i;

	while (digits < 16 && (addr >> (4 * digits)) != 0)
		digits++;
	for (i = digits - 1; i >= 0; i--, addr >>= 4)
		o[i] = "0123456789abcdef"[addr & 15];
	return (o + digits);
}

static char *
dump_text_part(char *o, const unsigned char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		o[i] = (char)dump_text[p[i]];
	return (o + n);
}

/*
 * The text of 8 bytes at once: bytes outside 0x20-0x7e become '.'.  No
 * sum below carries out of its byte.
 */
static void
dump_text8(char *o, const unsigned char *p)
{
	const uint64_t	hi = 0x8080808080808080ULL, one = hi >> 7;
	uint64_t	x, x7, ok, mask;

	memcpy(&x, p, 8);
	x7 = x & ~hi;
	ok = (x7 + 0x60 * one) & ~(x7 + one) & ~x & hi;
	mask = (ok >> 7) * 0xff;
	x = (x & mask) | ('.' * one & ~mask);
	memcpy(o, &x, 8);
}

/* One xxd line: "%08x: ", 8 groups of 2 bytes, a space, the text. */
static char *
dump_xxd_line(char *o, uint64_t addr, const unsigned char *p, size_t n)
{
	size_t	i;

	o = dump_addr(o, addr);
	*o++ = ':';
	*o++ = ' ';
	if (n == 16) {
		for (i = 0; i < 16; i += 2, o += 5) {
			memcpy(o, dump_pair[p[i]], 2);
			memcpy(o + 2, dump_pair[p[i + 1]], 2);
			o[4] = ' ';
		}
		*o++ = ' ';
		dump_text8(o, p);
		dump_text8(o + 8, p + 8);
		o[16] = '\n';
		return (o + 17);
	}
	for (i = 0; i < 16; i++) {
		if (i < n)
			memcpy(o, dump_pair[p[i]], 2);
		else
			memset(o, ' ', 2);
		o += 2;
		if (i % 2 == 1)
			*o++ = ' ';
	}
	*o++ = ' ';
	o = dump_text_part(o, p, n);
	*o++ = '\n';
	return (o);
}

/* One hexdump -C line: "%08x  ", 2 groups of 8 bytes, "|text|". */
static char *
dump_hex_line(char *o, uint64_t addr, const unsigned char *p, size_t n)
{
	size_t	i;

	o = dump_addr(o, addr);
	*o++ = ' ';
	*o++ = ' ';
	for (i = 0; i < 16; i++) {
		if (i < n)
			memcpy(o, dump_pair[p[i]], 2);
		else
			memset(o, ' ', 2);
		o[2] = ' ';
		o += 3;
		if (i == 7)
			*o++ = ' ';
	}
	*o++ = ' ';
	*o++ = '|';
	if (n == 16) {
		dump_text8(o, p);
		dump_text8(o + 8, p + 8);
		o += 16;
	} else
		o = dump_text_part(o, p, n);
	*o++ = '|';
	*o++ = '\n';
	return (o);
}

/* hexdump -C prints a run of full lines equal to the last one as "*". */
static char *
dump_canonical(struct dump_state *st, char *o, uint64_t addr,
    const unsigned char *p, size_t n)
{
	if (n == 16 && st->have_prev && memcmp(st->prev, p, 16) == 0) {
		if (!st->squeezing) {
			*o++ = '*';
			*o++ = '\n';
		}
		st->squeezing = 1;
		return (o);
	}
	st->squeezing = 0;
	st->have_prev = n == 16;
	if (n == 16)
		memcpy(st->prev, p, 16);
	return (dump_hex_line(o, addr, p, n));
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
	/* A line is at most 16 + 63 bytes (canonical, 64-bit offset). */
	static char	 out[DUMP_CHUNK / 16 * 80];
	char		*o = out;
	size_t		 i, k;

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
			o = dump_xxd_line(o, addr + i, p + i, k);
		else
			o = dump_canonical(st, o, addr + i, p + i, k);
	}
	fwrite(out, 1, (size_t)(o - out), st->fp);
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
	if (dump_pair[0][0] == '\0')
		dump_tables();
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
