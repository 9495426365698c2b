/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FV_NUMA_H
#define _FV_NUMA_H

#include <linux/fastvhost.h>

struct fv_tport;
struct fv_tpg;
struct fv_target_cfg;
struct se_lun;

struct fv_node_choice {
	int node;				/* NUMA_NO_NODE: any */
	enum fastvhost_node_source source;
	char reason[128];
};

/*
 * Find the NUMA node of the storage behind @lun and keep it in @tpg.  Only
 * from the fabric's link callback, holding none of our locks: it resolves
 * the backstore's path, which may block.  -ENOMEM if it could not be kept.
 */
int fv_lun_node_cache(struct fv_tpg *tpg, struct se_lun *lun);
/* Forget it, from the unlink callback. */
void fv_lun_node_forget(struct fv_tpg *tpg, struct se_lun *lun);
/* The node kept for @lun, NUMA_NO_NODE if none; never blocks. */
int fv_lun_node(struct fv_tpg *tpg, struct se_lun *lun);
/* The node a target's workers should use, and why.  fv_fabric_mutex held. */
void fv_target_node(struct fv_tport *tport, struct fv_node_choice *nc);
/* The same for settings @cfg not yet stored in @tport. */
void fv_cfg_node(struct fv_tport *tport, const struct fv_target_cfg *cfg,
		 struct fv_node_choice *nc);

#endif /* _FV_NUMA_H */
