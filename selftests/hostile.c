// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile guests, part 1: malformed descriptors and requests on a running
 * device. The rules each test checks are in hostile_common.h.
 */
#include <fcntl.h>

#include "kselftest_harness.h"
#include "tests_common.h"
#include "hostile_common.h"

#define NEXT	VRING_DESC_F_NEXT
#define WR	VRING_DESC_F_WRITE
#define IND	VRING_DESC_F_INDIRECT
#define REQ_LEN	((uint32_t)sizeof(struct virtio_scsi_cmd_req))
#define RSP_LEN	((uint32_t)sizeof(struct virtio_scsi_cmd_resp))

static void put(struct vring_desc *t, uint64_t gpa, uint32_t len,
		uint16_t flags, uint16_t next)
{
	t->addr = htole64(gpa);
	t->len = htole32(len);
	t->flags = htole16(flags);
	t->next = htole16(next);
}

/* Loop among device-writable descriptors: req -> resp -> data -> resp ... */
TEST_F(hostile, descriptor_loop)
{
	struct vg_vq *q = self->q;
	struct outcome o;
	struct vg_hdr *h;
	uint16_t id[3];

	ASSERT_EQ(0, vg_raw_take(q, 3, id, NULL));
	h = hdr_for(self, id[0], 0x28, 1);
	vg_raw_desc(q, id[0], gpa_of(self, &h->req), REQ_LEN, NEXT, id[1]);
	vg_raw_desc(q, id[1], gpa_of(self, &h->resp), RSP_LEN, WR | NEXT, id[2]);
	vg_raw_desc(q, id[2], gpa_of(self, self->buf), 512, WR | NEXT, id[1]);
	vg_raw_avail(q, id[0]);
	await(self, id[0], &o);
	TH_LOG("%s", outcome_str(&o));
	EXPECT_REFUSED(&o);
	aftermath(_metadata, self);
}

TEST_F(hostile, descriptor_self_loop)
{
	struct vg_vq *q = self->q;
	struct outcome o;
	struct vg_hdr *h;
	uint16_t id[1];

	ASSERT_EQ(0, vg_raw_take(q, 1, id, NULL));
	h = hdr_for(self, id[0], 0x00, 0);
	vg_raw_desc(q, id[0], gpa_of(self, &h->req), REQ_LEN, NEXT, id[0]);
	vg_raw_avail(q, id[0]);
	await(self, id[0], &o);
	TH_LOG("%s", outcome_str(&o));
	EXPECT_REFUSED(&o);
	aftermath(_metadata, self);
}

TEST_F(hostile, next_index_out_of_range)
{
	struct vg_vq *q = self->q;
	struct outcome o;
	struct vg_hdr *h;
	uint16_t id[1];

	ASSERT_EQ(0, vg_raw_take(q, 1, id, NULL));
	h = hdr_for(self, id[0], 0x00, 0);
	vg_raw_desc(q, id[0], gpa_of(self, &h->req), REQ_LEN, NEXT, q->num + 5);
	vg_raw_avail(q, id[0]);
	await(self, id[0], &o);
	TH_LOG("%s", outcome_str(&o));
	EXPECT_REFUSED(&o);
	aftermath(_metadata, self);
}

TEST_F(hostile, avail_head_out_of_range)
{
	struct outcome o;

	vg_raw_avail(self->q, self->q->num + 3);
	await(self, -1, &o);
	TH_LOG("%s", outcome_str(&o));
	EXPECT_FALSE(o.used && o.id >= 0) TH_LOG("used an id that was never made available");
	aftermath(_metadata, self);
}

TEST_F(hostile, avail_index_jump)
{
	struct outcome o;

	vg_raw_avail_idx(self->q, self->q->avail_shadow + self->q->num + 10);
	await(self, -1, &o);
	TH_LOG("%s", outcome_str(&o));
	aftermath(_metadata, self);
}

