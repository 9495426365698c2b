// SPDX-License-Identifier: GPL-2.0
/*
 * Per-queue state and statistics of an attached device, for netlink, and
 * live changes of its placement.  Everything here runs under
 * fv_fabric_mutex with the device attached, which keeps its workers
 * running (worker.c); no data-path lock is taken.
 */
#include <net/netlink.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/fastvhost.h>

#include "fastvhost.h"
#include "numa.h"
#include "stats.h"

/* Attribute of each counter but the latency buckets. */
static const u16 fv_stat_attr[FV_STAT_LAT] = {
	[FV_STAT_REQUESTS]	= FASTVHOST_A_QUEUE_REQUESTS,
	[FV_STAT_BYTES_READ]	= FASTVHOST_A_QUEUE_BYTES_READ,
	[FV_STAT_BYTES_WRITTEN]	= FASTVHOST_A_QUEUE_BYTES_WRITTEN,
	[FV_STAT_KICKS]		= FASTVHOST_A_QUEUE_KICKS,
	[FV_STAT_INTERRUPTS]	= FASTVHOST_A_QUEUE_INTERRUPTS,
	[FV_STAT_ERRORS]	= FASTVHOST_A_QUEUE_ERRORS,
	[FV_STAT_POLL_HITS]	= FASTVHOST_A_QUEUE_POLL_HITS,
	[FV_STAT_POLL_MISSES]	= FASTVHOST_A_QUEUE_POLL_MISSES,
	[FV_STAT_POLL_NS]	= FASTVHOST_A_QUEUE_POLL_NS,
};

/* A consistent copy of the worker's counters. */
static void read_stats(struct fv_vq_stats *s, u64 *v)
{
	unsigned int start, i;

	do {
		start = u64_stats_fetch_begin(&s->syncp);
		for (i = 0; i < FV_NR_STATS; i++)
			v[i] = u64_stats_read(&s->v[i]);
	} while (u64_stats_fetch_retry(&s->syncp, start));
}

/* No pad attribute in the family: 64-bit values go 4-byte aligned. */
static int put_u64(struct sk_buff *skb, int type, u64 v)
{
	return nla_put(skb, type, sizeof(v), &v);
}

static int put_counters(struct sk_buff *skb, struct fv_vq *vq,
			struct fv_worker *w)
{
	u64 v[FV_NR_STATS];
	unsigned int i;

	read_stats(&vq->stats, v);
	for (i = 0; i < FV_NR_STATS; i++)
		v[i] -= vq->stats.base[i];
	for (i = 0; i < FV_STAT_LAT; i++)
		if (put_u64(skb, fv_stat_attr[i], v[i]))
			return -EMSGSIZE;
	if (nla_put_u32(skb, FASTVHOST_A_QUEUE_POLL_WINDOW_NS,
			w ? READ_ONCE(w->poll_window) : 0))
		return -EMSGSIZE;
	for (i = FV_STAT_LAT; i < FV_NR_STATS; i++)
		if (put_u64(skb, FASTVHOST_A_QUEUE_LATENCY, v[i]))
			return -EMSGSIZE;
	return 0;
}

static int put_worker(struct sk_buff *skb, struct fv_worker *w)
{
	struct task_struct *t = w->task;

	if (nla_put_u32(skb, FASTVHOST_A_QUEUE_WORKER, w->id) ||
	    nla_put_s32(skb, FASTVHOST_A_QUEUE_CPU, task_cpu(t)) ||
	    nla_put_s32(skb, FASTVHOST_A_QUEUE_NODE, READ_ONCE(w->node)) ||
	    nla_put_u32(skb, FASTVHOST_A_QUEUE_PID, task_pid_nr(t)))
		return -EMSGSIZE;
	return 0;
}

/*
 * The VMM's worker for the queue, when it made any: changed only while
 * the device is not attached (vmmworker.c).
 */
static int put_vmm_worker(struct sk_buff *skb, struct fv_vq *vq)
{
	struct fv_dev *dev = vq->dev;

	if (!dev->vmm_asked)
		return 0;
	return nla_put_u32(skb, FASTVHOST_A_QUEUE_VMM_WORKER,
			   dev->vmm_worker[vq->index]);
}

