// SPDX-License-Identifier: GPL-2.0
/*
 * Task management against commands that are still on their way: a TMF
 * must not be answered while a command it covers may still write into
 * the guest's buffers, and one guest's flood must not hold up another
 * guest's requests and TMFs.
 *
 * FV_SLOW_FILE_LUN is a fileio LUN on a null_blk disk whose every request
 * takes 250 ms (run.sh -s makes it, fastvhost only): fileio submits from
 * a workqueue, so its commands can wait there before LIO knows them.
 * FV_WWN2 is a second target with a fast LUN 0, for a second device.
 */
#include <stdlib.h>
#include <time.h>

#include "kselftest_harness.h"
#include "tests_common.h"

#define NQ	4
#define IO_LEN	4096
#define MIB_BLKS 2048			/* 1 MiB in 512-byte blocks */

FIXTURE(tmf) {
	struct vg_env env;
	struct vg_dev *d;
	uint16_t slow;
	uint8_t *bufs;
	struct vg_io *ios;
};

FIXTURE_SETUP(tmf)
{
	struct tc_cfg cfg = { .nq = NQ, .ring = 128 };
	const char *s = getenv("FV_SLOW_FILE_LUN");
	struct vg_io tur;
	FILE *f;

	if (vg_env_load(&self->env))
		SKIP(return, "FV_WWN not set");
	if (!s)
		SKIP(return, "FV_SLOW_FILE_LUN not set (no slow fileio LUN)");
	self->slow = (uint16_t)atoi(s);
	/* Reads must reach the slow disk, not the page cache. */
	f = fopen("/proc/sys/vm/drop_caches", "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	ASSERT_EQ(0, tc_open(&self->d, &self->env, &cfg));
	self->bufs = vg_alloc(self->d, 400 * IO_LEN, 4096);
	self->ios = calloc(400, sizeof(*self->ios));
	ASSERT_NE(NULL, self->bufs);
	ASSERT_NE(NULL, self->ios);
	vg_io_init(&tur, self->slow);
	vg_cdb_tur(&tur);
	ASSERT_EQ(0, tc_exec(vg_ioq(self->d, 0), &tur));
}

FIXTURE_TEARDOWN(tmf)
{
	if (self->d)
		vg_close(self->d);
	free(self->ios);
}

/* @n READs of the slow LUN over all queues, 1 MiB apart from @base_mib. */
static int flood(struct vg_dev *d, struct vg_io *ios, uint8_t *bufs,
		 uint16_t lun, unsigned int n, unsigned int base_mib)
{
	unsigned int k, q;
	int rc;

	for (k = 0; k < n; k++) {
		struct vg_io *io = &ios[k];

		vg_io_init(io, lun);
		vg_cdb_rw(io, 10, false, (uint64_t)(base_mib + k) * MIB_BLKS,
			  IO_LEN / 512);
		io->din = bufs + (size_t)k * IO_LEN;
		io->din_len = IO_LEN;
		rc = vg_io_submit(vg_ioq(d, k % NQ), io);
		if (rc)
			return rc;
	}
	for (q = 0; q < NQ; q++)
		vg_vq_kick(vg_ioq(d, q));
	return 0;
}

/* How many of @n are answered now, without waiting. */
static unsigned int answered(struct vg_dev *d, struct vg_io *ios,
			     unsigned int n)
{
	unsigned int k, done = 0;

	for (k = 0; k < NQ; k++)
		vg_io_reap(vg_ioq(d, k));
	for (k = 0; k < n; k++)
		if (ios[k].state == VG_IO_DONE)
			done++;
	return done;
}

static int wait_all(struct vg_dev *d, struct vg_io *ios, unsigned int n)
{
	unsigned int k;

	for (k = 0; k < n; k++)
		if (vg_io_wait(vg_ioq(d, k % NQ), &ios[k], 30000))
			return -1;
	return 0;
}

static bool covered_answer(const struct vg_io *io)
{
	/* Done, aborted (ABORTED or TASK ABORTED) or reset. */
	return vg_io_ok(io) || io->response == VIRTIO_SCSI_S_ABORTED ||
	       io->response == VIRTIO_SCSI_S_RESET ||
	       (io->response == VIRTIO_SCSI_S_OK && io->status == 0x40);
}

/*
 * LUN RESET right behind 96 READs that mostly still wait to be submitted:
 * when the TMF's FUNCTION COMPLETE arrives, every one of them has been
 * answered.  A reset that does nothing fails here.
 */
TEST_F(tmf, lun_reset_covers_queued_commands)
{
	enum { N = 96 };
	unsigned int k, done, ok = 0;
	uint8_t resp = 0xff;

	ASSERT_EQ(0, flood(self->d, self->ios, self->bufs, self->slow, N, 0));
	ASSERT_EQ(0, vg_tmf(self->d, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET,
			    self->slow, 0, &resp, 30000));
	done = answered(self->d, self->ios, N);
	EXPECT_EQ(VIRTIO_SCSI_S_OK, resp)
		TH_LOG("LUN RESET: %s", vg_response_name(resp));
	EXPECT_EQ(N, done)
		TH_LOG("%u of %u READs still unanswered after the LUN RESET's response",
		       N - done, N);
	ASSERT_EQ(0, wait_all(self->d, self->ios, N));
	for (k = 0; k < N; k++) {
		EXPECT_TRUE(covered_answer(&self->ios[k]))
			TH_LOG("READ %u: %s", k, tc_str(&self->ios[k]));
		ok += vg_io_ok(&self->ios[k]);
	}
	TH_LOG("%u READs done, %u aborted or reset", ok, N - ok);
}

/*
 * ABORT TASK of the last of 64 READs, most of them still waiting to be
 * submitted: the TMF's response comes after that READ's, never before.
 */
TEST_F(tmf, abort_task_covers_queued_command)
{
	enum { N = 64 };
	struct vg_io *last = &self->ios[N - 1];
	uint8_t resp = 0xff;

	ASSERT_EQ(0, flood(self->d, self->ios, self->bufs, self->slow, N, 200));
	ASSERT_EQ(0, vg_tmf(self->d, VIRTIO_SCSI_T_TMF_ABORT_TASK, self->slow,
			    last->tag, &resp, 30000));
	answered(self->d, self->ios, N);
	EXPECT_EQ(VIRTIO_SCSI_S_OK, resp)
		TH_LOG("ABORT TASK: %s", vg_response_name(resp));
	EXPECT_EQ(VG_IO_DONE, last->state)
		TH_LOG("the READ was not answered before the ABORT TASK's response");
	ASSERT_EQ(0, wait_all(self->d, self->ios, N));
	EXPECT_TRUE(covered_answer(last)) TH_LOG("READ: %s", tc_str(last));
}

/*
 * A second device on another target: while this one keeps 400 READs of
 * the slow LUN outstanding (at most 32 of them in submission at a time,
 * 250 ms each), the other's ten QD1 READs and a LUN RESET are answered
 * before even half of the flood is.
 */
TEST_F(tmf, flood_does_not_stall_other_device)
{
	enum { N = 400, B_READS = 10 };
	struct tc_cfg cfg = { .nq = 1, .ring = 128 };
	const char *wwn2 = getenv("FV_WWN2");
	struct vg_env env2 = self->env;
	struct timespec t0, t1;
	struct vg_dev *b;
	struct vg_io io;
	uint8_t resp = 0xff;
	unsigned int k, done;
	uint8_t *buf;
	double ms;

	if (!wwn2)
		SKIP(return, "FV_WWN2 not set (no second target)");
	env2.wwn = wwn2;
	ASSERT_EQ(0, tc_open(&b, &env2, &cfg));
	buf = vg_alloc(b, IO_LEN, 4096);
	ASSERT_NE(NULL, buf);
	vg_io_init(&io, 0);
	vg_cdb_tur(&io);
	ASSERT_EQ(0, tc_exec(vg_ioq(b, 0), &io));

	ASSERT_EQ(0, flood(self->d, self->ios, self->bufs, self->slow, N, 300));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 0; k < B_READS; k++) {
		vg_io_init(&io, 0);
		vg_cdb_rw(&io, 10, false, k * 8, 8);
		io.din = buf;
		io.din_len = IO_LEN;
		ASSERT_EQ(0, tc_exec(vg_ioq(b, 0), &io));
		EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("READ %u: %s", k, tc_str(&io));
	}
	ASSERT_EQ(0, vg_tmf(b, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET, 0, 0,
			    &resp, 30000));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	done = answered(self->d, self->ios, N);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	TH_LOG("other device: %u READs and a LUN RESET in %.0f ms, while %u of %u flood READs were answered",
	       B_READS, ms, done, N);
	EXPECT_EQ(VIRTIO_SCSI_S_OK, resp)
		TH_LOG("LUN RESET: %s", vg_response_name(resp));
	EXPECT_LT(done, N / 2);
	vg_close(b);
	ASSERT_EQ(0, wait_all(self->d, self->ios, N));
}

