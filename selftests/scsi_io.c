// SPDX-License-Identifier: GPL-2.0
/*
 * Data integrity and device lifetime through a vhost-scsi node:
 * random patterns on several queues with queue depth up to the ring size
 * (in several ring/feature configurations), buffers straddling memory
 * regions, reconnect (CLEAR then SET_ENDPOINT), and a process or fd going
 * away with I/O in flight. Environment: see tests_common.h.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "tests_common.h"

static int lun_geometry(struct vg_dev *d, uint16_t lun, uint64_t *blocks,
			uint32_t *bs)
{
	struct vg_io io;
	int rc;

	vg_tur(vg_ioq(d, 0), lun, &io);		/* eat a UNIT ATTENTION */
	rc = vg_read_capacity(vg_ioq(d, 0), lun, blocks, bs);
	if (rc == -EIO)
		rc = vg_read_capacity(vg_ioq(d, 0), lun, blocks, bs);
	return rc;
}

/* A verify workload over queues [0, nq) with the given shape. */
static int verify(struct vg_dev *d, uint16_t lun, uint32_t bs,
		  unsigned int nq, unsigned int qd, uint32_t max_blocks,
		  uint64_t seed, struct vg_load_stats *st)
{
	struct vg_load_cfg c = {
		.mode = VG_LOAD_VERIFY,
		.lun = lun,
		.block_size = bs,
		.lba_start = 0,
		.lba_count = (uint64_t)nq * qd * 2 * max_blocks,
		.nqueues = nq,
		.qd = qd,
		.min_blocks = 1,
		.max_blocks = max_blocks,
		.seed = seed,
		.rounds = 1,
		.cross_queue = nq > 1,
	};

	return vg_load_run(d, &c, st);
}

FIXTURE(integrity) {
	struct vg_env env;
	struct vg_dev *d;
};

FIXTURE_VARIANT(integrity) {
	unsigned int nq, ring, qd;
	uint64_t features;
	uint32_t max_blocks, seg_size;
	bool direct;
	size_t arena;
	unsigned int nregions;
};

/* queue depth = ring size, one indirect descriptor per command */
FIXTURE_VARIANT_ADD(integrity, qd_ring_indirect) {
	.nq = 4, .ring = 128, .qd = 128, .features = TC_FEAT_ALL,
	.max_blocks = 16,
};

/* three ring descriptors per command: depth bounded by ring space */
FIXTURE_VARIANT_ADD(integrity, direct_descriptors) {
	.nq = 4, .ring = 128, .qd = 64, .features = TC_FEAT_V1 | TC_FEAT_EVIDX,
	.max_blocks = 16, .direct = true,
};

FIXTURE_VARIANT_ADD(integrity, no_event_idx) {
	.nq = 2, .ring = 64, .qd = 64, .features = TC_FEAT_V1 | TC_FEAT_IND,
	.max_blocks = 8,
};

/* legacy (pre-1.0) little-endian rings */
FIXTURE_VARIANT_ADD(integrity, legacy_no_version_1) {
	.nq = 2, .ring = 64, .qd = 64, .features = TC_FEAT_IND | TC_FEAT_EVIDX,
	.max_blocks = 8,
};

/* 512-byte segments: up to 18 descriptors per indirect table */
FIXTURE_VARIANT_ADD(integrity, segmented_indirect) {
	.nq = 2, .ring = 128, .qd = 128, .features = TC_FEAT_ALL,
	.max_blocks = 16, .seg_size = 512,
};

FIXTURE_VARIANT_ADD(integrity, segmented_direct) {
	.nq = 2, .ring = 256, .qd = 32, .features = TC_FEAT_ALL,
	.max_blocks = 16, .seg_size = 512, .direct = true,
};

FIXTURE_VARIANT_ADD(integrity, sixteen_queues) {
	.nq = 16, .ring = 32, .qd = 32, .features = TC_FEAT_ALL,
	.max_blocks = 8,
};

FIXTURE_VARIANT_ADD(integrity, ring_1024) {
	.nq = 1, .ring = 1024, .qd = 1024, .features = TC_FEAT_ALL,
	.max_blocks = 8, .arena = 128 << 20,
};

