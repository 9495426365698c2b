// SPDX-License-Identifier: GPL-2.0
/*
 * SCSI command families through a vhost-scsi node: INQUIRY/VPD, READ
 * CAPACITY, REPORT LUNS, TEST UNIT READY, READ/WRITE 6/10/12/16,
 * SYNCHRONIZE CACHE, UNMAP, WRITE SAME, COMPARE AND WRITE, MODE SENSE,
 * PR IN/OUT, plus TMF, AN and addressing errors.  Environment: see
 * tests_common.h.
 */
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "tests_common.h"

#define LBA_RW		20000
#define LBA_WSAME	30000
#define LBA_UNMAP	40000
#define LBA_CAW		50000
#define MIN_BLOCKS	60000

FIXTURE(cmds) {
	struct vg_env env;
	struct vg_dev *d;
	struct vg_vq *q;
	uint8_t *buf;		/* 64 KiB in the arena */
	uint8_t *buf2;
	uint64_t blocks[16];
	uint32_t bs[16];
};

FIXTURE_SETUP(cmds)
{
	unsigned int i;
	int rc;

	if (vg_env_load(&self->env))
		SKIP(return, "FV_WWN not set");
	ASSERT_EQ(0, tc_open(&self->d, &self->env, NULL));
	self->q = vg_ioq(self->d, 0);
	self->buf = vg_alloc(self->d, 65536, 4096);
	self->buf2 = vg_alloc(self->d, 65536, 4096);
	ASSERT_NE(NULL, self->buf2);
	for (i = 0; i < self->env.nluns; i++) {
		struct vg_io io;

		vg_tur(self->q, self->env.luns[i], &io);	/* eat a UA */
		rc = vg_read_capacity(self->q, self->env.luns[i],
				      &self->blocks[i], &self->bs[i]);
		if (rc == -EIO)
			rc = vg_read_capacity(self->q, self->env.luns[i],
					      &self->blocks[i], &self->bs[i]);
		ASSERT_EQ(0, rc) TH_LOG("READ CAPACITY(16) lun %u failed",
					self->env.luns[i]);
		TH_LOG("lun %u: %llu blocks of %u bytes", self->env.luns[i],
		       (unsigned long long)self->blocks[i], self->bs[i]);
	}
}

FIXTURE_TEARDOWN(cmds)
{
	vg_close(self->d);
}

#define FOR_EACH_LUN(i) for (i = 0; i < self->env.nluns; i++)
#define LUN(i) (self->env.luns[i])

static void data_in(struct vg_io *io, void *buf, uint32_t len)
{
	io->din = buf;
	io->din_len = len;
}

static void data_out(struct vg_io *io, void *buf, uint32_t len)
{
	io->dout = buf;
	io->dout_len = len;
}

TEST_F(cmds, negotiation)
{
	struct vg_dev *d = self->d;

	TH_LOG("device features %#llx, negotiated %#llx, backend features %s %#llx",
	       (unsigned long long)d->dev_features,
	       (unsigned long long)d->features,
	       d->has_backend_features ? "" : "(no ioctl)",
	       (unsigned long long)d->backend_features);
	EXPECT_EQ(VHOST_SCSI_ABI_VERSION, d->abi_version);
	EXPECT_TRUE(vg_has(d, VIRTIO_F_VERSION_1));
	EXPECT_TRUE(vg_has(d, VIRTIO_RING_F_INDIRECT_DESC));
	EXPECT_TRUE(vg_has(d, VIRTIO_RING_F_EVENT_IDX));
}

TEST_F(cmds, test_unit_ready)
{
	struct vg_io io;
	unsigned int i, q;

	FOR_EACH_LUN(i) {
		for (q = 0; q < vg_nr_ioqs(self->d); q++) {
			vg_io_init(&io, LUN(i));
			vg_cdb_tur(&io);
			ASSERT_EQ(0, tc_exec(vg_ioq(self->d, q), &io));
			EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
		}
	}
}

TEST_F(cmds, inquiry)
{
	uint8_t *b = self->buf, pages[256];
	unsigned int i, n, k;
	struct vg_io io;
	bool has80, has83;

	FOR_EACH_LUN(i) {
		vg_io_init(&io, LUN(i));
		vg_cdb_inquiry(&io, false, 0, 96);
		data_in(&io, b, 96);
		ASSERT_EQ(0, tc_exec(self->q, &io));
		ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
		EXPECT_EQ(0, b[0]) TH_LOG("peripheral byte %#x", b[0]);
		EXPECT_GE(b[4], 31);
		TH_LOG("lun %u: '%.8s' '%.16s' '%.4s' version %#x", LUN(i),
		       b + 8, b + 16, b + 32, b[2]);

		vg_io_init(&io, LUN(i));
		vg_cdb_inquiry(&io, true, 0x00, 255);
		data_in(&io, b, 255);
		ASSERT_EQ(0, tc_exec(self->q, &io));
		ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
		EXPECT_EQ(0x00, b[1]);
		n = vg_be16(b + 2);
		ASSERT_LE(n, 251);
		memcpy(pages, b + 4, n);
		has80 = memchr(pages, 0x80, n);
		has83 = memchr(pages, 0x83, n);
		EXPECT_TRUE(has80 && has83)
			TH_LOG("VPD 0x00 lists %u pages, no 0x80/0x83: no serial set on the backstore?",
			       n);
		for (k = 0; k < n; k++) {
			vg_io_init(&io, LUN(i));
			vg_cdb_inquiry(&io, true, pages[k], 255);
			data_in(&io, b, 255);
			ASSERT_EQ(0, tc_exec(self->q, &io));
			EXPECT_TRUE(vg_io_ok(&io))
				TH_LOG("VPD %#x: %s", pages[k], tc_str(&io));
			EXPECT_EQ(pages[k], b[1]);
			if (pages[k] == 0x80)
				TH_LOG("lun %u serial '%.*s'", LUN(i),
				       (int)(b[3] < 64 ? b[3] : 64), b + 4);
			if (pages[k] == 0x83)
				EXPECT_GE(vg_be16(b + 2), 4);
		}
	}
}

