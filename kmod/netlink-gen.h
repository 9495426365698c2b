/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	uapi/fastvhost.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_FASTVHOST_GEN_H
#define _LINUX_FASTVHOST_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <linux/fastvhost.h>
#include <linux/numa.h>

#define FASTVHOST_LAST_NODE		1023
#define FASTVHOST_LAST_QUEUE		1025
#define FASTVHOST_LAST_WORKER		129
#define FASTVHOST_MAX_POLL_NS		10000000
#define FASTVHOST_MAX_POLL_FACTOR	16

/* Common nested types */
extern const struct nla_policy fastvhost_queue_nl_policy[FASTVHOST_A_QUEUE_VMM_WORKER + 1];

extern const struct nla_policy fastvhost_target_get_nl_policy[FASTVHOST_A_TARGET_WWN + 1];

extern const struct nla_policy fastvhost_target_set_nl_policy[FASTVHOST_A_TARGET_MAP_RESET + 1];

extern const struct nla_policy fastvhost_stats_get_nl_policy[FASTVHOST_A_TARGET_WWN + 1];

extern const struct nla_policy fastvhost_stats_reset_nl_policy[FASTVHOST_A_TARGET_WWN + 1];

/* Ops table for fastvhost */
extern const struct genl_ops fastvhost_nl_ops[4];

int fastvhost_nl_target_get_doit(struct sk_buff *skb, struct genl_info *info);
int fastvhost_nl_target_get_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb);
int fastvhost_nl_target_set_doit(struct sk_buff *skb, struct genl_info *info);
int fastvhost_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info);
int fastvhost_nl_stats_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb);
int fastvhost_nl_stats_reset_doit(struct sk_buff *skb, struct genl_info *info);

#endif /* _LINUX_FASTVHOST_GEN_H */
