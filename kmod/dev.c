// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/fastvhost: one vhost-scsi device per open file, driven through
 * the ioctls of include/uapi/linux/vhost.h.
 *
 * All ioctls run under dev->mutex.  Apart from the feature and ABI
 * queries and SET_OWNER itself, they are accepted only from the owner's
 * address space.  Unknown ioctls get -ENOIOCTLCMD.
 */
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vhost.h>

#include "compat.h"
#include "fastvhost.h"

static bool is_owner(struct fv_dev *dev)
{
	return dev->mm && dev->mm == current->mm;
}

static long set_owner(struct fv_dev *dev)
{
	if (dev->mm)
		return -EBUSY;
	dev->mm = get_task_mm(current);
	if (!dev->mm)
		return -EINVAL;
	dev->owner_pid = task_tgid_nr(current);
	fv_vmm_workers_reset(dev);
	return 0;
}

static void stop_endpoint(struct fv_dev *dev)
{
	lockdep_assert_held(&dev->mutex);
	if (!dev->running)
		return;
	/* Detach with the workers still there: see worker.c. */
	fv_workers_drain(dev);
	fv_fabric_detach(dev, dev->tpgs);
	fv_workers_stop(dev);
	dev->running = false;
	dev->wwpn[0] = '\0';
}

/* Back to the state of a freshly opened device. */
static void reset_owner(struct fv_dev *dev)
{
	unsigned int i;

	lockdep_assert_held(&dev->mutex);
	stop_endpoint(dev);
	for (i = 0; i < FV_MAX_VQS; i++)
		fv_vq_reset(dev->vqs[i]);
	fv_log_reset(dev);
	fv_mem_free(dev->mem);
	dev->mem = NULL;
	WRITE_ONCE(dev->nr_regions, 0);
	if (dev->mm)
		mmput(dev->mm);
	dev->mm = NULL;
	dev->owner_pid = 0;
	fv_vmm_workers_reset(dev);
	dev->features = 0;
	dev->events_missed = 0;
	dev->evt_count = 0;
	dev->evt_waiting = false;
}

static void put_features(struct fv_dev *dev, u64 features)
{
	unsigned int i;

	dev->features = features;
	for (i = 0; i < FV_MAX_VQS; i++) {
		struct fv_vq *vq = dev->vqs[i];

		mutex_lock(&vq->mutex);
		vq->features = features;
		mutex_unlock(&vq->mutex);
	}
}

/*
 * Turning VHOST_F_LOG_ALL on returns once every command in flight logs.
 * T10 PI stays as it was at SET_ENDPOINT until CLEAR_ENDPOINT: the LUNs
 * were told then whether the guest has it (fv_fabric_attach()).
 */
static long set_features(struct fv_dev *dev, void __user *argp)
{
	u64 features, old = dev->features;

	if (copy_from_user(&features, argp, sizeof(features)))
		return -EFAULT;
	if (features & ~FV_FEATURES)
		return -EOPNOTSUPP;
	if (dev->running &&
	    ((features ^ old) & BIT_ULL(VIRTIO_SCSI_F_T10_PI)))
		return -EBUSY;
	put_features(dev, features);
	if ((features & ~old & BIT_ULL(VHOST_F_LOG_ALL)) && fv_log_wait(dev)) {
		put_features(dev, old);
		return -EINTR;
	}
	return 0;
}

static int get_target(void __user *argp, struct vhost_scsi_target *t)
{
	if (copy_from_user(t, argp, sizeof(*t)))
		return -EFAULT;
	if (t->reserved)
		return -EOPNOTSUPP;
	if (t->abi_version < 0 || t->abi_version > VHOST_SCSI_ABI_VERSION ||
	    t->vhost_tpgt >= FV_MAX_TPGT ||
	    strnlen(t->vhost_wwpn, sizeof(t->vhost_wwpn)) ==
	    sizeof(t->vhost_wwpn))
		return -EINVAL;
	return 0;
}

static long set_endpoint(struct fv_dev *dev, void __user *argp)
{
	struct vhost_scsi_target t;
	unsigned int i, nio = 0;
	int ret;

	ret = get_target(argp, &t);
	if (ret)
		return ret;
	if (dev->running)
		return -EEXIST;
	if (!dev->mem)
		return -EINVAL;
	for (i = 0; i < FV_MAX_VQS; i++) {
		struct fv_vq *vq = dev->vqs[i];
		bool ok;

		mutex_lock(&vq->mutex);
		ok = !vq->num || fv_vq_ready(vq);
		if (vq->num && i >= FV_NR_FIXED_VQS)
			nio++;
		mutex_unlock(&vq->mutex);
		if (!ok)
			return -EFAULT;
	}
	if (!nio)
		return -EINVAL;

	/* Workers first: while attached, netlink may reach them. */
	strscpy(dev->wwpn, t.vhost_wwpn, sizeof(dev->wwpn));
	ret = fv_place_load(dev, dev->wwpn);
	if (ret)
		goto err_wwpn;
	ret = fv_workers_start(dev);
	if (ret)
		goto err_wwpn;
	ret = fv_fabric_attach(dev, dev->wwpn, dev->tpgs,
			       dev->features & BIT_ULL(VIRTIO_SCSI_F_T10_PI));
	if (ret < 0)
		goto err_workers;
	fv_place_refresh(dev);
	ret = fv_workers_enable(dev);
	if (ret)
		goto err_attach;
	dev->running = true;
	return 0;

err_attach:
	fv_workers_drain(dev);
	fv_fabric_detach(dev, dev->tpgs);
err_workers:
	fv_workers_stop(dev);
err_wwpn:
	dev->wwpn[0] = '\0';
	return ret;
}

