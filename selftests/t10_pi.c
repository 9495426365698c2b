// SPDX-License-Identifier: GPL-2.0
/*
 * T10 protection information through VIRTIO_SCSI_F_T10_PI: a guest that
 * negotiated it sees the PI-formatted LUN (FV_PI_LUN, rd_mcp with
 * pi_prot_type 1) as protected, its PI travels both ways in the buffers
 * before the data, LIO checks it, and a bad tag is an error for the guest,
 * never good data.  Hostile cases: too little PI for the CDB, PI beyond
 * the buffers, PI on a LUN without protection.  Environment: see
 * tests_common.h and FV_PI_LUN.
 */
#include <stdlib.h>

#include "kselftest_harness.h"
#include "tests_common.h"

#define BS		512
#define NBLK		8
#define PI_TUPLE	8
#define RESP_LEN	sizeof(struct virtio_scsi_cmd_resp)

/* CRC16 of T10 DIF: polynomial 0x8bb7, no reflection, initial value 0. */
static uint16_t crc_t10dif(const uint8_t *p, size_t n)
{
	uint16_t crc = 0;
	int b;

	while (n--) {
		crc ^= (uint16_t)*p++ << 8;
		for (b = 0; b < 8; b++)
			crc = crc & 0x8000 ? (crc << 1) ^ 0x8bb7 : crc << 1;
	}
	return crc;
}

/* Type 1 tuples for @nblk blocks of @data from @lba: guard, app 0, ref. */
static void pi_fill(uint8_t *pi, const uint8_t *data, unsigned int nblk,
		    uint32_t lba)
{
	unsigned int i;

	for (i = 0; i < nblk; i++, pi += PI_TUPLE) {
		vg_put_be16(pi, crc_t10dif(data + i * BS, BS));
		vg_put_be16(pi + 2, 0);
		vg_put_be32(pi + 4, lba + i);
	}
}

FIXTURE(pi) {
	struct vg_env env;
	struct vg_dev *d;
	struct vg_vq *q;
	uint16_t lun;
	uint8_t *data, *data2, *pi, *pi2;
};

FIXTURE_SETUP(pi)
{
	struct tc_cfg c = {
		.features = TC_FEAT_ALL | 1ULL << VIRTIO_SCSI_F_T10_PI,
	};
	const char *env = getenv("FV_PI_LUN");
	struct vg_io io;

	if (vg_env_load(&self->env))
		SKIP(return, "FV_WWN not set");
	/* tgt_up makes the PI LUN for fastvhost: missing there, it fails */
	if (!env && tc_stock(&self->env))
		SKIP(return, "FV_PI_LUN not set (no PI-formatted LUN)");
	ASSERT_NE(NULL, env) TH_LOG("FV_PI_LUN not set");
	self->lun = (uint16_t)atoi(env);
	ASSERT_EQ(0, tc_open(&self->d, &self->env, &c));
	self->q = vg_ioq(self->d, 0);
	self->data = vg_alloc(self->d, NBLK * BS, 4096);
	self->data2 = vg_alloc(self->d, NBLK * BS, 4096);
	self->pi = vg_alloc(self->d, 4096, 4096);
	self->pi2 = vg_alloc(self->d, 4096, 4096);
	ASSERT_NE(NULL, self->pi2);
	vg_tur(self->q, self->lun, &io);		/* eat a UA */
	vg_tur(self->q, self->env.luns[0], &io);
}

FIXTURE_TEARDOWN(pi)
{
	vg_close(self->d);
}

/* READ(10)/WRITE(10) of NBLK blocks with RD/WRPROTECT and PI bytes. */
static int rw(struct vg_vq *q, struct vg_io *io, uint16_t lun, bool write,
	      uint32_t lba, uint8_t protect, void *data, void *pi,
	      uint32_t pi_len)
{
	vg_io_init(io, lun);
	vg_cdb_rw(io, 10, write, lba, NBLK);
	io->cdb[1] |= protect << 5;
	if (write) {
		io->dout = data;
		io->dout_len = NBLK * BS;
		io->pi_out_len = pi_len;
	} else {
		io->din = data;
		io->din_len = NBLK * BS;
		io->pi_in_len = pi_len;
	}
	io->pi = pi;
	return tc_exec(q, io);
}

static bool sense_is(const struct vg_io *io, uint8_t key, uint8_t asc,
		     uint8_t ascq)
{
	uint8_t k, a, aq;

	return io->response == VIRTIO_SCSI_S_OK && io->status == 0x02 &&
	       vg_sense_key(io, &k, &a, &aq) && k == key && a == asc &&
	       aq == ascq;
}

