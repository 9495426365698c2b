/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FV_STATS_H
#define _FV_STATS_H

#include <linux/netlink.h>

struct sk_buff;
struct fv_target_cfg;

/*
 * The netlink side's view of an attached device (the tport's owner).  All
 * run under fv_fabric_mutex, which keeps the device attached and alive;
 * they read the queues without taking any data-path lock.
 */
int fv_stats_fill(void *owner, struct sk_buff *skb, bool stats);
void fv_stats_reset(void *owner);
int fv_stats_apply_cfg(void *owner, const struct fv_target_cfg *cfg,
		       struct netlink_ext_ack *extack);

#endif /* _FV_STATS_H */
