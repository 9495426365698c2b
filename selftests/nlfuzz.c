// SPDX-License-Identifier: GPL-2.0
/*
 * nlfuzz: seeded random generic netlink requests to the fastvhost family,
 * built by hand (not with libnl) so that they can be malformed: random and
 * unknown commands, dump and do, attribute sets of random types, lengths,
 * nesting and values, bad attribute headers.  KTAP.
 *
 *   nlfuzz --wwn WWN --seed S --cases N [--unpriv] [--replay I] [--verbose]
 *
 * Oracles, each case:
 *   - every request is answered (ack, error or the end of a dump) in 5 s;
 *   - as admin, an error other than the genetlink core's "no such
 *     command" carries an extack message or attribute offset;
 *   - unprivileged (--unpriv: uid and gid 65534 before the socket is
 *     opened), every command of the family is refused with EPERM (a dump
 *     of a do-only one may get EOPNOTSUPP first), an unknown one with
 *     EOPNOTSUPP, and joining the monitor group fails;
 *   - as admin, TARGET_GET of WWN still answers with that WWN.
 * A failure prints the seed and case index; --replay I reruns that case.
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "../uapi/linux/fastvhost.h"

#define NL_BUF		65536

/* walking attributes (the uapi header has no such macros) */
#define NLA_OK(a, rem)	((rem) >= (int)NLA_HDRLEN && (a)->nla_len >= NLA_HDRLEN && \
			 (a)->nla_len <= (rem))
#define NLA_NEXT(a, rem) ((rem) -= NLA_ALIGN((a)->nla_len), \
			  (const struct nlattr *)((const char *)(a) + NLA_ALIGN((a)->nla_len)))
#define NL_WAIT_S	5

struct nf {
	int fd;
	uint16_t family;
	uint32_t mcgrp;
	uint32_t seq;
	uint64_t rng;
	const char *wwn;
	bool unpriv, verbose;
	char what[512];		/* the current case, for the failure line */
	size_t wlen;
	/* the answer */
	int err;
	bool ext;		/* extack message or offset present */
	char msg[256];
	unsigned int replies;
};