/* small arenas: buffers spread over two memory regions */
FIXTURE_VARIANT_ADD(integrity, two_regions) {
	.nq = 4, .ring = 128, .qd = 128, .features = TC_FEAT_ALL,
	.max_blocks = 16, .arena = 4 << 20, .nregions = 2,
};

FIXTURE_SETUP(integrity)
{
	struct tc_cfg c = {
		.nq = variant->nq, .ring = variant->ring,
		.features = variant->features, .arena = variant->arena,
		.nregions = variant->nregions,
	};

	if (vg_env_load(&self->env))
		SKIP(return, "FV_WWN not set");
	ASSERT_EQ(0, tc_open(&self->d, &self->env, &c));
}

FIXTURE_TEARDOWN(integrity)
{
	vg_close(self->d);
}

TEST_F_TIMEOUT(integrity, random_pattern, 600)
{
	unsigned int i;

	for (i = 0; i < self->env.nluns; i++) {
		uint16_t lun = self->env.luns[i];
		struct vg_load_stats st;
		struct vg_load_cfg c = {
			.mode = VG_LOAD_VERIFY,
			.lun = lun,
			.nqueues = variant->nq,
			.qd = variant->qd,
			.min_blocks = 1,
			.max_blocks = variant->max_blocks,
			.seg_size = variant->seg_size,
			.direct = variant->direct,
			.seed = 0xc0ffee00 + i,
			.rounds = 2,
			.cross_queue = variant->nq > 1,
		};
		uint64_t blocks;

		ASSERT_EQ(0, lun_geometry(self->d, lun, &blocks, &c.block_size));
		c.lba_count = (uint64_t)variant->nq * variant->qd * 2 *
			      variant->max_blocks;
		ASSERT_LE(c.lba_count, blocks);
		self->d->timing = true;
		EXPECT_EQ(0, vg_load_run(self->d, &c, &st)) TH_LOG("%s", st.err);
		TH_LOG("lun %u: %llu I/Os (%llu errors), %llu KiB, %llu ms, latency avg %llu us max %llu us",
		       lun, (unsigned long long)st.ios,
		       (unsigned long long)st.errors,
		       (unsigned long long)(st.bytes >> 10),
		       (unsigned long long)(st.elapsed_ns / 1000000),
		       (unsigned long long)(st.ios ? st.lat_sum_ns / st.ios / 1000 : 0),
		       (unsigned long long)(st.lat_max_ns / 1000));
		if (st.errors)
			return;
	}
}

/* One descriptor whose guest physical range crosses two regions. */
TEST(straddle_regions)
{
	struct tc_cfg c = { .nq = 1, .arena = 4 << 20, .nregions = 2,
			    .adjacent = true };
	struct vg_env env;
	struct vg_dev *d;
	struct vg_io io;
	struct vg_sg sg;
	uint8_t *tmp, *end0, *start1, *buf;
	uint64_t blocks;
	uint32_t bs, len = 8192, head = 2048;

	if (vg_env_load(&env))
		SKIP(return, "FV_WWN not set");
	ASSERT_EQ(0, tc_open(&d, &env, &c));
	ASSERT_EQ(d->reg[0].gpa + d->reg[0].size, d->reg[1].gpa);
	ASSERT_EQ(0, lun_geometry(d, env.luns[0], &blocks, &bs));
	end0 = (uint8_t *)d->reg[0].host + d->reg[0].size - head;
	start1 = d->reg[1].host;
	tmp = malloc(len);
	buf = vg_alloc(d, len, 4096);
	ASSERT_NE(NULL, buf);
	ASSERT_LE(d->reg[0].used, d->reg[0].size - head);

	/* write from the straddling buffer, read back normally */
	vg_pattern_fill(tmp, len, bs, 0x51ad, 50000);
	memcpy(end0, tmp, head);
	memcpy(start1, tmp + head, len - head);
	sg.gpa = d->reg[1].gpa - head;
	sg.len = len;
	sg.in = false;
	vg_io_init(&io, env.luns[0]);
	vg_cdb_rw(&io, 10, true, 50000, len / bs);
	io.sg = &sg;
	io.nsg = 1;
	ASSERT_EQ(0, tc_exec(vg_ioq(d, 0), &io));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
	vg_io_init(&io, env.luns[0]);
	vg_cdb_rw(&io, 10, false, 50000, len / bs);
	io.din = buf;
	io.din_len = len;
	ASSERT_EQ(0, tc_exec(vg_ioq(d, 0), &io));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
	EXPECT_EQ(-1, vg_pattern_check(buf, len, bs, 0x51ad, 50000));

	/* read into the straddling buffer */
	memset(end0, 0, head);
	memset(start1, 0, len - head);
	sg.in = true;
	vg_io_init(&io, env.luns[0]);
	vg_cdb_rw(&io, 10, false, 50000, len / bs);
	io.sg = &sg;
	io.nsg = 1;
	ASSERT_EQ(0, tc_exec(vg_ioq(d, 0), &io));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
	memcpy(tmp, end0, head);
	memcpy(tmp + head, start1, len - head);
	EXPECT_EQ(-1, vg_pattern_check(tmp, len, bs, 0x51ad, 50000));
	free(tmp);
	vg_close(d);
}