/* The same head made available 8 times: anything but a hang is fine. */
TEST_F(hostile, duplicate_heads)
{
	struct vg_vq *q = self->q;
	struct outcome o;
	struct vg_hdr *h;
	uint16_t id[2];
	int k, extra = 0;
	void *cookie;

	ASSERT_EQ(0, vg_raw_take(q, 2, id, NULL));
	h = hdr_for(self, id[0], 0x00, 0);
	vg_raw_desc(q, id[0], gpa_of(self, &h->req), REQ_LEN, NEXT, id[1]);
	vg_raw_desc(q, id[1], gpa_of(self, &h->resp), RSP_LEN, WR, 0);
	for (k = 0; k < 8; k++)
		vg_raw_avail(q, id[0]);
	await(self, id[0], &o);
	TH_LOG("%s", outcome_str(&o));
	self->d->quiet = true;
	while (vg_vq_wait(q, 500) > 0 && vg_vq_pop(q, &cookie, NULL) != -EAGAIN)
		extra++;
	self->d->quiet = false;
	TH_LOG("%d more used entries", extra);
	aftermath(_metadata, self);
}

/* READ(10) of 8 blocks through an indirect table of nseg data segments. */
static void long_indirect(struct __test_metadata *_metadata,
			  FIXTURE_DATA(hostile) *self, unsigned int nseg)
{
	struct vg_vq *q = self->q;
	uint32_t len = 8 * self->bs, seg = len / nseg, k;
	struct vring_desc *t;
	struct outcome o;
	struct vg_hdr *h;
	struct vg_io io;
	uint16_t id[1];
	uint8_t *ref;

	ASSERT_EQ(0, len % nseg);
	t = vg_alloc(self->d, (nseg + 2) * sizeof(*t), 16);
	ref = vg_alloc(self->d, len, 4096);
	ASSERT_NE(NULL, ref);
	vg_io_init(&io, self->env.luns[0]);
	vg_cdb_rw(&io, 10, false, 0, 8);
	io.din = ref;
	io.din_len = len;
	ASSERT_EQ(0, tc_exec(self->other, &io));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));

	ASSERT_EQ(0, vg_raw_take(q, 1, id, NULL));
	h = hdr_for(self, id[0], 0x28, 8);
	put(&t[0], gpa_of(self, &h->req), REQ_LEN, NEXT, 1);
	put(&t[1], gpa_of(self, &h->resp), RSP_LEN, WR | NEXT, 2);
	for (k = 0; k < nseg; k++)
		put(&t[2 + k], gpa_of(self, self->buf) + k * seg, seg,
		    WR | (k + 1 < nseg ? NEXT : 0), 3 + k);
	memset(self->buf, 0x5a, len);
	vg_raw_desc(q, id[0], gpa_of(self, t), (nseg + 2) * sizeof(*t), IND, 0);
	vg_raw_avail(q, id[0]);
	await(self, id[0], &o);
	TH_LOG("%u-descriptor chain, ring of %u: %s", nseg + 2, q->num,
	       outcome_str(&o));
	if (o.used && o.response == VIRTIO_SCSI_S_OK && o.status == 0)
		EXPECT_EQ(0, memcmp(ref, self->buf, len))
			TH_LOG("accepted, but the data is wrong");
	aftermath(_metadata, self);
}

TEST_F(hostile, indirect_chain_longer_than_ring)
{
	long_indirect(_metadata, self, 256);
}

TEST_F(hostile, indirect_chain_over_1024_segments)
{
	long_indirect(_metadata, self, 2048);
}

/* A 3-descriptor READ(10) of 1 block with one descriptor replaced. */
static void bad_desc(struct __test_metadata *_metadata,
		     FIXTURE_DATA(hostile) *self, int which, uint64_t gpa,
		     uint32_t len)
{
	struct vg_vq *q = self->q;
	struct outcome o;
	struct vg_hdr *h;
	uint64_t a[3];
	uint32_t l[3];
	uint16_t id[3];
	int k;

	ASSERT_EQ(0, vg_raw_take(q, 3, id, NULL));
	h = hdr_for(self, id[0], 0x28, 1);
	a[0] = gpa_of(self, &h->req);
	l[0] = REQ_LEN;
	a[1] = gpa_of(self, &h->resp);
	l[1] = RSP_LEN;
	a[2] = gpa_of(self, self->buf);
	l[2] = self->bs;
	a[which] = gpa;
	l[which] = len;
	for (k = 0; k < 3; k++)
		vg_raw_desc(q, id[k], a[k], l[k], (k ? WR : 0) | (k < 2 ? NEXT : 0),
			    k < 2 ? id[k + 1] : 0);
	vg_raw_avail(q, id[0]);
	await(self, id[0], &o);
	TH_LOG("%s", outcome_str(&o));
	EXPECT_REFUSED(&o);
	aftermath(_metadata, self);
}

