/*
 * test-proto.c: unit tests of the wire codec (lib/proto.c).  Every message
 * type round-trips over a SOCK_SEQPACKET socketpair, with its descriptor
 * when it carries one; hostile bytes and hostile control data are refused
 * with the documented errno and leave no descriptor behind; a seeded
 * mutation loop checks that proto_decode() accepts only what the protocol
 * allows and never fails without setting errno.
 */

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto.h"

#define TP_MSG_MAX	(sizeof(struct proto_hdr) + PROTO_MAX_PAYLOAD)

/* Both ends of a fresh SOCK_SEQPACKET socketpair. */
static int	tp_sv[2] = { -1, -1 };

static int
tp_setup(void **state)
{
	(void)state;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, tp_sv) == -1)
		return (-1);
	return (0);
}

static int
tp_teardown(void **state)
{
	(void)state;
	close(tp_sv[0]);
	close(tp_sv[1]);
	tp_sv[0] = tp_sv[1] = -1;
	return (0);
}

/* How many descriptors this process has open (counted in /proc/self/fd). */
static int
tp_count_fds(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	d = opendir("/proc/self/fd");
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.')
			n++;
	}
	closedir(d);
	return (n - 1);		/* the directory's own descriptor */
}

/* Fill fds[0..n) with the n lowest descriptor numbers that are free now. */
static void
tp_free_slots(int *fds, int n)
{
	int	fd, i = 0;

	for (fd = 0; i < n; fd++) {
		assert_true(fd < 4096);
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF)
			fds[i++] = fd;
	}
}

/* Assert that none of the n descriptors is open. */
static void
tp_assert_closed(const int *fds, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		errno = 0;
		assert_int_equal(fcntl(fds[i], F_GETFD), -1);
		assert_int_equal(errno, EBADF);
	}
}

/* A memfd holding a marker byte, to travel as a message's descriptor. */
static int
tp_memfd(char marker)
{
	int	fd;

	fd = memfd_create("test-proto", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, &marker, 1), 1);
	return (fd);
}

/* Assemble header and payload bytes into buf; return the message size. */
static size_t
tp_encode(unsigned char *buf, uint32_t magic, uint16_t version, uint16_t type,
    uint32_t id, uint32_t len, const void *payload, size_t paylen)
{
	struct proto_hdr	hdr;

	hdr.magic = magic;
	hdr.version = version;
	hdr.type = type;
	hdr.id = id;
	hdr.len = len;
	memcpy(buf, &hdr, sizeof hdr);
	if (paylen != 0)
		memcpy(buf + sizeof hdr, payload, paylen);
	return (sizeof hdr + paylen);
}

/*
 * A valid payload for a request or reply type; err is the errno a reply
 * carries.  Returns its size.
 */
static size_t
tp_payload(uint16_t type, int32_t err, unsigned char *p)
{
	ssize_t	size = proto_payload_size(type);

	assert_true(size >= 0);
	memset(p, 0, PROTO_MAX_PAYLOAD);
	if (type & PROTO_REPLY) {
		memcpy(p, &err, sizeof err);
		return ((size_t)size);
	}
	switch (type) {
	case PROTO_GRANT: {
		struct proto_grant g = { .pid = 4242, .access = O_RDONLY,
		    .options = SHM_CREATE_HANDLE_OPT_NOFD };
		memcpy(p, &g, sizeof g);
		break;
	}
	case PROTO_OPEN: {
		struct proto_open o = { .handle = 0x1122334455667788ULL,
		    .creator = 77, .access = O_RDWR, .purpose = PROTO_OPEN_MAP,
		    .prot = PROT_READ | PROT_WRITE, .offset = 4096,
		    .length = 8192 };
		memcpy(p, &o, sizeof o);
		break;
	}
	case PROTO_DELETE: {
		struct proto_delete d = { .handle = 0xdeadbeefcafef00dULL };
		memcpy(p, &d, sizeof d);
		break;
	}
	case PROTO_LIMIT: {
		struct proto_limit l = { .pid = 0, .flags = PROTO_LIMIT_SET,
		    .cur = 10, .max = UINT64_MAX };
		memcpy(p, &l, sizeof l);
		break;
	}
	case PROTO_LIST: {
		struct proto_list l = { .what = PROTO_LIST_OBJECTS };
		memcpy(p, &l, sizeof l);
		break;
	}
	case PROTO_PARK:
		break;
	case PROTO_PARKED_OPEN: {
		struct proto_parked pk = { .id = 3, .access = O_WRONLY };
		memcpy(p, &pk, sizeof pk);
		break;
	}
	case PROTO_UNPARK: {
		struct proto_parked pk = { .id = 9 };
		memcpy(p, &pk, sizeof pk);
		break;
	}
	case PROTO_ADMIN_REVOKE: {
		struct proto_admin_revoke r = { .pid = -1 };
		memcpy(p, &r, sizeof r);
		break;
	}
	case PROTO_CTL: {
		struct proto_ctl c = { .flags = SHMCTL_ANON | SHMCTL_SEAL,
		    .size = 8192 };
		memcpy(p, &c, sizeof c);
		break;
	}
	case PROTO_REVOKE: {
		struct proto_revoke r = { .pid = 77 };
		memcpy(p, &r, sizeof r);
		break;
	}
	case PROTO_NOTICE: {
		struct proto_notice n = { .dev = 5, .ino = 1234 };
		memcpy(p, &n, sizeof n);
		break;
	}
	default:
		break;
	}
	return ((size_t)size);
}

/* Does this type (with this payload) carry a descriptor? */
static bool
tp_wants_fd(uint16_t type, const unsigned char *payload)
{
	return (proto_fd_count(type, payload) == 1);
}

