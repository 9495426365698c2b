// SPDX-License-Identifier: GPL-2.0
/*
 * Which NUMA node the storage of a LUN lives on: for iblock the block
 * device, for fileio the device under its filesystem, found by walking up
 * the device chain (partition, disk, controller, PCI function) to the
 * first one with a node.  rd_mcp is memory and has no preference.
 *
 * Finding it resolves the backstore's path, which may sleep as long as
 * the filesystem likes (a FUSE server that never answers), in the mount
 * namespace of the caller.  So it is done once, when the LUN is linked,
 * in the context of the admin who links it and under no lock of ours,
 * and kept in the portal group (tpg->lun_node); everything after that
 * (netlink, SET_ENDPOINT) reads the cache.
 */
#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/namei.h>
#include <target/target_core_base.h>

#include "fabric.h"
#include "numa.h"
#include "compat.h"

static int device_node(struct device *dev)
{
	for (; dev; dev = dev->parent)
		if (dev_to_node(dev) != NUMA_NO_NODE)
			return dev_to_node(dev);
	return NUMA_NO_NODE;
}

static int devt_node(dev_t devt)
{
	struct block_device *bdev;
	struct fv_bdev_handle h;
	int node;

	if (!MAJOR(devt))
		return NUMA_NO_NODE;	/* tmpfs and other nodeless filesystems */
	bdev = fv_bdev_open(devt, &h);
	if (IS_ERR(bdev))
		return NUMA_NO_NODE;
	node = device_node(disk_to_dev(bdev->bd_disk));
	fv_bdev_close(&h);
	return node;
}

static bool hba_is(struct se_device *sd, const char *prefix)
{
	const char *name = config_item_name(&sd->se_hba->hba_group.cg_item);

	return !strncmp(name, prefix, strlen(prefix));
}

static int backstore_node(struct se_device *sd)
{
	struct path path;
	struct inode *inode;
	dev_t devt;
	int ret;

	if (hba_is(sd, "rd_mcp_") || !sd->udev_path[0])
		return NUMA_NO_NODE;

	if (hba_is(sd, "iblock_")) {
		if (lookup_bdev(sd->udev_path, &devt))
			return NUMA_NO_NODE;
		return devt_node(devt);
	}

	ret = kern_path(sd->udev_path, LOOKUP_FOLLOW, &path);
	if (ret)
		return NUMA_NO_NODE;
	inode = d_inode(path.dentry);
	devt = S_ISBLK(inode->i_mode) ? inode->i_rdev : inode->i_sb->s_dev;
	path_put(&path);
	return devt_node(devt);
}

int fv_lun_node_cache(struct fv_tpg *tpg, struct se_lun *lun)
{
	/* In the link callback: the device cannot go while a LUN links to it. */
	struct se_device *sd = rcu_dereference_protected(lun->lun_se_dev, 1);
	int node = sd ? backstore_node(sd) : NUMA_NO_NODE;

	might_sleep();
	/* Stored as node + 1: NUMA_NO_NODE is stored too, as 0. */
	return xa_err(xa_store(&tpg->lun_node, lun->unpacked_lun,
			       xa_mk_value(node + 1), GFP_KERNEL));
}

void fv_lun_node_forget(struct fv_tpg *tpg, struct se_lun *lun)
{
	xa_erase(&tpg->lun_node, lun->unpacked_lun);
}

int fv_lun_node(struct fv_tpg *tpg, struct se_lun *lun)
{
	void *v = xa_load(&tpg->lun_node, lun->unpacked_lun);

	return xa_is_value(v) ? (int)xa_to_value(v) - 1 : NUMA_NO_NODE;
}

void fv_cfg_node(struct fv_tport *tport, const struct fv_target_cfg *cfg,
		 struct fv_node_choice *nc)
{
	struct fv_tpg *tpg;
	struct se_lun *lun;
	int node;

	lockdep_assert_held(&fv_fabric_mutex);
	if (!cfg->node_auto) {
		nc->node = cfg->node;
		nc->source = cfg->node == NUMA_NO_NODE ?
			FASTVHOST_NODE_SOURCE_ANY : FASTVHOST_NODE_SOURCE_FIXED;
		strscpy(nc->reason, cfg->node == NUMA_NO_NODE ?
			"set to any node" : "set by the operator", sizeof(nc->reason));
		return;
	}

	list_for_each_entry(tpg, &fv_tpg_list, node) {
		if (tpg->tport != tport)
			continue;
		mutex_lock(&tpg->se_tpg.tpg_lun_mutex);
		hlist_for_each_entry(lun, &tpg->se_tpg.tpg_lun_hlist, link) {
			node = fv_lun_node(tpg, lun);
			if (node == NUMA_NO_NODE)
				continue;
			nc->node = node;
			nc->source = FASTVHOST_NODE_SOURCE_DEVICE;
			snprintf(nc->reason, sizeof(nc->reason),
				 "storage of tpgt %u lun %llu is on node %d",
				 tpg->tag, lun->unpacked_lun, node);
			mutex_unlock(&tpg->se_tpg.tpg_lun_mutex);
			return;
		}
		mutex_unlock(&tpg->se_tpg.tpg_lun_mutex);
	}
	nc->node = NUMA_NO_NODE;
	nc->source = FASTVHOST_NODE_SOURCE_NO_PREFERENCE;
	strscpy(nc->reason, "no LUN's storage has a NUMA node", sizeof(nc->reason));
}

void fv_target_node(struct fv_tport *tport, struct fv_node_choice *nc)
{
	fv_cfg_node(tport, &tport->cfg, nc);
}