TEST_F(hostile, header_outside_memory)
{
	bad_desc(_metadata, self, 0, HOLE_GPA(self->d), REQ_LEN);
}

TEST_F(hostile, response_outside_memory)
{
	bad_desc(_metadata, self, 1, HOLE_GPA(self->d), RSP_LEN);
}

TEST_F(hostile, data_outside_memory)
{
	bad_desc(_metadata, self, 2, HOLE_GPA(self->d), self->bs);
}

TEST_F(hostile, data_straddles_end_of_memory)
{
	struct vg_region *r = &self->d->reg[0];

	bad_desc(_metadata, self, 2, r->gpa + r->size - 256, self->bs);
}

TEST_F(hostile, data_address_wraps_64bit)
{
	bad_desc(_metadata, self, 2, 0xfffffffffffff000ULL, 0x2000);
}

TEST_F(hostile, data_length_4GiB)
{
	bad_desc(_metadata, self, 2, gpa_of(self, self->buf), 0xffffffffU);
}

TEST_F(hostile, header_length_4GiB)
{
	bad_desc(_metadata, self, 0, gpa_of(self, &self->q->hdr[0]), 0xffffffffU);
}

/* Indirect descriptor pointing at a table of `len` bytes. */
static void bad_indirect(struct __test_metadata *_metadata,
			 FIXTURE_DATA(hostile) *self, uint32_t len,
			 uint64_t table_gpa, bool refuse)
{
	struct vg_vq *q = self->q;
	struct vring_desc *t = vg_alloc(self->d, 16 * 4, 16);
	struct outcome o;
	struct vg_hdr *h;
	uint16_t id[1];

	ASSERT_NE(NULL, t);
	ASSERT_EQ(0, vg_raw_take(q, 1, id, NULL));
	h = hdr_for(self, id[0], 0x00, 0);
	put(&t[0], gpa_of(self, &h->req), REQ_LEN, NEXT, 1);
	put(&t[1], gpa_of(self, &h->resp), RSP_LEN, WR, 0);
	vg_raw_desc(q, id[0], table_gpa ? table_gpa : gpa_of(self, t), len, IND, 0);
	vg_raw_avail(q, id[0]);
	await(self, id[0], &o);
	TH_LOG("indirect table of %u bytes: %s", len, outcome_str(&o));
	if (refuse)
		EXPECT_REFUSED(&o);
	aftermath(_metadata, self);
}

TEST_F(hostile, indirect_len_not_multiple_of_16)
{
	bad_indirect(_metadata, self, 2 * 16 + 5, 0, true);
}

TEST_F(hostile, indirect_len_zero)
{
	bad_indirect(_metadata, self, 0, 0, true);
}

TEST_F(hostile, indirect_table_outside_memory)
{
	bad_indirect(_metadata, self, 32, HOLE_GPA(self->d), true);
}

TEST_F(hostile, indirect_table_over_65536_entries)
{
	struct vring_desc *big = vg_alloc(self->d, 70000 * 16, 16);
	struct vg_hdr *h;

	ASSERT_NE(NULL, big);
	h = hdr_for(self, self->q->free_head, 0x00, 0);
	put(&big[0], gpa_of(self, &h->req), REQ_LEN, NEXT, 1);
	put(&big[1], gpa_of(self, &h->resp), RSP_LEN, WR, 0);
	/* only the length is hostile: accepting it is not an error */
	bad_indirect(_metadata, self, 70000 * 16, gpa_of(self, big), false);
}

TEST_F(hostile, indirect_nested)
{
	struct vg_vq *q = self->q;
	struct vring_desc *t = vg_alloc(self->d, 64, 16);
	struct vring_desc *t2 = vg_alloc(self->d, 64, 16);
	struct outcome o;
	struct vg_hdr *h;
	uint16_t id[1];

	ASSERT_NE(NULL, t2);
	ASSERT_EQ(0, vg_raw_take(q, 1, id, NULL));
	h = hdr_for(self, id[0], 0x00, 0);
	put(&t[0], gpa_of(self, &h->req), REQ_LEN, NEXT, 1);
	put(&t[1], gpa_of(self, t2), 16, IND, 0);
	put(&t2[0], gpa_of(self, &h->resp), RSP_LEN, WR, 0);
	vg_raw_desc(q, id[0], gpa_of(self, t), 32, IND, 0);
	vg_raw_avail(q, id[0]);
	await(self, id[0], &o);
	TH_LOG("%s", outcome_str(&o));
	EXPECT_REFUSED(&o);
	aftermath(_metadata, self);
}