/* Send one message and receive it on the other end; check it arrived. */
static void
tp_round_trip(uint16_t type, int32_t err)
{
	unsigned char		 payload[PROTO_MAX_PAYLOAD];
	struct proto_msg	 msg;
	struct stat		 a, b;
	size_t			 len;
	int			 fd = -1, took, before;
	char			 c;

	len = tp_payload(type, err, payload);
	if (tp_wants_fd(type, payload)) {
		fd = tp_memfd('R');
		assert_int_equal(fstat(fd, &a), 0);
	}
	before = tp_count_fds();
	assert_int_equal(proto_send(tp_sv[0], type, 0xa5a50000U + type,
	    payload, len, fd), 0);
	memset(&msg, 0xee, sizeof msg);
	assert_int_equal(proto_recv(tp_sv[1], &msg), 0);
	assert_int_equal(msg.hdr.magic, PROTO_MAGIC);
	assert_int_equal(msg.hdr.version, PROTO_VERSION);
	assert_int_equal(msg.hdr.type, type);
	assert_int_equal(msg.hdr.id, 0xa5a50000U + type);
	assert_int_equal(msg.hdr.len, len);
	assert_memory_equal(msg.u.raw, payload, len);
	if (fd == -1) {
		assert_int_equal(msg.fd, -1);
		assert_int_equal(tp_count_fds(), before);
		return;
	}
	/* A new descriptor for the same file, close-on-exec. */
	assert_true(msg.fd >= 0);
	assert_int_not_equal(msg.fd, fd);
	assert_int_equal(tp_count_fds(), before + 1);
	assert_int_equal(fstat(msg.fd, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_dev, b.st_dev);
	assert_true(fcntl(msg.fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(pread(msg.fd, &c, 1, 0), 1);
	assert_int_equal(c, 'R');
	took = msg.fd;
	proto_msg_clear(&msg);
	assert_int_equal(msg.fd, -1);
	tp_assert_closed(&took, 1);
	close(fd);
}

/* Every request type round-trips, with its descriptor where it has one. */
static void
test_proto_round_trip_requests(void **state)
{
	uint16_t	t;

	(void)state;
	for (t = 1; t < PROTO_TYPE_MAX; t++)
		tp_round_trip(t, 0);
}

/* Every reply type round-trips, successful (fd where due) and failed. */
static void
test_proto_round_trip_replies(void **state)
{
	uint16_t	t;

	(void)state;
	for (t = 1; t < PROTO_TYPE_MAX; t++) {
		tp_round_trip(t | PROTO_REPLY, 0);
		tp_round_trip(t | PROTO_REPLY, EACCES);
		tp_round_trip(t | PROTO_REPLY, ESRCH);
	}
}

/* The fixed facts of the table: sizes, fd counts, names. */
static void
test_proto_tables(void **state)
{
	unsigned char	ok[4] = { 0 }, bad[4];
	int32_t		err = EPERM;
	uint16_t	t;

	(void)state;
	memcpy(bad, &err, sizeof err);
	assert_int_equal(proto_payload_size(PROTO_GRANT),
	    sizeof(struct proto_grant));
	assert_int_equal(proto_payload_size(PROTO_GRANT | PROTO_REPLY),
	    sizeof(struct proto_grant_reply));
	assert_int_equal(proto_payload_size(PROTO_OPEN),
	    sizeof(struct proto_open));
	assert_int_equal(proto_payload_size(PROTO_OPEN | PROTO_REPLY),
	    sizeof(struct proto_open_reply));
	assert_int_equal(proto_payload_size(PROTO_STATS), 0);
	assert_int_equal(proto_payload_size(PROTO_STATS | PROTO_REPLY),
	    sizeof(struct proto_stats_reply));
	assert_int_equal(proto_payload_size(0), -1);
	assert_int_equal(proto_payload_size(PROTO_REPLY), -1);
	assert_int_equal(proto_payload_size(PROTO_TYPE_MAX), -1);
	assert_int_equal(proto_payload_size(PROTO_TYPE_MAX | PROTO_REPLY), -1);
	assert_int_equal(proto_payload_size(0x7fff), -1);

	assert_int_equal(proto_fd_count(PROTO_GRANT, ok), 1);
	assert_int_equal(proto_fd_count(PROTO_PARK, ok), 1);
	assert_int_equal(proto_fd_count(PROTO_ADMIN_REVOKE, ok), 1);
	assert_int_equal(proto_fd_count(PROTO_OPEN, ok), 0);
	assert_int_equal(proto_fd_count(PROTO_OPEN | PROTO_REPLY, ok), 1);
	assert_int_equal(proto_fd_count(PROTO_OPEN | PROTO_REPLY, bad), 0);
	assert_int_equal(proto_fd_count(PROTO_LIST | PROTO_REPLY, ok), 1);
	assert_int_equal(proto_fd_count(PROTO_PARKED_OPEN | PROTO_REPLY, ok), 1);
	assert_int_equal(proto_fd_count(PROTO_GRANT | PROTO_REPLY, ok), 0);
	assert_int_equal(proto_fd_count(0, ok), 0);

	for (t = 1; t < PROTO_TYPE_MAX; t++) {
		assert_string_not_equal(proto_type_name(t), "unknown");
		assert_string_equal(proto_type_name(t),
		    proto_type_name(t | PROTO_REPLY));
	}
	assert_string_equal(proto_type_name(PROTO_GRANT), "grant");
	assert_string_equal(proto_type_name(0), "unknown");
	assert_string_equal(proto_type_name(PROTO_TYPE_MAX), "unknown");
}

/* Decode a message of n bytes with nfds and expect errno e. */
static void
tp_expect(const unsigned char *buf, size_t n, int nfds, int e)
{
	struct proto_msg	msg;

	errno = 0;
	assert_int_equal(proto_decode(buf, n, nfds, &msg), -1);
	assert_int_equal(errno, e);
	assert_int_equal(msg.fd, -1);
}

/* Decode a request with its valid header and this payload. */
static void
tp_expect_payload(uint16_t type, const void *payload, int nfds, int e)
{
	unsigned char	buf[TP_MSG_MAX];
	size_t		len = (size_t)proto_payload_size(type), n;

	n = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION, type, 1, (uint32_t)len,
	    payload, len);
	tp_expect(buf, n, nfds, e);
}

static void
tp_accept_payload(uint16_t type, const void *payload, int nfds)
{
	unsigned char		buf[TP_MSG_MAX];
	struct proto_msg	msg;
	size_t			len = (size_t)proto_payload_size(type), n;

	n = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION, type, 1, (uint32_t)len,
	    payload, len);
	assert_int_equal(proto_decode(buf, n, nfds, &msg), 0);
	assert_int_equal(msg.fd, -1);
	assert_int_equal(msg.hdr.type, type);
}

/* A header cut short is malformed, whatever its first bytes. */
static void
test_proto_truncated_header(void **state)
{
	unsigned char	buf[TP_MSG_MAX], payload[PROTO_MAX_PAYLOAD];
	size_t		n, full;

	(void)state;
	full = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_DELETE, 1,
	    sizeof(struct proto_delete), payload,
	    tp_payload(PROTO_DELETE, 0, payload));
	assert_true(full > sizeof(struct proto_hdr));
	for (n = 0; n < sizeof(struct proto_hdr); n++)
		tp_expect(buf, n, 0, EBADMSG);
}