static long clear_endpoint(struct fv_dev *dev, void __user *argp)
{
	struct vhost_scsi_target t;
	int ret;

	ret = get_target(argp, &t);
	if (ret)
		return ret;
	if (!dev->running)
		return 0;
	if (strcmp(t.vhost_wwpn, dev->wwpn))
		return -EINVAL;
	stop_endpoint(dev);
	return 0;
}

static long events_missed(struct fv_dev *dev, unsigned int ioctl,
			  u32 __user *argp)
{
	struct fv_vq *evt = dev->vqs[FV_EVT_VQ];
	long ret = 0;
	u32 v;

	if (ioctl == VHOST_SCSI_SET_EVENTS_MISSED && get_user(v, argp))
		return -EFAULT;
	mutex_lock(&evt->mutex);
	if (ioctl == VHOST_SCSI_SET_EVENTS_MISSED)
		dev->events_missed = v;
	else
		v = dev->events_missed;
	mutex_unlock(&evt->mutex);
	if (ioctl == VHOST_SCSI_GET_EVENTS_MISSED)
		ret = put_user(v, argp);
	else if (v && dev->running)
		fv_vq_kick(evt);
	return ret;
}

static bool owner_ioctl(unsigned int ioctl)
{
	switch (ioctl) {
	case VHOST_SET_FEATURES:
	case VHOST_RESET_OWNER:
	case VHOST_SET_MEM_TABLE:
	case VHOST_SET_LOG_BASE:
	case VHOST_SET_LOG_FD:
	case VHOST_SET_VRING_NUM:
	case VHOST_SET_VRING_ADDR:
	case VHOST_SET_VRING_BASE:
	case VHOST_GET_VRING_BASE:
	case VHOST_SET_VRING_KICK:
	case VHOST_SET_VRING_CALL:
	case VHOST_SET_VRING_ERR:
	case VHOST_SCSI_SET_ENDPOINT:
	case VHOST_SCSI_CLEAR_ENDPOINT:
	case VHOST_SCSI_SET_EVENTS_MISSED:
	case VHOST_SCSI_GET_EVENTS_MISSED:
	case VHOST_NEW_WORKER:
	case VHOST_FREE_WORKER:
	case VHOST_ATTACH_VRING_WORKER:
	case VHOST_GET_VRING_WORKER:
		return true;
	default:
		return false;
	}
}

static long owner_ioctl_locked(struct fv_dev *dev, unsigned int ioctl,
			       void __user *argp)
{
	switch (ioctl) {
	case VHOST_SET_FEATURES:
		return set_features(dev, argp);
	case VHOST_RESET_OWNER:
		reset_owner(dev);
		return 0;
	case VHOST_SET_MEM_TABLE:
		return fv_mem_set(dev, argp);
	case VHOST_SET_LOG_BASE:
	case VHOST_SET_LOG_FD:
		return fv_log_ioctl(dev, ioctl, argp);
	case VHOST_SCSI_SET_ENDPOINT:
		return set_endpoint(dev, argp);
	case VHOST_SCSI_CLEAR_ENDPOINT:
		return clear_endpoint(dev, argp);
	case VHOST_SCSI_SET_EVENTS_MISSED:
	case VHOST_SCSI_GET_EVENTS_MISSED:
		return events_missed(dev, ioctl, argp);
	case VHOST_NEW_WORKER:
	case VHOST_FREE_WORKER:
	case VHOST_ATTACH_VRING_WORKER:
	case VHOST_GET_VRING_WORKER:
		return fv_vmm_worker_ioctl(dev, ioctl, argp);
	default:
		return fv_vq_ioctl(dev, ioctl, argp);
	}
}

static long fv_ioctl(struct file *f, unsigned int ioctl, unsigned long arg)
{
	struct fv_dev *dev = f->private_data;
	void __user *argp = (void __user *)arg;
	u64 features;
	long ret;

	switch (ioctl) {
	case VHOST_GET_FEATURES:
		features = FV_FEATURES;
		return copy_to_user(argp, &features, sizeof(features)) ?
			-EFAULT : 0;
	case VHOST_GET_BACKEND_FEATURES:
		features = 0;
		return copy_to_user(argp, &features, sizeof(features)) ?
			-EFAULT : 0;
	case VHOST_SET_BACKEND_FEATURES:
		if (copy_from_user(&features, argp, sizeof(features)))
			return -EFAULT;
		return features ? -EOPNOTSUPP : 0;
	case VHOST_SCSI_GET_ABI_VERSION:
		return put_user(VHOST_SCSI_ABI_VERSION, (int __user *)argp);
	case VHOST_SET_OWNER:
		mutex_lock(&dev->mutex);
		ret = set_owner(dev);
		mutex_unlock(&dev->mutex);
		return ret;
	}
	if (!owner_ioctl(ioctl))
		return -ENOIOCTLCMD;

	mutex_lock(&dev->mutex);
	if (is_owner(dev))
		ret = owner_ioctl_locked(dev, ioctl, argp);
	else
		ret = -EPERM;
	mutex_unlock(&dev->mutex);
	return ret;
}