/* INDIRECT together with NEXT (forbidden to drivers): must not hang. */
TEST_F(hostile, indirect_with_next)
{
	struct vg_vq *q = self->q;
	struct vring_desc *t = vg_alloc(self->d, 64, 16);
	struct outcome o;
	struct vg_hdr *h;
	uint16_t id[2];

	ASSERT_NE(NULL, t);
	ASSERT_EQ(0, vg_raw_take(q, 2, id, NULL));
	h = hdr_for(self, id[0], 0x28, 1);
	put(&t[0], gpa_of(self, &h->req), REQ_LEN, NEXT, 1);
	put(&t[1], gpa_of(self, &h->resp), RSP_LEN, WR, 0);
	vg_raw_desc(q, id[0], gpa_of(self, t), 32, IND | NEXT, id[1]);
	vg_raw_desc(q, id[1], gpa_of(self, self->buf), self->bs, WR, 0);
	vg_raw_avail(q, id[0]);
	await(self, id[0], &o);
	TH_LOG("%s", outcome_str(&o));
	aftermath(_metadata, self);
}

/* A request built with vg_io, then damaged before the kick. */
static void bad_io(struct __test_metadata *_metadata,
		   FIXTURE_DATA(hostile) *self, struct vg_io *io, bool refuse)
{
	struct outcome o;

	ASSERT_EQ(0, vg_io_submit(self->q, io));
	await(self, io->head, &o);
	TH_LOG("%s", outcome_str(&o));
	if (refuse)
		EXPECT_REFUSED(&o);
	aftermath(_metadata, self);
}

TEST_F(hostile, cdb_longer_than_32)
{
	struct vg_io io;

	vg_io_init(&io, self->env.luns[0]);
	io.cdb[0] = 0x7f;	/* variable length CDB */
	io.cdb[7] = 200;	/* additional length: 208 bytes in all */
	bad_io(_metadata, self, &io, true);
}

TEST_F(hostile, header_shorter_than_struct)
{
	struct vg_io io;

	vg_io_init(&io, self->env.luns[0]);
	vg_cdb_tur(&io);
	io.req_len = 20;
	bad_io(_metadata, self, &io, true);
}

TEST_F(hostile, response_shorter_than_struct)
{
	struct vg_io io;

	vg_io_init(&io, self->env.luns[0]);
	vg_cdb_tur(&io);
	io.resp_len = 10;
	bad_io(_metadata, self, &io, true);
}

TEST_F(hostile, lun_byte0_not_1)
{
	struct outcome o;
	struct vg_io io;

	vg_io_init(&io, self->env.luns[0]);
	vg_cdb_tur(&io);
	ASSERT_EQ(0, vg_io_submit(self->q, &io));
	self->q->hdr[io.head].req.cmd.lun[0] = 2;
	await(self, io.head, &o);
	TH_LOG("%s", outcome_str(&o));
	EXPECT_REFUSED(&o);
	aftermath(_metadata, self);
}

TEST_F(hostile, no_response_descriptor)
{
	struct vg_vq *q = self->q;
	struct outcome o;
	struct vg_hdr *h;
	uint16_t id[1];

	ASSERT_EQ(0, vg_raw_take(q, 1, id, NULL));
	h = hdr_for(self, id[0], 0x00, 0);
	vg_raw_desc(q, id[0], gpa_of(self, &h->req), REQ_LEN, 0, 0);
	vg_raw_avail(q, id[0]);
	await(self, id[0], &o);
	TH_LOG("%s", outcome_str(&o));
	EXPECT_REFUSED(&o);
	aftermath(_metadata, self);
}

