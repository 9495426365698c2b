// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	uapi/fastvhost.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include <linux/fastvhost.h>
#include <linux/numa.h>

/* Integer value ranges */
static struct netlink_range_validation fastvhost_a_target_poll_max_ns_range = {
	.max	= FASTVHOST_MAX_POLL_NS,
};

/* Common nested types */
const struct nla_policy fastvhost_queue_nl_policy[FASTVHOST_A_QUEUE_VMM_WORKER + 1] = {
	[FASTVHOST_A_QUEUE_INDEX] = NLA_POLICY_MAX(NLA_U32, FASTVHOST_LAST_QUEUE),
	[FASTVHOST_A_QUEUE_WORKER] = NLA_POLICY_MAX(NLA_U32, FASTVHOST_LAST_WORKER),
	[FASTVHOST_A_QUEUE_CPU] = { .type = NLA_S32, },
	[FASTVHOST_A_QUEUE_NODE] = { .type = NLA_S32, },
	[FASTVHOST_A_QUEUE_PID] = { .type = NLA_U32, },
	[FASTVHOST_A_QUEUE_BROKEN] = { .type = NLA_FLAG, },
	[FASTVHOST_A_QUEUE_REQUESTS] = { .type = NLA_U64, },
	[FASTVHOST_A_QUEUE_BYTES_READ] = { .type = NLA_U64, },
	[FASTVHOST_A_QUEUE_BYTES_WRITTEN] = { .type = NLA_U64, },
	[FASTVHOST_A_QUEUE_KICKS] = { .type = NLA_U64, },
	[FASTVHOST_A_QUEUE_INTERRUPTS] = { .type = NLA_U64, },
	[FASTVHOST_A_QUEUE_ERRORS] = { .type = NLA_U64, },
	[FASTVHOST_A_QUEUE_INFLIGHT] = { .type = NLA_U32, },
	[FASTVHOST_A_QUEUE_POLL_HITS] = { .type = NLA_U64, },
	[FASTVHOST_A_QUEUE_POLL_MISSES] = { .type = NLA_U64, },
	[FASTVHOST_A_QUEUE_POLL_NS] = { .type = NLA_U64, },
	[FASTVHOST_A_QUEUE_POLL_WINDOW_NS] = { .type = NLA_U32, },
	[FASTVHOST_A_QUEUE_LATENCY] = { .type = NLA_U64, },
	[FASTVHOST_A_QUEUE_VMM_WORKER] = { .type = NLA_U32, },
};

/* FASTVHOST_CMD_TARGET_GET - do */
const struct nla_policy fastvhost_target_get_nl_policy[FASTVHOST_A_TARGET_WWN + 1] = {
	[FASTVHOST_A_TARGET_WWN] = { .type = NLA_NUL_STRING, .len = 223, },
};

/* FASTVHOST_CMD_TARGET_SET - do */
const struct nla_policy fastvhost_target_set_nl_policy[FASTVHOST_A_TARGET_MAP_RESET + 1] = {
	[FASTVHOST_A_TARGET_WWN] = { .type = NLA_NUL_STRING, .len = 223, },
	[FASTVHOST_A_TARGET_NODE] = NLA_POLICY_RANGE(NLA_S32, NUMA_NO_NODE, FASTVHOST_LAST_NODE),
	[FASTVHOST_A_TARGET_NODE_AUTO] = NLA_POLICY_MAX(NLA_U8, 1),
	[FASTVHOST_A_TARGET_CPUS] = { .type = NLA_NUL_STRING, .len = 1023, },
	[FASTVHOST_A_TARGET_WORKERS] = NLA_POLICY_MAX(NLA_U32, FASTVHOST_MAX_WORKERS),
	[FASTVHOST_A_TARGET_QUEUE] = NLA_POLICY_NESTED(fastvhost_queue_nl_policy),
	[FASTVHOST_A_TARGET_POLL_MAX_NS] = NLA_POLICY_FULL_RANGE(NLA_U32, &fastvhost_a_target_poll_max_ns_range),
	[FASTVHOST_A_TARGET_POLL_GROW] = NLA_POLICY_MAX(NLA_U32, FASTVHOST_MAX_POLL_FACTOR),
	[FASTVHOST_A_TARGET_POLL_SHRINK] = NLA_POLICY_MAX(NLA_U32, FASTVHOST_MAX_POLL_FACTOR),
	[FASTVHOST_A_TARGET_MAP_RESET] = { .type = NLA_FLAG, },
};

/* FASTVHOST_CMD_STATS_GET - do */
const struct nla_policy fastvhost_stats_get_nl_policy[FASTVHOST_A_TARGET_WWN + 1] = {
	[FASTVHOST_A_TARGET_WWN] = { .type = NLA_NUL_STRING, .len = 223, },
};

/* FASTVHOST_CMD_STATS_RESET - do */
const struct nla_policy fastvhost_stats_reset_nl_policy[FASTVHOST_A_TARGET_WWN + 1] = {
	[FASTVHOST_A_TARGET_WWN] = { .type = NLA_NUL_STRING, .len = 223, },
};

/* Ops table for fastvhost */
const struct genl_ops fastvhost_nl_ops[4] = {
	{
		.cmd		= FASTVHOST_CMD_TARGET_GET,
		.doit		= fastvhost_nl_target_get_doit,
		.dumpit		= fastvhost_nl_target_get_dumpit,
		.policy		= fastvhost_target_get_nl_policy,
		.maxattr	= FASTVHOST_A_TARGET_WWN,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= FASTVHOST_CMD_TARGET_SET,
		.doit		= fastvhost_nl_target_set_doit,
		.policy		= fastvhost_target_set_nl_policy,
		.maxattr	= FASTVHOST_A_TARGET_MAP_RESET,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= FASTVHOST_CMD_STATS_GET,
		.doit		= fastvhost_nl_stats_get_doit,
		.dumpit		= fastvhost_nl_stats_get_dumpit,
		.policy		= fastvhost_stats_get_nl_policy,
		.maxattr	= FASTVHOST_A_TARGET_WWN,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= FASTVHOST_CMD_STATS_RESET,
		.doit		= fastvhost_nl_stats_reset_doit,
		.policy		= fastvhost_stats_reset_nl_policy,
		.maxattr	= FASTVHOST_A_TARGET_WWN,
		.flags		= GENL_ADMIN_PERM,
	},
};
