/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fvfuzz: seeded fuzzing of /dev/fastvhost as a hostile guest and VMM.
 *
 * One device ("main") stays attached to the target for the whole run.
 * Its last request queue is the oracle queue: nothing but known-good
 * READs of a known pattern go there.  Every other queue (and the control
 * and event queues) is taken fresh by one case, attacked, and left dirty;
 * when no fresh queue is left, the endpoint is cleared, the dirty rings
 * are set up again from zero, and the endpoint is set again.
 *
 * Each case draws everything from its own PRNG, seeded from (seed, index),
 * so --replay I runs case I again on a fresh device.
 */
#ifndef FVFUZZ_H
#define FVFUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vguest.h"

#define FZ_RING		64		/* ring size of the main device */
#define FZ_PAT_LUN	1		/* oracle LUN, never written by cases */
#define FZ_PAT_BLOCKS	8
#define FZ_DESC_LEN	1024

enum fz_family {
	FZ_RING_F,		/* descriptor chains */
	FZ_ADDR_F,		/* addresses at and past region edges */
	FZ_REQ_F,		/* virtio-scsi requests and CDBs */
	FZ_CTRL_F,		/* TMF and AN */
	FZ_EVENT_F,		/* event queue, EVENTS_MISSED */
	FZ_VMM_F,		/* ioctl sequences on a second device */
	FZ_KILL_F,		/* a child SIGKILLed mid-I/O */
	FZ_LUN_F,		/* LUN hotplug on the second target */
	FZ_NR_FAMILIES
};

struct fz {
	struct vg_env env;
	const char *wwn2;		/* second target for VMM cases, or NULL */
	uint64_t seed;
	uint64_t index;
	uint64_t rng;
	int bound_ms;			/* how long the device may take */
	int slow_lun;			/* FV_SLOW_LUN, or -1 */
	bool verbose;
	struct vg_dev *d;		/* main device */
	unsigned int nq;		/* its request queues */
	bool dirty[VG_MAX_VQS];
	uint16_t base[VG_MAX_VQS];	/* avail index a fresh ring starts at */
	uint8_t *junk;			/* all of region 1 */
	uint64_t junk_gpa;
	uint8_t *pat;			/* FZ_PAT_BLOCKS of the pattern, arena */
	uint8_t pat_ref[FZ_PAT_BLOCKS * 4096];	/* the same, out of reach */
	uint8_t *pat_rd;
	uint32_t bs;
	uint64_t blocks;
	uint64_t recycles, reopens;
	uint64_t n_broken, n_answered;	/* fz_settle outcomes */
	/*
	 * A queue was marked broken since the last recycle: commands it had
	 * taken may still write into their buffers, until CLEAR_ENDPOINT
	 * waits for them.
	 */
	bool stale;
	char desc[FZ_DESC_LEN];		/* what the case did */
	char why[512];			/* why it failed */
};

/* PRNG: per case, from (seed, index). */
uint64_t fz_next(struct fz *f);
uint32_t fz_below(struct fz *f, uint32_t n);	/* 0..n-1 */
bool fz_chance(struct fz *f, unsigned int pct);
uint32_t fz_len(struct fz *f);			/* lengths that matter */

/* Append to the case description. */
void fz_say(struct fz *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Record a failure; returns -1. */
int fz_fail(struct fz *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A fresh queue of the main device (recycling the pool when needed). */
struct vg_vq *fz_take_io(struct fz *f);
struct vg_vq *fz_take_fixed(struct fz *f, unsigned int idx);
/* Same, with no command of an earlier case still able to write anywhere. */
struct vg_vq *fz_take_io_quiet(struct fz *f);
/* Take the queue with its avail index starting at base. */
struct vg_vq *fz_take_at(struct fz *f, uint16_t base);

/*
 * Wait until `expect` used entries came back or the error eventfd fired.
 * Returns 1 when broken, 0 when all came back, -1 (failure) otherwise.
 * Used ids not among heads[] are failures unless any_id.
 */
int fz_settle(struct fz *f, struct vg_vq *q, unsigned int expect,
	      const uint16_t *heads, unsigned int nheads);
/* Raw used-ring access for queues the cases drive by hand. */
uint16_t fz_used_idx(struct vg_vq *q);

/* Guest addresses for hostile descriptors. */
uint64_t fz_addr(struct fz *f, uint32_t len, bool writable, const char **what);
uint64_t fz_junk(struct fz *f, uint32_t len);	/* inside region 1 */

bool fz_valid(const struct fz *f, uint64_t gpa, uint32_t len);
bool fz_read_gpa(const struct fz *f, uint64_t gpa, uint32_t len, void *out);

/* A request header in q->hdr[slot]: op 0x00 (TUR) or 0x28 (READ(10)). */
struct vg_hdr *fz_hdr(struct fz *f, struct vg_vq *q, unsigned int slot,
		      uint8_t op, uint16_t lun, uint32_t lba, uint16_t nb);

/* The families. */
int fz_case_ring(struct fz *f);
int fz_case_addr(struct fz *f);
int fz_case_req(struct fz *f);
int fz_case_ctrl(struct fz *f);
int fz_case_event(struct fz *f);
int fz_case_vmm(struct fz *f);
int fz_case_kill(struct fz *f);
int fz_case_lun(struct fz *f);
/* Unlink what the lun family linked and remove its backstore. */
void fz_lun_cleanup(struct fz *f);

#endif /* FVFUZZ_H */