/* Payload lengths must match the type exactly, in the header and on the wire. */
static void
test_proto_payload_length(void **state)
{
	unsigned char	buf[TP_MSG_MAX + 8], payload[PROTO_MAX_PAYLOAD + 8];
	uint16_t	t;
	size_t		len, n;

	(void)state;
	for (t = 1; t < PROTO_TYPE_MAX; t++) {
		len = tp_payload(t, 0, payload);
		/* Header honest, bytes short by one. */
		if (len > 0) {
			n = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION, t, 1,
			    (uint32_t)len, payload, len - 1);
			tp_expect(buf, n, proto_fd_count(t, payload),
			    EBADMSG);
			/* Header and bytes agree, both short. */
			n = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION, t, 1,
			    (uint32_t)len - 1, payload, len - 1);
			tp_expect(buf, n, proto_fd_count(t, payload),
			    EBADMSG);
		}
		/* Header honest, one trailing byte. */
		n = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION, t, 1,
		    (uint32_t)len, payload, len + 1);
		tp_expect(buf, n, proto_fd_count(t, payload), EBADMSG);
		/* Header and bytes agree, both long. */
		n = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION, t, 1,
		    (uint32_t)len + 1, payload, len + 1);
		tp_expect(buf, n, proto_fd_count(t, payload), EBADMSG);
		/* A huge length in the header. */
		n = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION, t, 1,
		    UINT32_MAX, payload, len);
		tp_expect(buf, n, proto_fd_count(t, payload), EBADMSG);
		/* And the honest message is accepted. */
		n = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION, t, 1,
		    (uint32_t)len, payload, len);
		{
			struct proto_msg	msg;

			assert_int_equal(proto_decode(buf, n,
			    proto_fd_count(t, payload), &msg), 0);
		}
	}
}

/* A foreign magic is EPROTO, before anything else is looked at. */
static void
test_proto_wrong_magic(void **state)
{
	unsigned char	buf[TP_MSG_MAX], payload[PROTO_MAX_PAYLOAD];
	size_t		len, n;

	(void)state;
	len = tp_payload(PROTO_STATS, 0, payload);
	n = tp_encode(buf, PROTO_MAGIC ^ 1, PROTO_VERSION, PROTO_STATS, 1,
	    (uint32_t)len, payload, len);
	tp_expect(buf, n, 0, EPROTO);
	n = tp_encode(buf, 0x51534d48U, PROTO_VERSION, PROTO_STATS, 1,
	    (uint32_t)len, payload, len);
	tp_expect(buf, n, 0, EPROTO);
	n = tp_encode(buf, 0, 0, 0, 0, 0, NULL, 0);
	tp_expect(buf, n, 0, EPROTO);
	/* Wrong magic and a version mismatch: the magic is named. */
	n = tp_encode(buf, 0xffffffffU, PROTO_VERSION + 1, 999, 1, 5000,
	    NULL, 0);
	tp_expect(buf, n, 3, EPROTO);
}

/* Another version is EPROTONOSUPPORT and the header keeps that version. */
static void
test_proto_wrong_version(void **state)
{
	unsigned char		 buf[TP_MSG_MAX], payload[PROTO_MAX_PAYLOAD];
	struct proto_msg	 msg;
	uint16_t		 versions[] = { 0, PROTO_VERSION + 1, 0xffff };
	size_t			 i, len, n;

	(void)state;
	len = tp_payload(PROTO_GRANT, 0, payload);
	for (i = 0; i < sizeof versions / sizeof versions[0]; i++) {
		n = tp_encode(buf, PROTO_MAGIC, versions[i], PROTO_GRANT, 7,
		    (uint32_t)len, payload, len);
		errno = 0;
		assert_int_equal(proto_decode(buf, n, 1, &msg), -1);
		assert_int_equal(errno, EPROTONOSUPPORT);
		assert_int_equal(msg.hdr.version, versions[i]);
		assert_int_equal(msg.hdr.magic, PROTO_MAGIC);
		assert_int_equal(msg.fd, -1);
	}
	/* A future version may use types and lengths we do not know. */
	n = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION + 1, 0x1234, 7, 200,
	    payload, 40);
	errno = 0;
	assert_int_equal(proto_decode(buf, n, 0, &msg), -1);
	assert_int_equal(errno, EPROTONOSUPPORT);
	assert_int_equal(msg.hdr.version, PROTO_VERSION + 1);
	/* A bare header of another version is enough to name it. */
	n = tp_encode(buf, PROTO_MAGIC, 9, 0, 0, 0, NULL, 0);
	errno = 0;
	assert_int_equal(proto_decode(buf, n, 0, &msg), -1);
	assert_int_equal(errno, EPROTONOSUPPORT);
	assert_int_equal(msg.hdr.version, 9);
}