static int fv_open(struct inode *inode, struct file *f)
{
	struct fv_dev *dev;
	unsigned int i;
	int ret = -ENOMEM;

	/* About 17 KiB, and every queue's 1 KiB: the VMM's memory cgroup's. */
	dev = kvzalloc(sizeof(*dev), GFP_KERNEL_ACCOUNT);
	if (!dev)
		return -ENOMEM;
	kref_init(&dev->ref);
	if (!zalloc_cpumask_var(&dev->place.cpus, GFP_KERNEL))
		goto err_dev;
	mutex_init(&dev->mutex);
	init_waitqueue_head(&dev->drain_wq);
	atomic_set(&dev->tmf_inflight, 0);
	dev->tmf_tokens = FV_TMF_BURST;
	dev->tmf_stamp = jiffies;
	/* Per device, so that a guest's lines cannot drown the others'. */
	ratelimit_state_init(&dev->log_rs, 5 * HZ, 10);
	dev->submit_wq = alloc_workqueue("fastvhost-submit", WQ_UNBOUND,
					 FV_SUBMIT_ACTIVE);
	if (!dev->submit_wq)
		goto err_cpus;
	dev->local_wq = alloc_workqueue("fastvhost-local", 0, FV_SUBMIT_ACTIVE);
	if (!dev->local_wq)
		goto err_submit;
	dev->tmf_wq = alloc_ordered_workqueue("fastvhost-tmf", 0);
	if (!dev->tmf_wq)
		goto err_local;
	dev->place.node = NUMA_NO_NODE;
	memset(dev->place.layout.map, FV_CFG_NO_WORKER,
	       sizeof(dev->place.layout.map));
	for (i = 0; i < FV_MAX_VQS; i++) {
		ret = fv_vq_alloc(dev, i, &dev->vqs[i]);
		if (ret)
			goto err_vqs;
	}
	f->private_data = dev;
	return 0;

err_vqs:
	while (i--)
		fv_vq_free(dev->vqs[i]);
	destroy_workqueue(dev->tmf_wq);
err_local:
	destroy_workqueue(dev->local_wq);
err_submit:
	destroy_workqueue(dev->submit_wq);
err_cpus:
	free_cpumask_var(dev->place.cpus);
err_dev:
	kvfree(dev);
	return ret;
}

static void dev_free(struct kref *ref)
{
	struct fv_dev *dev = container_of(ref, struct fv_dev, ref);
	unsigned int i;

	/* The queues' submission work items run there: gone before them. */
	destroy_workqueue(dev->submit_wq);
	destroy_workqueue(dev->local_wq);
	for (i = 0; i < FV_MAX_VQS; i++)
		fv_vq_free(dev->vqs[i]);
	destroy_workqueue(dev->tmf_wq);
	free_cpumask_var(dev->place.cpus);
	kvfree(dev);
}

void fv_dev_get(struct fv_dev *dev)
{
	kref_get(&dev->ref);
}

void fv_dev_put(struct fv_dev *dev)
{
	kref_put(&dev->ref, dev_free);
}

/* Netlink changed the workers, queue map or node of a running device. */
int fv_dev_relayout(struct fv_dev *dev)
{
	struct fv_layout *l;
	int ret = 0;

	l = kmalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	mutex_lock(&dev->mutex);
	if (dev->running) {
		ret = fv_place_layout(dev, l);
		if (!ret)
			ret = fv_workers_restart(dev, l);
	}
	mutex_unlock(&dev->mutex);
	kfree(l);
	return ret;
}

/* Netlink may hold a reference a little longer: it finds nothing to do. */
static int fv_release(struct inode *inode, struct file *f)
{
	struct fv_dev *dev = f->private_data;

	mutex_lock(&dev->mutex);
	reset_owner(dev);
	mutex_unlock(&dev->mutex);
	fv_dev_put(dev);
	return 0;
}

const struct file_operations fv_fops = {
	.owner		= THIS_MODULE,
	.open		= fv_open,
	.release	= fv_release,
	.unlocked_ioctl	= fv_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice fv_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "fastvhost",
	.fops	= &fv_fops,
	.mode	= 0600,
};

int fv_dev_init(void)
{
	return misc_register(&fv_misc);
}

/* Whether some module has a misc device of that name (dropin.c). */
bool fv_misc_name_taken(const char *name)
{
	struct device *dev;

	dev = class_find_device_by_name(fv_misc.this_device->class, name);
	put_device(dev);
	return dev;
}

void fv_dev_exit(void)
{
	misc_deregister(&fv_misc);
}
