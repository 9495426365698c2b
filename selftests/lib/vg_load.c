// SPDX-License-Identifier: GPL-2.0
/*
 * Multi-queue workloads: one thread per request queue, each keeping up to
 * qd commands in flight.
 *
 * VERIFY: the area is split into one region per queue and each region into
 * slots of max_blocks. Every round, each queue writes all slots of its own
 * region with a pattern keyed by (seed, round, region, slot), all threads
 * meet at a barrier, then each reads back and checks a region (its own, or
 * the next queue's with cross_queue).
 *
 * BENCH: timed random or sequential reads/writes over the queue's region.
 *
 * Everything is allocated before the clock starts; nothing per I/O.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vguest.h"

#define POISON 0xa5

struct lw;

struct lio {
	struct vg_io io;	/* first: vg_io.done gets &io */
	struct lw *w;
	unsigned int idx;
	uint64_t lba;
	uint32_t blocks;
	uint64_t seed;
	bool write;
};

struct lw {
	struct vg_dev *d;
	struct vg_vq *q;
	const struct vg_load_cfg *c;
	unsigned int qi;		/* 0..nqueues-1 */
	struct lio *ios;
	uint8_t *bufs;
	uint16_t *free;
	unsigned int nfree;
	unsigned int done;		/* completions in the current phase */
	bool failed;
	uint64_t rng;
	uint64_t next_lba;		/* sequential bench */
	struct vg_load_stats st;
	pthread_barrier_t *bar;
	pthread_t thr;
};

static uint64_t mix3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t s = a ^ (b * 0x9e3779b97f4a7c15ULL) ^ (c * 0xc2b2ae3d27d4eb4fULL);

	return vg_rand(&s);
}

static uint64_t region_blocks(const struct vg_load_cfg *c)
{
	return c->lba_count / c->nqueues;
}

static unsigned int nslots(const struct vg_load_cfg *c)
{
	return (unsigned int)(region_blocks(c) / c->max_blocks);
}

static uint32_t pick_blocks(const struct vg_load_cfg *c, uint64_t r)
{
	return c->min_blocks + (uint32_t)(r % (c->max_blocks - c->min_blocks + 1));
}