static int put_queue(struct sk_buff *skb, struct fv_vq *vq, bool stats)
{
	struct nlattr *nest;
	struct fv_worker *w;
	int ret = -EMSGSIZE;

	nest = nla_nest_start(skb, FASTVHOST_A_TARGET_QUEUE);
	if (!nest)
		return -EMSGSIZE;
	/* The workers outlive the attachment we are called under. */
	w = rcu_dereference_protected(vq->worker,
				      lockdep_is_held(&fv_fabric_mutex));
	if (nla_put_u32(skb, FASTVHOST_A_QUEUE_INDEX, vq->index) ||
	    (w && put_worker(skb, w)) ||
	    (READ_ONCE(vq->broken) && nla_put_flag(skb, FASTVHOST_A_QUEUE_BROKEN)) ||
	    nla_put_u32(skb, FASTVHOST_A_QUEUE_INFLIGHT, atomic_read(&vq->inflight)) ||
	    put_vmm_worker(skb, vq))
		goto err;
	if (stats && put_counters(skb, vq, w))
		goto err;
	nla_nest_end(skb, nest);
	return 0;
err:
	nla_nest_cancel(skb, nest);
	return ret;
}

unsigned int fv_stats_nr_queues(void *owner)
{
	struct fv_dev *dev = owner;
	unsigned int i, n = 0;

	lockdep_assert_held(&fv_fabric_mutex);
	for (i = 0; i < FV_MAX_VQS; i++)
		if (READ_ONCE(dev->vqs[i]->num))
			n = i + 1;
	return n;
}

unsigned int fv_stats_nr_regions(void *owner)
{
	const struct fv_dev *dev = owner;

	return READ_ONCE(dev->nr_regions);
}

unsigned int fv_stats_nr_io_queues(void *owner)
{
	struct fv_dev *dev = owner;
	unsigned int i, n = 0;

	lockdep_assert_held(&fv_fabric_mutex);
	for (i = FV_NR_FIXED_VQS; i < FV_MAX_VQS; i++)
		if (READ_ONCE(dev->vqs[i]->num))
			n++;
	return max(n, 1U);
}

int fv_stats_put_queue(void *owner, struct sk_buff *skb, unsigned int index,
		       bool stats)
{
	struct fv_dev *dev = owner;

	lockdep_assert_held(&fv_fabric_mutex);
	if (WARN_ON_ONCE(index >= FV_MAX_VQS))
		return -EINVAL;
	return put_queue(skb, dev->vqs[index], stats);
}

/* Zero what readers see: the worker's counters become the baseline. */
void fv_stats_reset(void *owner)
{
	struct fv_dev *dev = owner;
	unsigned int i;

	lockdep_assert_held(&fv_fabric_mutex);
	for (i = 0; i < FV_MAX_VQS; i++)
		read_stats(&dev->vqs[i]->stats, dev->vqs[i]->stats.base);
}

int fv_stats_apply_cfg(void *owner, const struct fv_target_cfg *cfg,
		       struct netlink_ext_ack *extack)
{
	struct fv_dev *dev = owner;
	struct fv_node_choice *nc;
	struct fv_tport *tport;
	int ret;

	lockdep_assert_held(&fv_fabric_mutex);
	tport = fv_tport_find(dev->wwpn);
	if (WARN_ON_ONCE(!tport || tport->owner != dev))
		return -ENODEV;
	nc = kmalloc(sizeof(*nc), GFP_KERNEL);
	if (!nc)
		return -ENOMEM;
	fv_cfg_node(tport, cfg, nc);
	ret = fv_place_apply(dev, cfg, nc->node, extack);
	kfree(nc);
	return ret;
}

void *fv_owner_get(void *owner)
{
	lockdep_assert_held(&fv_fabric_mutex);
	fv_dev_get(owner);
	return owner;
}

void fv_owner_put(void *owner)
{
	fv_dev_put(owner);
}

int fv_owner_relayout(void *owner)
{
	return fv_dev_relayout(owner);
}
