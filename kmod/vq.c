// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueues: descriptor chains in, used elements out, notification
 * suppression both ways (flags or EVENT_IDX), and the vring ioctls.
 *
 * Everything guest-visible is read with get_user()/copy_from_user() and
 * checked before it is used: ring indices against the ring size, chain
 * lengths against the ring size or the indirect table, buffer addresses
 * against the memory table.  A malformed ring breaks only its own queue
 * (fv_vq_fail()) until userspace sets it up again.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vhost.h>

#include "compat.h"
#include "fastvhost.h"

static bool has_feature(const struct fv_vq *vq, unsigned int bit)
{
	return vq->features & BIT_ULL(bit);
}

/* Mark the queue broken: no more requests until it is set up again. */
void fv_vq_fail(struct fv_vq *vq, const char *what)
{
	fv_vq_err(vq, "%s, queue stopped\n", what);
	/* The worker tells the monitor group, once, where it may sleep. */
	if (!vq->broken)
		set_bit(FV_VQ_BROKEN_NTF, &vq->pending);
	vq->broken = true;
	if (vq->err)
		fv_eventfd_signal(vq->err);
}

static int add_buf(struct fv_vq *vq, const struct vring_desc *d,
		   unsigned int *out, unsigned int *in)
{
	unsigned int used = *out + *in;
	u64 gpa = v64(vq, d->addr);
	u32 len = v32(vq, d->len);
	bool write = v16(vq, d->flags) & VRING_DESC_F_WRITE;
	int n;

	n = fv_mem_translate(vq->mem, gpa, len, vq->iov + used,
			     FV_IOV_MAX - used);
	if (n < 0) {
		fv_vq_fail(vq, n == -ENOBUFS ? "request maps to too many segments" :
			   "buffer outside guest memory");
		return n;
	}
	fv_log_note(vq, gpa, len, write);
	if (write) {
		*in += n;
	} else {
		if (*in) {
			fv_vq_fail(vq, "readable buffer after a writable one");
			return -EINVAL;
		}
		*out += n;
	}
	return 0;
}

static int walk_indirect(struct fv_vq *vq, const struct vring_desc *ind,
			 unsigned int *out, unsigned int *in)
{
	u64 base = v64(vq, ind->addr);
	u32 len = v32(vq, ind->len);
	unsigned int n = len / sizeof(struct vring_desc);
	unsigned int i = 0, count = 0;
	struct vring_desc d;
	int ret;

	if (!len || len % sizeof(struct vring_desc) || n > FV_MAX_INDIRECT) {
		fv_vq_fail(vq, "bad indirect table size");
		return -EINVAL;
	}
	for (;;) {
		if (++count > n) {
			fv_vq_fail(vq, "loop in indirect table");
			return -EINVAL;
		}
		if (fv_mem_read(vq->mem, &d, base + (u64)i * sizeof(d),
				sizeof(d))) {
			fv_vq_fail(vq, "indirect table outside guest memory");
			return -EFAULT;
		}
		if (v16(vq, d.flags) & VRING_DESC_F_INDIRECT) {
			fv_vq_fail(vq, "nested indirect table");
			return -EINVAL;
		}
		ret = add_buf(vq, &d, out, in);
		if (ret)
			return ret;
		if (!(v16(vq, d.flags) & VRING_DESC_F_NEXT))
			return 0;
		i = v16(vq, d.next);
		if (i >= n) {
			fv_vq_fail(vq, "indirect next out of range");
			return -EINVAL;
		}
	}
}

/*
 * Take the next available chain and map it into vq->iov: *out readable
 * iovecs followed by *in writable ones.  Returns the head index, vq->num
 * when the ring is empty, or a negative errno once the queue is broken.
 */
