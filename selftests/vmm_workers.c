// SPDX-License-Identifier: GPL-2.0
/*
 * The VMM's worker ioctls (VHOST_NEW_WORKER, FREE_WORKER,
 * ATTACH_VRING_WORKER and GET_VRING_WORKER), issued the way QEMU 9.0's
 * worker_per_virtqueue=on does at realize: after SET_OWNER, a new worker
 * for each request queue but the first.  On fastvhost also what becomes
 * of the grouping (fvctl -j stats; make ctl).  Needs FV_DEV and FV_WWN.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "tests_common.h"
#include "fvctl_common.h"


#define VW_DEFAULTS "--workers 0 --map default"
#define VW_NQ	3	/* request queues: virtqueues 2, 3 and 4 */

FIXTURE(vw) {
	struct vg_env env;
	struct vg_dev *d;
	bool fastvhost;
};

FIXTURE_SETUP(vw)
{
	self->d = NULL;
	if (vg_env_load(&self->env))
		SKIP(return, "FV_WWN not set");
	self->fastvhost = !tc_stock(&self->env);
	if (self->fastvhost)
		ASSERT_EQ(0, nl_set(self->env.wwn, VW_DEFAULTS));
}

FIXTURE_TEARDOWN(vw)
{
	if (self->d)
		vg_close(self->d);
	if (self->fastvhost && self->env.wwn)
		nl_set(self->env.wwn, VW_DEFAULTS);
}

/* The ioctls straight, as -errno: vg_ioctl() would log expected errors. */
static int new_worker(struct vg_dev *d, unsigned int *id)
{
	struct vhost_worker_state s = { .worker_id = ~0U };

	if (ioctl(d->fd, VHOST_NEW_WORKER, &s))
		return -errno;
	*id = s.worker_id;
	return 0;
}

static int free_worker(struct vg_dev *d, unsigned int id)
{
	struct vhost_worker_state s = { .worker_id = id };

	return ioctl(d->fd, VHOST_FREE_WORKER, &s) ? -errno : 0;
}

static int attach(struct vg_dev *d, unsigned int idx, unsigned int id)
{
	struct vhost_vring_worker w = { .index = idx, .worker_id = id };

	return ioctl(d->fd, VHOST_ATTACH_VRING_WORKER, &w) ? -errno : 0;
}

/* The worker of virtqueue @idx, or -errno. */
static long get_worker(struct vg_dev *d, unsigned int idx)
{
	struct vhost_vring_worker w = { .index = idx, .worker_id = ~0U };

	return ioctl(d->fd, VHOST_GET_VRING_WORKER, &w) ? -errno : (long)w.worker_id;
}

/* Opened and owned (SET_OWNER, GET_FEATURES), the rings not set up yet. */
static int vw_open(FIXTURE_DATA(vw) *self)
{
	struct vg_opts o;

	vg_opts_default(&o);
	o.path = self->env.dev;
	o.nr_io_queues = VW_NQ;
	o.want_features = TC_FEAT_ALL;
	return vg_open(&self->d, &o);
}

/* The rest of QEMU's start, then a READ CAPACITY on every request queue. */
static int vw_start(FIXTURE_DATA(vw) *self)
{
	uint64_t blocks;
	uint32_t bs;
	int rc;

	rc = vg_setup(self->d);
	if (!rc)
		rc = vg_set_endpoint(self->d, self->env.wwn, self->env.tpgt);
	if (!rc)
		rc = vg_events_post(self->d);
	for (unsigned int q = 0; !rc && q < VW_NQ; q++)
		rc = vg_read_capacity(vg_ioq(self->d, q), self->env.luns[0], &blocks, &bs);
	return rc;
}

/* QEMU's realize with worker_per_virtqueue=on: queues 3.. get new workers. */
static int qemu_workers(struct vg_dev *d, bool share)
{
	unsigned int id = 0;
	int rc = 0;

	for (unsigned int idx = 3; !rc && idx < 2 + VW_NQ; idx++) {
		if (!share || idx == 3)
			rc = new_worker(d, &id);
		if (!rc)
			rc = attach(d, idx, id);
	}
	return rc;
}