/* Unknown types, requests and replies. */
static void
test_proto_unknown_type(void **state)
{
	unsigned char	buf[TP_MSG_MAX], payload[PROTO_MAX_PAYLOAD] = { 0 };
	uint16_t	types[] = { 0, PROTO_TYPE_MAX, PROTO_TYPE_MAX + 1,
			    0x7fff, PROTO_REPLY, PROTO_REPLY | PROTO_TYPE_MAX,
			    0xffff, 0x4000 | PROTO_GRANT };
	size_t		i, n, len;

	(void)state;
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		for (len = 0; len <= 40; len += 8) {
			n = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION,
			    types[i], 1, (uint32_t)len, payload, len);
			tp_expect(buf, n, 0, EBADMSG);
			tp_expect(buf, n, 1, EBADMSG);
		}
	}
}

/* Padding and reserved fields of requests must be zero. */
static void
test_proto_request_pad(void **state)
{
	struct proto_grant		g = { .pid = 1, .access = O_RDONLY };
	struct proto_list		l = { .what = PROTO_LIST_HANDLES };
	struct proto_admin_revoke	r = { .pid = 5 };
	struct proto_open		o = { .handle = 1, .access = O_RDONLY,
					    .purpose = PROTO_OPEN_FD };
	struct proto_limit		lim = { .pid = 0 };
	struct proto_parked		pk = { 0 };

	(void)state;
	tp_accept_payload(PROTO_GRANT, &g, 1);
	g.pad = 1;
	tp_expect_payload(PROTO_GRANT, &g, 1, EBADMSG);
	g.pad = 0x80000000U;
	tp_expect_payload(PROTO_GRANT, &g, 1, EBADMSG);
	g.pad = 0;
	/* Offset and length only with the sub-range option. */
	g.offset = 4096;
	tp_expect_payload(PROTO_GRANT, &g, 1, EBADMSG);
	g.offset = 0;
	g.length = 4096;
	tp_expect_payload(PROTO_GRANT, &g, 1, EBADMSG);
	g.options = SHM_CREATE_HANDLE_OPT_SUBRANGE;
	tp_accept_payload(PROTO_GRANT, &g, 1);

	tp_accept_payload(PROTO_LIST, &l, 0);
	l.pad = 2;
	tp_expect_payload(PROTO_LIST, &l, 0, EBADMSG);

	tp_accept_payload(PROTO_ADMIN_REVOKE, &r, 1);
	r.pad = 1;
	tp_expect_payload(PROTO_ADMIN_REVOKE, &r, 1, EBADMSG);

	/* An fd open carries no mapping fields. */
	tp_accept_payload(PROTO_OPEN, &o, 0);
	o.prot = PROT_READ;
	tp_expect_payload(PROTO_OPEN, &o, 0, EBADMSG);
	o.prot = 0;
	o.offset = 4096;
	tp_expect_payload(PROTO_OPEN, &o, 0, EBADMSG);
	o.offset = 0;
	o.length = 4096;
	tp_expect_payload(PROTO_OPEN, &o, 0, EBADMSG);

	/* A limit read carries no values. */
	tp_accept_payload(PROTO_LIMIT, &lim, 0);
	lim.cur = 1;
	tp_expect_payload(PROTO_LIMIT, &lim, 0, EBADMSG);
	lim.cur = 0;
	lim.max = 1;
	tp_expect_payload(PROTO_LIMIT, &lim, 0, EBADMSG);

	/* Park names no id and no access; unpark no access. */
	tp_accept_payload(PROTO_PARK, &pk, 1);
	pk.id = 1;
	tp_expect_payload(PROTO_PARK, &pk, 1, EBADMSG);
	tp_accept_payload(PROTO_UNPARK, &pk, 0);
	pk.access = O_RDONLY | 0x100;
	tp_expect_payload(PROTO_UNPARK, &pk, 0, EBADMSG);
	pk.id = 0;
	tp_expect_payload(PROTO_PARK, &pk, 1, EBADMSG);
}

/*
 * Replies: the errno must be one (0..4095; negative is malformed), and
 * their padding must be zero like a request's (DESIGN.md section 5).
 */
static void
test_proto_reply_errno(void **state)
{
	unsigned char	payload[PROTO_MAX_PAYLOAD];
	int32_t		bad[] = { -1, -EACCES, INT32_MIN, 4096, INT32_MAX };
	uint16_t	t;
	size_t		i;

	(void)state;
	for (t = 1; t < PROTO_TYPE_MAX; t++) {
		for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			tp_payload(t | PROTO_REPLY, bad[i], payload);
			tp_expect_payload(t | PROTO_REPLY, payload, 0,
			    EBADMSG);
		}
		tp_payload(t | PROTO_REPLY, 4095, payload);
		tp_accept_payload(t | PROTO_REPLY, payload, 0);
	}
}

static void
test_proto_reply_pad(void **state)
{
	struct proto_list_reply		lr = { .count = 1,
					    .recsize = sizeof(struct
					    qshm_handle_info), .pad = 1 };
	struct proto_limit_reply	limr = { .pad = 1 };
	struct proto_stats_reply	sr;

	(void)state;
	tp_expect_payload(PROTO_LIST | PROTO_REPLY, &lr, 1, EBADMSG);
	tp_expect_payload(PROTO_LIMIT | PROTO_REPLY, &limr, 0, EBADMSG);
	memset(&sr, 0, sizeof sr);
	sr.pad = 1;
	tp_expect_payload(PROTO_STATS | PROTO_REPLY, &sr, 0, EBADMSG);
}

