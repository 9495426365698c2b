// SPDX-License-Identifier: GPL-2.0
/*
 * fvfuzz: seeded fuzzer of /dev/fastvhost (see fvfuzz.h for the design).
 *
 *   fvfuzz --seed S --cases N [--time SEC] [--replay I] [--families LIST]
 *          [--start I] [--queues NQ] [--verbose]
 *
 * Environment: FV_DEV, FV_WWN, FV_TPGT (tests_common.h); FV_FUZZ_WWN2, a
 * second target for the VMM and kill families (skipped without it).
 * Prints KTAP: one result per family.  A failing case prints its seed,
 * index and description; --replay I runs that case alone, --start I the
 * cases from I on.  --verbose describes every case, and marks its start in
 * the kernel log (/dev/kmsg), so that a splat can be put to a case.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests_common.h"
#include "fvfuzz.h"

static const struct {
	const char *name;
	int (*run)(struct fz *f);
	unsigned int weight;
	bool wwn2;		/* needs the second target */
} families[FZ_NR_FAMILIES] = {
	[FZ_RING_F]	= { "ring", fz_case_ring, 30, false },
	[FZ_ADDR_F]	= { "addr", fz_case_addr, 20, false },
	[FZ_REQ_F]	= { "req", fz_case_req, 30, false },
	[FZ_CTRL_F]	= { "ctrl", fz_case_ctrl, 10, false },
	[FZ_EVENT_F]	= { "event", fz_case_event, 4, false },
	[FZ_VMM_F]	= { "vmm", fz_case_vmm, 5, true },
	[FZ_KILL_F]	= { "kill", fz_case_kill, 1, true },
	[FZ_LUN_F]	= { "lun", fz_case_lun, 1, true },
};

static struct fz *cur;		/* for the watchdog */

/* ---- PRNG ---- */

static uint64_t mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t fz_next(struct fz *f)
{
	return vg_rand(&f->rng);
}

uint32_t fz_below(struct fz *f, uint32_t n)
{
	return n ? (uint32_t)(fz_next(f) % n) : 0;
}

bool fz_chance(struct fz *f, unsigned int pct)
{
	return fz_below(f, 100) < pct;
}

uint32_t fz_len(struct fz *f)
{
	static const uint32_t lens[] = {
		0, 1, 2, 15, 16, 17, 19, 51, 52, 107, 108, 109, 511, 512,
		4095, 4096, 4097, 65536, 1u << 20, 0x7fffffffu, 0x80000000u,
		0xfffffff0u, 0xffffffffu,
	};

	switch (fz_below(f, 4)) {
	case 0:
		return fz_below(f, 8192);
	case 1:
		return (uint32_t)fz_next(f);
	default:
		return lens[fz_below(f, sizeof(lens) / sizeof(lens[0]))];
	}
}

/* ---- reporting ---- */

void fz_say(struct fz *f, const char *fmt, ...)
{
	size_t n = strlen(f->desc);
	va_list ap;

	if (n + 2 >= sizeof(f->desc))
		return;
	va_start(ap, fmt);
	vsnprintf(f->desc + n, sizeof(f->desc) - n, fmt, ap);
	va_end(ap);
}

int fz_fail(struct fz *f, const char *fmt, ...)
{
	va_list ap;

	if (f->why[0])
		return -1;	/* the first reason counts */
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
	return -1;
}

static void watchdog(int sig)
{
	char buf[FZ_DESC_LEN + 256];
	int n;

	(void)sig;
	n = snprintf(buf, sizeof(buf),
		     "# FAIL seed=%" PRIu64 " index=%" PRIu64
		     ": hung for %d s (an ioctl or the device did not return): %s\n",
		     cur->seed, cur->index, 4 * cur->bound_ms / 1000 + 30,
		     cur->desc);
	if (n > 0 && write(1, buf, (size_t)n) < 0)
		_exit(3);
	_exit(3);
}

/* ---- the main device ---- */

