// SPDX-License-Identifier: GPL-2.0
/* Time, PRNG, data patterns, byte order, sense decoding, environment. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vguest.h"

uint64_t vg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* xorshift64*: state must not be 0 */
uint64_t vg_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Each block starts with its LBA and the seed (so a misplaced block tells
 * where it came from), then pseudo-random words keyed by (seed, lba, word).
 */
static uint64_t pattern_word(uint64_t seed, uint64_t lba, size_t w)
{
	if (w == 0)
		return lba;
	if (w == 1)
		return seed;
	return mix(seed ^ (lba * 0x100000001b3ULL) ^ ((uint64_t)w << 48));
}

void vg_pattern_fill(void *buf, size_t len, uint32_t bs, uint64_t seed,
		     uint64_t lba)
{
	uint64_t *p = buf;
	size_t i, words = len / 8, per = bs / 8;

	for (i = 0; i < words; i++)
		p[i] = pattern_word(seed, lba + i / per, i % per);
}

long vg_pattern_check(const void *buf, size_t len, uint32_t bs,
		      uint64_t seed, uint64_t lba)
{
	const uint64_t *p = buf;
	size_t i, words = len / 8, per = bs / 8;

	for (i = 0; i < words; i++)
		if (p[i] != pattern_word(seed, lba + i / per, i % per))
			return (long)(i * 8);
	return -1;
}

uint16_t vg_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t vg_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

uint64_t vg_be64(const uint8_t *p)
{
	return (uint64_t)vg_be32(p) << 32 | vg_be32(p + 4);
}

void vg_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

void vg_put_be32(uint8_t *p, uint32_t v)
{
	vg_put_be16(p, v >> 16);
	vg_put_be16(p + 2, v);
}

void vg_put_be64(uint8_t *p, uint64_t v)
{
	vg_put_be32(p, v >> 32);
	vg_put_be32(p + 4, v);
}

bool vg_sense_key(const struct vg_io *io, uint8_t *key, uint8_t *asc,
		  uint8_t *ascq)
{
	const uint8_t *s = io->sense;
	uint8_t code;

	if (io->sense_len < 4)
		return false;
	code = s[0] & 0x7f;
	if (code == 0x72 || code == 0x73) {
		*key = s[1] & 0xf;
		*asc = s[2];
		*ascq = s[3];
		return true;
	}
	if ((code == 0x70 || code == 0x71) && io->sense_len >= 14) {
		*key = s[2] & 0xf;
		*asc = s[12];
		*ascq = s[13];
		return true;
	}
	return false;
}

const char *vg_response_name(uint8_t r)
{
	static const char *const names[] = {
		"OK", "OVERRUN", "ABORTED", "BAD_TARGET", "RESET", "BUSY",
		"TRANSPORT_FAILURE", "TARGET_FAILURE", "NEXUS_FAILURE",
		"FAILURE", "FUNCTION_SUCCEEDED", "FUNCTION_REJECTED",
		"INCORRECT_LUN",
	};

	if (r < sizeof(names) / sizeof(names[0]))
		return names[r];
	return r == 0xff ? "NOT_WRITTEN" : "UNKNOWN";
}

const char *vg_io_str(const struct vg_io *io, char *buf, size_t len)
{
	uint8_t key = 0, asc = 0, ascq = 0;
	int n;

	n = snprintf(buf, len, "op 0x%02x lun %u: %s, response %s, status 0x%02x, resid %u",
		     io->cdb[0], io->lun,
		     io->state == VG_IO_DONE ? "done" :
		     io->state == VG_IO_INFLIGHT ? "in flight" : "idle",
		     vg_response_name(io->response), io->status, io->resid);
	if (n > 0 && (size_t)n < len && vg_sense_key(io, &key, &asc, &ascq))
		snprintf(buf + n, len - n, ", sense %x/%02x/%02x",
			 key, asc, ascq);
	return buf;
}

int vg_env_load(struct vg_env *e)
{
	const char *s;
	char *end;

	memset(e, 0, sizeof(*e));
	s = getenv("FV_DEV");
	e->dev = s && *s ? s : "/dev/vhost-scsi";
	s = getenv("FV_TPGT");
	e->tpgt = s && *s ? (uint16_t)strtoul(s, NULL, 0) : 1;
	s = getenv("FV_LUNS");
	if (!s || !*s)
		s = "0";
	while (*s && e->nluns < 16) {
		unsigned long v = strtoul(s, &end, 0);

		if (end == s)
			break;
		e->luns[e->nluns++] = (uint16_t)v;
		s = *end ? end + 1 : end;
	}
	s = getenv("FV_WWN");
	e->wwn = s && *s ? s : NULL;
	return e->wwn ? 0 : -ENOENT;
}
