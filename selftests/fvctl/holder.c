// SPDX-License-Identifier: GPL-2.0
/*
 * holder WWN [TPGT [QUEUES]]: attach a vguest "guest" with QUEUES request
 * queues (2 by default) to a fastvhost target, send a TEST UNIT READY to
 * LUN 0 on each, print "attached", and hold it until stdin closes or
 * SIGTERM; for fvctl.sh to see an owner, busy targets, attach/detach
 * events and statistics.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "vguest.h"

static void on_term(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_term };
	struct vg_dev *d;
	struct vg_opts o;
	struct vg_io res;
	unsigned int i;
	char c;

	if (argc < 2) {
		fprintf(stderr, "usage: holder WWN [TPGT [QUEUES]]\n");
		return 2;
	}
	vg_opts_default(&o);
	o.path = "/dev/fastvhost";
	o.nr_io_queues = argc > 3 ? (unsigned int)atoi(argv[3]) : 2;
	if (o.nr_io_queues > 16)
		o.ring_size = 16;	/* the arena holds them all */
	if (vg_open(&d, &o))
		return 1;
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
	printf("attached\n");
	fflush(stdout);
	sigaction(SIGTERM, &sa, NULL);
	while (read(0, &c, 1) > 0)
		;
	vg_close(d);
	return 0;
}