static int open_main(struct fz *f)
{
	struct vg_opts o;
	struct vg_dev *d;
	int rc, tries;

	vg_opts_default(&o);
	o.path = f->env.dev;
	o.nr_io_queues = f->nq;
	o.ring_size = FZ_RING;
	/* odd seeds: request headers with T10 PI (fuzz_req.c) */
	o.want_features = TC_FEAT_ALL |
			  (f->seed & 1 ? 1ULL << VIRTIO_SCSI_F_T10_PI : 0);
	o.arena_size = 16 << 20;
	o.nregions = 2;
	o.adjacent_regions = true;	/* one buffer may straddle them */
	o.quiet = true;
	rc = vg_open(&d, &o);
	if (rc) {
		printf("# main device: open: %s\n", strerror(-rc));
		return rc;
	}
	rc = vg_setup(d);
	for (tries = 0; !rc; tries++) {
		rc = vg_set_endpoint(d, f->env.wwn, f->env.tpgt);
		if ((rc != -EBUSY && rc != -ENODEV) || tries >= 100)
			break;
		usleep(50 * 1000);
	}
	if (rc) {
		fprintf(stdout, "# main device: %s\n", vg_strerror(d));
		vg_abandon(d);
		return rc;
	}
	f->d = d;
	/* Nothing is allocated from region 1: it is all data buffers. */
	f->junk = d->reg[1].host;
	f->junk_gpa = d->reg[1].gpa;
	f->pat = vg_alloc(d, FZ_PAT_BLOCKS * 4096, 4096);
	f->pat_rd = vg_alloc(d, FZ_PAT_BLOCKS * 4096, 4096);
	memset(f->dirty, 0, sizeof(f->dirty));
	memset(f->base, 0, sizeof(f->base));
	if (!f->pat || !f->pat_rd)
		return -ENOMEM;
	/* What write_pattern() put on the LUN (once bs is known). */
	if (f->bs)
		memcpy(f->pat, f->pat_ref, FZ_PAT_BLOCKS * f->bs);
	/* The event queue starts empty: the event family fills it. */
	return 0;
}

static struct vg_vq *oracle_q(struct fz *f)
{
	return vg_ioq(f->d, f->nq - 1);
}

static int reopen_main(struct fz *f)
{
	vg_close(f->d);
	f->d = NULL;
	f->reopens++;
	return open_main(f);
}

/* Lay out one ring again from zero, its avail index at f->base[i]. */
static int reset_ring(struct fz *f, unsigned int i)
{
	struct vg_dev *d = f->d;
	struct vg_vq *vq = &d->vq[i];
	uint16_t b = f->base[i];
	int rc;

	vg_vring_get_base(d, i, NULL);
	vg_vq_reset(vq);
	vq->avail_shadow = vq->avail_kicked = vq->last_used = b;
	vq->avail->idx = htole16(b);
	vq->used->idx = htole16(b);
	vg_vq_errors(vq);
	rc = vg_vring_num(d, i, vq->num);
	if (!rc)
		rc = vg_vring_base(d, i, b);
	if (!rc)
		rc = vg_vring_addr(d, i, vq->desc, vq->avail, vq->used);
	return rc;
}

/* Every dirty queue set up again; on any trouble, a new device. */
static int recycle(struct fz *f)
{
	unsigned int i;
	int rc, tries;

	f->recycles++;
	rc = vg_clear_endpoint(f->d);
	if (!rc)
		f->stale = false;
	for (i = 0; !rc && i < f->d->nvqs; i++)
		if (f->dirty[i])
			rc = reset_ring(f, i);
	for (tries = 0; !rc; tries++) {
		rc = vg_set_endpoint(f->d, f->env.wwn, f->env.tpgt);
		if (rc != -EBUSY || tries >= 100)
			break;
		usleep(20 * 1000);
	}
	memset(f->dirty, 0, sizeof(f->dirty));
	memset(f->base, 0, sizeof(f->base));
	if (rc) {
		fprintf(stdout, "# recycle: %s; opening the device again\n",
			vg_strerror(f->d));
		return reopen_main(f);
	}
	return 0;
}

struct vg_vq *fz_take_io(struct fz *f)
{
	unsigned int i;

	for (;;) {
		for (i = VG_VQ_REQ0; i < VG_VQ_REQ0 + f->nq - 1; i++) {
			if (!f->dirty[i]) {
				f->dirty[i] = true;
				fz_say(f, "q%u@%u ", i, f->base[i]);
				return &f->d->vq[i];
			}
		}
		if (recycle(f))
			return NULL;
	}
}

struct vg_vq *fz_take_io_quiet(struct fz *f)
{
	if (f->stale && recycle(f))
		return NULL;
	return fz_take_io(f);
}

struct vg_vq *fz_take_at(struct fz *f, uint16_t base)
{
	unsigned int i = VG_VQ_REQ0;

	f->dirty[i] = true;
	f->base[i] = base;
	if (recycle(f))
		return NULL;
	f->dirty[i] = true;
	fz_say(f, "q%u@%u ", i, base);
	return &f->d->vq[i];
}

