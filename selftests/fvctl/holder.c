// SPDX-License-Identifier: GPL-2.0
/*
 * holder WWN [TPGT [QUEUES [vmm]]]: attach a vguest "guest" with QUEUES
 * request queues (2 by default) to a fastvhost target, send a TEST UNIT
 * READY to LUN 0 on each, print "attached", and hold it until stdin closes or
 * SIGTERM; for fvctl.sh to see an owner, busy targets, attach/detach
 * events and statistics.  A line "io N GAP_US" on stdin sends N READ(10)s
 * of one block to LUN 0 on the first request queue, one at a time, GAP_US
 * microseconds (busy-waited) after each answer, and prints "io done" (or
 * "io failed ..."); it stops early, as done, when stdin has more to read
 * or is closed.  With "vmm" it first makes a VMM worker for each request
 * queue but the first, as QEMU's worker_per_virtqueue=on does.
 */
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "vguest.h"

static void on_term(int sig)
{
	(void)sig;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* N reads at a steady pace: a request, its answer, a gap, the next. */
static void steady_io(struct vg_dev *d, void *buf, unsigned int n,
		      unsigned int gap_us)
{
	struct vg_io io;
	unsigned int i;
	uint64_t until;

	for (i = 0; i < n; i++) {
		struct pollfd in = { .fd = 0, .events = POLLIN };

		if (poll(&in, 1, 0) > 0)
			break;
		vg_io_init(&io, 0);
		vg_cdb_rw(&io, 10, false, i % 64, 1);
		io.din = buf;
		io.din_len = 512;
		if (vg_io_exec(vg_ioq(d, 0), &io, VG_TIMEOUT_MS)) {
			printf("io failed at %u: %s\n", i, vg_strerror(d));
			return;
		}
		until = now_ns() + gap_us * 1000ULL;
		while (now_ns() < until)
			;
	}
	printf("io done: %u reads\n", i);
}

/* QEMU's realize with worker_per_virtqueue=on. */
static int vmm_workers(struct vg_dev *d)
{
	struct vhost_worker_state s;
	struct vhost_vring_worker w;
	unsigned int i;

	for (i = VG_VQ_REQ0 + 1; i < d->nvqs; i++) {
		if (ioctl(d->fd, VHOST_NEW_WORKER, &s)) {
			perror("holder: VHOST_NEW_WORKER");
			return -1;
		}
		w.index = i;
		w.worker_id = s.worker_id;
		if (ioctl(d->fd, VHOST_ATTACH_VRING_WORKER, &w)) {
			perror("holder: VHOST_ATTACH_VRING_WORKER");
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_term };
	struct vg_dev *d;
	struct vg_opts o;
	unsigned int i, n, gap;
	struct vg_io res;
	char line[128];
	void *buf;

	if (argc < 2) {
		fprintf(stderr, "usage: holder WWN [TPGT [QUEUES [vmm]]]\n");
		return 2;
	}
	vg_opts_default(&o);
	o.path = "/dev/fastvhost";
	o.nr_io_queues = argc > 3 ? (unsigned int)atoi(argv[3]) : 2;
	if (o.nr_io_queues > 16)
		o.ring_size = 16;	/* the arena holds them all */
	if (vg_open(&d, &o))
		return 1;
	if (argc > 4 && !strcmp(argv[4], "vmm") && vmm_workers(d)) {
		vg_close(d);
		return 1;
	}
	if (vg_start(d, argv[1], argc > 2 ? (uint16_t)atoi(argv[2]) : 1)) {
		fprintf(stderr, "holder: %s\n", vg_strerror(d));
		vg_close(d);
		return 1;
	}
	/* A request on each queue, whatever its status: counters move. */
	for (i = 0; i < o.nr_io_queues; i++)
		if (vg_tur(vg_ioq(d, i), 0, &res) < 0) {
			fprintf(stderr, "holder: queue %u: %s\n", i, vg_strerror(d));
			vg_close(d);
			return 1;
		}
	buf = vg_alloc(d, 4096, 4096);
	printf("attached\n");
	fflush(stdout);
	sigaction(SIGTERM, &sa, NULL);
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "io %u %u", &n, &gap) == 2 && buf)
			steady_io(d, buf, n, gap);
		fflush(stdout);
	}
	vg_close(d);
	return 0;
}