/* Access modes, options, prot, purpose and selectors outside their sets. */
static void
test_proto_bad_values(void **state)
{
	struct proto_grant		g = { .pid = 1, .access = O_RDWR };
	struct proto_open		o = { .handle = 1, .access = O_RDONLY,
					    .purpose = PROTO_OPEN_MAP,
					    .prot = PROT_READ, .length = 1 };
	struct proto_parked		pk = { .id = 1, .access = O_RDONLY };
	struct proto_list		l = { .what = PROTO_LIST_HANDLES };
	struct proto_limit		lim = { .flags = PROTO_LIMIT_SET };
	struct proto_admin_revoke	r = { .pid = -1 };
	uint32_t			accs[] = { 3, O_RDONLY | O_CLOEXEC,
					    O_RDWR | O_CREAT, 0xffffffffU };
	uint32_t			prots[] = { 0x8, PROT_GROWSDOWN,
					    PROT_GROWSUP, 0x80000000U };
	size_t				i;

	(void)state;
	for (i = 0; i < sizeof accs / sizeof accs[0]; i++) {
		g.access = accs[i];
		tp_expect_payload(PROTO_GRANT, &g, 1, EBADMSG);
		o.access = accs[i];
		tp_expect_payload(PROTO_OPEN, &o, 0, EBADMSG);
		pk.access = accs[i];
		tp_expect_payload(PROTO_PARKED_OPEN, &pk, 0, EBADMSG);
	}
	g.access = O_WRONLY;
	o.access = O_RDWR;
	pk.access = O_RDWR;
	tp_accept_payload(PROTO_GRANT, &g, 1);
	tp_accept_payload(PROTO_OPEN, &o, 0);
	tp_accept_payload(PROTO_PARKED_OPEN, &pk, 0);

	g.options = 0x4;
	tp_expect_payload(PROTO_GRANT, &g, 1, EBADMSG);
	g.options = 0x80000000U | SHM_CREATE_HANDLE_OPT_NOFD;
	tp_expect_payload(PROTO_GRANT, &g, 1, EBADMSG);
	g.options = SHM_CREATE_HANDLE_OPT_NOFD;
	tp_accept_payload(PROTO_GRANT, &g, 1);

	for (i = 0; i < sizeof prots / sizeof prots[0]; i++) {
		o.prot = PROT_READ | prots[i];
		tp_expect_payload(PROTO_OPEN, &o, 0, EBADMSG);
	}
	o.prot = PROT_READ | PROT_WRITE | PROT_EXEC;
	tp_accept_payload(PROTO_OPEN, &o, 0);
	o.length = 0;
	tp_expect_payload(PROTO_OPEN, &o, 0, EBADMSG);
	o.length = 1;
	o.purpose = 2;
	tp_expect_payload(PROTO_OPEN, &o, 0, EBADMSG);
	o.purpose = 0xffffffffU;
	tp_expect_payload(PROTO_OPEN, &o, 0, EBADMSG);

	l.what = 0;
	tp_expect_payload(PROTO_LIST, &l, 0, EBADMSG);
	l.what = PROTO_LIST_UIDS;
	tp_accept_payload(PROTO_LIST, &l, 0);
	l.what = 4;
	tp_expect_payload(PROTO_LIST, &l, 0, EBADMSG);

	lim.flags = 0x2;
	tp_expect_payload(PROTO_LIMIT, &lim, 0, EBADMSG);
	lim.flags = PROTO_LIMIT_SET | 0x100;
	tp_expect_payload(PROTO_LIMIT, &lim, 0, EBADMSG);

	tp_accept_payload(PROTO_ADMIN_REVOKE, &r, 1);
	r.pid = -2;
	tp_expect_payload(PROTO_ADMIN_REVOKE, &r, 1, EBADMSG);
	r.pid = INT32_MIN;
	tp_expect_payload(PROTO_ADMIN_REVOKE, &r, 1, EBADMSG);
}

/* The decoder wants exactly the fds a type carries. */
static void
test_proto_fd_count(void **state)
{
	unsigned char	payload[PROTO_MAX_PAYLOAD];
	uint16_t	t;
	int		want;

	(void)state;
	for (t = 1; t < PROTO_TYPE_MAX; t++) {
		tp_payload(t, 0, payload);
		want = proto_fd_count(t, payload);
		tp_accept_payload(t, payload, want);
		tp_expect_payload(t, payload, want + 1, EBADMSG);
		tp_expect_payload(t, payload, want + 16, EBADMSG);
		if (want > 0)
			tp_expect_payload(t, payload, want - 1, EBADMSG);
		/* Replies: an fd only with success, where the type has one. */
		tp_payload(t | PROTO_REPLY, 0, payload);
		want = proto_fd_count(t | PROTO_REPLY, payload);
		tp_accept_payload(t | PROTO_REPLY, payload, want);
		tp_expect_payload(t | PROTO_REPLY, payload, want + 1, EBADMSG);
		if (want > 0)
			tp_expect_payload(t | PROTO_REPLY, payload, 0,
			    EBADMSG);
		tp_payload(t | PROTO_REPLY, ENOENT, payload);
		tp_accept_payload(t | PROTO_REPLY, payload, 0);
		tp_expect_payload(t | PROTO_REPLY, payload, 1, EBADMSG);
	}
}