struct vg_vq *fz_take_fixed(struct fz *f, unsigned int idx)
{
	if (f->dirty[idx] && recycle(f))
		return NULL;
	f->dirty[idx] = true;
	fz_say(f, "q%u@%u ", idx, f->d->vq[idx].avail_shadow);
	return &f->d->vq[idx];
}

uint16_t fz_used_idx(struct vg_vq *q)
{
	return le16toh(__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE));
}

int fz_settle(struct fz *f, struct vg_vq *q, unsigned int expect,
	      const uint16_t *heads, unsigned int nheads)
{
	struct pollfd p[2] = {
		{ .fd = q->call_fd, .events = POLLIN },
		{ .fd = q->err_fd, .events = POLLIN },
	};
	uint64_t end = vg_now_ns() + (uint64_t)f->bound_ms * 1000000;
	uint16_t start = q->last_used, got, k;
	bool broken = false;
	uint64_t cnt;

	for (;;) {
		got = fz_used_idx(q) - start;
		if (got >= expect && expect <= q->num)
			break;
		if (vg_vq_errors(q)) {
			broken = true;
			break;
		}
		if (vg_now_ns() > end)
			return fz_fail(f, "queue %u: %u of %u requests came back in %d ms and the queue was not marked broken",
				       q->index, got, expect, f->bound_ms);
		if (poll(p, 2, 2) > 0 && (p[0].revents & POLLIN) &&
		    read(q->call_fd, &cnt, sizeof(cnt)) < 0)
			continue;
	}
	got = fz_used_idx(q) - start;
	if (got > q->num || (!broken && got > expect))
		return fz_fail(f, "queue %u: %u used entries for %u requests",
			       q->index, got, expect);
	for (k = 0; k < got; k++) {
		const struct vring_used_elem *e =
			&q->used->ring[(uint16_t)(start + k) % q->num];
		uint32_t id = le32toh(e->id);
		unsigned int j;

		for (j = 0; heads && j < nheads; j++)
			if (heads[j] == id)
				break;
		if (heads && j == nheads)
			return fz_fail(f, "queue %u: used id %u was never made available",
				       q->index, id);
	}
	q->last_used = start + got;
	f->stale |= broken;
	if (broken)
		f->n_broken++;
	else
		f->n_answered++;
	fz_say(f, "-> %u used%s ", got, broken ? ", broken" : "");
	return broken ? 1 : 0;
}

/* ---- addresses ---- */

uint64_t fz_junk(struct fz *f, uint32_t len)
{
	uint64_t size = f->d->reg[1].size;
	uint64_t room = size > len ? size - len : 0;

	return f->junk_gpa + (fz_below(f, (uint32_t)room + 1) & ~7ULL);
}

static uint64_t pick_addr(struct fz *f, uint32_t len, bool writable,
			  const char **what)
{
	const struct vg_region *r0 = &f->d->reg[0], *r1 = &f->d->reg[1];
	uint64_t lo = r0->gpa, hi = r1->gpa + r1->size, mid = r1->gpa;
	uint64_t half = len / 2;

	switch (fz_below(f, 16)) {
	case 0:
		*what = "below memory";
		/* read-only there: the control ring is at region 0's start */
		return writable ? hi - half : lo - half - 1;
	case 1:
		*what = "across the end of memory";
		return hi - half;
	case 2:
		*what = "at the end of memory";
		return hi;
	case 3:
		*what = "last bytes of memory";
		return hi - len;
	case 4:
		*what = "across the region boundary";
		return mid - half;
	case 5:
		*what = "past the end (hole)";
		return hi + (1 << 20);
	case 6:
		*what = "zero";
		return 0;
	case 7:
		*what = "wrapping around 2^64";
		return ~0ULL - half;
	case 8:
		*what = "all ones";
		return ~0ULL;
	case 9:
		*what = "bit 63";
		return (1ULL << 63) | mid;
	case 10:
		*what = "host virtual address";
		return (uint64_t)(uintptr_t)f->junk;
	case 11:
		*what = "random";
		return fz_next(f);
	case 12:
		*what = "gpa + 2^32";
		return mid + (1ULL << 32);
	default:
		*what = "junk";
		return fz_junk(f, len);
	}
}

/* Region 0 holds the rings in its first megabytes: never written there. */
static bool hits_rings(const struct fz *f, uint64_t gpa, uint32_t len)
{
	uint64_t lo = f->d->reg[0].gpa;

	return gpa < lo + (4 << 20) && gpa + len > lo && gpa + len >= gpa;
}