TEST_F(cmds, read_capacity)
{
	uint8_t *b = self->buf;
	unsigned int i;
	struct vg_io io;

	FOR_EACH_LUN(i) {
		vg_io_init(&io, LUN(i));
		vg_cdb_read_capacity10(&io);
		data_in(&io, b, 8);
		ASSERT_EQ(0, tc_exec(self->q, &io));
		ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
		EXPECT_EQ(self->blocks[i] - 1, vg_be32(b));
		EXPECT_EQ(self->bs[i], vg_be32(b + 4));
		EXPECT_GE(self->blocks[i], MIN_BLOCKS)
			TH_LOG("lun %u is too small for these tests", LUN(i));
	}
}

/*
 * A backstore formatted with T10 PI (FV_PI_LUN): fastvhost moves no
 * protection information, so neither INQUIRY's PROTECT nor READ
 * CAPACITY(16)'s PROT_EN may claim it; plain READs and WRITEs work.
 */
TEST_F(cmds, no_protection_advertised)
{
	const char *env = getenv("FV_PI_LUN");
	uint8_t *b = self->buf;
	struct vg_io io;
	uint16_t lun;

	if (!env)
		SKIP(return, "FV_PI_LUN not set (no PI-formatted LUN)");
	lun = (uint16_t)atoi(env);
	vg_io_init(&io, lun);
	vg_cdb_tur(&io);
	ASSERT_EQ(0, tc_exec(self->q, &io));	/* may be a UNIT ATTENTION */

	vg_io_init(&io, lun);
	vg_cdb_inquiry(&io, false, 0, 96);
	data_in(&io, b, 96);
	ASSERT_EQ(0, tc_exec(self->q, &io));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
	EXPECT_EQ(0, b[5] & 1) TH_LOG("INQUIRY byte 5 %#x: PROTECT set", b[5]);

	vg_io_init(&io, lun);
	vg_cdb_read_capacity16(&io, 32);
	data_in(&io, b, 32);
	ASSERT_EQ(0, tc_exec(self->q, &io));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
	EXPECT_EQ(0, b[12] & 1)
		TH_LOG("READ CAPACITY(16) byte 12 %#x: PROT_EN set", b[12]);

	/* 8 blocks of 512 bytes (rd_mcp's default) at LBA 16 */
	vg_pattern_fill(b, 4096, 512, 0x9150, 16);
	vg_io_init(&io, lun);
	vg_cdb_rw(&io, 10, true, 16, 8);
	data_out(&io, b, 4096);
	ASSERT_EQ(0, tc_exec(self->q, &io));
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("WRITE: %s", tc_str(&io));
	memset(self->buf2, 0xa5, 4096);
	vg_io_init(&io, lun);
	vg_cdb_rw(&io, 10, false, 16, 8);
	data_in(&io, self->buf2, 4096);
	ASSERT_EQ(0, tc_exec(self->q, &io));
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("READ: %s", tc_str(&io));
	EXPECT_EQ(-1, vg_pattern_check(self->buf2, 4096, 512, 0x9150, 16))
		TH_LOG("the blocks written do not read back");
}

TEST_F(cmds, report_luns)
{
	uint8_t *b = self->buf;
	unsigned int i, k, n;
	struct vg_io io;
	bool found;

	vg_io_init(&io, LUN(0));
	vg_cdb_report_luns(&io, 4096);
	data_in(&io, b, 4096);
	ASSERT_EQ(0, tc_exec(self->q, &io));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
	n = vg_be32(b) / 8;
	ASSERT_LE(n, 4096 / 8 - 1);
	TH_LOG("REPORT LUNS: %u luns", n);
	FOR_EACH_LUN(i) {
		found = false;
		for (k = 0; k < n; k++) {
			const uint8_t *e = b + 8 + 8 * k;

			if ((((e[0] & 0x3f) << 8) | e[1]) == LUN(i))
				found = true;
		}
		EXPECT_TRUE(found) TH_LOG("lun %u not reported", LUN(i));
	}
}

TEST_F(cmds, read_write_all_cdb_sizes)
{
	static const int sizes[] = { 6, 10, 12, 16 };
	unsigned int i, w, r;
	struct vg_io io;

	FOR_EACH_LUN(i) {
		uint32_t bs = self->bs[i], nb = 8, len = nb * bs;

		for (w = 0; w < 4; w++) {
			uint64_t lba = LBA_RW + w * nb, seed = 0x5eed0000 + w;

			vg_pattern_fill(self->buf, len, bs, seed, lba);
			vg_io_init(&io, LUN(i));
			ASSERT_EQ(0, vg_cdb_rw(&io, sizes[w], true, lba, nb));
			data_out(&io, self->buf, len);
			ASSERT_EQ(0, tc_exec(self->q, &io));
			ASSERT_TRUE(vg_io_ok(&io))
				TH_LOG("WRITE(%d): %s", sizes[w], tc_str(&io));
			for (r = 0; r < 4; r++) {
				memset(self->buf2, 0xa5, len);
				vg_io_init(&io, LUN(i));
				ASSERT_EQ(0, vg_cdb_rw(&io, sizes[r], false, lba, nb));
				data_in(&io, self->buf2, len);
				ASSERT_EQ(0, tc_exec(self->q, &io));
				ASSERT_TRUE(vg_io_ok(&io))
					TH_LOG("READ(%d): %s", sizes[r], tc_str(&io));
				EXPECT_EQ(0, io.resid);
				EXPECT_EQ(-1, vg_pattern_check(self->buf2, len, bs,
							       seed, lba))
					TH_LOG("WRITE(%d) then READ(%d) differ",
					       sizes[w], sizes[r]);
			}
		}
	}
}