int fv_vq_pop(struct fv_vq *vq, unsigned int *out, unsigned int *in)
{
	unsigned int head, i, count = 0;
	struct vring_desc d;
	__virtio16 v;
	u16 flags;
	int ret;

	lockdep_assert_held(&vq->mutex);
	if (vq->broken)
		return -EIO;

	if (vq->avail_idx == vq->last_avail) {
		if (get_user(v, &vq->avail->idx)) {
			fv_vq_fail(vq, "cannot read avail index");
			return -EFAULT;
		}
		vq->avail_idx = v16(vq, v);
		if ((u16)(vq->avail_idx - vq->last_avail) > vq->num) {
			fv_vq_fail(vq, "avail index ran ahead of the ring");
			return -EINVAL;
		}
		if (vq->avail_idx == vq->last_avail)
			return vq->num;
		/* Read the ring entries only after their index. */
		smp_rmb();
	}

	if (get_user(v, &vq->avail->ring[vq->last_avail % vq->num])) {
		fv_vq_fail(vq, "cannot read avail ring");
		return -EFAULT;
	}
	head = v16(vq, v);
	if (head >= vq->num) {
		fv_vq_fail(vq, "avail head out of range");
		return -EINVAL;
	}

	*out = 0;
	*in = 0;
	vq->nlogv = 0;
	i = head;
	for (;;) {
		if (++count > vq->num) {
			fv_vq_fail(vq, "descriptor chain loops or outgrows the ring");
			return -EINVAL;
		}
		if (copy_from_user(&d, vq->desc + i, sizeof(d))) {
			fv_vq_fail(vq, "cannot read descriptor");
			return -EFAULT;
		}
		flags = v16(vq, d.flags);
		if (flags & VRING_DESC_F_INDIRECT) {
			if (flags & VRING_DESC_F_NEXT) {
				fv_vq_fail(vq, "indirect descriptor with next");
				return -EINVAL;
			}
			ret = walk_indirect(vq, &d, out, in);
		} else {
			ret = add_buf(vq, &d, out, in);
		}
		if (ret)
			return ret;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		i = v16(vq, d.next);
		if (i >= vq->num) {
			fv_vq_fail(vq, "descriptor next out of range");
			return -EINVAL;
		}
	}

	vq->last_avail++;
	return head;
}

/* Give back the chain fv_vq_pop() returned last; it is read again later. */
void fv_vq_unpop(struct fv_vq *vq)
{
	vq->last_avail--;
}

int fv_vq_push(struct fv_vq *vq, u16 head, u32 len)
{
	struct vring_used_elem __user *e;

	lockdep_assert_held(&vq->mutex);
	if (!vq->num || !vq->used)
		return -EIO;

	e = &vq->used->ring[vq->last_used % vq->num];
	if (put_user(to_v32(vq, head), &e->id) ||
	    put_user(to_v32(vq, len), &e->len))
		goto fault;
	if (fv_log_used(vq, e, sizeof(*e)))
		return -EFAULT;
	/* The element must be visible before the index that publishes it. */
	smp_wmb();
	if (put_user(to_v16(vq, vq->last_used + 1), &vq->used->idx))
		goto fault;
	vq->last_used++;
	if (fv_log_used(vq, &vq->used->idx, sizeof(vq->used->idx)))
		return -EFAULT;
	return 0;

fault:
	fv_vq_fail(vq, "cannot write used ring");
	return -EFAULT;
}

static bool need_signal(struct fv_vq *vq)
{
	u16 old, cur = vq->last_used;
	bool valid;
	__virtio16 v;

	/* Our used index must be visible before we read the driver's view. */
	smp_mb();

	if (has_feature(vq, VIRTIO_F_NOTIFY_ON_EMPTY) &&
	    vq->avail_idx == vq->last_avail) {
		if (get_user(v, &vq->avail->idx))
			return true;
		if (v16(vq, v) == vq->last_avail)
			return true;
	}

	if (!has_feature(vq, VIRTIO_RING_F_EVENT_IDX)) {
		if (get_user(v, &vq->avail->flags))
			return true;
		return !(v16(vq, v) & VRING_AVAIL_F_NO_INTERRUPT);
	}

	old = vq->signalled_used;
	valid = vq->signalled_valid;
	vq->signalled_used = cur;
	vq->signalled_valid = true;
	if (!valid)
		return true;
	if (get_user(v, &vq->avail->ring[vq->num]))
		return true;
	return vring_need_event(v16(vq, v), cur, old);
}

/* Interrupt the guest for used elements pushed since the last call. */
void fv_vq_notify(struct fv_vq *vq)
{
	lockdep_assert_held(&vq->mutex);
	if (vq->call && need_signal(vq)) {
		fv_eventfd_signal(vq->call);
		fv_stat_add(&vq->stats, FV_STAT_INTERRUPTS, 1);
	}
}

/*
 * Ask for kicks again.  Returns true when buffers arrived meanwhile: the
 * caller must then keep going rather than sleep.
 */
bool fv_vq_enable_notify(struct fv_vq *vq)
{
	__virtio16 __user *p = &vq->used->flags;
	__virtio16 v;

	lockdep_assert_held(&vq->mutex);
	if (vq->broken)
		return false;
	if (has_feature(vq, VIRTIO_RING_F_EVENT_IDX)) {
		p = (__virtio16 __user *)&vq->used->ring[vq->num];
		v = to_v16(vq, vq->avail_idx);
	} else {
		v = to_v16(vq, 0);
	}
	if (put_user(v, p)) {
		fv_vq_fail(vq, "cannot write used ring");
		return false;
	}
	if (fv_log_used(vq, p, sizeof(*p)))
		return false;
	/* Publish the request for kicks before looking at the index again. */
	smp_mb();
	if (get_user(v, &vq->avail->idx)) {
		fv_vq_fail(vq, "cannot read avail index");
		return false;
	}
	return v16(vq, v) != vq->avail_idx;
}