/*
 * fastvhost has them on every kernel, the stock module from 6.5; before
 * that it takes them for ring ioctls and reads the id as a queue index.
 */
#define VW_SKIP_UNSUPPORTED(self) do { \
	unsigned int _id; \
	int _rc = new_worker((self)->d, &_id); \
	if (!(self)->fastvhost && (_rc == -ENOTTY || _rc == -ENOBUFS)) \
		SKIP(return, "no worker ioctls (vhost before Linux 6.5)"); \
	ASSERT_EQ(0, _rc); \
	ASSERT_EQ(0, free_worker((self)->d, _id)); \
} while (0)

/* The ABI: ids, errors, the owner only; then the device works. */
TEST_F(vw, abi)
{
	unsigned int a = 0, b = 0, c = 0;
	pid_t pid;
	int st;

	ASSERT_EQ(0, vw_open(self));
	VW_SKIP_UNSUPPORTED(self);
	for (unsigned int i = 0; i < 2 + VW_NQ; i++) {
		EXPECT_EQ(0, get_worker(self->d, i)) {
			TH_LOG("queue %u", i);
		}
	}

	ASSERT_EQ(0, new_worker(self->d, &a));
	ASSERT_EQ(0, new_worker(self->d, &b));
	EXPECT_NE(0, a);
	EXPECT_NE(a, b);
	ASSERT_EQ(0, attach(self->d, 3, a));
	ASSERT_EQ(0, attach(self->d, 4, b));
	EXPECT_EQ(a, get_worker(self->d, 3));
	EXPECT_EQ(b, get_worker(self->d, 4));
	EXPECT_EQ(0, get_worker(self->d, 2));

	EXPECT_EQ(-ENOBUFS, attach(self->d, 2 + VG_MAX_IO_VQS, a));
	EXPECT_EQ(-ENOBUFS, get_worker(self->d, 2 + VG_MAX_IO_VQS));
	EXPECT_EQ(-ENOBUFS, get_worker(self->d, ~0U));
	EXPECT_EQ(-ENODEV, attach(self->d, 2, 99));
	EXPECT_EQ(-ENODEV, attach(self->d, 2, ~0U));
	EXPECT_EQ(-EBUSY, free_worker(self->d, a));
	EXPECT_EQ(-ENODEV, free_worker(self->d, 99));
	ASSERT_EQ(0, new_worker(self->d, &c));
	EXPECT_EQ(0, free_worker(self->d, c));
	EXPECT_EQ(-ENODEV, free_worker(self->d, c));
	EXPECT_EQ(-ENODEV, attach(self->d, 2, c));
	/* Moved off and back: a worker with no queue may go. */
	ASSERT_EQ(0, attach(self->d, 4, a));
	EXPECT_EQ(0, free_worker(self->d, b));
	EXPECT_EQ(a, get_worker(self->d, 4));

	/* Another process, not the owner, gets nothing. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		unsigned int x;

		_exit(get_worker(self->d, 3) == -EPERM &&
		      new_worker(self->d, &x) == -EPERM &&
		      attach(self->d, 3, 0) == -EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	ASSERT_EQ(0, vw_start(self));
	EXPECT_EQ(a, get_worker(self->d, 3));
	if (self->fastvhost) {
		/* The grouping stays as the workers were started. */
		EXPECT_EQ(-EBUSY, attach(self->d, 3, 0));
		EXPECT_EQ(-EBUSY, new_worker(self->d, &c));
		EXPECT_EQ(-EBUSY, free_worker(self->d, 0));
	}
}

/* Queue @i's worker thread and VMM worker in @qs (indexed by queue). */
static const struct pl_q *q_of(const struct pl_q *qs, int n, long i)
{
	for (int k = 0; k < n; k++)
		if (qs[k].index == i)
			return &qs[k];
	return NULL;
}