TEST_F(cmds, residuals)
{
	unsigned int i;
	struct vg_io io;

	FOR_EACH_LUN(i) {
		uint32_t bs = self->bs[i];

		/* buffer larger than the transfer: underflow */
		vg_io_init(&io, LUN(i));
		vg_cdb_rw(&io, 10, false, LBA_RW, 1);
		data_in(&io, self->buf, 4 * bs);
		ASSERT_EQ(0, tc_exec(self->q, &io));
		EXPECT_EQ(VIRTIO_SCSI_S_OK, io.response);
		TH_LOG("underflowing READ: %s", tc_str(&io));
		/* LIO fileio fails these (NOT READY/08/00); rd_mcp does not */
		if (vg_io_ok(&io))
			EXPECT_EQ(3 * bs, io.resid);

		/* buffer smaller than the transfer: overflow */
		vg_io_init(&io, LUN(i));
		vg_cdb_rw(&io, 10, false, LBA_RW, 4);
		data_in(&io, self->buf, bs);
		ASSERT_EQ(0, tc_exec(self->q, &io));
		EXPECT_EQ(VIRTIO_SCSI_S_OK, io.response);
		TH_LOG("overflowing READ: %s", tc_str(&io));
		if (vg_io_ok(&io))
			EXPECT_EQ(3 * bs, io.resid);

		/* write buffer smaller than the transfer */
		vg_io_init(&io, LUN(i));
		vg_cdb_rw(&io, 10, true, LBA_RW + 100, 4);
		data_out(&io, self->buf, bs);
		ASSERT_EQ(0, tc_exec(self->q, &io));
		EXPECT_EQ(VIRTIO_SCSI_S_OK, io.response);
		TH_LOG("short WRITE: %s", tc_str(&io));
	}
}

/*
 * A READ that fails (past the last block) writes no data: the used length
 * is the response alone and the residual the whole buffer.  The stock
 * vhost_scsi puts 0 in every used length and LIO's residual (0 here) in
 * the response: a statement about fastvhost only.
 */
TEST_F(cmds, failed_read_used_length)
{
	unsigned int i;
	struct vg_io io;

	if (tc_stock(&self->env))
		SKIP(return, "stock vhost_scsi: used length 0 for every request");
	FOR_EACH_LUN(i) {
		vg_io_init(&io, LUN(i));
		vg_cdb_rw(&io, 16, false, self->blocks[i], 1);
		data_in(&io, self->buf, self->bs[i]);
		ASSERT_EQ(0, tc_exec(self->q, &io));
		EXPECT_EQ(VIRTIO_SCSI_S_OK, io.response);
		EXPECT_EQ(0x02, io.status) TH_LOG("%s", tc_str(&io));
		EXPECT_EQ(sizeof(struct virtio_scsi_cmd_resp), io.used_len)
			TH_LOG("lun %u: used length %u for a failed READ of %u bytes",
			       LUN(i), io.used_len, self->bs[i]);
		EXPECT_EQ(self->bs[i], io.resid);
	}
}

/*
 * LIO may refuse a command after a good prep (target_submit() returns an
 * error since 6.10): the guest gets a CHECK CONDITION, the command is
 * released, the next one works and close does not wait for it.  The
 * refusal is injected (fastvhost's fail_submit), on every LUN: fileio
 * submits from a workqueue, the others from the worker.
 */
TEST_F(cmds, refused_submission)
{
	uint8_t key, asc, ascq;
	unsigned int i;
	struct vg_io io;

	if (tc_stock(&self->env))
		SKIP(return, "fault injection is fastvhost's (fail_submit)");
	ASSERT_EQ(0, tc_set_param("fail_submit", 0))
		TH_LOG("fastvhost has no fail_submit parameter");
	FOR_EACH_LUN(i) {
		ASSERT_EQ(0, tc_set_param("fail_submit", 1));
		vg_io_init(&io, LUN(i));
		vg_cdb_rw(&io, 16, false, 0, 1);
		data_in(&io, self->buf, self->bs[i]);
		ASSERT_EQ(0, vg_io_exec(self->q, &io, VG_TIMEOUT_MS))
			TH_LOG("lun %u: no answer to a refused command", LUN(i));
		EXPECT_EQ(VIRTIO_SCSI_S_OK, io.response);
		ASSERT_EQ(0x02, io.status) TH_LOG("%s", tc_str(&io));
		ASSERT_TRUE(vg_sense_key(&io, &key, &asc, &ascq));
		EXPECT_EQ(0x08, asc) TH_LOG("%s", tc_str(&io));
		EXPECT_EQ(sizeof(struct virtio_scsi_cmd_resp), io.used_len);

		vg_io_init(&io, LUN(i));
		vg_cdb_rw(&io, 16, false, 0, 1);
		data_in(&io, self->buf, self->bs[i]);
		ASSERT_EQ(0, tc_exec(self->q, &io));
		EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
	}
	ASSERT_EQ(0, tc_set_param("fail_submit", 0));
}

TEST_F(cmds, synchronize_cache)
{
	unsigned int i;
	struct vg_io io;

	FOR_EACH_LUN(i) {
		vg_io_init(&io, LUN(i));
		vg_cdb_sync_cache(&io, false, 0, 0);
		ASSERT_EQ(0, tc_exec(self->q, &io));
		EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("SYNC CACHE(10) %s", tc_str(&io));
		vg_io_init(&io, LUN(i));
		vg_cdb_sync_cache(&io, true, LBA_RW, 64);
		ASSERT_EQ(0, tc_exec(self->q, &io));
		EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("SYNC CACHE(16) %s", tc_str(&io));
	}
}

