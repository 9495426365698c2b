// SPDX-License-Identifier: GPL-2.0
/*
 * holder WWN [TPGT]: attach a vguest "guest" to a fastvhost target, print
 * "attached", and hold it until stdin closes or SIGTERM; for fvctl.sh to
 * see an owner, busy targets and attach/detach events.
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
	char c;

	if (argc < 2) {
		fprintf(stderr, "usage: holder WWN [TPGT]\n");
		return 2;
	}
	vg_opts_default(&o);
	o.path = "/dev/fastvhost";
	o.nr_io_queues = 2;
	if (vg_open(&d, &o))
		return 1;
	if (vg_start(d, argv[1], argc > 2 ? (uint16_t)atoi(argv[2]) : 1)) {
		fprintf(stderr, "holder: %s\n", vg_strerror(d));
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