static void fail(struct lw *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(struct lw *w, const char *fmt, ...)
{
	va_list ap;

	w->st.errors++;
	if (w->failed)
		return;
	w->failed = true;
	va_start(ap, fmt);
	vsnprintf(w->st.err, sizeof(w->st.err), fmt, ap);
	va_end(ap);
}

static void check_data(struct lw *w, struct lio *x, const uint8_t *buf)
{
	const struct vg_load_cfg *c = w->c;
	size_t len = (size_t)x->blocks * c->block_size;
	long off = vg_pattern_check(buf, len, c->block_size, x->seed, x->lba);
	const uint8_t *blk;

	if (off < 0)
		return;
	blk = buf + (off / c->block_size) * c->block_size;
	fail(w, "queue %u lun %u: read lba %" PRIu64 "+%u: mismatch at byte %ld "
	     "(lba %" PRIu64 "); that block's header says lba %" PRIu64
	     " seed %#" PRIx64 ", expected seed %#" PRIx64,
	     w->q->index - VG_VQ_REQ0, c->lun, x->lba, x->blocks, off,
	     x->lba + off / c->block_size, *(const uint64_t *)blk,
	     *(const uint64_t *)(blk + 8), x->seed);
}

static void on_done(struct vg_io *io)
{
	struct lio *x = (struct lio *)io;
	struct lw *w = x->w;
	const struct vg_load_cfg *c = w->c;
	uint64_t bytes = (uint64_t)x->blocks * c->block_size;
	char s[160];

	w->done++;
	w->free[w->nfree++] = x->idx;
	if (!vg_io_ok(io) || io->resid) {
		fail(w, "queue %u lun %u %s lba %" PRIu64 "+%u: %s",
		     w->q->index - VG_VQ_REQ0, c->lun,
		     x->write ? "write" : "read", x->lba, x->blocks,
		     vg_io_str(io, s, sizeof(s)));
		return;
	}
	w->st.ios++;
	w->st.bytes += bytes;
	if (x->write)
		w->st.writes++;
	else
		w->st.reads++;
	if (w->d->timing) {
		uint64_t lat = io->t_done - io->t_submit;

		w->st.lat_sum_ns += lat;
		if (!w->st.lat_min_ns || lat < w->st.lat_min_ns)
			w->st.lat_min_ns = lat;
		if (lat > w->st.lat_max_ns)
			w->st.lat_max_ns = lat;
	}
	if (c->mode == VG_LOAD_VERIFY && !x->write)
		check_data(w, x, w->bufs + (size_t)x->idx * c->max_blocks *
			   c->block_size);
}

static int cdb_size_for(const struct vg_load_cfg *c, uint64_t n)
{
	static const int sizes[] = { 10, 16, 12 };

	if (c->cdb_size)
		return (int)c->cdb_size;
	return c->mode == VG_LOAD_VERIFY ? sizes[n % 3] : 16;
}

/* Fill x with the next request; false when the phase is over. */
typedef bool (*gen_fn)(struct lw *w, struct lio *x, void *arg);

struct verify_arg {
	unsigned int region, round, next;
	bool write;
};

static bool gen_verify(struct lw *w, struct lio *x, void *arg)
{
	struct verify_arg *a = arg;
	const struct vg_load_cfg *c = w->c;
	unsigned int slot = a->next;
	uint64_t key;

	if (slot >= nslots(c))
		return false;
	a->next++;
	key = ((uint64_t)a->round << 40) | ((uint64_t)a->region << 24) | slot;
	x->lba = c->lba_start + a->region * region_blocks(c) +
		 (uint64_t)slot * c->max_blocks;
	x->blocks = pick_blocks(c, mix3(c->seed, key, 1));
	x->seed = mix3(c->seed, key, 2);
	x->write = a->write;
	return true;
}

struct bench_arg {
	uint64_t end_ns;
	uint64_t n;
};

static bool gen_bench(struct lw *w, struct lio *x, void *arg)
{
	struct bench_arg *a = arg;
	const struct vg_load_cfg *c = w->c;
	uint64_t span = region_blocks(c), base = c->lba_start + w->qi * span;
	uint64_t r = vg_rand(&w->rng);

	if ((a->n++ & 63) == 0 && vg_now_ns() >= a->end_ns)
		return false;
	x->blocks = pick_blocks(c, r >> 8);
	if (x->blocks > span)
		x->blocks = (uint32_t)span;
	if (c->random) {
		x->lba = base + (vg_rand(&w->rng) % (span - x->blocks + 1));
	} else {
		if (w->next_lba + x->blocks > span)
			w->next_lba = 0;
		x->lba = base + w->next_lba;
		w->next_lba += x->blocks;
	}
	x->write = (r % 100) >= c->read_pct;
	x->seed = r;
	return true;
}

static int phase(struct lw *w, gen_fn gen, void *arg)
{
	const struct vg_load_cfg *c = w->c;
	int tmo = c->timeout_ms ? c->timeout_ms : VG_TIMEOUT_MS;
	unsigned int inflight = 0, started = 0;
	bool more = true;
	int rc;

	w->done = 0;
	while (more || inflight) {
		while (more && !w->failed && w->nfree) {
			unsigned int i = w->free[w->nfree - 1];
			struct lio *x = &w->ios[i];
			uint8_t *buf = w->bufs + (size_t)i * c->max_blocks *
				       c->block_size;
			uint32_t len;

			if (!gen(w, x, arg)) {
				more = false;
				break;
			}
			len = x->blocks * c->block_size;
			vg_io_init(&x->io, c->lun);
			x->io.done = on_done;
			x->io.seg_size = c->seg_size;
			x->io.direct = c->direct;
			vg_cdb_rw(&x->io, cdb_size_for(c, started), x->write,
				  x->lba, x->blocks);
			if (x->write) {
				if (c->mode == VG_LOAD_VERIFY)
					vg_pattern_fill(buf, len, c->block_size,
							x->seed, x->lba);
				x->io.dout = buf;
				x->io.dout_len = len;
			} else {
				if (c->mode == VG_LOAD_VERIFY)
					memset(buf, POISON, len);
				x->io.din = buf;
				x->io.din_len = len;
			}
			rc = vg_io_submit(w->q, &x->io);
			if (rc == -ENOSPC && inflight) {
				/* ring full (direct descriptors): retry later */
				if (c->mode == VG_LOAD_VERIFY) {
					struct verify_arg *a = arg;

					a->next--;
				}
				break;
			}
			if (rc) {
				fail(w, "queue %u: submit: %s", w->qi,
				     strerror(-rc));
				more = false;
				break;
			}
			w->nfree--;
			inflight++;
			started++;
		}
		vg_vq_kick(w->q);
		if (!inflight)
			break;
		w->done = 0;
		rc = vg_io_wait(w->q, NULL, tmo);
		if (rc) {
			fail(w, "queue %u: no completion within %d ms, %u in flight (%s)",
			     w->qi, tmo, inflight, strerror(-rc));
			return rc;
		}
		inflight -= w->done;
	}
	return w->failed ? -EIO : 0;
}

static void *worker(void *p)
{
	struct lw *w = p;
	const struct vg_load_cfg *c = w->c;
	uint64_t t0 = vg_now_ns();
	unsigned int r;

	if (c->mode == VG_LOAD_BENCH) {
		struct bench_arg a = { t0 + c->duration_ms * 1000000ULL, 0 };

		phase(w, gen_bench, &a);
	} else {
		for (r = 0; r < c->rounds; r++) {
			struct verify_arg wa = { w->qi, r, 0, true };
			struct verify_arg ra = { w->qi, r, 0, false };

			if (c->cross_queue)
				ra.region = (w->qi + 1) % c->nqueues;
			if (!w->failed)
				phase(w, gen_verify, &wa);
			pthread_barrier_wait(w->bar);
			if (!w->failed)
				phase(w, gen_verify, &ra);
			pthread_barrier_wait(w->bar);
		}
	}
	w->st.elapsed_ns = vg_now_ns() - t0;
	return NULL;
}

static int check_cfg(struct vg_dev *d, const struct vg_load_cfg *c)
{
	struct vg_vq *q = vg_ioq(d, c->first_queue + c->nqueues - 1);

	if (!c->nqueues || !q || !c->qd || c->qd > q->num || c->qd > 65535)
		return -EINVAL;
	if (!c->block_size || (c->block_size & 7) || !c->min_blocks ||
	    c->min_blocks > c->max_blocks)
		return -EINVAL;
	if (region_blocks(c) < c->max_blocks)
		return -EINVAL;
	if (c->mode == VG_LOAD_VERIFY && (!c->rounds || !nslots(c)))
		return -EINVAL;
	return 0;
}

int vg_load_run(struct vg_dev *d, const struct vg_load_cfg *c,
		struct vg_load_stats *st)
{
	struct lw *w;
	struct vg_mark mark;
	pthread_barrier_t bar;
	size_t per_q = (size_t)c->qd * c->max_blocks * c->block_size;
	unsigned int i, j;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	if (check_cfg(d, c)) {
		snprintf(st->err, sizeof(st->err), "invalid workload parameters");
		return -EINVAL;
	}
	w = calloc(c->nqueues, sizeof(*w));
	if (!w)
		return -ENOMEM;
	vg_mem_mark(d, &mark);
	pthread_barrier_init(&bar, NULL, c->nqueues);
	for (i = 0; i < c->nqueues; i++) {
		w[i].d = d;
		w[i].q = vg_ioq(d, c->first_queue + i);
		w[i].c = c;
		w[i].qi = i;
		w[i].bar = &bar;
		w[i].rng = mix3(c->seed, i, 3) | 1;
		w[i].ios = calloc(c->qd, sizeof(*w[i].ios));
		w[i].free = calloc(c->qd, sizeof(*w[i].free));
		w[i].bufs = vg_alloc(d, per_q, 4096);
		if (!w[i].ios || !w[i].free || !w[i].bufs) {
			snprintf(st->err, sizeof(st->err),
				 "out of memory for %u x %zu bytes of buffers",
				 c->nqueues, per_q);
			rc = -ENOMEM;
			goto out;
		}
		for (j = 0; j < c->qd; j++) {
			w[i].ios[j].w = &w[i];
			w[i].ios[j].idx = j;
			w[i].free[j] = (uint16_t)(c->qd - 1 - j);
		}
		w[i].nfree = c->qd;
	}
	for (i = 0; i < c->nqueues; i++)
		pthread_create(&w[i].thr, NULL, worker, &w[i]);
	for (i = 0; i < c->nqueues; i++) {
		pthread_join(w[i].thr, NULL);
		st->ios += w[i].st.ios;
		st->bytes += w[i].st.bytes;
		st->reads += w[i].st.reads;
		st->writes += w[i].st.writes;
		st->errors += w[i].st.errors;
		st->lat_sum_ns += w[i].st.lat_sum_ns;
		if (w[i].st.lat_min_ns && (!st->lat_min_ns ||
					   w[i].st.lat_min_ns < st->lat_min_ns))
			st->lat_min_ns = w[i].st.lat_min_ns;
		if (w[i].st.lat_max_ns > st->lat_max_ns)
			st->lat_max_ns = w[i].st.lat_max_ns;
		if (w[i].st.elapsed_ns > st->elapsed_ns)
			st->elapsed_ns = w[i].st.elapsed_ns;
		if (w[i].st.errors && !st->err[0])
			memcpy(st->err, w[i].st.err, sizeof(st->err));
	}
	rc = st->errors ? -EIO : 0;
out:
	pthread_barrier_destroy(&bar);
	for (i = 0; i < c->nqueues; i++) {
		free(w[i].ios);
		free(w[i].free);
	}
	free(w);
	vg_mem_release(d, &mark);
	return rc;
}