TEST_F(pi, negotiated)
{
	EXPECT_TRUE(vg_has(self->d, VIRTIO_SCSI_F_T10_PI))
		TH_LOG("device features %#llx",
		       (unsigned long long)self->d->dev_features);
}

TEST_F(pi, advertised)
{
	uint8_t *b = self->data;
	struct vg_io io;

	vg_io_init(&io, self->lun);
	vg_cdb_inquiry(&io, false, 0, 96);
	io.din = b;
	io.din_len = 96;
	ASSERT_EQ(0, tc_exec(self->q, &io));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
	EXPECT_EQ(1, b[5] & 1) TH_LOG("INQUIRY byte 5 %#x: no PROTECT", b[5]);

	vg_io_init(&io, self->lun);
	vg_cdb_read_capacity16(&io, 32);
	io.din = b;
	io.din_len = 32;
	ASSERT_EQ(0, tc_exec(self->q, &io));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
	/* PROT_EN, P_TYPE 0: type 1 */
	EXPECT_EQ(1, b[12] & 0xf) TH_LOG("READ CAPACITY(16) byte 12 %#x", b[12]);

	/* a LUN without protection stays without */
	vg_io_init(&io, self->env.luns[0]);
	vg_cdb_inquiry(&io, false, 0, 96);
	io.din = b;
	io.din_len = 96;
	ASSERT_EQ(0, tc_exec(self->q, &io));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
	EXPECT_EQ(0, b[5] & 1) TH_LOG("LUN %u: PROTECT set", self->env.luns[0]);
}

TEST_F(pi, write_read)
{
	uint32_t lba = 16, len = NBLK * PI_TUPLE;
	struct vg_io io;

	vg_pattern_fill(self->data, NBLK * BS, BS, 0x7100, lba);
	pi_fill(self->pi, self->data, NBLK, lba);
	ASSERT_EQ(0, rw(self->q, &io, self->lun, true, lba, 1, self->data,
			self->pi, len));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("WRITE: %s", tc_str(&io));

	memset(self->data2, 0xa5, NBLK * BS);
	memset(self->pi2, 0xa5, len);
	ASSERT_EQ(0, rw(self->q, &io, self->lun, false, lba, 1, self->data2,
			self->pi2, len));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("READ: %s", tc_str(&io));
	EXPECT_EQ(0, memcmp(self->data, self->data2, NBLK * BS));
	EXPECT_EQ(0, memcmp(self->pi, self->pi2, len))
		TH_LOG("PI read %02x%02x %02x%02x %02x%02x%02x%02x",
		       self->pi2[0], self->pi2[1], self->pi2[2], self->pi2[3],
		       self->pi2[4], self->pi2[5], self->pi2[6], self->pi2[7]);
	EXPECT_EQ(RESP_LEN + len + NBLK * BS, io.used_len);

	/* and read without PI: LIO checks and strips it */
	memset(self->data2, 0xa5, NBLK * BS);
	ASSERT_EQ(0, rw(self->q, &io, self->lun, false, lba, 0, self->data2,
			NULL, 0));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("READ: %s", tc_str(&io));
	EXPECT_EQ(0, memcmp(self->data, self->data2, NBLK * BS));
}

TEST_F(pi, bad_guard_refused)
{
	uint32_t lba = 24, len = NBLK * PI_TUPLE;
	struct vg_io io;

	vg_pattern_fill(self->data, NBLK * BS, BS, 0x7200, lba);
	pi_fill(self->pi, self->data, NBLK, lba);
	self->pi[3 * PI_TUPLE] ^= 0x40;
	ASSERT_EQ(0, rw(self->q, &io, self->lun, true, lba, 1, self->data,
			self->pi, len));
	/* ABORTED COMMAND, LOGICAL BLOCK GUARD CHECK FAILED */
	EXPECT_TRUE(sense_is(&io, 0x0b, 0x10, 0x01)) TH_LOG("%s", tc_str(&io));
}

