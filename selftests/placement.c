// SPDX-License-Identifier: GPL-2.0
/*
 * fastvhost worker placement, adaptive polling and per-queue statistics,
 * driven over netlink with the control tool, ctl/fvctl (make ctl).  Needs
 * FV_DEV=/dev/fastvhost and FV_WWN; no timing is ever asserted.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "tests_common.h"
#include "fvctl_common.h"

/* "Cpus_allowed_list" of a task, as in /proc/PID/status. */
static int allowed_list(long pid, char *buf, size_t len)
{
	char path[64], line[256];
	int rc = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Cpus_allowed_list: %255s", buf) == 1 && strlen(buf) < len) {
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

static int node_cpulist(int node, char *buf, size_t len)
{
	char path[96];
	FILE *f;
	int rc;

	if (node < 0)
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/possible");
	else
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", node);
	f = fopen(path, "r");
	if (!f)
		return -1;
	rc = fgets(buf, (int)len, f) ? 0 : -1;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return rc;
}

static void cpulist_set(const char *list, cpu_set_t *set)
{
	const char *p = list;

	CPU_ZERO(set);
	while (*p) {
		char *e;
		long a = strtol(p, &e, 10), b = a;

		if (*e == '-')
			b = strtol(e + 1, &e, 10);
		for (; a <= b; a++)
			CPU_SET(a, set);
		p = *e == ',' ? e + 1 : e;
		if (e == p && *p)
			break;
	}
}

/* utime + stime of a task, in clock ticks. */
static unsigned long long cpu_ticks(long pid)
{
	unsigned long long ut = 0, st = 0;
	char path[64], buf[1024], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return ~0ULL;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	p = strrchr(buf, ')');
	/* after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return ~0ULL;
	return ut + st;
}

static bool have_node(int node)
{
	char path[64];
	struct stat s;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", node);
	return !stat(path, &s);
}

/* The map is cleared too: a worker count must fit the map it finds. */
#define PL_DEFAULTS "--node auto --cpus all --workers 0 --map default " \
		    "--poll-ns 32000 --poll-grow 0 --poll-shrink 0"

FIXTURE(pl) {
	struct vg_env env;
	struct vg_dev *d;
	uint32_t bs;
	void *buf;
};

FIXTURE_SETUP(pl)
{
	uint64_t blocks;

	self->d = NULL;
	if (vg_env_load(&self->env))
		SKIP(return, "FV_WWN not set");
	if (!strstr(self->env.dev, "fastvhost"))
		SKIP(return, "netlink settings are fastvhost's");
	ASSERT_EQ(0, nl_set(self->env.wwn, PL_DEFAULTS));
	(void)blocks;
}

FIXTURE_TEARDOWN(pl)
{
	if (self->d)
		vg_close(self->d);
	if (self->env.wwn)
		nl_set(self->env.wwn, PL_DEFAULTS);
}

static int pl_open(struct __test_metadata *_metadata, FIXTURE_DATA(pl) *self,
		   unsigned int nq)
{
	struct tc_cfg c = { .nq = nq };
	uint64_t blocks;
	struct vg_io io;

	if (tc_open(&self->d, &self->env, &c))
		return -1;
	/* A unit attention earlier programs left (hotplug's) is taken here. */
	vg_io_init(&io, self->env.luns[0]);
	vg_cdb_tur(&io);
	if (tc_exec(vg_ioq(self->d, 0), &io))
		return -1;
	if (vg_read_capacity(vg_ioq(self->d, 0), self->env.luns[0], &blocks, &self->bs))
		return -1;
	self->buf = vg_alloc(self->d, 64 * 1024, 4096);
	return self->buf ? 0 : -1;
}

/* @n synchronous I/Os of @blocks on request queue @q, write or read. */
static int pl_io(FIXTURE_DATA(pl) *self, unsigned int q, bool write,
		 unsigned int n, uint32_t blocks)
{
	for (unsigned int i = 0; i < n; i++) {
		struct vg_io io;

		vg_io_init(&io, self->env.luns[0]);
		if (vg_cdb_rw(&io, 10, write, i * blocks, blocks))
			return -1;
		if (write) {
			io.dout = self->buf;
			io.dout_len = blocks * self->bs;
		} else {
			io.din = self->buf;
			io.din_len = blocks * self->bs;
		}
		if (vg_io_exec(vg_ioq(self->d, q), &io, VG_TIMEOUT_MS) || !vg_io_ok(&io))
			return -1;
	}
	return 0;
}

/* Every worker's affinity is @node's CPUs (all when -1), and its node. */
/* Is task @pid in the same cgroups as this process? */
static bool same_cgroups(long pid)
{
	char path[64], a[4096] = "", b[4096] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/cgroup", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fread(a, 1, sizeof(a) - 1, f))
		a[0] = '\0';
	fclose(f);
	f = fopen("/proc/self/cgroup", "r");
	if (!f)
		return false;
	if (!fread(b, 1, sizeof(b) - 1, f))
		b[0] = '\0';
	fclose(f);
	if (a[0] && !strcmp(a, b))
		return true;
	fprintf(stderr, "# task %ld cgroups: %s# ours: %s", pid, a, b);
	return false;
}

/* Move this process into a cgroup of its own (cgroup2, mounted if need be). */
static int join_test_cgroup(void)
{
	char line[512], mnt[256] = "", dir[300];
	FILE *f = fopen("/proc/mounts", "r");
	int fd, ok;

	while (f && fgets(line, sizeof(line), f)) {
		char dev[64], path[256], type[64];

		if (sscanf(line, "%63s %255s %63s", dev, path, type) == 3 &&
		    !strcmp(type, "cgroup2")) {
			snprintf(mnt, sizeof(mnt), "%s", path);
			break;
		}
	}
	if (f)
		fclose(f);
	if (!mnt[0]) {
		snprintf(mnt, sizeof(mnt), "/tmp/fv-cgroup2");
		mkdir(mnt, 0755);
		if (mount("none", mnt, "cgroup2", 0, NULL))
			return -1;
	}
	snprintf(dir, sizeof(dir), "%s/fastvhost-placement", mnt);
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -1;
	snprintf(dir, sizeof(dir), "%s/fastvhost-placement/cgroup.procs", mnt);
	fd = open(dir, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, "0\n", 2) == 2;
	close(fd);
	return ok ? 0 : -1;
}

static void check_placement(struct __test_metadata *_metadata,
			    FIXTURE_DATA(pl) *self, int node)
{
	char want[256], got[256];
	struct pl_q qs[PL_MAXQ];
	cpu_set_t ws, gs;
	int n, seen = 0;

	ASSERT_EQ(0, node_cpulist(node, want, sizeof(want)));
	cpulist_set(want, &ws);
	n = nl_stats(self->env.wwn, qs);
	ASSERT_GT(n, 2);
	for (int i = 0; i < n; i++) {
		if (qs[i].pid <= 0)
			continue;
		seen++;
		EXPECT_EQ(node, qs[i].node) TH_LOG("queue %ld", qs[i].index);
		ASSERT_EQ(0, sched_getaffinity((pid_t)qs[i].pid, sizeof(gs), &gs));
		EXPECT_TRUE(CPU_EQUAL(&ws, &gs)) TH_LOG("queue %ld: affinity differs from %s",
							qs[i].index, want);
		ASSERT_EQ(0, allowed_list(qs[i].pid, got, sizeof(got)));
		EXPECT_STREQ(want, got);
	}
	EXPECT_GT(seen, 0);
}

/* Node and CPUs at attach, then each setting changed live. */
TEST_F(pl, affinity)
{
	struct pl_q qs[PL_MAXQ];
	int n;

	if (!have_node(1))
		SKIP(return, "needs NUMA node 1");
	/* The workers join the owner's cgroups: give it some of its own. */
	ASSERT_EQ(0, join_test_cgroup());
	ASSERT_EQ(0, nl_set(self->env.wwn, "--node 1 --workers 1"));
	ASSERT_EQ(0, pl_open(_metadata, self, 2));
	check_placement(_metadata, self, 1);

	n = nl_stats(self->env.wwn, qs);
	ASSERT_EQ(4, n);
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(0, qs[i].worker);
		EXPECT_EQ(qs[0].pid, qs[i].pid);
	}
	EXPECT_TRUE(same_cgroups(qs[2].pid));

	ASSERT_EQ(0, nl_set(self->env.wwn, "--node 0"));
	check_placement(_metadata, self, 0);
	ASSERT_EQ(0, nl_set(self->env.wwn, "--node -1 --cpus all"));
	check_placement(_metadata, self, -1);

	/* Applied live: a worker per request queue, in our cgroups. */
	ASSERT_EQ(0, nl_set(self->env.wwn, "--workers 0"));
	n = nl_stats(self->env.wwn, qs);
	ASSERT_EQ(4, n);
	EXPECT_NE(qs[2].pid, qs[3].pid);
	EXPECT_NE(qs[2].worker, qs[3].worker);
	for (int i = 2; i < 4; i++) {
		long pid = qs[i].pid;

		EXPECT_TRUE(same_cgroups(pid))
			TH_LOG("worker %ld is not in the owner's cgroups", pid);
		/* Woken, it waits for its CPU's task (kmod/worker.c). */
		EXPECT_EQ(SCHED_BATCH, sched_getscheduler(pid));
	}
	check_placement(_metadata, self, -1);
	EXPECT_EQ(0, pl_io(self, 1, true, 4, 8));

	/* The map, live: both request queues on worker 1. */
	ASSERT_EQ(0, nl_set(self->env.wwn, "--map 2=1,3=1"));
	n = nl_stats(self->env.wwn, qs);
	ASSERT_EQ(4, n);
	EXPECT_EQ(1, qs[2].worker);
	EXPECT_EQ(1, qs[3].worker);
	EXPECT_EQ(qs[2].pid, qs[3].pid);
	EXPECT_EQ(0, pl_io(self, 0, true, 4, 8));
	EXPECT_EQ(0, pl_io(self, 1, false, 4, 8));

	/* And kept for the next attach. */
	vg_close(self->d);
	self->d = NULL;
	ASSERT_EQ(0, pl_open(_metadata, self, 2));
	n = nl_stats(self->env.wwn, qs);
	ASSERT_EQ(4, n);
	EXPECT_EQ(1, qs[2].worker);
	EXPECT_EQ(qs[2].pid, qs[3].pid);
	/* fvctl cannot clear a map: set what the default would do. */
	ASSERT_EQ(0, nl_set(self->env.wwn, "--map 2=0,3=1"));
}

struct pl_load {
	struct vg_dev *d;
	uint16_t lun;
	uint32_t bs;
	volatile bool stop;
	int rc, runs;
	char err[320];
};

static void *load_fn(void *arg)
{
	struct pl_load *l = arg;

	while (!l->stop && !l->rc) {
		struct vg_load_stats st;
		struct vg_load_cfg c = {
			.mode = VG_LOAD_VERIFY,
			.lun = l->lun,
			.block_size = l->bs,
			.lba_count = 2 * 8 * 2 * 16,
			.nqueues = 2,
			.qd = 8,
			.min_blocks = 1,
			.max_blocks = 16,
			.seed = 0x5eed0000 + l->runs,
			.rounds = 1,
			.cross_queue = true,
		};

		l->rc = vg_load_run(l->d, &c, &st);
		if (l->rc)
			memcpy(l->err, st.err, sizeof(l->err));
		l->runs++;
	}
	return NULL;
}

/*
 * Moving the workers between nodes, and changing their number and the
 * queue map, under I/O loses and corrupts nothing.
 */
TEST_F(pl, repin_under_io)
{
	struct pl_q qs[PL_MAXQ];
	struct pl_load l = { 0 };
	pthread_t t;
	int n;

	if (!have_node(1))
		SKIP(return, "needs NUMA node 1");
	ASSERT_EQ(0, pl_open(_metadata, self, 2));
	l.d = self->d;
	l.lun = self->env.luns[0];
	l.bs = self->bs;
	ASSERT_EQ(0, pthread_create(&t, NULL, load_fn, &l));
	static const char * const steps[] = {
		"--node 1", "--node 0", "--workers 1", "--node 1",
		"--workers 0", "--map 2=1,3=0", "--map default", "--node 0",
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(steps); i++) {
		EXPECT_EQ(0, nl_set(self->env.wwn, steps[i])) TH_LOG("%s", steps[i]);
		usleep(100 * 1000);
	}
	l.stop = true;
	pthread_join(t, NULL);
	EXPECT_EQ(0, l.rc) TH_LOG("%s", l.err);
	EXPECT_GT(l.runs, 0);
	check_placement(_metadata, self, 0);	/* the last set */
	/* "--map default": each request queue back on its own worker */
	n = nl_stats(self->env.wwn, qs);
	for (int i = 0; i < n; i++) {
		long q = qs[i].index, w = qs[i].worker;

		if (q >= 2)
			EXPECT_EQ(q - 2, w) TH_LOG("queue %ld on worker %ld", q, w);
	}
}

/* Counters match what was issued; a reset zeroes them. */
TEST_F(pl, counters)
{
	unsigned long long sum;
	struct pl_q qs[PL_MAXQ];
	struct vg_io io;
	void *big;

	ASSERT_EQ(0, pl_open(_metadata, self, 1));
	ASSERT_EQ(0, pl_io(self, 0, true, 3, 1));	/* something to reset */
	ASSERT_EQ(0, nl_reset(self->env.wwn));

	ASSERT_EQ(3, nl_stats(self->env.wwn, qs));
	for (int i = 0; i < 3; i++) {
		sum = qs[i].requests + qs[i].bytes_read + qs[i].bytes_written +
		      qs[i].kicks + qs[i].interrupts + qs[i].errors +
		      qs[i].poll_hits + qs[i].poll_misses + qs[i].poll_ns +
		      qs[i].latency;
		EXPECT_EQ(0, sum) TH_LOG("queue %d not zeroed", i);
	}

	/*
	 * A driver that finds each answer already there never asks for a
	 * call again (EVENT_IDX): ask now, so that one is owed.
	 */
	vg_vq_enable_cb(vg_ioq(self->d, 0), true);
	ASSERT_EQ(0, pl_io(self, 0, true, 20, 8));
	ASSERT_EQ(0, pl_io(self, 0, false, 30, 4));
	/* A portal group that is not there: a guest's bus scan, no error. */
	vg_io_init(&io, self->env.luns[0]);
	vg_cdb_tur(&io);
	self->d->tpgt = 200;
	ASSERT_EQ(0, vg_io_exec(vg_ioq(self->d, 0), &io, VG_TIMEOUT_MS));
	self->d->tpgt = self->env.tpgt;
	EXPECT_EQ(VIRTIO_SCSI_S_BAD_TARGET, io.response);
	/* A data buffer over the 8 MiB limit: a FAILURE response, an error. */
	big = vg_alloc(self->d, 9 << 20, 4096);
	ASSERT_NE(NULL, big);
	vg_io_init(&io, self->env.luns[0]);
	vg_cdb_rw(&io, 10, false, 0, 1);
	io.din = big;
	io.din_len = 9 << 20;
	ASSERT_EQ(0, vg_io_exec(vg_ioq(self->d, 0), &io, VG_TIMEOUT_MS));
	EXPECT_EQ(VIRTIO_SCSI_S_FAILURE, io.response);

	ASSERT_EQ(3, nl_stats(self->env.wwn, qs));
	EXPECT_EQ(2, qs[2].index);
	EXPECT_EQ(52, qs[2].requests);
	EXPECT_EQ(20ULL * 8 * self->bs, qs[2].bytes_written);
	EXPECT_EQ(30ULL * 4 * self->bs, qs[2].bytes_read);
	EXPECT_EQ(1, qs[2].errors);
	EXPECT_EQ(52, qs[2].latency);
	EXPECT_EQ(0, qs[2].inflight);
	EXPECT_GE(qs[2].kicks, 1);
	EXPECT_LE(qs[2].kicks, 52);
	EXPECT_GE(qs[2].interrupts, 1);
	EXPECT_EQ(0, qs[0].requests + qs[1].requests);
	EXPECT_EQ(0, qs[2].broken);
}

/* Polling counters move under load, stand still when idle; idle is free. */
TEST_F(pl, polling)
{
	struct pl_q a[PL_MAXQ], b[PL_MAXQ];
	unsigned long long t0, t1;

	ASSERT_EQ(0, nl_set(self->env.wwn, "--poll-ns 10000000"));
	ASSERT_EQ(0, pl_open(_metadata, self, 1));
	t0 = vg_now_ns();
	ASSERT_EQ(0, pl_io(self, 0, false, 200, 1));
	t1 = vg_now_ns();
	ASSERT_EQ(3, nl_stats(self->env.wwn, a));
	TH_LOG("200 I/Os in %llu us; kicks %llu interrupts %llu window %llu ns hits %llu misses %llu",
	       (t1 - t0) / 1000, a[2].kicks, a[2].interrupts, a[2].window,
	       a[2].poll_hits, a[2].poll_misses);
	EXPECT_GT(a[2].poll_hits + a[2].poll_misses, 0);
	EXPECT_GT(a[2].poll_ns, 0);
	EXPECT_GT(a[2].poll_hits, 0);

	sleep(1);
	ASSERT_EQ(3, nl_stats(self->env.wwn, a));
	t0 = cpu_ticks(a[2].pid);
	sleep(3);
	ASSERT_EQ(3, nl_stats(self->env.wwn, b));
	t1 = cpu_ticks(b[2].pid);
	EXPECT_EQ(a[2].poll_hits, b[2].poll_hits);
	EXPECT_EQ(a[2].poll_misses, b[2].poll_misses);
	EXPECT_EQ(a[2].poll_ns, b[2].poll_ns);
	EXPECT_NE(~0ULL, t0);
	EXPECT_EQ(t0, t1) TH_LOG("idle worker used %llu ticks", t1 - t0);
}

/* poll-max-ns 0: notifications only, never a poll. */
TEST_F(pl, notify_only)
{
	struct pl_q qs[PL_MAXQ];
	unsigned long long before;

	ASSERT_EQ(0, nl_set(self->env.wwn, "--poll-ns 0"));
	ASSERT_EQ(0, pl_open(_metadata, self, 1));
	ASSERT_EQ(3, nl_stats(self->env.wwn, qs));
	before = qs[2].requests;	/* pl_open's */
	ASSERT_EQ(0, pl_io(self, 0, true, 50, 2));
	ASSERT_EQ(3, nl_stats(self->env.wwn, qs));
	EXPECT_EQ(50ULL, qs[2].requests - before);
	EXPECT_EQ(0, qs[2].poll_hits + qs[2].poll_misses + qs[2].poll_ns);
	EXPECT_EQ(0, qs[2].window);
	EXPECT_GE(qs[2].kicks, 1);
}

/* Set the module parameter @name of fastvhost; -1 when it is not there. */
/* A TMF on the control queue; its response, or -1 when none came. */
static int pl_tmf(struct vg_dev *d, uint16_t lun, int timeout_ms)
{
	uint8_t resp = 0xff;

	if (vg_tmf(d, VIRTIO_SCSI_T_TMF_ABORT_TASK, lun, 0x7e1a7000ULL, &resp,
		   timeout_ms))
		return -1;
	return resp;
}

/*
 * The control queue set up only after SET_ENDPOINT, then a relayout and a
 * TMF: the late setup is refused, or the queue is served from then on.
 * Never a request popped into a queue the workers have no buffers for.
 */
TEST_F_TIMEOUT(pl, late_queue_setup, 120)
{
	struct vg_vq *ctl;
	struct vg_opts o;
	struct vg_dev *d;
	unsigned int i;
	int rc, resp;

	vg_opts_default(&o);
	o.path = self->env.dev;
	o.nr_io_queues = 2;
	o.arena_size = 16 << 20;
	ASSERT_EQ(0, vg_open(&d, &o));
	self->d = d;
	for (i = 0; i < d->nvqs; i++) {
		ASSERT_EQ(0, vg_vring_kick(d, i, d->vq[i].kick_fd));
		ASSERT_EQ(0, vg_vring_call(d, i, d->vq[i].call_fd));
	}
	ASSERT_EQ(0, vg_set_features(d, d->features));
	ASSERT_EQ(0, vg_set_mem_table(d));
	/* The request queues only. */
	for (i = VG_VQ_REQ0; i < d->nvqs; i++) {
		struct vg_vq *q = &d->vq[i];

		ASSERT_EQ(0, vg_vring_num(d, i, q->num));
		ASSERT_EQ(0, vg_vring_base(d, i, 0));
		ASSERT_EQ(0, vg_vring_addr(d, i, q->desc, q->avail, q->used));
		q->event_idx = vg_has(d, VIRTIO_RING_F_EVENT_IDX);
		q->configured = true;
	}
	ASSERT_EQ(0, vg_set_endpoint(d, self->env.wwn, self->env.tpgt));

	ctl = &d->vq[VG_VQ_CTRL];
	d->quiet = true;
	rc = vg_vring_num(d, VG_VQ_CTRL, ctl->num);
	if (!rc)
		rc = vg_vring_base(d, VG_VQ_CTRL, 0);
	if (!rc)
		rc = vg_vring_addr(d, VG_VQ_CTRL, ctl->desc, ctl->avail, ctl->used);
	d->quiet = false;
	TH_LOG("control queue set up after SET_ENDPOINT: %s",
	       rc ? strerror(-rc) : "accepted");
	ctl->event_idx = vg_has(d, VIRTIO_RING_F_EVENT_IDX);
	ctl->configured = !rc;

	/* One worker instead of one per request queue: a relayout. */
	ASSERT_EQ(0, nl_set(self->env.wwn, "--workers 1"));
	if (rc) {
		/* Refused: the queue stays unserved; a TMF gets no answer. */
		EXPECT_EQ(-EBUSY, rc);
		EXPECT_EQ(-1, pl_tmf(d, self->env.luns[0], 500));
	} else {
		resp = pl_tmf(d, self->env.luns[0], VG_TIMEOUT_MS);
		EXPECT_NE(-1, resp) TH_LOG("the TMF got no response");
	}
	ASSERT_EQ(0, vg_read_capacity(vg_ioq(d, 0), self->env.luns[0], &(uint64_t){ 0 },
				      &self->bs));
	self->buf = vg_alloc(d, 64 * 1024, 4096);
	ASSERT_NE(NULL, self->buf);
	EXPECT_EQ(0, pl_io(self, 0, true, 2, 8));
	EXPECT_EQ(0, pl_io(self, 1, false, 2, 8));
}

/* Which worker serves each queue, by queue index (-1: none); how many. */
static int worker_map(const char *wwn, long *w)
{
	struct pl_q qs[PL_MAXQ];
	int n = nl_stats(wwn, qs);

	for (int i = 0; i < PL_MAXQ; i++)
		w[i] = -1;
	for (int i = 0; i < n; i++)
		if (qs[i].index >= 0 && qs[i].index < PL_MAXQ)
			w[qs[i].index] = qs[i].worker;
	return n;
}

/*
 * A relayout that fails at each of its steps in turn (an injected
 * allocation failure) leaves the old workers serving the queues as before:
 * every queue answers, the statistics show the old map, close does not
 * hang.  Then the same relayout succeeds.
 */
TEST_F_TIMEOUT(pl, failed_relayout, 300)
{
	long before[PL_MAXQ], after[PL_MAXQ];
	unsigned int step;
	int n;

	if (tc_set_param("fail_relayout", 0))
		SKIP(return, "no fail_relayout parameter");
	ASSERT_EQ(0, nl_set(self->env.wwn, "--poll-ns 0 --map default"));
	ASSERT_EQ(0, pl_open(_metadata, self, 2));
	n = worker_map(self->env.wwn, before);
	ASSERT_EQ(4, n);
	ASSERT_NE(before[2], before[3]);

	for (step = 1; step < 32; step++) {
		ASSERT_EQ(0, tc_set_param("fail_relayout", step));
		/* Swap the request queues' workers. */
		if (!fvctl("set --wwn %s --map 2=%ld,3=%ld 2>/dev/null",
			   self->env.wwn, before[3], before[2]))
			break;
		TH_LOG("relayout failing at step %u", step);
		ASSERT_EQ(4, worker_map(self->env.wwn, after));
		for (int i = 0; i < 4; i++) {
			EXPECT_EQ(before[i], after[i])
				TH_LOG("step %u: queue %d on worker %ld, was %ld",
				       step, i, after[i], before[i]);
		}
		EXPECT_EQ(0, pl_io(self, 0, true, 2, 8)) TH_LOG("step %u: queue 2", step);
		EXPECT_EQ(0, pl_io(self, 1, false, 2, 8)) TH_LOG("step %u: queue 3", step);
		EXPECT_NE(-1, pl_tmf(self->d, self->env.luns[0], VG_TIMEOUT_MS))
			TH_LOG("step %u: control queue", step);
		if (_metadata->exit_code)
			break;
	}
	ASSERT_EQ(0, tc_set_param("fail_relayout", 0));
	EXPECT_GT(step, 1);
	EXPECT_LT(step, 32);
	ASSERT_EQ(4, worker_map(self->env.wwn, after));
	EXPECT_EQ(before[3], after[2]);
	EXPECT_EQ(before[2], after[3]);
	EXPECT_EQ(0, pl_io(self, 0, false, 2, 8));
	EXPECT_EQ(0, pl_io(self, 1, true, 2, 8));
	/* Closed with commands completed through the workers: no hang. */
	vg_close(self->d);
	self->d = NULL;
	ASSERT_EQ(0, nl_set(self->env.wwn, "--map default"));
	ASSERT_EQ(0, pl_open(_metadata, self, 2));
	EXPECT_EQ(0, pl_io(self, 1, false, 2, 8));
}

TEST_HARNESS_MAIN