/* GOOD, or ILLEGAL REQUEST when the backstore lacks the feature */
static bool good_or_unsupported(const struct vg_io *io)
{
	return io->response == VIRTIO_SCSI_S_OK &&
	       (io->status == 0 || tc_sense_key(io) == 0x5);
}

TEST_F(cmds, unmap)
{
	uint64_t lba = LBA_UNMAP;
	uint32_t nb = 16;
	unsigned int i;
	struct vg_io io;
	uint16_t len;

	FOR_EACH_LUN(i) {
		/* one descriptor: LIO fileio allows no more */
		len = vg_unmap_param(self->buf, &lba, &nb, 1);
		vg_io_init(&io, LUN(i));
		vg_cdb_unmap(&io, len);
		data_out(&io, self->buf, len);
		ASSERT_EQ(0, tc_exec(self->q, &io));
		EXPECT_TRUE(good_or_unsupported(&io)) TH_LOG("%s", tc_str(&io));
		TH_LOG("lun %u UNMAP: %s", LUN(i), io.status ? tc_str(&io) : "done");
		if (io.status)
			continue;
		vg_io_init(&io, LUN(i));
		vg_cdb_rw(&io, 10, false, lba, nb);
		data_in(&io, self->buf2, nb * self->bs[i]);
		ASSERT_EQ(0, tc_exec(self->q, &io));
		EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("read after UNMAP: %s", tc_str(&io));
	}
}

TEST_F(cmds, write_same)
{
	unsigned int i, s, b;
	struct vg_io io;

	FOR_EACH_LUN(i) {
		uint32_t bs = self->bs[i], nb = 16;

		for (s = 0; s < 2; s++) {
			uint64_t lba = LBA_WSAME + s * 64;

			vg_pattern_fill(self->buf, bs, bs, 0xabc + s, 7);
			vg_io_init(&io, LUN(i));
			vg_cdb_write_same(&io, s, false, lba, nb);
			data_out(&io, self->buf, bs);
			ASSERT_EQ(0, tc_exec(self->q, &io));
			EXPECT_TRUE(good_or_unsupported(&io))
				TH_LOG("%s", tc_str(&io));
			TH_LOG("lun %u WRITE SAME(%d): %s", LUN(i), s ? 16 : 10,
			       io.status ? "not supported" : "done");
			if (io.status)
				continue;
			vg_io_init(&io, LUN(i));
			vg_cdb_rw(&io, 16, false, lba, nb);
			data_in(&io, self->buf2, nb * bs);
			ASSERT_EQ(0, tc_exec(self->q, &io));
			ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
			for (b = 0; b < nb; b++)
				EXPECT_EQ(0, memcmp(self->buf, self->buf2 + b * bs, bs))
					TH_LOG("block %u differs", b);
		}
	}
}

static void read_block(struct __test_metadata *_metadata,
		       FIXTURE_DATA(cmds) *self, unsigned int i, uint64_t lba,
		       void *buf)
{
	struct vg_io io;

	vg_io_init(&io, LUN(i));
	vg_cdb_rw(&io, 16, false, lba, 1);
	data_in(&io, buf, self->bs[i]);
	ASSERT_EQ(0, tc_exec(self->q, &io));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("READ: %s", tc_str(&io));
}

/*
 * COMPARE AND WRITE is refused (LIO mishandles one that fails before it
 * runs, e.g. on the unit attention a LUN RESET leaves: see io.c), and the
 * Block Limits page says so.  Each form a guest may send, after a LUN
 * RESET: well formed (compare the zeros there, write b), no data, data-in.
 * Each gets ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE and the block
 * stays as it was; the run's kernel log scan catches the rest.
 */
TEST_F(cmds, compare_and_write_refused)
{
	uint8_t key, asc, ascq, resp, *a, *b, *c;
	unsigned int i, k;
	struct vg_io io;

	if (tc_stock(&self->env))
		SKIP(return, "stock vhost_scsi passes COMPARE AND WRITE to LIO");
	FOR_EACH_LUN(i) {
		uint32_t bs = self->bs[i];

		vg_io_init(&io, LUN(i));
		vg_cdb_inquiry(&io, true, 0xb0, 64);
		data_in(&io, self->buf2, 64);
		ASSERT_EQ(0, tc_exec(self->q, &io));
		ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("VPD B0: %s", tc_str(&io));
		EXPECT_EQ(0, self->buf2[5])
			TH_LOG("lun %u: MAXIMUM COMPARE AND WRITE LENGTH %u",
			       LUN(i), self->buf2[5]);

		a = self->buf;
		b = self->buf + bs;
		c = self->buf2;
		/* zeros: what 6.1 compares with when it skips the read */
		memset(a, 0, bs);
		vg_pattern_fill(b, bs, bs, 0xca2 + i, 1);
		vg_io_init(&io, LUN(i));
		vg_cdb_rw(&io, 16, true, LBA_CAW, 1);
		data_out(&io, a, bs);
		ASSERT_EQ(0, tc_exec(self->q, &io));
		ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("WRITE: %s", tc_str(&io));

		for (k = 0; k < 3; k++) {
			ASSERT_EQ(0, vg_tmf(self->d,
					    VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET,
					    LUN(i), 0, &resp, VG_TIMEOUT_MS));
			vg_io_init(&io, LUN(i));
			vg_cdb_compare_and_write(&io, LBA_CAW, 1);
			if (k == 0)
				data_out(&io, a, 2 * bs);
			else if (k == 2)
				data_in(&io, c, 2 * bs);
			ASSERT_EQ(0, vg_io_exec(self->q, &io, VG_TIMEOUT_MS));
			EXPECT_EQ(VIRTIO_SCSI_S_OK, io.response);
			ASSERT_EQ(0x02, io.status)
				TH_LOG("lun %u, %s: %s", LUN(i),
				       k == 0 ? "well formed" : k == 1 ?
				       "no data" : "data-in", tc_str(&io));
			ASSERT_TRUE(vg_sense_key(&io, &key, &asc, &ascq));
			EXPECT_EQ(0x05, key) TH_LOG("%s", tc_str(&io));
			EXPECT_EQ(0x20, asc) TH_LOG("%s", tc_str(&io));
			read_block(_metadata, self, i, LBA_CAW, c);
			EXPECT_EQ(0, memcmp(c, a, bs))
				TH_LOG("lun %u: COMPARE AND WRITE changed the block",
				       LUN(i));
		}
	}
}

