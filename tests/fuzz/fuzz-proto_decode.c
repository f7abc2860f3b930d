/*
 * fuzz-proto_decode.c: libFuzzer target for the wire decoder.  The first
 * byte picks the fd count the message claims to have arrived with; the
 * rest is the message.  A decoded message must then satisfy everything
 * the broker relies on: exact length, known type, fd count, and for a
 * reply a plausible errno.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* The properties every successful decode promises the handlers. */
static void
fuzz_check(const struct proto_msg *m, size_t n, int nfds)
{
	ssize_t	want = proto_payload_size(m->hdr.type);
	int32_t	err;

	if (m->hdr.magic != PROTO_MAGIC || m->hdr.version != PROTO_VERSION ||
	    want < 0 || (size_t)want != m->hdr.len ||
	    n != sizeof m->hdr + (size_t)want ||
	    nfds != proto_fd_count(m->hdr.type, m->u.raw) || m->fd != -1)
		abort();
	if (m->hdr.type & PROTO_REPLY) {
		memcpy(&err, m->u.raw, sizeof err);
		if (err < 0 || err >= 4096)
			abort();
	}
	if (strcmp(proto_type_name(m->hdr.type), "unknown") == 0)
		abort();
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_msg	m;
	unsigned char		*copy;
	int			 nfds;

	if (size == 0)
		return (0);
	nfds = data[0] % 4;
	/* An exact-size heap copy, so ASan sees any read past the end. */
	if ((copy = malloc(size - 1 + 1)) == NULL)
		return (0);
	memcpy(copy, data + 1, size - 1);
	if (proto_decode(copy, size - 1, nfds, &m) == 0)
		fuzz_check(&m, size - 1, nfds);
	free(copy);
	return (0);
}