/* For polling: buffers the guest made available that we have not taken. */
bool fv_vq_avail_pending(struct fv_vq *vq)
{
	__virtio16 v;

	lockdep_assert_held(&vq->mutex);
	if (!vq->enabled || vq->broken)
		return false;
	if (vq->avail_idx != vq->last_avail)
		return true;
	/* A fault is for the handler to find and report. */
	if (get_user(v, &vq->avail->idx))
		return true;
	return v16(vq, v) != vq->last_avail;
}

void fv_vq_disable_notify(struct fv_vq *vq)
{
	lockdep_assert_held(&vq->mutex);
	if (vq->broken || has_feature(vq, VIRTIO_RING_F_EVENT_IDX))
		return;
	if (put_user(to_v16(vq, VRING_USED_F_NO_NOTIFY), &vq->used->flags))
		fv_vq_fail(vq, "cannot write used ring");
	else
		fv_log_used(vq, &vq->used->flags, sizeof(vq->used->flags));
}

/* True when the ring is fully described and reachable. */
bool fv_vq_ready(struct fv_vq *vq)
{
	size_t n = vq->num;

	lockdep_assert_held(&vq->mutex);
	return n && vq->desc && vq->avail && vq->used &&
		access_ok(vq->desc, n * sizeof(struct vring_desc)) &&
		access_ok(vq->avail, struct_size(vq->avail, ring, n + 1)) &&
		access_ok(vq->used, struct_size(vq->used, ring, n) +
			  sizeof(__virtio16));
}

static int kick_wake(wait_queue_entry_t *wait, unsigned int mode, int sync,
		     void *key)
{
	struct fv_vq *vq = container_of(wait, struct fv_vq, kick.wait);

	if (!(key_to_poll(key) & EPOLLIN))
		return 0;
	set_bit(FV_VQ_KICKED, &vq->pending);
	set_bit(FV_VQ_KICK, &vq->pending);
	fv_vq_wake(vq);
	return 0;
}

static void kick_queue(struct file *file, wait_queue_head_t *wqh,
		       poll_table *pt)
{
	struct fv_poll *p = container_of(pt, struct fv_poll, table);

	p->wqh = wqh;
	add_wait_queue(wqh, &p->wait);
}

static void kick_stop(struct fv_vq *vq)
{
	struct fv_poll *p = &vq->kick;

	if (p->wqh) {
		remove_wait_queue(p->wqh, &p->wait);
		p->wqh = NULL;
	}
	if (p->file) {
		fput(p->file);
		p->file = NULL;
	}
}

static void kick_start(struct fv_vq *vq, struct file *file)
{
	struct fv_poll *p = &vq->kick;
	__poll_t mask;

	p->file = file;
	init_poll_funcptr(&p->table, kick_queue);
	mask = vfs_poll(file, &p->table);
	if (mask & EPOLLIN) {
		set_bit(FV_VQ_KICK, &vq->pending);
		fv_vq_wake(vq);
	}
}

static int set_kick(struct fv_vq *vq, int fd)
{
	struct file *file = NULL;

	if (fd != VHOST_FILE_UNBIND) {
		file = eventfd_fget(fd);
		if (IS_ERR(file))
			return PTR_ERR(file);
	}
	kick_stop(vq);
	if (file)
		kick_start(vq, file);
	return 0;
}

static int set_ctx(struct eventfd_ctx **slot, int fd)
{
	struct eventfd_ctx *ctx = NULL;

	if (fd != VHOST_FILE_UNBIND) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	if (*slot)
		eventfd_ctx_put(*slot);
	*slot = ctx;
	return 0;
}

/*
 * While the queue runs (@busy) only the logging of the used ring may
 * change: a migration turns it on and off with the same ring addresses.
 */
static long set_addr(struct fv_vq *vq, void __user *argp, bool busy)
{
	struct vhost_vring_addr a;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.flags & ~BIT(VHOST_VRING_F_LOG))
		return -EOPNOTSUPP;
	if ((a.desc_user_addr & (16 - 1)) || (a.avail_user_addr & (2 - 1)) ||
	    (a.used_user_addr & (4 - 1)))
		return -EINVAL;
	if (a.desc_user_addr > ULONG_MAX || a.avail_user_addr > ULONG_MAX ||
	    a.used_user_addr > ULONG_MAX)
		return -EFAULT;
	if (busy) {
		if (u64_to_user_ptr(a.desc_user_addr) != vq->desc ||
		    u64_to_user_ptr(a.avail_user_addr) != vq->avail ||
		    u64_to_user_ptr(a.used_user_addr) != vq->used)
			return -EBUSY;
	}
	if (busy)
		goto log;
	vq->desc = u64_to_user_ptr(a.desc_user_addr);
	vq->avail = u64_to_user_ptr(a.avail_user_addr);
	vq->used = u64_to_user_ptr(a.used_user_addr);
	if (vq->num && !fv_vq_ready(vq)) {
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		return -EINVAL;
	}
	vq->broken = false;