bool fz_valid(const struct fz *f, uint64_t gpa, uint32_t len)
{
	uint64_t lo = f->d->reg[0].gpa;
	uint64_t hi = f->d->reg[1].gpa + f->d->reg[1].size;

	/* a zero-length buffer is not judged */
	return len && gpa >= lo && gpa < hi && len <= hi - gpa;
}

uint64_t fz_addr(struct fz *f, uint32_t len, bool writable, const char **what)
{
	uint64_t a = pick_addr(f, len, writable, what);

	if (writable && hits_rings(f, a, len)) {
		*what = "junk";
		a = fz_junk(f, len);
	}
	return a;
}

/* Copy guest memory out, across regions; false if not all mapped. */
bool fz_read_gpa(const struct fz *f, uint64_t gpa, uint32_t len, void *out)
{
	uint8_t *o = out;

	while (len) {
		unsigned int i;
		bool found = false;

		for (i = 0; i < f->d->nregions && !found; i++) {
			const struct vg_region *r = &f->d->reg[i];
			uint64_t n;

			if (gpa < r->gpa || gpa - r->gpa >= r->size)
				continue;
			n = r->size - (gpa - r->gpa);
			if (n > len)
				n = len;
			memcpy(o, (uint8_t *)r->host + (gpa - r->gpa), n);
			o += n;
			gpa += n;
			len -= n;
			found = true;
		}
		if (!found)
			return false;
	}
	return true;
}

struct vg_hdr *fz_hdr(struct fz *f, struct vg_vq *q, unsigned int slot,
		      uint8_t op, uint16_t lun, uint32_t lba, uint16_t nb)
{
	struct vg_hdr *h = &q->hdr[slot % q->num];

	memset(h, 0, sizeof(*h));
	vg_lun_encode(h->req.cmd.lun, f->d->tpgt, lun);
	h->req.cmd.tag = htole64(0xf022000000000000ULL | slot);
	h->req.cmd.cdb[0] = op;
	if (op == 0x28) {
		vg_put_be32(&h->req.cmd.cdb[2], lba);
		vg_put_be16(&h->req.cmd.cdb[7], nb);
	}
	h->resp.cmd.response = 0xff;
	return h;
}

/* ---- oracles ---- */

static int read_pattern(struct fz *f, uint64_t lba, uint32_t nb, void *buf,
			struct vg_io *io)
{
	int rc;

	vg_io_init(io, FZ_PAT_LUN);
	vg_cdb_rw(io, 10, false, lba, nb);
	io->din = buf;
	io->din_len = nb * f->bs;
	rc = tc_exec(oracle_q(f), io);
	return rc;
}

/* The oracle queue serves a READ of the pattern, right, within the bound. */
static int oracle(struct fz *f)
{
	struct vg_vq *q = oracle_q(f);
	uint32_t k = f->index % FZ_PAT_BLOCKS;
	struct vg_io io;
	int rc;

	memset(f->pat_rd, 0, f->bs);
	rc = read_pattern(f, k, 1, f->pat_rd, &io);
	if (rc)
		return fz_fail(f, "oracle queue: READ of the pattern got no answer (%s)",
			       strerror(-rc));
	if (!vg_io_ok(&io))
		return fz_fail(f, "oracle queue: READ of the pattern: %s",
			       tc_str(&io));
	if (memcmp(f->pat_rd, f->pat_ref + (size_t)k * f->bs, f->bs))
		return fz_fail(f, "oracle queue: the pattern read back wrong");
	if (vg_vq_inflight(q) || q->n_bad_used)
		return fz_fail(f, "oracle queue: %u in flight, %" PRIu64 " bad used ids",
			       vg_vq_inflight(q), q->n_bad_used);
	return 0;
}