TEST_F(pi, corrupt_tag_reported)
{
	uint32_t lba = 32, len = NBLK * PI_TUPLE;
	struct vg_io io;

	/* WRPROTECT 3: stored as sent, unchecked; block 2's ref tag wrong */
	vg_pattern_fill(self->data, NBLK * BS, BS, 0x7300, lba);
	pi_fill(self->pi, self->data, NBLK, lba);
	vg_put_be32(self->pi + 2 * PI_TUPLE + 4, 7);
	ASSERT_EQ(0, rw(self->q, &io, self->lun, true, lba, 3, self->data,
			self->pi, len));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("WRITE: %s", tc_str(&io));

	/* LOGICAL BLOCK REFERENCE TAG CHECK FAILED, with PI or without */
	ASSERT_EQ(0, rw(self->q, &io, self->lun, false, lba, 1, self->data2,
			self->pi2, len));
	EXPECT_TRUE(sense_is(&io, 0x0b, 0x10, 0x03)) TH_LOG("%s", tc_str(&io));
	EXPECT_EQ(RESP_LEN, io.used_len);
	ASSERT_EQ(0, rw(self->q, &io, self->lun, false, lba, 0, self->data2,
			NULL, 0));
	EXPECT_TRUE(sense_is(&io, 0x0b, 0x10, 0x03)) TH_LOG("%s", tc_str(&io));

	/* rewritten with good PI, it reads again */
	pi_fill(self->pi, self->data, NBLK, lba);
	ASSERT_EQ(0, rw(self->q, &io, self->lun, true, lba, 1, self->data,
			self->pi, len));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("WRITE: %s", tc_str(&io));
	ASSERT_EQ(0, rw(self->q, &io, self->lun, false, lba, 1, self->data2,
			self->pi2, len));
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("READ: %s", tc_str(&io));
}

/* Less PI than the CDB's blocks need: refused, not read past its end. */
TEST_F(pi, short_pi_refused)
{
	uint32_t lba = 40;
	struct vg_io io;

	vg_pattern_fill(self->data, NBLK * BS, BS, 0x7400, lba);
	pi_fill(self->pi, self->data, NBLK, lba);
	ASSERT_EQ(0, rw(self->q, &io, self->lun, true, lba, 1, self->data,
			self->pi, PI_TUPLE));
	/* ILLEGAL REQUEST, INVALID FIELD IN CDB */
	EXPECT_TRUE(sense_is(&io, 0x05, 0x24, 0)) TH_LOG("%s", tc_str(&io));
	ASSERT_EQ(0, rw(self->q, &io, self->lun, false, lba, 1, self->data2,
			self->pi2, PI_TUPLE));
	EXPECT_TRUE(sense_is(&io, 0x05, 0x24, 0)) TH_LOG("%s", tc_str(&io));
	EXPECT_EQ(RESP_LEN, io.used_len);
	vg_io_init(&io, self->lun);
	vg_cdb_tur(&io);
	ASSERT_EQ(0, tc_exec(self->q, &io));
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
}

/* pi_bytesout larger than the buffers that follow the header. */
TEST_F(pi, pi_beyond_buffers)
{
	struct vg_io io;

	ASSERT_EQ(0, rw(self->q, &io, self->lun, true, 48, 1, self->data,
			NULL, NBLK * BS + 1));
	EXPECT_EQ(VIRTIO_SCSI_S_FAILURE, io.response) TH_LOG("%s", tc_str(&io));
	ASSERT_EQ(0, rw(self->q, &io, self->lun, false, 48, 1, self->data2,
			NULL, NBLK * BS + 1));
	EXPECT_EQ(VIRTIO_SCSI_S_FAILURE, io.response) TH_LOG("%s", tc_str(&io));
	vg_io_init(&io, self->lun);
	vg_cdb_tur(&io);
	ASSERT_EQ(0, tc_exec(self->q, &io));
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
}

/* PI sent to a LUN without protection: skipped, the data lands whole. */
TEST_F(pi, ignored_without_protection)
{
	uint16_t lun = self->env.luns[0];
	uint32_t lba = 20480;
	struct vg_io io;

	vg_pattern_fill(self->data, NBLK * BS, BS, 0x7500, lba);
	memset(self->pi, 0x5a, NBLK * PI_TUPLE);
	ASSERT_EQ(0, rw(self->q, &io, lun, true, lba, 0, self->data, self->pi,
			NBLK * PI_TUPLE));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("WRITE: %s", tc_str(&io));
	memset(self->data2, 0xa5, NBLK * BS);
	memset(self->pi2, 0xa5, NBLK * PI_TUPLE);
	ASSERT_EQ(0, rw(self->q, &io, lun, false, lba, 0, self->data2,
			self->pi2, NBLK * PI_TUPLE));
	ASSERT_TRUE(vg_io_ok(&io)) TH_LOG("READ: %s", tc_str(&io));
	EXPECT_EQ(0, memcmp(self->data, self->data2, NBLK * BS));
	EXPECT_EQ(0xa5, self->pi2[0]);
	EXPECT_EQ(RESP_LEN + NBLK * BS, io.used_len);
}

/* What the LUNs were told at SET_ENDPOINT holds until CLEAR_ENDPOINT. */
TEST_F(pi, feature_fixed_while_attached)
{
	struct vg_dev *d = self->d;

	EXPECT_EQ(-EBUSY, vg_set_features(d, d->features &
					  ~(1ULL << VIRTIO_SCSI_F_T10_PI)));
	EXPECT_EQ(0, vg_set_features(d, d->features));
}

TEST_HARNESS_MAIN
