// SPDX-License-Identifier: GPL-2.0
/*
 * Per-queue state and statistics of an attached device, for netlink.
 */
#include <net/netlink.h>
#include <linux/fastvhost.h>

#include "fastvhost.h"
#include "stats.h"

static int put_queue(struct sk_buff *skb, struct fv_vq *vq, bool stats)
{
	struct fv_worker *w;
	struct nlattr *nest;
	u32 worker = 0;
	bool has_worker;

	rcu_read_lock();
	w = rcu_dereference(vq->worker);
	has_worker = w;
	if (w)
		worker = w->id;
	rcu_read_unlock();

	nest = nla_nest_start(skb, FASTVHOST_A_TARGET_QUEUE);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, FASTVHOST_A_QUEUE_INDEX, vq->index) ||
	    (has_worker && nla_put_u32(skb, FASTVHOST_A_QUEUE_WORKER, worker)) ||
	    nla_put_s32(skb, FASTVHOST_A_QUEUE_NODE, READ_ONCE(vq->node)) ||
	    (READ_ONCE(vq->broken) && nla_put_flag(skb, FASTVHOST_A_QUEUE_BROKEN)) ||
	    nla_put_u32(skb, FASTVHOST_A_QUEUE_INFLIGHT, atomic_read(&vq->inflight))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

int fv_stats_fill(void *owner, struct sk_buff *skb, bool stats)
{
	struct fv_dev *dev = owner;
	unsigned int i, n = 0;

	for (i = 0; i < FV_MAX_VQS; i++) {
		if (!READ_ONCE(dev->vqs[i]->num))
			continue;
		n = i + 1;
	}
	if (nla_put_u32(skb, FASTVHOST_A_TARGET_NR_QUEUES, n))
		return -EMSGSIZE;
	for (i = 0; i < n; i++)
		if (put_queue(skb, dev->vqs[i], stats))
			return -EMSGSIZE;
	return 0;
}

void fv_stats_reset(void *owner)
{
}

int fv_stats_apply_cfg(void *owner, const struct fv_target_cfg *cfg,
		       struct netlink_ext_ack *extack)
{
	return 0;
}