TEST_F(hostile, readable_after_writable)
{
	struct vg_vq *q = self->q;
	struct outcome o;
	struct vg_hdr *h;
	uint16_t id[3];

	ASSERT_EQ(0, vg_raw_take(q, 3, id, NULL));
	h = hdr_for(self, id[0], 0x2a, 1);	/* WRITE(10) */
	vg_raw_desc(q, id[0], gpa_of(self, &h->req), REQ_LEN, NEXT, id[1]);
	vg_raw_desc(q, id[1], gpa_of(self, &h->resp), RSP_LEN, WR | NEXT, id[2]);
	vg_raw_desc(q, id[2], gpa_of(self, self->buf), self->bs, 0, 0);
	vg_raw_avail(q, id[0]);
	await(self, id[0], &o);
	TH_LOG("%s", outcome_str(&o));
	EXPECT_REFUSED(&o);
	aftermath(_metadata, self);
}

/* @nb blocks at @lba of LUN 0 written or read back with pattern @seed. */
static int rw_pattern(FIXTURE_DATA(hostile) *self, bool write, uint64_t lba,
		      uint32_t nb, uint64_t seed)
{
	uint32_t len = nb * self->bs;
	uint8_t *b = vg_alloc(self->d, len, 4096);
	struct vg_io io;

	if (!b)
		return -1;
	if (write)
		vg_pattern_fill(b, len, self->bs, seed, lba);
	vg_io_init(&io, self->env.luns[0]);
	vg_cdb_rw(&io, 10, write, lba, nb);
	if (write) {
		io.dout = b;
		io.dout_len = len;
	} else {
		io.din = b;
		io.din_len = len;
	}
	if (vg_io_exec(self->q, &io, VG_TIMEOUT_MS) || !vg_io_ok(&io))
		return -1;
	return write || vg_pattern_check(b, len, self->bs, seed, lba) == -1 ? 0 : -1;
}

/* READ whose data buffer is device-readable: the device must not write it. */
TEST_F(hostile, read_into_device_readable_buffer)
{
	uint32_t len = 8 * self->bs;
	struct vg_sg sg = { gpa_of(self, self->buf), len, false };
	struct outcome o;
	struct vg_io io;

	vg_io_init(&io, self->env.luns[0]);
	vg_cdb_rw(&io, 10, false, 0, 8);
	io.sg = &sg;
	io.nsg = 1;
	/* What the LUN holds there first. */
	ASSERT_EQ(0, rw_pattern(self, true, 61000, 8, 0x600d));
	vg_cdb_rw(&io, 10, false, 61000, 8);
	vg_pattern_fill(self->buf, len, self->bs, 0xbadd1, 0);
	ASSERT_EQ(0, vg_io_submit(self->q, &io));
	await(self, io.head, &o);
	TH_LOG("%s", outcome_str(&o));
	EXPECT_EQ(-1, vg_pattern_check(self->buf, len, self->bs, 0xbadd1, 0))
		TH_LOG("the device wrote into a buffer the driver marked device-readable");
	EXPECT_FALSE(o.used && o.response == VIRTIO_SCSI_S_OK && !o.status)
		TH_LOG("a READ with only data-out buffers answered GOOD");
	/* Seen before: LIO wrote the READ's buffer to the medium. */
	EXPECT_EQ(0, rw_pattern(self, false, 61000, 8, 0x600d))
		TH_LOG("the READ wrote the LUN");
	aftermath(_metadata, self);
}

/* WRITE whose data buffer is device-writable: not answered GOOD. */
TEST_F(hostile, write_from_device_writable_buffer)
{
	uint32_t len = 8 * self->bs;
	struct vg_sg sg = { gpa_of(self, self->buf), len, true };
	struct outcome o;
	struct vg_io io;

	vg_io_init(&io, self->env.luns[0]);
	vg_cdb_rw(&io, 10, true, 59000, 8);
	io.sg = &sg;
	io.nsg = 1;
	ASSERT_EQ(0, vg_io_submit(self->q, &io));
	await(self, io.head, &o);
	TH_LOG("%s", outcome_str(&o));
	/* Seen before: LIO read the medium into it and said GOOD. */
	EXPECT_FALSE(o.used && o.response == VIRTIO_SCSI_S_OK && !o.status)
		TH_LOG("a WRITE with only data-in buffers answered GOOD");
	aftermath(_metadata, self);
}