TEST_F(cmds, mode_sense)
{
	uint8_t *b = self->buf;
	unsigned int i;
	struct vg_io io;

	FOR_EACH_LUN(i) {
		vg_io_init(&io, LUN(i));
		vg_cdb_mode_sense(&io, false, 0x3f, 0, 255);
		data_in(&io, b, 255);
		ASSERT_EQ(0, tc_exec(self->q, &io));
		EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("MODE SENSE(6) %s", tc_str(&io));
		EXPECT_EQ(255 - b[0] - 1, io.resid);

		vg_io_init(&io, LUN(i));
		vg_cdb_mode_sense(&io, true, 0x08, 0, 512);
		data_in(&io, b, 512);
		ASSERT_EQ(0, tc_exec(self->q, &io));
		EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("MODE SENSE(10) %s", tc_str(&io));
		/* header 8 + block descriptors, then the caching page */
		EXPECT_EQ(0x08, b[8 + vg_be16(b + 6)] & 0x3f);
	}
}

static int pr_out(struct vg_vq *q, uint16_t lun, uint8_t sa, uint8_t type,
		  uint64_t key, uint64_t sa_key, uint8_t *buf, struct vg_io *io)
{
	vg_pr_out_param(buf, key, sa_key, false);
	vg_io_init(io, lun);
	vg_cdb_pr_out(io, sa, type, 24);
	data_out(io, buf, 24);
	return tc_exec(q, io);
}

static int pr_in(struct vg_vq *q, uint16_t lun, uint8_t sa, uint8_t *buf,
		 struct vg_io *io)
{
	memset(buf, 0, 1024);
	vg_io_init(io, lun);
	vg_cdb_pr_in(io, sa, 1024);
	data_in(io, buf, 1024);
	return tc_exec(q, io);
}

static bool keys_contain(const uint8_t *b, uint64_t key)
{
	uint32_t n = vg_be32(b + 4), k;

	for (k = 0; k + 8 <= n && k < 1016; k += 8)
		if (vg_be64(b + 8 + k) == key)
			return true;
	return false;
}

TEST_F(cmds, persistent_reservations)
{
	const uint64_t key = 0xfa57f00d12345678ULL;
	uint8_t *b = self->buf;
	uint16_t lun = LUN(0);
	struct vg_io io;

	/* REGISTER AND IGNORE EXISTING KEY: safe after an aborted run */
	ASSERT_EQ(0, pr_out(self->q, lun, 6, 0, 0, key, self->buf2, &io));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("REGISTER: %s", tc_str(&io));
	ASSERT_EQ(0, pr_in(self->q, lun, 0, b, &io));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("READ KEYS: %s", tc_str(&io));
	EXPECT_TRUE(keys_contain(b, key));

	ASSERT_EQ(0, pr_out(self->q, lun, 1, 1, key, 0, self->buf2, &io));
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("RESERVE: %s", tc_str(&io));
	ASSERT_EQ(0, pr_in(self->q, lun, 1, b, &io));
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("READ RESERVATION: %s", tc_str(&io));
	EXPECT_EQ(16, vg_be32(b + 4));
	EXPECT_EQ(key, vg_be64(b + 8));
	EXPECT_EQ(1, b[21] & 0xf);

	ASSERT_EQ(0, pr_out(self->q, lun, 2, 1, key, 0, self->buf2, &io));
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("RELEASE: %s", tc_str(&io));
	ASSERT_EQ(0, pr_in(self->q, lun, 1, b, &io));
	EXPECT_EQ(0, vg_be32(b + 4));

	ASSERT_EQ(0, pr_out(self->q, lun, 6, 0, 0, 0, self->buf2, &io));
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("unregister: %s", tc_str(&io));
	ASSERT_EQ(0, pr_in(self->q, lun, 0, b, &io));
	EXPECT_FALSE(keys_contain(b, key));
}

TEST_F(cmds, tmf_lun_reset)
{
	uint8_t resp = 0xff;
	struct vg_io io;

	if (tc_stock_lun_reset_corrupts(&self->env))
		SKIP(return, "stock vhost_scsi before 6.12 corrupts the heap after a LUN RESET");
	ASSERT_EQ(0, vg_tmf(self->d, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET,
			    LUN(0), 0, &resp, VG_TIMEOUT_MS));
	EXPECT_TRUE(resp == VIRTIO_SCSI_S_FUNCTION_SUCCEEDED ||
		    resp == VIRTIO_SCSI_S_OK)
		TH_LOG("LUN RESET: %s", vg_response_name(resp));
	vg_io_init(&io, LUN(0));
	vg_cdb_tur(&io);
	ASSERT_EQ(0, tc_exec(self->q, &io));
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
}