/*
 * A transfer as long as the Block Limits VPD page allows (MAXIMUM TRANSFER
 * LENGTH, which the guest's sd driver obeys; at most 16 MiB here) from and
 * into buffers that start 512 bytes into a page, so that they touch one
 * page more than their length fills: written, read back, compared.
 */
TEST(max_transfer_misaligned)
{
	struct tc_cfg c = { .nq = 1, .arena = 40 << 20 };
	uint8_t vpd[64], *out, *in;
	struct vg_env env;
	struct vg_dev *d;
	struct vg_io io;
	uint64_t blocks, lba;
	uint32_t bs, mtl, len;

	if (vg_env_load(&env))
		SKIP(return, "FV_WWN not set");
	/* Seen on 6.12: the stock module never answers such a write. */
	if (tc_stock(&env))
		SKIP(return, "stock vhost_scsi: no response to its maximum transfer from a misaligned buffer");
	ASSERT_EQ(0, tc_open(&d, &env, &c));
	ASSERT_EQ(0, lun_geometry(d, env.luns[0], &blocks, &bs));
	memset(vpd, 0, sizeof(vpd));
	ASSERT_EQ(0, vg_inquiry(vg_ioq(d, 0), env.luns[0], true, 0xb0, vpd,
				sizeof(vpd), &io));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
	mtl = (uint32_t)vpd[8] << 24 | vpd[9] << 16 | vpd[10] << 8 | vpd[11];
	len = mtl && (uint64_t)mtl * bs < (16 << 20) ? mtl * bs : 16 << 20;
	TH_LOG("maximum transfer length %u blocks of %u: %u bytes", mtl, bs, len);
	ASSERT_LE((uint64_t)len / bs, blocks);
	lba = (blocks - len / bs) / 2;
	out = vg_alloc(d, len + 4096, 4096);
	in = vg_alloc(d, len + 4096, 4096);
	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	out += 512;
	in += 512;
	vg_pattern_fill(out, len, bs, 0x3a7, lba);

	vg_io_init(&io, env.luns[0]);
	ASSERT_EQ(0, vg_cdb_rw(&io, 16, true, lba, len / bs));
	io.dout = out;
	io.dout_len = len;
	ASSERT_EQ(0, tc_exec(vg_ioq(d, 0), &io));
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("write: %s", tc_str(&io));
	vg_io_init(&io, env.luns[0]);
	ASSERT_EQ(0, vg_cdb_rw(&io, 16, false, lba, len / bs));
	io.din = in;
	io.din_len = len;
	ASSERT_EQ(0, tc_exec(vg_ioq(d, 0), &io));
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("read: %s", tc_str(&io));
	EXPECT_EQ(-1, vg_pattern_check(in, len, bs, 0x3a7, lba));
	vg_close(d);
}

