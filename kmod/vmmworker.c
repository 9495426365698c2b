// SPDX-License-Identifier: GPL-2.0
/*
 * The VMM's worker ioctls (VHOST_NEW_WORKER and friends, the 6.5 ABI),
 * which QEMU 9.0's worker_per_virtqueue=on issues at realize.
 *
 * fastvhost starts its own workers at SET_ENDPOINT (worker.c), so a VMM
 * worker is only a name for a group of queues: ids below FV_MAX_VQS, id 0
 * made by SET_OWNER and holding every queue until the VMM moves one.
 * place.c follows the grouping when the VMM made a worker of its own and
 * the target's settings leave the worker count and map to the default.
 * While the endpoint is set only GET_VRING_WORKER is allowed (the others
 * get -EBUSY), so the grouping describes the running workers and netlink
 * may read it under fv_fabric_mutex.  Changed under dev->mutex.
 */
#include <linux/bitmap.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "fastvhost.h"

/* A device with a new owner: one worker, every queue on it. */
void fv_vmm_workers_reset(struct fv_dev *dev)
{
	lockdep_assert_held(&dev->mutex);
	bitmap_zero(dev->vmm_ids, FV_MAX_VQS);
	memset(dev->vmm_worker, 0, sizeof(dev->vmm_worker));
	dev->vmm_asked = false;
	if (dev->mm)
		__set_bit(0, dev->vmm_ids);
}

static long new_worker(struct fv_dev *dev, void __user *argp)
{
	struct vhost_worker_state s = {};
	unsigned int id;

	id = find_first_zero_bit(dev->vmm_ids, FV_MAX_VQS);
	if (id >= FV_MAX_VQS)
		return -ENOSPC;
	s.worker_id = id;
	if (copy_to_user(argp, &s, sizeof(s)))
		return -EFAULT;
	__set_bit(id, dev->vmm_ids);
	dev->vmm_asked = true;
	return 0;
}

static long free_worker(struct fv_dev *dev, void __user *argp)
{
	struct vhost_worker_state s;
	unsigned int i;

	if (copy_from_user(&s, argp, sizeof(s)))
		return -EFAULT;
	if (s.worker_id >= FV_MAX_VQS || !test_bit(s.worker_id, dev->vmm_ids))
		return -ENODEV;
	for (i = 0; i < FV_MAX_VQS; i++)
		if (dev->vmm_worker[i] == s.worker_id)
			return -EBUSY;
	__clear_bit(s.worker_id, dev->vmm_ids);
	return 0;
}

static long vring_worker(struct fv_dev *dev, unsigned int ioctl,
			 void __user *argp)
{
	struct vhost_vring_worker w;

	if (copy_from_user(&w, argp, sizeof(w)))
		return -EFAULT;
	if (w.index >= FV_MAX_VQS)
		return -ENOBUFS;
	if (ioctl == VHOST_GET_VRING_WORKER) {
		w.worker_id = dev->vmm_worker[w.index];
		return copy_to_user(argp, &w, sizeof(w)) ? -EFAULT : 0;
	}
	if (w.worker_id >= FV_MAX_VQS || !test_bit(w.worker_id, dev->vmm_ids))
		return -ENODEV;
	dev->vmm_worker[w.index] = w.worker_id;
	return 0;
}

long fv_vmm_worker_ioctl(struct fv_dev *dev, unsigned int ioctl,
			 void __user *argp)
{
	lockdep_assert_held(&dev->mutex);
	/* netlink reads the grouping while the device is attached. */
	if (dev->running && ioctl != VHOST_GET_VRING_WORKER)
		return -EBUSY;
	switch (ioctl) {
	case VHOST_NEW_WORKER:
		return new_worker(dev, argp);
	case VHOST_FREE_WORKER:
		return free_worker(dev, argp);
	default:
		return vring_worker(dev, ioctl, argp);
	}
}

/*
 * The VMM's grouping as a layout: a worker for each VMM worker that holds
 * a request queue set up, numbered in queue order; a fixed queue goes
 * with its VMM worker's, else with the first.  Past FASTVHOST_MAX_WORKERS
 * groups share workers round robin.  Only when the VMM made a worker and
 * @l (the target's settings) has no count and no map.
 */
void fv_vmm_workers_layout(struct fv_dev *dev, struct fv_layout *l)
{
	u16 *rank = dev->vmm_rank;
	unsigned int i, nr = 0;

	lockdep_assert_held(&dev->mutex);
	if (!dev->vmm_asked || l->nr_workers)
		return;
	for (i = 0; i < FV_MAX_VQS; i++)
		if (l->map[i] != FV_CFG_NO_WORKER)
			return;

	for (i = 0; i < FV_MAX_VQS; i++)
		rank[i] = U16_MAX;
	for (i = FV_NR_FIXED_VQS; i < FV_MAX_VQS; i++) {
		u16 id = dev->vmm_worker[i];

		/* Ring sizes change only under dev->mutex. */
		if (!dev->vqs[i]->num)
			continue;
		if (rank[id] == U16_MAX)
			rank[id] = nr++;
		l->map[i] = rank[id] % FASTVHOST_MAX_WORKERS;
	}
	if (!nr)
		return;
	for (i = 0; i < FV_NR_FIXED_VQS; i++) {
		u16 r = rank[dev->vmm_worker[i]];

		l->map[i] = r != U16_MAX ? r % FASTVHOST_MAX_WORKERS : 0;
	}
	l->nr_workers = min_t(unsigned int, nr, FASTVHOST_MAX_WORKERS);
}