TEST_F(cmds, tmf_other_functions)
{
	static const uint32_t sub[] = {
		VIRTIO_SCSI_T_TMF_ABORT_TASK, VIRTIO_SCSI_T_TMF_ABORT_TASK_SET,
		VIRTIO_SCSI_T_TMF_CLEAR_ACA, VIRTIO_SCSI_T_TMF_CLEAR_TASK_SET,
		VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET,
		VIRTIO_SCSI_T_TMF_QUERY_TASK, VIRTIO_SCSI_T_TMF_QUERY_TASK_SET,
		1000,
	};
	unsigned int k;
	uint8_t resp, want;

	/*
	 * ABORT TASK of a tag nobody uses: FUNCTION COMPLETE (the stock
	 * module supports only LUN RESET).  Everything else, I_T NEXUS
	 * RESET included, is rejected: nothing is reported done that was
	 * not done.
	 */
	for (k = 0; k < ARRAY_SIZE(sub); k++) {
		resp = 0xff;
		ASSERT_EQ(0, vg_tmf(self->d, sub[k], LUN(0), 12345, &resp,
				    VG_TIMEOUT_MS)) TH_LOG("subtype %u", sub[k]);
		TH_LOG("TMF subtype %u: %s", sub[k], vg_response_name(resp));
		want = sub[k] == VIRTIO_SCSI_T_TMF_ABORT_TASK &&
			!tc_stock(&self->env) ? VIRTIO_SCSI_S_OK :
			VIRTIO_SCSI_S_FUNCTION_REJECTED;
		EXPECT_EQ(want, resp) TH_LOG("subtype %u", sub[k]);
	}
}

TEST_F(cmds, tmf_lun_reset_with_io_in_flight)
{
	enum { QD = 64, NB = 8 };
	struct vg_io ios[2][QD];
	unsigned int q, k, good = 0, other = 0;
	uint8_t resp = 0xff;
	uint32_t len = NB * self->bs[0];
	uint8_t *bufs = vg_alloc(self->d, 2 * QD * len, 4096);

	if (tc_stock_lun_reset_corrupts(&self->env))
		SKIP(return, "stock vhost_scsi before 6.12 corrupts the heap after a LUN RESET");
	ASSERT_NE(NULL, bufs);
	for (q = 0; q < 2; q++) {
		for (k = 0; k < QD; k++) {
			struct vg_io *io = &ios[q][k];

			vg_io_init(io, LUN(0));
			vg_cdb_rw(io, 10, false, LBA_RW + k * NB, NB);
			data_in(io, bufs + (q * QD + k) * len, len);
			ASSERT_EQ(0, vg_io_submit(vg_ioq(self->d, q), io));
		}
		vg_vq_kick(vg_ioq(self->d, q));
	}
	ASSERT_EQ(0, vg_tmf(self->d, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET,
			    LUN(0), 0, &resp, VG_TIMEOUT_MS));
	EXPECT_TRUE(resp == VIRTIO_SCSI_S_FUNCTION_SUCCEEDED ||
		    resp == VIRTIO_SCSI_S_OK)
		TH_LOG("LUN RESET: %s", vg_response_name(resp));
	for (q = 0; q < 2; q++) {
		for (k = 0; k < QD; k++) {
			struct vg_io *io = &ios[q][k];

			ASSERT_EQ(0, vg_io_wait(vg_ioq(self->d, q), io,
						VG_TIMEOUT_MS))
				TH_LOG("queue %u command %u never completed", q, k);
			if (vg_io_ok(io))
				good++;
			else
				other++;
		}
	}
	TH_LOG("%u commands GOOD, %u aborted or failed by the reset", good, other);
	vg_io_init(&ios[0][0], LUN(0));
	vg_cdb_tur(&ios[0][0]);
	ASSERT_EQ(0, tc_exec(self->q, &ios[0][0]));
	EXPECT_TRUE(vg_io_ok(&ios[0][0])) TH_LOG("%s", tc_str(&ios[0][0]));
}

/*
 * ABORT TASK of a READ that LIO is still executing: the LUN FV_SLOW_LUN
 * takes 250 ms a request (run.sh -s makes it).  The aborted command is
 * answered ABORTED (or TASK ABORTED) before the TMF's FUNCTION COMPLETE;
 * a second command on the LUN is untouched.
 */
TEST_F(cmds, tmf_abort_task_in_flight)
{
	const char *env = getenv("FV_SLOW_LUN");
	struct vg_io ios[2], tur;
	uint8_t resp = 0xff;
	uint16_t slow;
	unsigned int k;

	if (!env)
		SKIP(return, "FV_SLOW_LUN not set (no slow LUN)");
	slow = (uint16_t)atoi(env);
	vg_io_init(&tur, slow);
	vg_cdb_tur(&tur);
	ASSERT_EQ(0, tc_exec(self->q, &tur));
	for (k = 0; k < 2; k++) {
		vg_io_init(&ios[k], slow);
		vg_cdb_rw(&ios[k], 10, false, 8 * k, 8);
		data_in(&ios[k], self->buf + k * 4096, 4096);
		ASSERT_EQ(0, vg_io_submit(self->q, &ios[k]));
	}
	vg_vq_kick(self->q);
	usleep(50 * 1000);
	ASSERT_EQ(VG_IO_INFLIGHT, ios[0].state);
	ASSERT_EQ(0, vg_tmf(self->d, VIRTIO_SCSI_T_TMF_ABORT_TASK, slow,
			    ios[0].tag, &resp, VG_TIMEOUT_MS));
	/* FUNCTION COMPLETE shares its value with OK. */
	EXPECT_EQ(VIRTIO_SCSI_S_OK, resp)
		TH_LOG("ABORT TASK: %s", vg_response_name(resp));
	/* Already answered when the TMF's response came. */
	ASSERT_EQ(0, vg_io_wait(self->q, &ios[0], 0))
		TH_LOG("the aborted command was not answered before the TMF");
	EXPECT_TRUE(ios[0].response == VIRTIO_SCSI_S_ABORTED ||
		    (ios[0].response == VIRTIO_SCSI_S_OK &&
		     ios[0].status == 0x40))
		TH_LOG("aborted READ: %s", tc_str(&ios[0]));
	ASSERT_EQ(0, vg_io_wait(self->q, &ios[1], VG_TIMEOUT_MS));
	EXPECT_TRUE(vg_io_ok(&ios[1])) TH_LOG("other READ: %s", tc_str(&ios[1]));
	TH_LOG("aborted READ: %s", tc_str(&ios[0]));
}