TEST_F(hostile, zero_length_data_descriptor)
{
	struct vg_sg sg = { gpa_of(self, self->buf), 0, true };
	struct vg_io io;

	vg_io_init(&io, self->env.luns[0]);
	vg_cdb_rw(&io, 10, false, 0, 1);
	io.sg = &sg;
	io.nsg = 1;
	bad_io(_metadata, self, &io, false);
}

/* Data-in segments summing to 4 GiB + 2: the 32-bit total wraps. */
TEST_F_TIMEOUT(hostile, data_lengths_wrap_32bit, 120)
{
	struct tc_cfg c = { .nq = 2, .arena = 1536ULL << 20 };
	const uint32_t piece = 0x55555556;	/* 3 x piece = 2^32 + 2 */
	struct vg_vq *q;
	struct outcome o;
	struct vg_hdr *h;
	uint16_t id[5];
	uint64_t base;
	int k;

	vg_close(self->d);
	self->d = NULL;
	ASSERT_EQ(0, tc_open(&self->d, &self->env, &c));
	self->q = q = vg_ioq(self->d, 0);
	self->other = vg_ioq(self->d, 1);
	base = self->d->reg[0].gpa + (128 << 20);
	ASSERT_LE(128ULL << 20, self->d->reg[0].size - piece)
		TH_LOG("arena too small");
	ASSERT_GE(128ULL << 20, self->d->reg[0].used);

	ASSERT_EQ(0, vg_raw_take(q, 5, id, NULL));
	h = hdr_for(self, id[0], 0x28, 1);
	vg_raw_desc(q, id[0], gpa_of(self, &h->req), REQ_LEN, NEXT, id[1]);
	vg_raw_desc(q, id[1], gpa_of(self, &h->resp), RSP_LEN, WR | NEXT, id[2]);
	for (k = 2; k < 5; k++)
		vg_raw_desc(q, id[k], base, piece, WR | (k < 4 ? NEXT : 0),
			    k < 4 ? id[k + 1] : 0);
	vg_raw_avail(q, id[0]);
	await(self, id[0], &o);
	TH_LOG("%s", outcome_str(&o));
	aftermath(_metadata, self);
}

/* Lines of the kernel log from @fd on that hold @what. */
static int kmsg_count(int fd, const char *what)
{
	char rec[2048];
	ssize_t n;
	int cnt = 0;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records */
		if (n <= 0)
			return cnt;
		rec[n] = 0;
		cnt += strstr(rec, what) != NULL;
	}
}

/*
 * Guest-caused log lines are limited per device, not per queue: a guest
 * that breaks each of its 32 request queues gets at most the device's
 * burst of 10 lines into the host's log.
 */
TEST_F_TIMEOUT(hostile, log_lines_limited_per_device, 120)
{
	struct tc_cfg c = { .nq = 32 };
	unsigned int i, broken = 0;
	struct vg_dev *d;
	int fd, lines;
	void *buf;

	if (tc_stock(&self->env))
		SKIP(return, "stock vhost_scsi logs guest errors at debug level");
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	/* a device of its own, opened after the fixture's logged anything */
	vg_close(self->d);
	self->d = NULL;
	ASSERT_EQ(0, tc_open(&d, &self->env, &c));
	buf = vg_alloc(d, 4096, 4096);
	ASSERT_NE(NULL, buf);
	ASSERT_LE(0, lseek(fd, 0, SEEK_END));
	for (i = 0; i < c.nq; i++) {
		struct vg_vq *q = vg_ioq(d, i);
		uint16_t id;

		ASSERT_EQ(0, vg_raw_take(q, 1, &id, NULL));
		vg_raw_desc(q, id, vg_gpa(d, buf), 64, VRING_DESC_F_NEXT,
			    q->num + 1);
		vg_raw_avail(q, id);
		vg_vq_kick(q);
		vg_vq_notify(q);
	}
	for (int t = 0; t < 300 && broken < c.nq; t++) {
		usleep(10000);
		for (i = 0; i < c.nq; i++)
			broken += vg_vq_errors(vg_ioq(d, i)) ? 1 : 0;
	}
	EXPECT_EQ(c.nq, broken);
	lines = kmsg_count(fd, "fastvhost: ");
	TH_LOG("%u queues broken, %d lines logged", broken, lines);
	EXPECT_LE(1, lines);
	EXPECT_GE(10, lines);
	close(fd);
	vg_close(d);
}

TEST_HARNESS_MAIN
