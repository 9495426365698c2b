/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels fastvhost supports, keyed on features
 * that kmod/Kbuild probes in the kernel headers (FV_HAVE_*).
 */
#ifndef _FV_COMPAT_H
#define _FV_COMPAT_H

#include <linux/blkdev.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/vhost.h>
#include <net/genetlink.h>
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

/*
 * Multicast groups that need CAP_NET_ADMIN to join came with 6.7 and
 * stable 6.1.y; without the flag the monitor group would be open to
 * every user, so refuse to build.
 */
#ifndef GENL_MCAST_CAP_NET_ADMIN
#error "fastvhost needs GENL_MCAST_CAP_NET_ADMIN (Linux 6.7, or 6.1.64 and later)"
#endif

/* The attributes of a dump request: 6.7 keeps a whole genl_info. */
#ifdef FV_HAVE_GENL_INFO_DUMP
static inline struct nlattr **fv_genl_dump_attrs(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->attrs;
}
#else
static inline struct nlattr **fv_genl_dump_attrs(struct netlink_callback *cb)
{
	return genl_dumpit_info(cb)->attrs;
}
#endif

/* 6.8 dropped the counter argument of eventfd_signal(). */
#ifdef FV_HAVE_EVENTFD_SIGNAL_NOCOUNT
#define fv_eventfd_signal(ctx)	eventfd_signal(ctx)
#else
#define fv_eventfd_signal(ctx)	eventfd_signal(ctx, 1)
#endif

/*
 * 6.10 lets a fabric choose between submitting from the caller and from
 * LIO's submission workqueue; before that target_submit() always ran in
 * the caller.
 */
#ifdef FV_HAVE_FABRIC_SUBMIT_TYPE
#define FV_FABRIC_SUBMIT_OPS \
	.direct_submit_supp = 1, \
	.default_submit_type = TARGET_DIRECT_SUBMIT,
#else
#define FV_FABRIC_SUBMIT_OPS
#endif

/*
 * Up to 6.1 a LUN's relative target port identifier (VPD 0x83) came from
 * a counter of its backstore, so linking the backstore again (fvctl
 * restore, a migration's destination) showed the guest a new number.
 * Take the lowest one no other port of the backstore has, which is what
 * the same links give every time.  Later kernels number portal groups,
 * which fastvhost's keep.
 */
#ifdef FV_HAVE_LUN_RTPI
static inline void fv_lun_stable_rtpi(struct se_lun *lun)
{
	struct se_device *dev;
	struct se_lun *other;
	u16 id = 1;

	rcu_read_lock();
	dev = rcu_dereference(lun->lun_se_dev);
	if (dev) {
		spin_lock(&dev->se_port_lock);
again:
		list_for_each_entry(other, &dev->dev_sep_list, lun_dev_link) {
			if (other != lun && other->lun_rtpi == id) {
				id++;
				goto again;
			}
		}
		lun->lun_rtpi = id;
		spin_unlock(&dev->se_port_lock);
	}
	rcu_read_unlock();
}
#else
static inline void fv_lun_stable_rtpi(struct se_lun *lun)
{
}
#endif

/* 6.10 made target_submit() return an error; before, it could not fail. */
#ifdef FV_HAVE_TARGET_SUBMIT_INT
#define fv_target_submit(se_cmd)	target_submit(se_cmd)
#else
#define fv_target_submit(se_cmd)	({ target_submit(se_cmd); 0; })
#endif

/* 6.9 opens block devices as files; 6.1 hands out the block_device. */
#ifdef FV_HAVE_BDEV_FILE_OPEN
struct fv_bdev_handle {
	struct file *file;
};

static inline struct block_device *fv_bdev_open(dev_t devt, struct fv_bdev_handle *h)
{
	h->file = bdev_file_open_by_dev(devt, BLK_OPEN_READ, NULL, NULL);
	if (IS_ERR(h->file))
		return ERR_CAST(h->file);
	return file_bdev(h->file);
}

static inline void fv_bdev_close(struct fv_bdev_handle *h)
{
	fput(h->file);
}
#else
struct fv_bdev_handle {
	struct block_device *bdev;
};

static inline struct block_device *fv_bdev_open(dev_t devt, struct fv_bdev_handle *h)
{
	h->bdev = blkdev_get_by_dev(devt, FMODE_READ, NULL);
	return h->bdev;
}

static inline void fv_bdev_close(struct fv_bdev_handle *h)
{
	blkdev_put(h->bdev, FMODE_READ);
}
#endif

/*
 * The worker ioctls came with 6.5; 6.1's headers lack them.  The same
 * ABI: the numbers and structures of later kernels' uapi headers.
 */
#ifndef VHOST_NEW_WORKER
struct vhost_worker_state {
	unsigned int worker_id;
};

struct vhost_vring_worker {
	unsigned int index;
	unsigned int worker_id;
};

#define VHOST_NEW_WORKER _IOR(VHOST_VIRTIO, 0x8, struct vhost_worker_state)
#define VHOST_FREE_WORKER _IOW(VHOST_VIRTIO, 0x9, struct vhost_worker_state)
#define VHOST_ATTACH_VRING_WORKER _IOW(VHOST_VIRTIO, 0x15, struct vhost_vring_worker)
#define VHOST_GET_VRING_WORKER _IOWR(VHOST_VIRTIO, 0x16, struct vhost_vring_worker)
#endif

#endif /* _FV_COMPAT_H */