/* Write @val to the cgroup file @dir/@file. */
static int cg_write(const char *dir, const char *file, const char *val)
{
	char path[256];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	if (!f)
		return -1;
	rc = fputs(val, f) < 0 ? -1 : 0;
	if (fclose(f))
		rc = -1;
	return rc;
}

static long long cg_current(const char *dir)
{
	char path[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.current", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* cgroup v2 at /sys/fs/cgroup, mounted if need be: has it "memory"? */
static bool cg_memory(void)
{
	char line[512] = "";
	FILE *f;

	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) &&
	    mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL))
		return false;
	f = fopen("/sys/fs/cgroup/cgroup.controllers", "r");
	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	return strstr(line, "memory") != NULL;
}

/* Move this process into a new memory cgroup @dir. */
static int cg_enter(const char *dir)
{
	const char *root = "/sys/fs/cgroup";
	char pid[32];

	if (cg_write(root, "cgroup.subtree_control", "+memory"))
		return -1;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -1;
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	return cg_write(dir, "cgroup.procs", pid);
}

/*
 * Per-command scatterlists are charged to the VM's memory cgroup (the
 * workers run in the owner's cgroups).  480 READs whose 62 segments each
 * straddle a page (124 scatterlist entries, a 4 KiB allocation) wait on
 * the slow fileio LUN (FV_SLOW_FILE_LUN, 250 ms a request, 32 at once):
 * memory.current rises by more than 1 MiB over the idle device's.
 */
#define CG_NCMD	480
#define CG_NSEG	62

TEST_F_TIMEOUT(cmds, scatterlists_charged_to_memcg, 180)
{
	const char *env = getenv("FV_SLOW_FILE_LUN");
	const char *cg = "/sys/fs/cgroup/fv-scsi-cmds";
	struct tc_cfg c = { .nq = 1, .ring = 512 };
	long long idle, busy = 0, cur;
	struct vg_sg sg[CG_NSEG];
	struct vg_io *ios;
	struct vg_dev *d;
	struct vg_vq *q;
	char pid[32];
	uint16_t slow;
	uint8_t *buf;
	unsigned int k;

	if (tc_stock(&self->env))
		SKIP(return, "about fastvhost's allocations");
	if (!env)
		SKIP(return, "FV_SLOW_FILE_LUN not set (no slow fileio LUN)");
	if (!cg_memory())
		SKIP(return, "no memory cgroup controller (a kernel without CONFIG_MEMCG)");
	slow = (uint16_t)atoi(env);
	ios = calloc(CG_NCMD, sizeof(*ios));
	ASSERT_NE(NULL, ios);
	ASSERT_EQ(0, cg_enter(cg)) TH_LOG("cannot enter a memory cgroup: %s",
					  strerror(errno));
	/* the workers join the owner's cgroups when the device starts */
	vg_close(self->d);
	self->d = NULL;
	ASSERT_EQ(0, tc_open(&d, &self->env, &c));
	q = vg_ioq(d, 0);
	buf = vg_alloc(d, (CG_NSEG + 1) * 4096, 4096);
	ASSERT_NE(NULL, buf);
	memset(buf, 0, (CG_NSEG + 1) * 4096);
	for (k = 0; k < CG_NSEG; k++) {
		sg[k].gpa = vg_gpa(d, buf + k * 4096 + 3072);
		sg[k].len = 2048;
		sg[k].in = true;
	}
	for (k = 0; k < CG_NCMD; k++) {
		vg_io_init(&ios[k], slow);
		vg_cdb_rw(&ios[k], 10, false, (uint64_t)k * CG_NSEG * 4,
			  CG_NSEG * 4);
		ios[k].sg = sg;
		ios[k].nsg = CG_NSEG;
	}
	/* one of them first, so that nothing is new but the commands */
	ASSERT_EQ(0, tc_exec(q, &ios[0]));
	ASSERT_TRUE(vg_io_ok(&ios[0])) TH_LOG("%s", tc_str(&ios[0]));

	idle = cg_current(cg);
	ASSERT_LT(0, idle);
	for (k = 0; k < CG_NCMD; k++)
		ASSERT_EQ(0, vg_io_submit(q, &ios[k]));
	vg_vq_kick(q);
	for (k = 0; k < 50 && !vg_vq_has_used(q); k++) {
		usleep(10 * 1000);
		cur = cg_current(cg);
		if (cur > busy)
			busy = cur;
	}
	for (k = 0; k < CG_NCMD; k++) {
		ASSERT_EQ(0, vg_io_wait(q, &ios[k], VG_TIMEOUT_MS));
		EXPECT_TRUE(vg_io_ok(&ios[k])) TH_LOG("%s", tc_str(&ios[k]));
	}
	TH_LOG("memory.current %lld KiB idle, %lld KiB with %u READs waiting",
	       idle >> 10, busy >> 10, CG_NCMD);
	EXPECT_LT(idle + (1 << 20), busy);
	vg_close(d);
	free(ios);
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	cg_write("/sys/fs/cgroup", "cgroup.procs", pid);
	rmdir(cg);
}