#define TRACING "/sys/kernel/tracing"

static int trace_write(const char *file, const char *v)
{
	char path[128];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), TRACING "/%s", file);
	f = fopen(path, "w");
	if (!f)
		return -1;
	rc = fputs(v, f) < 0 ? -1 : 0;
	return fclose(f) || rc ? -1 : 0;
}

/*
 * Page allocations of orders 4 to 8 made by the workers (comm "fv-...")
 * while 8 MiB reads run: a long scatterlist is chained from pieces of at
 * most a page, never one allocation of 64 KiB.  Traced with the
 * kmem:mm_page_alloc event.  Below 4: the slab's own pages for those
 * pieces (order 3 for 4 KiB objects, falling back to 0 when memory is
 * fragmented); 9: huge pages of guest memory (faulted in here first).
 */
TEST(long_scatterlist_in_small_pieces)
{
	struct tc_cfg c = { .nq = 1, .arena = 24 << 20 };
	unsigned int hits = 0, i;
	char line[512];
	struct vg_env env;
	struct vg_dev *d;
	struct vg_io io;
	uint64_t blocks;
	uint8_t *buf;
	uint32_t bs;
	FILE *f;

	if (vg_env_load(&env))
		SKIP(return, "FV_WWN not set");
	if (tc_stock(&env))
		SKIP(return, "fastvhost's allocations");
	if (access(TRACING "/events/kmem/mm_page_alloc", F_OK))
		mount("tracefs", TRACING, "tracefs", 0, NULL);
	if (access(TRACING "/events/kmem/mm_page_alloc", F_OK))
		SKIP(return, "no kmem:mm_page_alloc trace event");
	ASSERT_EQ(0, tc_open(&d, &env, &c));
	ASSERT_EQ(0, lun_geometry(d, env.luns[0], &blocks, &bs));
	buf = vg_alloc(d, (8 << 20) + 4096, 4096);
	ASSERT_NE(NULL, buf);
	/* Faulted in here, not by the workers' pinning (huge pages). */
	memset(buf, 0, (8 << 20) + 4096);
	ASSERT_EQ(0, trace_write("trace", ""));
	ASSERT_EQ(0, trace_write("events/kmem/mm_page_alloc/filter", "order > 3 && order < 9"));
	ASSERT_EQ(0, trace_write("events/kmem/mm_page_alloc/enable", "1"));
	for (i = 0; i < 8; i++) {
		vg_io_init(&io, env.luns[0]);
		ASSERT_EQ(0, vg_cdb_rw(&io, 16, false, 0, (8 << 20) / bs));
		io.din = buf + 512 * (i & 1);
		io.din_len = 8 << 20;
		ASSERT_EQ(0, tc_exec(vg_ioq(d, 0), &io));
		EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("read %u: %s", i, tc_str(&io));
	}
	trace_write("events/kmem/mm_page_alloc/enable", "0");
	trace_write("events/kmem/mm_page_alloc/filter", "0");
	f = fopen(TRACING "/trace", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#' && strstr(line, " fv-") && hits++ < 3)
			TH_LOG("%s", line);
	fclose(f);
	EXPECT_EQ(0, hits);
	vg_close(d);
}

/*
 * A memory table as large as QEMU makes when vhost.ko's max_mem_regions
 * is raised for memory hotplug: the arena cut into 4 KiB regions, so that
 * every buffer of a verify workload crosses several.  A table of more
 * regions than that ushort parameter can allow is refused, and the table
 * in use stays.
 */
TEST(many_regions)
{
	struct tc_cfg c = { .nq = 2, .arena = 16 << 20 };
	const unsigned int n = 2048, over = 65536;
	struct vhost_memory *m;
	struct vg_load_stats st;
	struct vg_region *r;
	struct vg_env env;
	struct vg_dev *d;
	uint64_t blocks;
	unsigned int i;
	uint32_t bs;

	if (vg_env_load(&env))
		SKIP(return, "FV_WWN not set");
	if (tc_stock(&env))
		SKIP(return, "stock vhost_scsi: max_mem_regions regions (64 by default)");
	ASSERT_EQ(0, tc_open(&d, &env, &c));
	ASSERT_EQ(0, lun_geometry(d, env.luns[0], &blocks, &bs));
	m = calloc(1, sizeof(*m) + over * sizeof(m->regions[0]));
	ASSERT_NE(NULL, m);
	r = &d->reg[0];
	for (i = 0; i < n; i++) {
		struct vhost_memory_region *v = &m->regions[i];
		uint64_t off = i * 4096ULL;

		v->guest_phys_addr = r->gpa + off;
		v->userspace_addr = (uintptr_t)r->host + off;
		v->memory_size = i < n - 1 ? 4096 : r->size - off;
	}
	m->nregions = n;
	ASSERT_EQ(0, ioctl(d->fd, VHOST_SET_MEM_TABLE, m))
		TH_LOG("SET_MEM_TABLE of %u regions: %s", n, strerror(errno));
	ASSERT_EQ(0, verify(d, env.luns[0], bs, 2, 32, 16, 0x7e9, &st))
		TH_LOG("%s", st.err);

	m->nregions = over;
	EXPECT_EQ(-1, ioctl(d->fd, VHOST_SET_MEM_TABLE, m));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0, verify(d, env.luns[0], bs, 2, 32, 16, 0x7ea, &st))
		TH_LOG("%s", st.err);
	free(m);
	vg_close(d);
}