#define VW_STATS(self, qs) ({ \
	int _n = nl_stats((self)->env.wwn, qs); \
	ASSERT_EQ(2 + VW_NQ, _n); \
	for (long _i = 0; _i < 2 + VW_NQ; _i++) \
		ASSERT_NE(NULL, q_of(qs, _n, _i)); \
	_n; })

#define PID(i) (q_of(qs, n, i)->pid)
#define VMMW(i) (q_of(qs, n, i)->vmm_worker)

/* worker_per_virtqueue=on: the grouping QEMU asks for, unless the target's settings say otherwise. */
TEST_F(vw, placement)
{
	struct pl_q qs[PL_MAXQ];
	int n;

	if (!self->fastvhost)
		SKIP(return, "fastvhost's placement");
	/* A VMM that makes no worker: no preference, a worker per request queue. */
	ASSERT_EQ(0, vw_open(self));
	ASSERT_EQ(0, vw_start(self));
	n = VW_STATS(self, qs);
	EXPECT_EQ(-1, VMMW(3));
	EXPECT_EQ(PID(0), PID(2));
	EXPECT_NE(PID(2), PID(3));
	EXPECT_NE(PID(3), PID(4));
	vg_close(self->d);
	self->d = NULL;

	/* QEMU's pattern: queues 3 and 4 a worker each, 2 with 0 and 1. */
	ASSERT_EQ(0, vw_open(self));
	ASSERT_EQ(0, qemu_workers(self->d, false));
	ASSERT_EQ(0, vw_start(self));
	n = VW_STATS(self, qs);
	EXPECT_EQ(0, VMMW(0));
	EXPECT_EQ(0, VMMW(2));
	EXPECT_NE(0, VMMW(3));
	EXPECT_NE(VMMW(3), VMMW(4));
	EXPECT_EQ(PID(0), PID(1));
	EXPECT_EQ(PID(0), PID(2));
	EXPECT_NE(PID(2), PID(3));
	EXPECT_NE(PID(2), PID(4));
	EXPECT_NE(PID(3), PID(4));
	vg_close(self->d);
	self->d = NULL;

	/* Queues 3 and 4 on one VMM worker: one worker of ours for both. */
	ASSERT_EQ(0, vw_open(self));
	ASSERT_EQ(0, qemu_workers(self->d, true));
	ASSERT_EQ(0, vw_start(self));
	n = VW_STATS(self, qs);
	EXPECT_EQ(VMMW(3), VMMW(4));
	EXPECT_NE(VMMW(2), VMMW(3));
	EXPECT_EQ(PID(3), PID(4));
	EXPECT_NE(PID(2), PID(3));
	EXPECT_EQ(PID(0), PID(2));

	/* The operator's worker count wins, live; the VMM's ask still shows. */
	ASSERT_EQ(0, nl_set(self->env.wwn, "--workers 1"));
	n = VW_STATS(self, qs);
	for (long i = 1; i < 2 + VW_NQ; i++) {
		EXPECT_EQ(PID(0), PID(i)) {
			TH_LOG("queue %ld", i);
		}
	}
	EXPECT_EQ(VMMW(3), VMMW(4));
	EXPECT_NE(-1, VMMW(3));
	/* And a map of the operator's too. */
	ASSERT_EQ(0, nl_set(self->env.wwn, "--workers 0 --map 3=0,4=1"));
	n = VW_STATS(self, qs);
	EXPECT_NE(PID(3), PID(4));
	/* Back to the defaults: the VMM's grouping again. */
	ASSERT_EQ(0, nl_set(self->env.wwn, VW_DEFAULTS));
	n = VW_STATS(self, qs);
	EXPECT_EQ(PID(3), PID(4));
	EXPECT_NE(PID(2), PID(3));
	for (unsigned int q = 0; q < VW_NQ; q++) {
		uint64_t blocks;
		uint32_t bs;

		EXPECT_EQ(0, vg_read_capacity(vg_ioq(self->d, q), self->env.luns[0],
					      &blocks, &bs)) TH_LOG("request queue %u", q);
	}
}

TEST_HARNESS_MAIN