/* Send raw bytes with fds in SCM_RIGHTS (n may be 0). */
static void
tp_send_raw(int sock, const void *buf, size_t len, const int *fds, int nfds)
{
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(sizeof(int) * 32)];
	} cbuf;
	struct iovec	 iov = { (void *)(uintptr_t)buf, len };
	struct msghdr	 mh;
	struct cmsghdr	*c;

	assert_true(nfds <= 32);
	memset(&mh, 0, sizeof mh);
	memset(&cbuf, 0, sizeof cbuf);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	assert_int_equal(sendmsg(sock, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/*
 * Send buf with nfds fresh descriptors, expect proto_recv() to fail with e
 * and every received descriptor to be closed: the lowest free slots (which
 * the kernel would have used) are free again and the count is unchanged.
 */
static void
tp_recv_refused(const void *buf, size_t len, int nfds, int e)
{
	struct proto_msg	msg;
	int			fds[32] = { 0 }, slots[32], i, before;

	for (i = 0; i < nfds; i++)
		fds[i] = tp_memfd('x');
	tp_send_raw(tp_sv[0], buf, len, fds, nfds);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	before = tp_count_fds();
	tp_free_slots(slots, nfds > 0 ? nfds : 1);
	errno = 0;
	assert_int_equal(proto_recv(tp_sv[1], &msg), -1);
	assert_int_equal(errno, e);
	if (e != ECONNRESET)	/* test_proto_recv_failure_fd checks that */
		assert_int_equal(msg.fd, -1);
	tp_assert_closed(slots, nfds > 0 ? nfds : 1);
	assert_int_equal(tp_count_fds(), before);
}

/* Received descriptors beyond what the type carries are closed. */
static void
test_proto_recv_extra_fds(void **state)
{
	unsigned char	buf[TP_MSG_MAX], payload[PROTO_MAX_PAYLOAD];
	size_t		n;

	(void)state;
	/* A grant carries one fd: two, three, twenty are refused. */
	n = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_GRANT, 1,
	    sizeof(struct proto_grant), payload,
	    tp_payload(PROTO_GRANT, 0, payload));
	tp_recv_refused(buf, n, 2, EBADMSG);
	tp_recv_refused(buf, n, 3, EBADMSG);
	tp_recv_refused(buf, n, 20, EBADMSG);
	tp_recv_refused(buf, n, 0, EBADMSG);
	/* A stats request carries none. */
	n = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_STATS, 1, 0,
	    NULL, 0);
	tp_recv_refused(buf, n, 1, EBADMSG);
	tp_recv_refused(buf, n, 5, EBADMSG);
	/* A failed open reply carries none. */
	n = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION,
	    PROTO_OPEN | PROTO_REPLY, 1, sizeof(struct proto_open_reply),
	    payload, tp_payload(PROTO_OPEN | PROTO_REPLY, EACCES, payload));
	tp_recv_refused(buf, n, 1, EBADMSG);
	/* A wrong magic or version with fds: the fds still go. */
	n = tp_encode(buf, PROTO_MAGIC + 1, PROTO_VERSION, PROTO_GRANT, 1,
	    sizeof(struct proto_grant), payload,
	    tp_payload(PROTO_GRANT, 0, payload));
	tp_recv_refused(buf, n, 1, EPROTO);
	n = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION + 1, PROTO_GRANT, 1,
	    sizeof(struct proto_grant), payload,
	    tp_payload(PROTO_GRANT, 0, payload));
	tp_recv_refused(buf, n, 2, EPROTONOSUPPORT);
}

/* proto_recv() keeps the header of another version, to name it. */
static void
test_proto_recv_version(void **state)
{
	unsigned char		buf[TP_MSG_MAX];
	struct proto_msg	msg;
	size_t			n;

	(void)state;
	n = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION + 6, PROTO_STATS, 44, 0,
	    NULL, 0);
	tp_send_raw(tp_sv[0], buf, n, NULL, 0);
	errno = 0;
	assert_int_equal(proto_recv(tp_sv[1], &msg), -1);
	assert_int_equal(errno, EPROTONOSUPPORT);
	assert_int_equal(msg.hdr.magic, PROTO_MAGIC);
	assert_int_equal(msg.hdr.version, PROTO_VERSION + 6);
	assert_int_equal(msg.hdr.id, 44);
}

/* Control data other than SCM_RIGHTS (here SCM_CREDENTIALS) is refused. */
static void
test_proto_recv_stray_control(void **state)
{
	unsigned char	buf[TP_MSG_MAX], payload[PROTO_MAX_PAYLOAD];
	int		on = 1;
	size_t		n;

	(void)state;
	assert_int_equal(setsockopt(tp_sv[1], SOL_SOCKET, SO_PASSCRED, &on,
	    sizeof on), 0);
	n = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_STATS, 1, 0,
	    NULL, 0);
	tp_recv_refused(buf, n, 0, EBADMSG);
	n = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_PARK, 1,
	    sizeof(struct proto_parked), payload,
	    tp_payload(PROTO_PARK, 0, payload));
	tp_recv_refused(buf, n, 1, EBADMSG);
}

/* A message longer than any valid one is cut by the kernel: refused. */
static void
test_proto_recv_oversize(void **state)
{
	unsigned char	buf[TP_MSG_MAX + 4096];
	size_t		n;

	(void)state;
	memset(buf, 0x5a, sizeof buf);
	n = tp_encode(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_STATS, 1, 0,
	    NULL, 0);
	(void)n;
	tp_recv_refused(buf, TP_MSG_MAX + 1, 0, EBADMSG);
	tp_recv_refused(buf, TP_MSG_MAX + 2, 1, EBADMSG);
	tp_recv_refused(buf, sizeof buf, 2, EBADMSG);
	/* The connection still carries the next message. */
	{
		struct proto_msg	msg;

		assert_int_equal(proto_send(tp_sv[0], PROTO_STATS, 3, NULL, 0,
		    -1), 0);
		assert_int_equal(proto_recv(tp_sv[1], &msg), 0);
		assert_int_equal(msg.hdr.id, 3);
	}
}

/* A zero-length message and the end of the stream both read ECONNRESET. */
static void
test_proto_recv_empty(void **state)
{
	struct proto_msg	msg;

	(void)state;
	tp_recv_refused("", 0, 0, ECONNRESET);
	tp_recv_refused("", 0, 1, ECONNRESET);
	close(tp_sv[0]);
	tp_sv[0] = -1;
	errno = 0;
	assert_int_equal(proto_recv(tp_sv[1], &msg), -1);
	assert_int_equal(errno, ECONNRESET);
}

/*
 * Whatever the failure, the message owns no descriptor afterwards, so
 * proto_msg_clear() after a failed proto_recv() cannot close a stranger.
 */