FIXTURE(life) {
	struct vg_env env;
	struct vg_dev *d;
	uint32_t bs;
};

FIXTURE_SETUP(life)
{
	uint64_t blocks;

	if (vg_env_load(&self->env))
		SKIP(return, "FV_WWN not set");
	ASSERT_EQ(0, tc_open(&self->d, &self->env, NULL));
	ASSERT_EQ(0, lun_geometry(self->d, self->env.luns[0], &blocks,
				  &self->bs));
}

FIXTURE_TEARDOWN(life)
{
	vg_close(self->d);
}

static int write_read(struct vg_dev *d, uint16_t lun, uint32_t bs,
		      uint64_t lba, uint64_t seed, bool write, struct vg_io *io)
{
	uint32_t len = 8 * bs;
	uint8_t *buf = d->scratch;

	vg_io_init(io, lun);
	vg_cdb_rw(io, 16, write, lba, 8);
	if (write) {
		vg_pattern_fill(buf, len, bs, seed, lba);
		io->dout = buf;
		io->dout_len = len;
	} else {
		memset(buf, 0, len);
		io->din = buf;
		io->din_len = len;
	}
	if (tc_exec(vg_ioq(d, 0), io) || !vg_io_ok(io))
		return -EIO;
	if (!write && vg_pattern_check(buf, len, bs, seed, lba) >= 0)
		return -EILSEQ;
	return 0;
}

TEST_F(life, reconnect)
{
	struct vg_dev *d = self->d;
	uint16_t lun = self->env.luns[0];
	struct vg_load_stats st;
	struct vg_io io;
	unsigned int i, base;

	ASSERT_EQ(0, verify(d, lun, self->bs, 4, 64, 8, 1, &st)) TH_LOG("%s", st.err);
	ASSERT_EQ(0, write_read(d, lun, self->bs, 45000, 77, true, &io))
		TH_LOG("%s", tc_str(&io));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, vg_clear_endpoint(d));
		for (base = 0; base < d->nvqs; base++) {
			unsigned int got = 0xffffffff;

			ASSERT_EQ(0, vg_vring_get_base(d, base, &got));
			if (base >= VG_VQ_REQ0 || base == VG_VQ_CTRL)
				EXPECT_EQ(d->vq[base].avail_shadow, got)
					TH_LOG("vq %u", base);
			ASSERT_EQ(0, vg_vring_base(d, base, got));
		}
		ASSERT_EQ(0, vg_set_endpoint(d, self->env.wwn, self->env.tpgt));
		ASSERT_EQ(0, write_read(d, lun, self->bs, 45000, 77, false, &io))
			TH_LOG("data written before reconnect %u: %s", i,
			       tc_str(&io));
		ASSERT_EQ(0, verify(d, lun, self->bs, 4, 64, 8, 2 + i, &st))
			TH_LOG("%s", st.err);
	}
}

