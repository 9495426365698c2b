// SPDX-License-Identifier: GPL-2.0
/*
 * fvreread: for the nested test guest (scripts/guest/tests/migrate.sh).
 * Reads two regions of a disk in turn, with O_DIRECT, into one buffer that
 * nothing else writes, and checks each read against that region's sum
 * taken at the start, until a stop file appears.  A page the device fills
 * during a live migration without logging it arrives at the destination
 * holding the other region's bytes (or older ones), and the next check
 * there fails.
 *
 *   fvreread DEV OFFSET_A OFFSET_B LEN STOPFILE
 *
 * Prints "reads N bad M" and exits 0 when M is 0.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static uint64_t sum(const uint64_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static int get(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + done);

		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long reads = 0, bad = 0;
	uint64_t want[2];
	off_t off[2];
	size_t len;
	void *buf;
	int fd, i;

	if (argc != 6) {
		fprintf(stderr, "usage: fvreread DEV OFFSET_A OFFSET_B LEN STOPFILE\n");
		return 2;
	}
	off[0] = strtoll(argv[2], NULL, 0);
	off[1] = strtoll(argv[3], NULL, 0);
	len = strtoull(argv[4], NULL, 0);
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0 || !len || len % 4096 || posix_memalign(&buf, 4096, len)) {
		perror("fvreread: setup");
		return 2;
	}
	for (i = 0; i < 2; i++) {
		if (get(fd, buf, len, off[i])) {
			perror("fvreread: read");
			return 2;
		}
		want[i] = sum(buf, len / 8);
	}
	if (want[0] == want[1]) {
		fprintf(stderr, "fvreread: the two regions hold the same bytes\n");
		return 2;
	}
	for (i = 0; access(argv[5], F_OK); i ^= 1) {
		if (get(fd, buf, len, off[i])) {
			perror("fvreread: read");
			return 2;
		}
		reads++;
		if (sum(buf, len / 8) != want[i]) {
			bad++;
			printf("read %llu of region %c differs\n", reads, 'A' + i);
			fflush(stdout);
		}
	}
	printf("reads %llu bad %llu\n", reads, bad);
	return bad != 0;
}