static uint64_t rnd(struct nf *f)
{
	uint64_t z = (f->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int below(struct nf *f, unsigned int n)
{
	return n ? rnd(f) % n : 0;
}

static bool chance(struct nf *f, unsigned int pct)
{
	return below(f, 100) < pct;
}

static void say(struct nf *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct nf *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (f->wlen >= sizeof(f->what) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(f->what + f->wlen, sizeof(f->what) - f->wlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		f->wlen += n;
}

/* ---- building a request ---- */

struct msg {
	char buf[8192];
	size_t len;
};

static void *put_raw(struct msg *m, uint16_t type, uint16_t hlen,
		     const void *data, size_t dlen)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);
	size_t room = sizeof(m->buf) - m->len;

	if (NLA_ALIGN(NLA_HDRLEN + dlen) > room)
		return NULL;
	a->nla_type = type;
	a->nla_len = hlen;
	memcpy(a + 1, data, dlen);
	m->len += NLA_ALIGN(NLA_HDRLEN + dlen);
	return a;
}

static void *put(struct msg *m, uint16_t type, const void *data, size_t dlen)
{
	return put_raw(m, type, NLA_HDRLEN + dlen, data, dlen);
}

static uint32_t edge32(struct nf *f)
{
	static const uint32_t e[] = { 0, 1, 2, 3, 63, 64, 127, 128, 129, 130,
				      131, 255, 256, 1000, 65535, 65536,
				      0x7fffffff, 0x80000000, 0xffffffff };

	return chance(f, 60) ? e[below(f, sizeof(e) / sizeof(e[0]))] :
			       (uint32_t)rnd(f);
}

static size_t rnd_string(struct nf *f, char *s, size_t room)
{
	static const char *const cpus[] = { "0", "1", "0-1", "0,1", "1-0",
					    "0-4095", "4096", "-", ",", "",
					    "0-1,0-1", "abc", "0x1", " 0" };
	size_t n = 0;

	switch (below(f, 6)) {
	case 0:
		n = strlen(f->wwn);
		memcpy(s, f->wwn, n);
		break;
	case 1:
		n = snprintf(s, room, "%s", cpus[below(f, 14)]);
		break;
	case 2:		/* around the WWN and CPU list limits */
		n = (size_t[]){ 222, 223, 224, 225, 1022, 1023, 1024,
				1025 }[below(f, 8)];
		n = n < room ? n : room - 1;
		for (size_t i = 0; i < n; i++)
			s[i] = "0123456789,-"[below(f, 12)];
		break;
	case 3:
		n = snprintf(s, room, "naa.%016llx",
			     (unsigned long long)rnd(f));
		break;
	default:
		n = below(f, 40);
		for (size_t i = 0; i < n; i++)
			s[i] = (char)below(f, 256);
		break;
	}
	if (chance(f, 85))
		s[n++] = 0;		/* NUL-terminated, mostly */
	return n;
}

static void put_value(struct nf *f, struct msg *m, uint16_t type)
{
	char s[1100];
	uint64_t v64;
	uint32_t v;
	size_t n;

	switch (below(f, 5)) {
	case 0:
	case 1:
		v = edge32(f);
		put(m, type, &v, 4);
		say(f, "%u=u32:%u ", type, v);
		break;
	case 2:
		n = rnd_string(f, s, sizeof(s));
		put(m, type, s, n);
		say(f, "%u=str/%zu ", type, n);
		break;
	case 3:		/* a length no policy expects */
		n = below(f, 9);
		v64 = rnd(f);
		put(m, type, &v64, n);
		say(f, "%u=len%zu ", type, n);
		break;
	default:
		put(m, type, NULL, 0);
		say(f, "%u=flag ", type);
		break;
	}
}

static void put_queue(struct nf *f, struct msg *m, uint16_t type)
{
	struct nlattr *nest = (struct nlattr *)(m->buf + m->len);
	size_t start = m->len;
	unsigned int i, n = below(f, 4);
	uint32_t v;

	if (!put(m, type | (chance(f, 80) ? NLA_F_NESTED : 0), NULL, 0))
		return;
	say(f, "%u{", type);
	for (i = 0; i < n; i++) {
		uint16_t t = chance(f, 85) ? 1 + below(f, 2) : below(f, 20);

		if (chance(f, 85)) {
			v = edge32(f);
			put(m, t, &v, 4);
			say(f, "%u:%u ", t, v);
		} else {
			put_value(f, m, t);
		}
	}
	nest->nla_len = m->len - start;
	say(f, "} ");
}

/* A header whose length runs past the message, or is shorter than one. */
static void put_broken(struct nf *f, struct msg *m)
{
	uint32_t v = edge32(f);
	uint16_t hlen = chance(f, 50) ? 1 + below(f, 3) : 8 + 4 * (1 + below(f, 64));

	put_raw(m, 1 + below(f, FASTVHOST_A_TARGET_MAX), hlen, &v, 4);
	say(f, "broken-nla/%u ", hlen);
}

/*
 * Attributes of the right types and lengths, with values at and around
 * the policies' bounds: what gets past validation into the ops.
 */
static void put_shaped(struct nf *f, struct msg *m)
{
	static const char *const cpus[] = { "0", "1", "0-1", "0,1", "1-0", "4095",
					    "0-4095" };
	unsigned int i, n = 1 + below(f, 4);
	uint32_t v;
	uint8_t b;

	for (i = 0; i < n; i++) {
		switch (below(f, 9)) {
		case 0:
			v = chance(f, 50) ? (uint32_t)-1 : below(f, 3);
			if (chance(f, 20))
				v = edge32(f);
			put(m, FASTVHOST_A_TARGET_NODE, &v, 4);
			say(f, "node:%d ", (int)v);
			break;
		case 1:
			b = below(f, 3);
			put(m, FASTVHOST_A_TARGET_NODE_AUTO, &b, 1);
			say(f, "auto:%u ", b);
			break;
		case 2: {
			const char *c = cpus[below(f, 7)];

			put(m, FASTVHOST_A_TARGET_CPUS, c, strlen(c) + 1);
			say(f, "cpus:%s ", c);
			break;
		}
		case 3:
			v = chance(f, 70) ? below(f, 5) : edge32(f);
			put(m, FASTVHOST_A_TARGET_WORKERS, &v, 4);
			say(f, "workers:%u ", v);
			break;
		case 4:
		case 5: {
			struct nlattr *nest = (struct nlattr *)(m->buf + m->len);
			size_t start = m->len;
			uint32_t q = chance(f, 80) ? below(f, 8) : edge32(f);
			uint32_t w = chance(f, 80) ? below(f, 4) : edge32(f);

			if (!put(m, FASTVHOST_A_TARGET_QUEUE | NLA_F_NESTED, NULL, 0))
				break;
			put(m, FASTVHOST_A_QUEUE_INDEX, &q, 4);
			if (chance(f, 90))
				put(m, FASTVHOST_A_QUEUE_WORKER, &w, 4);
			nest->nla_len = m->len - start;
			say(f, "map:%u=%u ", q, w);
			break;
		}
		case 6:
			v = chance(f, 50) ? below(f, 200000) : edge32(f);
			put(m, FASTVHOST_A_TARGET_POLL_MAX_NS, &v, 4);
			say(f, "poll:%u ", v);
			break;
		case 7:
			v = below(f, 20);
			put(m, chance(f, 50) ? FASTVHOST_A_TARGET_POLL_GROW :
					       FASTVHOST_A_TARGET_POLL_SHRINK, &v, 4);
			say(f, "factor:%u ", v);
			break;
		default:
			put(m, FASTVHOST_A_TARGET_MAP_RESET, NULL, 0);
			say(f, "map-reset ");
			break;
		}
	}
}

static void build(struct nf *f, struct msg *m, uint8_t *cmdp, uint16_t *flagsp)
{
	struct nlmsghdr *h = (struct nlmsghdr *)m->buf;
	struct genlmsghdr *g = NLMSG_DATA(h);
	unsigned int i, n;
	uint8_t cmd;

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	if (chance(f, 75))
		cmd = FASTVHOST_CMD_TARGET_GET + below(f, 4);
	else if (chance(f, 60))
		cmd = FASTVHOST_CMD_ATTACH_NTF + below(f, 6);
	else
		cmd = below(f, 256);
	g->cmd = cmd;
	g->version = chance(f, 90) ? FASTVHOST_FAMILY_VERSION : below(f, 256);
	h->nlmsg_type = f->family;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (chance(f, 25))
		h->nlmsg_flags |= NLM_F_DUMP;
	say(f, "cmd %u v%u%s: ", cmd, g->version,
	    h->nlmsg_flags & NLM_F_DUMP ? " dump" : "");

	if (chance(f, 40)) {	/* well formed, mostly */
		if (chance(f, 90))
			put(m, FASTVHOST_A_TARGET_WWN, f->wwn, strlen(f->wwn) + 1);
		if (cmd == FASTVHOST_CMD_TARGET_SET)
			put_shaped(f, m);
		say(f, "shaped ");
		n = 0;
	} else {
		n = below(f, 7);
	}
	for (i = 0; i < n; i++) {
		unsigned int k = below(f, 20);
		uint16_t type;

		if (k < 5) {		/* the WWN, mostly a good one */
			char s[300];
			size_t l;

			if (chance(f, 60)) {
				l = strlen(f->wwn) + 1;
				memcpy(s, f->wwn, l);
			} else {
				l = rnd_string(f, s, sizeof(s));
			}
			put(m, FASTVHOST_A_TARGET_WWN, s, l);
			say(f, "wwn/%zu ", l);
		} else if (k < 8) {
			put_queue(f, m, FASTVHOST_A_TARGET_QUEUE);
		} else if (k < 9) {
			put_queue(f, m, FASTVHOST_A_TARGET_TPG);
		} else if (k < 18) {
			type = 1 + below(f, FASTVHOST_A_TARGET_MAX);
			put_value(f, m, type);
		} else if (k < 19) {
			put_value(f, m, chance(f, 50) ? 0 : below(f, 1024));
		} else {
			put_broken(f, m);
		}
	}
	h->nlmsg_len = m->len;
	*cmdp = cmd;
	*flagsp = h->nlmsg_flags;
}

/* ---- talking ---- */

static int nl_open(void)
{
	struct timeval tv = { .tv_sec = NL_WAIT_S };
	int one = 1, fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return fd;
}

static void parse_ext(struct nf *f, const struct nlmsghdr *h, size_t off)
{
	const struct nlattr *a;
	size_t pos = NLMSG_ALIGN(off);

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	while (pos + NLA_HDRLEN <= h->nlmsg_len) {
		a = (const struct nlattr *)((const char *)h + pos);
		if (a->nla_len < NLA_HDRLEN || pos + a->nla_len > h->nlmsg_len)
			break;
		switch (a->nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG:
			snprintf(f->msg, sizeof(f->msg), "%.*s",
				 (int)(a->nla_len - NLA_HDRLEN),
				 (const char *)(a + 1));
			f->ext = true;
			break;
		case NLMSGERR_ATTR_OFFS:
		case NLMSGERR_ATTR_MISS_TYPE:
		case NLMSGERR_ATTR_MISS_NEST:
			f->ext = true;
			break;
		}
		pos += NLA_ALIGN(a->nla_len);
	}
}

/*
 * Send @len bytes and read until the ack, error or end of dump of our
 * sequence number.  Returns 0 with f->err set, or -1 when nothing came.
 */
static int talk(struct nf *f, void *req, size_t len, void (*each)(struct nf *,
		const struct nlmsghdr *))
{
	struct nlmsghdr *rh = req;
	static char buf[NL_BUF];
	uint32_t seq = ++f->seq;
	ssize_t n;

	rh->nlmsg_seq = seq;
	f->err = 0;
	f->ext = false;
	f->msg[0] = 0;
	f->replies = 0;
	if (send(f->fd, req, len, 0) != (ssize_t)len)
		return -1;
	for (;;) {
		struct nlmsghdr *h;

		n = recv(f->fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -1;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				f->err = e->error;
				parse_ext(f, h, NLMSG_HDRLEN + sizeof(*e));
				return 0;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				if (h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
					f->err = *(int *)NLMSG_DATA(h);
				parse_ext(f, h, NLMSG_HDRLEN + sizeof(int));
				return 0;
			}
			f->replies++;
			if (each)
				each(f, h);
		}
	}
}

static void family_attrs(struct nf *f, const struct nlmsghdr *h)
{
	const struct nlattr *a = (const void *)((const char *)NLMSG_DATA(h) +
						GENL_HDRLEN);
	int rem = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

	for (; NLA_OK(a, rem); a = NLA_NEXT(a, rem)) {
		const struct nlattr *g, *x;
		int r1, r2;

		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			f->family = *(const uint16_t *)(a + 1);
		if ((a->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		r1 = a->nla_len - NLA_HDRLEN;
		for (g = (const void *)(a + 1); NLA_OK(g, r1); g = NLA_NEXT(g, r1)) {
			uint32_t id = 0;
			bool ours = false;

			r2 = g->nla_len - NLA_HDRLEN;
			for (x = (const void *)(g + 1); NLA_OK(x, r2); x = NLA_NEXT(x, r2)) {
				if (x->nla_type == CTRL_ATTR_MCAST_GRP_ID)
					id = *(const uint32_t *)(x + 1);
				if (x->nla_type == CTRL_ATTR_MCAST_GRP_NAME &&
				    !strcmp((const char *)(x + 1), FASTVHOST_MCGRP_MONITOR))
					ours = true;
			}
			if (ours)
				f->mcgrp = id;
		}
	}
}

static int resolve(struct nf *f)
{
	struct msg m = { .len = NLMSG_HDRLEN + GENL_HDRLEN };
	struct nlmsghdr *h = (struct nlmsghdr *)m.buf;
	struct genlmsghdr *g = NLMSG_DATA(h);

	memset(m.buf, 0, m.len);
	h->nlmsg_type = GENL_ID_CTRL;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	put(&m, CTRL_ATTR_FAMILY_NAME, FASTVHOST_FAMILY_NAME,
	    sizeof(FASTVHOST_FAMILY_NAME));
	h->nlmsg_len = m.len;
	if (talk(f, m.buf, m.len, family_attrs) || f->err || !f->family)
		return -1;
	return 0;
}

static void saw_wwn(struct nf *f, const struct nlmsghdr *h)
{
	const struct nlattr *a = (const void *)((const char *)NLMSG_DATA(h) +
						GENL_HDRLEN);
	int rem = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

	for (; NLA_OK(a, rem); a = NLA_NEXT(a, rem))
		if (a->nla_type == FASTVHOST_A_TARGET_WWN &&
		    !strcmp((const char *)(a + 1), f->wwn))
			f->replies += 1000;
}

/* The known target still answers a well-formed TARGET_GET. */
static int still_answers(struct nf *f)
{
	struct msg m = { .len = NLMSG_HDRLEN + GENL_HDRLEN };
	struct nlmsghdr *h = (struct nlmsghdr *)m.buf;
	struct genlmsghdr *g = NLMSG_DATA(h);

	memset(m.buf, 0, m.len);
	h->nlmsg_type = f->family;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g->cmd = FASTVHOST_CMD_TARGET_GET;
	g->version = FASTVHOST_FAMILY_VERSION;
	put(&m, FASTVHOST_A_TARGET_WWN, f->wwn, strlen(f->wwn) + 1);
	h->nlmsg_len = m.len;
	if (talk(f, m.buf, m.len, saw_wwn))
		return -1;
	return f->err == 0 && f->replies >= 1000 ? 0 : -1;
}

/* ---- a case ---- */

static bool family_cmd(uint8_t cmd)
{
	return cmd >= FASTVHOST_CMD_TARGET_GET && cmd <= FASTVHOST_CMD_STATS_RESET;
}

/* What the genetlink core refuses itself, with no extack: no such op. */
static bool core_refusal(uint8_t cmd, uint16_t flags)
{
	if (!family_cmd(cmd))
		return true;
	return (flags & NLM_F_DUMP) && (cmd == FASTVHOST_CMD_TARGET_SET ||
					 cmd == FASTVHOST_CMD_STATS_RESET);
}

static int one_case(struct nf *f, uint64_t seed, unsigned int idx)
{
	static struct msg m;
	uint16_t flags;
	uint8_t cmd;

	f->rng = seed * 0x100000001b3ULL + idx;
	f->wlen = 0;
	f->what[0] = 0;
	build(f, &m, &cmd, &flags);
	if (talk(f, m.buf, m.len, NULL)) {
		printf("# FAIL seed %llu case %u: no answer in %d s: %s\n",
		       (unsigned long long)seed, idx, NL_WAIT_S, f->what);
		return -1;
	}
	if (f->verbose)
		printf("# case %u: %s-> %d %s%s\n", idx, f->what, f->err,
		       f->ext ? "extack " : "", f->msg);
	if (f->unpriv) {
		int want = core_refusal(cmd, flags) ? -EOPNOTSUPP : -EPERM;

		/* 6.1 checks the privilege before whether a dump exists */
		if (family_cmd(cmd) && f->err == -EPERM)
			want = -EPERM;
		if (f->err != want) {
			printf("# FAIL seed %llu case %u: unprivileged got %d (%s), not %d: %s\n",
			       (unsigned long long)seed, idx, f->err,
			       strerror(-f->err), want, f->what);
			return -1;
		}
		return 0;
	}
	if (f->err == -EPERM) {
		printf("# FAIL seed %llu case %u: admin refused with EPERM: %s\n",
		       (unsigned long long)seed, idx, f->what);
		return -1;
	}
	if (f->err && !(f->err == -EOPNOTSUPP && core_refusal(cmd, flags)) &&
	    !f->ext) {
		printf("# FAIL seed %llu case %u: error %d (%s) with no extack: %s\n",
		       (unsigned long long)seed, idx, f->err, strerror(-f->err),
		       f->what);
		return -1;
	}
	if (still_answers(f)) {
		printf("# FAIL seed %llu case %u: TARGET_GET of %s fails after: %s\n",
		       (unsigned long long)seed, idx, f->wwn, f->what);
		return -1;
	}
	return 0;
}

static int drop_privileges(void)
{
	gid_t g = 65534;

	if (setgroups(1, &g) || setresgid(g, g, g) || setresuid(65534, 65534, 65534))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct nf f = { 0 };
	unsigned long long seed = 1;
	unsigned int cases = 1000, i, failed = 0;
	long replay = -1;
	int grp_rc;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < (unsigned int)argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--cases") && i + 1 < (unsigned int)argc)
			cases = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--wwn") && i + 1 < (unsigned int)argc)
			f.wwn = argv[++i];
		else if (!strcmp(argv[i], "--replay") && i + 1 < (unsigned int)argc)
			replay = strtol(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--unpriv"))
			f.unpriv = true;
		else if (!strcmp(argv[i], "--verbose"))
			f.verbose = true;
		else {
			fprintf(stderr, "usage: nlfuzz --wwn WWN [--seed S] [--cases N] [--unpriv] [--replay I] [--verbose]\n");
			return 2;
		}
	}
	if (!f.wwn) {
		fprintf(stderr, "nlfuzz: --wwn is needed\n");
		return 2;
	}
	printf("TAP version 13\n1..2\n");
	if (f.unpriv && drop_privileges()) {
		printf("Bail out! cannot drop privileges: %s\n", strerror(errno));
		return 1;
	}
	f.fd = nl_open();
	if (f.fd < 0 || resolve(&f)) {
		printf("Bail out! no %s genetlink family\n", FASTVHOST_FAMILY_NAME);
		return 1;
	}

	grp_rc = setsockopt(f.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
			    &f.mcgrp, sizeof(f.mcgrp)) ? -errno : 0;
	if (f.unpriv ? grp_rc != -EPERM : grp_rc != 0) {
		printf("not ok 1 %s joins the monitor group: %s\n",
		       f.unpriv ? "no unprivileged user" : "an admin",
		       grp_rc ? strerror(-grp_rc) : "joined");
		failed++;
	} else {
		printf("ok 1 %s joins the monitor group\n",
		       f.unpriv ? "no unprivileged user" : "an admin");
	}
	if (!grp_rc)
		setsockopt(f.fd, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP,
			   &f.mcgrp, sizeof(f.mcgrp));

	if (replay >= 0) {
		f.verbose = true;
		i = one_case(&f, seed, replay) ? 1 : 0;
		printf("%s 2 seed %llu case %ld replayed\n", i ? "not ok" : "ok",
		       seed, replay);
		return i || failed;
	}
	for (i = 0; i < cases; i++)
		if (one_case(&f, seed, i))
			break;
	printf("%s 2 %u netlink cases%s, seed %llu\n",
	       i < cases ? "not ok" : "ok", cases,
	       f.unpriv ? " unprivileged" : " as admin", seed);
	return i < cases || failed;
}