TEST_F(life, reconnect_with_io_in_flight)
{
	enum { QD = 96 };
	struct vg_dev *d = self->d;
	struct vg_io ios[2][QD];
	uint32_t len = 8 * self->bs;
	uint8_t *bufs = vg_alloc(d, 2 * QD * len, 4096);
	unsigned int q, k, good = 0;

	ASSERT_NE(NULL, bufs);
	for (q = 0; q < 2; q++) {
		for (k = 0; k < QD; k++) {
			struct vg_io *io = &ios[q][k];
			uint64_t lba = (q * QD + k) * 8;

			vg_io_init(io, self->env.luns[0]);
			vg_cdb_rw(io, 10, true, lba, 8);
			vg_pattern_fill(bufs + (q * QD + k) * len, len, self->bs,
					99, lba);
			io->dout = bufs + (q * QD + k) * len;
			io->dout_len = len;
			ASSERT_EQ(0, vg_io_submit(vg_ioq(d, q), io));
		}
		vg_vq_kick(vg_ioq(d, q));
	}
	ASSERT_EQ(0, vg_clear_endpoint(d));
	ASSERT_EQ(0, vg_set_endpoint(d, self->env.wwn, self->env.tpgt));
	for (q = 0; q < 2; q++)
		vg_vq_notify(vg_ioq(d, q));
	for (q = 0; q < 2; q++) {
		for (k = 0; k < QD; k++) {
			ASSERT_EQ(0, vg_io_wait(vg_ioq(d, q), &ios[q][k],
						VG_TIMEOUT_MS))
				TH_LOG("queue %u command %u lost across reconnect",
				       q, k);
			if (vg_io_ok(&ios[q][k]))
				good++;
			else
				TH_LOG("q %u cmd %u: %s", q, k, tc_str(&ios[q][k]));
		}
	}
	TH_LOG("%u of %u writes GOOD", good, 2 * QD);
}

TEST_F(life, second_open_cannot_take_the_target)
{
	struct vg_opts o;
	struct vg_dev *d2;
	struct vg_io io;
	int rc;

	vg_opts_default(&o);
	o.path = self->env.dev;
	o.nr_io_queues = 1;
	o.arena_size = 8 << 20;
	ASSERT_EQ(0, vg_open(&d2, &o));
	ASSERT_EQ(0, vg_setup(d2));
	d2->quiet = true;
	rc = vg_set_endpoint(d2, self->env.wwn, self->env.tpgt);
	EXPECT_NE(0, rc) TH_LOG("a second device attached to a busy target");
	TH_LOG("second SET_ENDPOINT: %s", strerror(-rc));
	vg_close(d2);
	ASSERT_EQ(0, vg_tur(vg_ioq(self->d, 0), self->env.luns[0], &io));
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
}

/* The benchmark mode of the workload engine: random 70/30 read/write. */
TEST_F(life, bench_smoke)
{
	struct vg_load_stats st;
	struct vg_load_cfg c = {
		.mode = VG_LOAD_BENCH,
		.lun = self->env.luns[0],
		.block_size = self->bs,
		.lba_count = 16384,
		.nqueues = 4,
		.qd = 32,
		.min_blocks = 8,
		.max_blocks = 8,
		.random = true,
		.read_pct = 70,
		.duration_ms = 1000,
		.seed = 42,
	};

	self->d->timing = true;
	EXPECT_EQ(0, vg_load_run(self->d, &c, &st)) TH_LOG("%s", st.err);
	EXPECT_GT(st.ios, 0);
	EXPECT_GT(st.reads, 0);
	EXPECT_GT(st.writes, 0);
	TH_LOG("%llu I/Os (%llu reads) in %llu ms: %llu IOPS, latency avg %llu us max %llu us",
	       (unsigned long long)st.ios, (unsigned long long)st.reads,
	       (unsigned long long)(st.elapsed_ns / 1000000),
	       (unsigned long long)(st.elapsed_ns ? st.ios * 1000000000ULL / st.elapsed_ns : 0),
	       (unsigned long long)(st.ios ? st.lat_sum_ns / st.ios / 1000 : 0),
	       (unsigned long long)(st.lat_max_ns / 1000));
}

