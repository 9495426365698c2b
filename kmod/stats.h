/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-queue statistics.  Each queue's counters have a single writer, the
 * worker serving the queue; netlink reads them from any CPU without a
 * lock (u64_stats: plain loads on 64-bit, a seqcount on 32-bit).  A reset
 * only moves the baseline that readers subtract, so it never races with
 * the writer.
 */
#ifndef _FV_STATS_H
#define _FV_STATS_H

#include <linux/log2.h>
#include <linux/netlink.h>
#include <linux/u64_stats_sync.h>
#include <linux/fastvhost.h>

struct sk_buff;
struct fv_target_cfg;

enum fv_stat {
	FV_STAT_REQUESTS,
	FV_STAT_BYTES_READ,		/* data-in */
	FV_STAT_BYTES_WRITTEN,		/* data-out */
	FV_STAT_KICKS,
	FV_STAT_INTERRUPTS,
	FV_STAT_ERRORS,
	FV_STAT_POLL_HITS,
	FV_STAT_POLL_MISSES,
	FV_STAT_POLL_NS,
	FV_STAT_LAT,			/* first latency bucket */
	FV_NR_STATS = FV_STAT_LAT + FASTVHOST_LAT_BUCKETS,
};

struct fv_vq_stats {
	struct u64_stats_sync syncp;
	u64_stats_t v[FV_NR_STATS];	/* the worker's */
	u64 base[FV_NR_STATS];		/* at the last reset; fv_fabric_mutex */
};

static inline void fv_stat_add(struct fv_vq_stats *s, enum fv_stat i, u64 n)
{
	u64_stats_update_begin(&s->syncp);
	u64_stats_add(&s->v[i], n);
	u64_stats_update_end(&s->syncp);
}

/* A request answered @ns after it was taken off the ring. */
static inline void fv_stat_latency(struct fv_vq_stats *s, u64 ns)
{
	u64 us = div_u64(ns, NSEC_PER_USEC);
	unsigned int b = us ? ilog2(us) : 0;

	fv_stat_add(s, FV_STAT_LAT + min(b, FASTVHOST_LAT_BUCKETS - 1), 1);
}

/* Start from zero; only while no worker runs. */
static inline void fv_stats_init(struct fv_vq_stats *s)
{
	memset(s, 0, sizeof(*s));
	u64_stats_init(&s->syncp);
}

/*
 * The netlink side's view of an attached device (the tport's owner).  All
 * run under fv_fabric_mutex, which keeps the device attached and its
 * workers running; they read the queues without taking any data-path lock.
 */
/* Queues of the device, the last one with a size included. */
unsigned int fv_stats_nr_queues(void *owner);
/* Regions in the memory table of the device @owner. */
unsigned int fv_stats_nr_regions(void *owner);
/* Workers one per request queue gives it (at least one). */
unsigned int fv_stats_nr_io_queues(void *owner);
/* The queue nest of queue @index, with its counters when @stats. */
int fv_stats_put_queue(void *owner, struct sk_buff *skb, unsigned int index,
		       bool stats);
void fv_stats_reset(void *owner);
int fv_stats_apply_cfg(void *owner, const struct fv_target_cfg *cfg,
		       struct netlink_ext_ack *extack);

/*
 * Workers, queue map and node need the device's own lock, which ranks
 * above fv_fabric_mutex: take a reference under the mutex, drop the
 * mutex, then fv_owner_relayout() and fv_owner_put().
 */
void *fv_owner_get(void *owner);
void fv_owner_put(void *owner);
int fv_owner_relayout(void *owner);

#endif /* _FV_STATS_H */