static int write_pattern(struct fz *f)
{
	struct vg_io io;
	uint64_t blocks;
	int rc;

	/* the first command may meet a UNIT ATTENTION */
	vg_io_init(&io, FZ_PAT_LUN);
	vg_cdb_tur(&io);
	tc_exec(oracle_q(f), &io);
	rc = vg_read_capacity(oracle_q(f), FZ_PAT_LUN, &blocks, &f->bs);
	if (rc || f->bs > 4096) {
		printf("# READ CAPACITY of LUN %d: %s, block size %u\n", FZ_PAT_LUN,
		       strerror(-rc), f->bs);
		return rc ? rc : -EINVAL;
	}
	f->blocks = blocks;
	/*
	 * What the oracles compare with stays in our own memory: the copy in
	 * the guest's is only the WRITE's data, and a case's device-writable
	 * buffer may land on it.
	 */
	vg_pattern_fill(f->pat_ref, FZ_PAT_BLOCKS * f->bs, f->bs, f->seed, 0);
	memcpy(f->pat, f->pat_ref, FZ_PAT_BLOCKS * f->bs);
	vg_io_init(&io, FZ_PAT_LUN);
	vg_cdb_rw(&io, 10, true, 0, FZ_PAT_BLOCKS);
	io.dout = f->pat;
	io.dout_len = FZ_PAT_BLOCKS * f->bs;
	rc = tc_exec(oracle_q(f), &io);
	if (!rc && !vg_io_ok(&io))
		rc = -EIO;
	if (rc)
		printf("# WRITE of the pattern: %s %s\n", strerror(-rc), tc_str(&io));
	return rc;
}

/* ---- driver ---- */

static unsigned int pick_family(struct fz *f, unsigned int mask)
{
	unsigned int i, total = 0, r;

	for (i = 0; i < FZ_NR_FAMILIES; i++)
		if (mask & (1u << i))
			total += families[i].weight;
	r = fz_below(f, total);
	for (i = 0; i < FZ_NR_FAMILIES; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (r < families[i].weight)
			return i;
		r -= families[i].weight;
	}
	return 0;
}

struct tally {
	uint64_t run, failed;
};

/* The family a case runs depends on the mask: a replay needs the same. */
static void print_families(unsigned int mask)
{
	const char *sep = "";
	unsigned int i;

	for (i = 0; i < FZ_NR_FAMILIES; i++)
		if (mask & (1u << i)) {
			printf("%s%s", sep, families[i].name);
			sep = ",";
		}
}

static void kmsg_mark(struct fz *f)
{
	static int fd = -2;
	char line[64];
	int n;

	if (fd == -2)
		fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line), "fvfuzz: seed %" PRIu64 " case %" PRIu64 "\n",
		     f->seed, f->index);
	if (write(fd, line, n) != n)
		fd = -1;
}

/* One case: its PRNG, the family's attack, then the oracles. */
static int run_case(struct fz *f, unsigned int mask, struct tally *t)
{
	unsigned int fam;
	int rc;

	f->rng = mix(f->seed ^ mix(f->index + 1));
	f->desc[0] = f->why[0] = '\0';
	fam = pick_family(f, mask);
	fz_say(f, "%s: ", families[fam].name);
	if (f->verbose)
		kmsg_mark(f);
	alarm(4 * f->bound_ms / 1000 + 30);
	rc = families[fam].run(f);
	if (!rc || rc == 1)
		rc = oracle(f);
	alarm(0);
	t[fam].run++;
	if (f->verbose)
		printf("# case %" PRIu64 ": %s%s%s\n", f->index, f->desc,
		       f->why[0] ? " FAILED: " : "", f->why);
	if (rc >= 0 && !f->why[0])
		return 0;
	t[fam].failed++;
	printf("# FAIL seed=%" PRIu64 " index=%" PRIu64 ": %s\n#   %s\n#   replay: fvfuzz --seed %" PRIu64 " --families ",
	       f->seed, f->index, f->desc, f->why[0] ? f->why : "(no reason)",
	       f->seed);
	print_families(mask);
	printf(" --replay %" PRIu64 "\n", f->index);
	fflush(stdout);
	/* Go on with a new device; if there is none, stop. */
	return reopen_main(f) ? -1 : 1;
}