/*
 * A guest looping ABORT TASK makes LIO log a line per TMF: past a burst
 * of 64, 16 a second get through and the rest are rejected.  The device
 * still serves afterwards.
 */
TEST_F(tmf, abort_flood_is_rate_limited)
{
	enum { N = 300, BURST = 64, RATE = 16 };
	unsigned int k, ok = 0, rejected = 0;
	struct timespec t0, t1;
	struct vg_io io;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 0; k < N; k++) {
		uint8_t resp = 0xff;

		ASSERT_EQ(0, vg_tmf(self->d, VIRTIO_SCSI_T_TMF_ABORT_TASK,
				    self->slow, 0x5eed0000 + k, &resp, 30000));
		if (resp == VIRTIO_SCSI_S_OK)
			ok++;
		else if (resp == VIRTIO_SCSI_S_FUNCTION_REJECTED)
			rejected++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	TH_LOG("%u ABORT TASKs in %.2f s: %u done, %u rejected", N, s, ok,
	       rejected);
	EXPECT_EQ(N, ok + rejected);
	EXPECT_LE(ok, BURST + RATE * (unsigned int)(s + 1));
	vg_io_init(&io, self->slow);
	vg_cdb_tur(&io);
	ASSERT_EQ(0, tc_exec(vg_ioq(self->d, 1), &io));
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("%s", tc_str(&io));
}

TEST_HARNESS_MAIN