static void
test_proto_recv_failure_fd(void **state)
{
	struct proto_msg	msg;

	(void)state;
	tp_send_raw(tp_sv[0], "", 0, NULL, 0);
	memset(&msg, 0x5a, sizeof msg);
	assert_int_equal(proto_recv(tp_sv[1], &msg), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(msg.fd, -1);
	close(tp_sv[0]);
	tp_sv[0] = -1;
	memset(&msg, 0x5a, sizeof msg);
	assert_int_equal(proto_recv(tp_sv[1], &msg), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(msg.fd, -1);
}

/* proto_send() refuses a payload above the maximum. */
static void
test_proto_send_too_long(void **state)
{
	unsigned char	payload[PROTO_MAX_PAYLOAD + 1] = { 0 };

	(void)state;
	errno = 0;
	assert_int_equal(proto_send(tp_sv[0], PROTO_STATS, 1, payload,
	    sizeof payload, -1), -1);
	assert_int_equal(errno, EMSGSIZE);
}

/* xorshift64*: a fixed seed makes every run mutate the same way. */
static uint64_t
tp_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (*s * 0x2545f4914f6cdd1dULL);
}

static bool
tp_access_ok(uint32_t a)
{
	return (a == O_RDONLY || a == O_WRONLY || a == O_RDWR);
}

/* What the protocol allows of a request, written from the spec. */
static bool
tp_request_allowed(const struct proto_msg *m)
{
	const struct proto_grant	*g = &m->u.grant;
	const struct proto_open		*o = &m->u.open;
	const struct proto_limit	*l = &m->u.limit;

	switch (m->hdr.type) {
	case PROTO_GRANT:
		if (g->pad != 0 || !tp_access_ok(g->access) ||
		    (g->options & ~SHM_CREATE_HANDLE_OPT_VALID_MASK))
			return (false);
		return ((g->options & SHM_CREATE_HANDLE_OPT_SUBRANGE) ||
		    (g->offset == 0 && g->length == 0));
	case PROTO_OPEN:
		if (!tp_access_ok(o->access))
			return (false);
		if (o->purpose == PROTO_OPEN_FD)
			return (o->prot == 0 && o->offset == 0 &&
			    o->length == 0);
		return (o->purpose == PROTO_OPEN_MAP && o->length != 0 &&
		    (o->prot & ~(uint32_t)(PROT_READ | PROT_WRITE |
		    PROT_EXEC)) == 0);
	case PROTO_LIMIT:
		if (l->flags & ~(uint32_t)PROTO_LIMIT_SET)
			return (false);
		return ((l->flags & PROTO_LIMIT_SET) ||
		    (l->cur == 0 && l->max == 0));
	case PROTO_LIST:
		return (m->u.list.pad == 0 &&
		    (m->u.list.what == PROTO_LIST_HANDLES ||
		    m->u.list.what == PROTO_LIST_OBJECTS ||
		    m->u.list.what == PROTO_LIST_UIDS));
	case PROTO_PARK:
		return (m->u.parked.id == 0 && m->u.parked.access == 0);
	case PROTO_UNPARK:
		return (m->u.parked.access == 0);
	case PROTO_PARKED_OPEN:
		return (tp_access_ok(m->u.parked.access));
	case PROTO_ADMIN_REVOKE:
		return (m->u.admin_revoke.pad == 0 &&
		    m->u.admin_revoke.pid >= -1);
	case PROTO_CTL:
		if (m->u.ctl.pad != 0)
			return (false);
		if (m->u.ctl.flags == SHMCTL_GET_FLAGS)
			return (m->u.ctl.size == 0);
		return (m->u.ctl.flags != 0 && (m->u.ctl.flags &
		    ~(uint32_t)(SHMCTL_ANON | SHMCTL_LAZY | SHMCTL_SEAL |
		    SHMCTL_REVOCABLE)) == 0 &&
		    ((m->u.ctl.flags & SHMCTL_ANON) || m->u.ctl.size == 0));
	case PROTO_REVOKE:
		return (m->u.revoke.pad == 0 &&
		    (m->u.revoke.pid > 0 || m->u.revoke.pid == -1));
	case PROTO_DELETE:
	case PROTO_STATS:
	case PROTO_WATCH:
	case PROTO_NOTICE:
		return (true);
	}
	return (false);
}

/* Check an accepted message against everything the spec demands. */
static void
tp_assert_sane(const unsigned char *buf, size_t n, int nfds,
    const struct proto_msg *m)
{
	ssize_t	want = proto_payload_size(m->hdr.type);
	int32_t	err;

	assert_int_equal(m->hdr.magic, PROTO_MAGIC);
	assert_int_equal(m->hdr.version, PROTO_VERSION);
	assert_true(want >= 0);
	assert_int_equal(m->hdr.len, want);
	assert_int_equal(n, sizeof(struct proto_hdr) + (size_t)want);
	assert_memory_equal(buf, &m->hdr, sizeof m->hdr);
	if (want > 0)
		assert_memory_equal(buf + sizeof m->hdr, m->u.raw,
		    (size_t)want);
	assert_int_equal(nfds, proto_fd_count(m->hdr.type, m->u.raw));
	assert_int_equal(m->fd, -1);
	if (m->hdr.type & PROTO_REPLY) {
		memcpy(&err, m->u.raw, sizeof err);
		assert_true(err >= 0 && err < 4096);
	} else
		assert_true(tp_request_allowed(m));
}

/*
 * Mutate valid encodings of every type (flip bytes, set words to edge
 * values, cut or extend, vary the fd count) and decode: never a crash,
 * and either an accepted message the spec allows, or -1 with one of the
 * codec's errnos.
 */
static void
test_proto_mutation(void **state)
{
	unsigned char		 valid[TP_MSG_MAX], buf[TP_MSG_MAX + 16];
	unsigned char		 payload[PROTO_MAX_PAYLOAD];
	struct proto_msg	 msg;
	uint64_t		 seed = 0x9e3779b97f4a7c15ULL, r;
	uint32_t		 edge[] = { 0, 1, 2, 3, 0x7fffffffU,
				     0x80000000U, 0xffffffffU, 4096 };
	unsigned long		 i, accepted = 0, refused = 0;
	uint16_t		 type;
	size_t			 n, vlen, pos;
	int			 nfds, k, rv;

	(void)state;
	for (i = 0; i < 400000; i++) {
		r = tp_rand(&seed);
		type = (uint16_t)(1 + r % (PROTO_TYPE_MAX - 1));
		if (r & 0x100)
			type |= PROTO_REPLY;
		vlen = tp_encode(valid, PROTO_MAGIC, PROTO_VERSION, type,
		    (uint32_t)i, (uint32_t)proto_payload_size(type), payload,
		    tp_payload(type, (r >> 9) & 1 ? 0 : EACCES, payload));
		memcpy(buf, valid, vlen);
		n = vlen;
		nfds = proto_fd_count(type, payload);
		for (k = (int)((r >> 10) % 4); k >= 0; k--) {
			r = tp_rand(&seed);
			pos = (size_t)(r >> 8) % (vlen + 1);
			switch (r % 8) {
			case 0:
			case 1:
			case 2:
				if (pos < vlen)
					buf[pos] ^= (unsigned char)(1 <<
					    ((r >> 4) % 8));
				break;
			case 3:
				if (pos < vlen)
					buf[pos] = (unsigned char)(r >> 32);
				break;
			case 4:
				pos &= ~(size_t)3;
				if (pos + 4 <= vlen)
					memcpy(buf + pos, &edge[(r >> 32) % 8],
					    4);
				break;
			case 5:
				n = pos;
				break;
			case 6:
				n = vlen + 1 + (size_t)((r >> 32) % 15);
				memset(buf + vlen, (int)(r >> 48),
				    n - vlen);
				break;
			case 7:
				nfds = (int)((r >> 32) % 3);
				break;
			}
		}
		errno = 0;
		rv = proto_decode(buf, n, nfds, &msg);
		if (rv == 0) {
			tp_assert_sane(buf, n, nfds, &msg);
			accepted++;
		} else {
			assert_int_equal(rv, -1);
			assert_true(errno == EBADMSG || errno == EPROTO ||
			    errno == EPROTONOSUPPORT);
			assert_int_equal(msg.fd, -1);
			refused++;
		}
	}
	/* The loop exercised both outcomes, so it tested something. */
	assert_true(accepted > 1000);
	assert_true(refused > 100000);
	print_message("mutations: %lu accepted, %lu refused\n", accepted,
	    refused);
}

/* Random bytes through proto_recv() leave no descriptor behind. */
static void
test_proto_recv_garbage(void **state)
{
	unsigned char		buf[TP_MSG_MAX + 64];
	struct proto_msg	msg;
	uint64_t		seed = 0x1234567887654321ULL, r;
	int			before, i, nfds, fds[3], j, rv;
	size_t			n, k;

	(void)state;
	before = tp_count_fds();
	for (i = 0; i < 2000; i++) {
		r = tp_rand(&seed);
		n = 1 + (size_t)(r % sizeof buf);
		for (k = 0; k < n; k++)
			buf[k] = (unsigned char)tp_rand(&seed);
		if (r & 0x10000) {
			/* A plausible header with garbage after it. */
			struct proto_hdr	h = { PROTO_MAGIC,
						    PROTO_VERSION,
						    (uint16_t)(r >> 20),
						    0, (uint32_t)(r >> 40) };

			if (n >= sizeof h)
				memcpy(buf, &h, sizeof h);
		}
		nfds = (int)((r >> 17) % 4);
		for (j = 0; j < nfds; j++)
			fds[j] = tp_memfd('g');
		tp_send_raw(tp_sv[0], buf, n, fds, nfds);
		for (j = 0; j < nfds; j++)
			close(fds[j]);
		errno = 0;
		rv = proto_recv(tp_sv[1], &msg);
		if (rv == 0)
			proto_msg_clear(&msg);
		else
			assert_true(errno == EBADMSG || errno == EPROTO ||
			    errno == EPROTONOSUPPORT);
		assert_int_equal(tp_count_fds(), before);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_proto_round_trip_requests,
		    tp_setup, tp_teardown),
		cmocka_unit_test_setup_teardown(test_proto_round_trip_replies,
		    tp_setup, tp_teardown),
		cmocka_unit_test(test_proto_tables),
		cmocka_unit_test(test_proto_truncated_header),
		cmocka_unit_test(test_proto_payload_length),
		cmocka_unit_test(test_proto_wrong_magic),
		cmocka_unit_test(test_proto_wrong_version),
		cmocka_unit_test(test_proto_unknown_type),
		cmocka_unit_test(test_proto_request_pad),
		cmocka_unit_test(test_proto_reply_errno),
		cmocka_unit_test(test_proto_reply_pad),
		cmocka_unit_test(test_proto_bad_values),
		cmocka_unit_test(test_proto_fd_count),
		cmocka_unit_test_setup_teardown(test_proto_recv_extra_fds,
		    tp_setup, tp_teardown),
		cmocka_unit_test_setup_teardown(test_proto_recv_version,
		    tp_setup, tp_teardown),
		cmocka_unit_test_setup_teardown(test_proto_recv_stray_control,
		    tp_setup, tp_teardown),
		cmocka_unit_test_setup_teardown(test_proto_recv_oversize,
		    tp_setup, tp_teardown),
		cmocka_unit_test_setup_teardown(test_proto_recv_empty,
		    tp_setup, tp_teardown),
		cmocka_unit_test_setup_teardown(test_proto_recv_failure_fd,
		    tp_setup, tp_teardown),
		cmocka_unit_test_setup_teardown(test_proto_send_too_long,
		    tp_setup, tp_teardown),
		cmocka_unit_test(test_proto_mutation),
		cmocka_unit_test_setup_teardown(test_proto_recv_garbage,
		    tp_setup, tp_teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