/* Child: attach, fill every queue with writes, then die per `how`. */
static void child_flood(const struct vg_env *env, int how, int ready_fd)
{
	struct tc_cfg c = { .nq = 4, .ring = 128 };
	struct vg_dev *d;
	struct vg_io *ios;
	uint32_t len = 16 * 512;
	uint8_t *bufs;
	unsigned int q, k;

	if (tc_open(&d, env, &c))
		_exit(2);
	ios = calloc(4 * 128, sizeof(*ios));
	bufs = vg_alloc(d, 4 * 128 * len, 4096);
	if (!ios || !bufs)
		_exit(3);
	for (q = 0; q < 4; q++) {
		for (k = 0; k < 128; k++) {
			struct vg_io *io = &ios[q * 128 + k];

			vg_io_init(io, env->luns[0]);
			vg_cdb_rw(io, 10, (k & 1), (q * 128 + k) * 16, 16);
			if (k & 1) {
				io->dout = bufs + (q * 128 + k) * len;
				io->dout_len = len;
			} else {
				io->din = bufs + (q * 128 + k) * len;
				io->din_len = len;
			}
			if (vg_io_submit(vg_ioq(d, q), io))
				_exit(4);
		}
		vg_vq_kick(vg_ioq(d, q));
	}
	if (how == 0)
		_exit(0);
	if (how == 1) {
		vg_abandon(d);		/* close the fd, no CLEAR_ENDPOINT */
		_exit(0);
	}
	if (write(ready_fd, "r", 1) != 1)
		_exit(5);
	pause();			/* parent sends SIGKILL */
	_exit(6);
}

static int wait_child(pid_t pid, int timeout_s, int *status)
{
	int i;

	for (i = 0; i < timeout_s * 10; i++) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0)
			return -errno;
		usleep(100 * 1000);
	}
	return -ETIMEDOUT;
}

FIXTURE(gone) {
	struct vg_env env;
};

FIXTURE_VARIANT(gone) {
	int how;	/* 0: _exit, 1: close then _exit, 2: SIGKILL */
};

FIXTURE_VARIANT_ADD(gone, exit) { .how = 0 };
FIXTURE_VARIANT_ADD(gone, close_fd) { .how = 1 };
FIXTURE_VARIANT_ADD(gone, sigkill) { .how = 2 };

FIXTURE_SETUP(gone)
{
	if (vg_env_load(&self->env))
		SKIP(return, "FV_WWN not set");
}

FIXTURE_TEARDOWN(gone)
{
}

TEST_F_TIMEOUT(gone, io_in_flight, 180)
{
	struct vg_load_stats st;
	struct vg_dev *d;
	uint64_t blocks;
	uint32_t bs;
	int pfd[2], status = 0;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(pfd[0]);
		child_flood(&self->env, variant->how, pfd[1]);
	}
	close(pfd[1]);
	if (variant->how == 2) {
		ASSERT_EQ(1, read(pfd[0], &c, 1)) TH_LOG("child failed early");
		kill(pid, SIGKILL);
	}
	ASSERT_EQ(0, wait_child(pid, 60, &status))
		TH_LOG("child with I/O in flight did not go away in 60 s");
	if (variant->how != 2)
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("child failed: status %#x", status);
	close(pfd[0]);

	/* the target must be usable again */
	ASSERT_EQ(0, tc_open(&d, &self->env, NULL));
	ASSERT_EQ(0, lun_geometry(d, self->env.luns[0], &blocks, &bs));
	EXPECT_EQ(0, verify(d, self->env.luns[0], bs, 4, 64, 8, 5, &st))
		TH_LOG("%s", st.err);
	vg_close(d);
}

TEST_HARNESS_MAIN