log:
	vq->log_used = a.flags & BIT(VHOST_VRING_F_LOG);
	vq->log_addr = a.log_guest_addr;
	return 0;
}

/* The VHOST_*_VRING_* ioctls; called with dev->mutex held. */
long fv_vq_ioctl(struct fv_dev *dev, unsigned int ioctl, void __user *argp)
{
	struct vhost_vring_state s;
	struct vhost_vring_file f;
	struct fv_vq *vq;
	long ret = 0;
	bool busy;
	u32 idx;

	lockdep_assert_held(&dev->mutex);

	if (get_user(idx, (u32 __user *)argp))
		return -EFAULT;
	if (idx >= FV_MAX_VQS)
		return -ENOBUFS;
	idx = array_index_nospec(idx, FV_MAX_VQS);
	vq = dev->vqs[idx];
	/*
	 * While the endpoint is set no ring changes: not those of the queues
	 * served, and no other queue is set up (the workers have no buffers
	 * for it, see served() in worker.c).
	 */
	busy = dev->running;

	mutex_lock(&vq->mutex);
	busy |= vq->enabled;
	switch (ioctl) {
	case VHOST_SET_VRING_NUM:
		if (busy) {
			ret = -EBUSY;
		} else if (copy_from_user(&s, argp, sizeof(s))) {
			ret = -EFAULT;
		} else if (!s.num || s.num > FV_RING_MAX ||
			   (s.num & (s.num - 1))) {
			ret = -EINVAL;
		} else {
			vq->num = s.num;
			vq->broken = false;
		}
		break;
	case VHOST_SET_VRING_BASE:
		if (busy) {
			ret = -EBUSY;
		} else if (copy_from_user(&s, argp, sizeof(s))) {
			ret = -EFAULT;
		} else if (s.num > 0xffff) {
			ret = -EINVAL;
		} else {
			vq->last_avail = s.num;
			vq->avail_idx = s.num;
			vq->broken = false;
		}
		break;
	case VHOST_GET_VRING_BASE:
		s.index = idx;
		s.num = vq->last_avail;
		if (copy_to_user(argp, &s, sizeof(s)))
			ret = -EFAULT;
		break;
	case VHOST_SET_VRING_ADDR:
		ret = set_addr(vq, argp, busy);
		break;
	case VHOST_SET_VRING_KICK:
	case VHOST_SET_VRING_CALL:
	case VHOST_SET_VRING_ERR:
		if (copy_from_user(&f, argp, sizeof(f))) {
			ret = -EFAULT;
			break;
		}
		if (ioctl == VHOST_SET_VRING_KICK)
			ret = set_kick(vq, f.fd);
		else if (ioctl == VHOST_SET_VRING_CALL)
			ret = set_ctx(&vq->call, f.fd);
		else
			ret = set_ctx(&vq->err, f.fd);
		break;
	default:
		ret = -ENOIOCTLCMD;
		break;
	}
	mutex_unlock(&vq->mutex);
	return ret;
}

/* Forget the ring and the eventfds; the queue must not be running. */
void fv_vq_reset(struct fv_vq *vq)
{
	mutex_lock(&vq->mutex);
	kick_stop(vq);
	set_ctx(&vq->call, VHOST_FILE_UNBIND);
	set_ctx(&vq->err, VHOST_FILE_UNBIND);
	vq->num = 0;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->features = 0;
	vq->mem = NULL;
	vq->last_avail = 0;
	vq->avail_idx = 0;
	vq->last_used = 0;
	vq->signalled_valid = false;
	vq->broken = false;
	vq->notify_off = false;
	vq->pending = 0;
	vq->log_used = false;
	vq->log_addr = 0;
	vq->nlogv = 0;
	mutex_unlock(&vq->mutex);
}

int fv_vq_alloc(struct fv_dev *dev, unsigned int index, struct fv_vq **vqp)
{
	struct fv_vq *vq;

	vq = kzalloc(sizeof(*vq), GFP_KERNEL_ACCOUNT);
	if (!vq)
		return -ENOMEM;
	mutex_init(&vq->mutex);
	vq->dev = dev;
	vq->index = index;
	init_llist_head(&vq->done);
	atomic_set(&vq->inflight, 0);
	fv_submit_init(vq);
	fv_stats_init(&vq->stats);
	vq->node = NUMA_NO_NODE;
	vq->rs = &dev->log_rs;
	init_waitqueue_func_entry(&vq->kick.wait, kick_wake);
	*vqp = vq;
	return 0;
}

void fv_vq_free(struct fv_vq *vq)
{
	if (!vq)
		return;
	fv_vq_reset(vq);
	kfree(vq);
}