/*
 * I_T NEXUS RESET with a READ in flight on the slow LUN and one queued on
 * LUN 0: rejected (a LUN reset of every LUN would abort other initiators'
 * tasks on a shared backstore), so both READs complete GOOD.
 */
TEST_F(cmds, tmf_it_nexus_reset_rejected)
{
	const char *env = getenv("FV_SLOW_LUN");
	struct vg_io ios[2], tur;
	uint16_t luns[2];
	uint8_t resp = 0xff;
	unsigned int k;

	if (!env)
		SKIP(return, "FV_SLOW_LUN not set (no slow LUN)");
	luns[0] = (uint16_t)atoi(env);
	luns[1] = LUN(0);
	for (k = 0; k < 2; k++) {
		vg_io_init(&tur, luns[k]);
		vg_cdb_tur(&tur);
		ASSERT_EQ(0, tc_exec(self->q, &tur));
	}
	for (k = 0; k < 2; k++) {
		vg_io_init(&ios[k], luns[k]);
		vg_cdb_rw(&ios[k], 10, false, 8, 8);
		data_in(&ios[k], self->buf + k * 4096, 4096);
		ASSERT_EQ(0, vg_io_submit(self->q, &ios[k]));
	}
	vg_vq_kick(self->q);
	usleep(50 * 1000);
	ASSERT_EQ(0, vg_tmf(self->d, VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET, LUN(0),
			    0, &resp, VG_TIMEOUT_MS));
	EXPECT_EQ(VIRTIO_SCSI_S_FUNCTION_REJECTED, resp)
		TH_LOG("I_T NEXUS RESET: %s", vg_response_name(resp));
	for (k = 0; k < 2; k++) {
		ASSERT_EQ(0, vg_io_wait(self->q, &ios[k], VG_TIMEOUT_MS))
			TH_LOG("READ on lun %u never answered", luns[k]);
		EXPECT_TRUE(vg_io_ok(&ios[k]))
			TH_LOG("READ on lun %u: %s", luns[k], tc_str(&ios[k]));
	}
	for (k = 0; k < 2; k++) {
		vg_io_init(&tur, luns[k]);
		vg_cdb_tur(&tur);
		ASSERT_EQ(0, tc_exec(self->q, &tur));
		EXPECT_TRUE(vg_io_ok(&tur)) TH_LOG("lun %u after the reset: %s",
						   luns[k], tc_str(&tur));
	}
}

TEST_F(cmds, async_notification)
{
	uint32_t actual = 0xdead;
	uint8_t resp = 0xff;

	ASSERT_EQ(0, vg_an(self->d, VIRTIO_SCSI_T_AN_QUERY, LUN(0), 0x7e,
			   &actual, &resp, VG_TIMEOUT_MS));
	EXPECT_EQ(VIRTIO_SCSI_S_OK, resp);
	TH_LOG("AN query: %s, event_actual %#x", vg_response_name(resp), actual);
	ASSERT_EQ(0, vg_an(self->d, VIRTIO_SCSI_T_AN_SUBSCRIBE, LUN(0), 0x7e,
			   &actual, &resp, VG_TIMEOUT_MS));
	EXPECT_EQ(VIRTIO_SCSI_S_OK, resp);
	TH_LOG("AN subscribe: %s, event_actual %#x", vg_response_name(resp),
	       actual);
}

TEST_F(cmds, unknown_target_is_bad_target)
{
	uint16_t tpgt = self->d->tpgt;
	uint8_t resp = 0xff;
	struct vg_io io;

	self->d->tpgt = (tpgt + 17) % 256;
	vg_io_init(&io, LUN(0));
	vg_cdb_tur(&io);
	ASSERT_EQ(0, vg_io_exec(self->q, &io, VG_TIMEOUT_MS));
	EXPECT_EQ(VIRTIO_SCSI_S_BAD_TARGET, io.response) TH_LOG("%s", tc_str(&io));
	ASSERT_EQ(0, vg_tmf(self->d, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET,
			    LUN(0), 0, &resp, VG_TIMEOUT_MS));
	TH_LOG("TMF: %s", vg_response_name(resp));
	/*
	 * Stock vhost-scsi before the 2025 fix of send_bad_target (Fixes:
	 * 664ed90e621c, e.g. 6.1) writes a command response on the control
	 * queue: the TMF response byte reads 0.
	 */
	if (!(tc_stock(&self->env) && resp == 0))
		EXPECT_EQ(VIRTIO_SCSI_S_BAD_TARGET, resp);
	self->d->tpgt = tpgt;
	ASSERT_EQ(0, tc_exec(self->q, &io));
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
}

TEST_F(cmds, unmapped_lun)
{
	uint16_t lun = 255;
	unsigned int i;
	struct vg_io io;

	FOR_EACH_LUN(i)
		if (LUN(i) == lun)
			SKIP(return, "lun 255 is configured");
	vg_io_init(&io, lun);
	vg_cdb_rw(&io, 10, false, 0, 1);
	data_in(&io, self->buf, 512);
	ASSERT_EQ(0, tc_exec(self->q, &io));
	TH_LOG("%s", tc_str(&io));
	EXPECT_TRUE((io.response == VIRTIO_SCSI_S_OK && tc_sense_key(&io) == 0x5) ||
		    io.response == VIRTIO_SCSI_S_INCORRECT_LUN ||
		    io.response == VIRTIO_SCSI_S_BAD_TARGET);
}

TEST_HARNESS_MAIN