static unsigned int parse_families(const char *s)
{
	unsigned int mask = 0, i;
	char *copy = strdup(s), *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < FZ_NR_FAMILIES; i++)
			if (!strcmp(tok, families[i].name))
				mask |= 1u << i;
	}
	free(copy);
	return mask;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fvfuzz --seed S --cases N [--time SEC] [--replay I] [--start I]\n"
		"              [--families ring,addr,req,ctrl,event,vmm,kill]\n"
		"              [--queues NQ] [--bound-ms MS] [--verbose]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "cases", required_argument, NULL, 'n' },
		{ "time", required_argument, NULL, 't' },
		{ "replay", required_argument, NULL, 'r' },
		{ "start", required_argument, NULL, 'i' },
		{ "families", required_argument, NULL, 'f' },
		{ "queues", required_argument, NULL, 'q' },
		{ "bound-ms", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct tally t[FZ_NR_FAMILIES] = { { 0 } };
	uint64_t cases = 1000, first = 0, i, t0, limit_ns = 0, failed = 0;
	unsigned int mask = (1u << FZ_NR_FAMILIES) - 1, fam;
	bool replay = false;
	static struct fz fz;
	struct fz *f = &fz;
	int c, rc = 0;

	f->nq = 8;
	f->bound_ms = 5000;
	while ((c = getopt_long(argc, argv, "s:n:t:r:i:f:q:b:v", opts, NULL)) != -1) {
		switch (c) {
		case 's': f->seed = strtoull(optarg, NULL, 0); break;
		case 'n': cases = strtoull(optarg, NULL, 0); break;
		case 't': limit_ns = strtoull(optarg, NULL, 0) * 1000000000ULL; break;
		case 'r': first = strtoull(optarg, NULL, 0); replay = true; break;
		case 'i': first = strtoull(optarg, NULL, 0); break;
		case 'f': mask = parse_families(optarg); break;
		case 'q': f->nq = atoi(optarg); break;
		case 'b': f->bound_ms = atoi(optarg); break;
		case 'v': f->verbose = true; break;
		default: usage();
		}
	}
	if (!mask || f->nq < 2 || f->nq > VG_MAX_IO_VQS || f->bound_ms < 100)
		usage();
	if (replay)
		cases = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, watchdog);
	cur = f;
	printf("KTAP version 1\n1..%d\n", FZ_NR_FAMILIES);
	if (vg_env_load(&f->env)) {
		for (fam = 0; fam < FZ_NR_FAMILIES; fam++)
			printf("ok %u %s # SKIP FV_WWN not set\n", fam + 1,
			       families[fam].name);
		return 4;
	}
	f->slow_lun = getenv("FV_SLOW_LUN") ? atoi(getenv("FV_SLOW_LUN")) : -1;
	f->wwn2 = getenv("FV_FUZZ_WWN2");
	if (!f->wwn2 || !*f->wwn2) {
		f->wwn2 = NULL;
		for (fam = 0; fam < FZ_NR_FAMILIES; fam++)
			if (families[fam].wwn2)
				mask &= ~(1u << fam);
	}
	printf("# fvfuzz seed=%" PRIu64 " cases=%" PRIu64 "%s queues=%u bound=%d ms\n",
	       f->seed, cases, replay ? " (replay)" : "", f->nq, f->bound_ms);
	if (open_main(f) || write_pattern(f)) {
		printf("Bail out! cannot attach to %s on %s\n", f->env.wwn,
		       f->env.dev);
		return 1;
	}
	printf("# main device: %s request headers\n",
	       vg_has(f->d, VIRTIO_SCSI_F_T10_PI) ? "T10 PI" : "plain");
	t0 = vg_now_ns();
	for (i = 0; i < cases; i++) {
		f->index = first + i;
		rc = run_case(f, mask, t);
		if (rc < 0)
			break;
		failed += rc;
		if (!f->verbose && !replay && (i + 1) % 1000 == 0)
			printf("# %" PRIu64 " cases, %" PRIu64 " failed, %" PRIu64 " s\n",
			       i + 1, failed, (uint64_t)((vg_now_ns() - t0) / 1000000000ULL));
		if (limit_ns && vg_now_ns() - t0 > limit_ns)
			break;
	}
	printf("# %" PRIu64 " cases run (seed %" PRIu64 ") in %" PRIu64 " ms; %" PRIu64
	       " endpoint recycles, %" PRIu64 " reopens; attacked queues: %" PRIu64
	       " answered all, %" PRIu64 " marked broken\n",
	       (uint64_t)(i < cases ? i + (rc >= 0) : i), f->seed,
	       (vg_now_ns() - t0) / 1000000, f->recycles, f->reopens,
	       f->n_answered, f->n_broken);
	for (fam = 0; fam < FZ_NR_FAMILIES; fam++) {
		if (!(mask & (1u << fam)))
			printf("ok %u %s # SKIP not selected%s\n", fam + 1,
			       families[fam].name,
			       families[fam].wwn2 && !f->wwn2 ? " (no FV_FUZZ_WWN2)" : "");
		else
			printf("%sok %u %s: %" PRIu64 " cases, %" PRIu64 " failed\n",
			       t[fam].failed || rc < 0 ? "not " : "", fam + 1,
			       families[fam].name, t[fam].run, t[fam].failed);
	}
	fz_lun_cleanup(f);
	vg_close(f->d);
	return rc < 0 || failed ? 1 : 0;
}
