// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging for live migration (VHOST_F_LOG_ALL).
 *
 * The owner gives a bitmap in its own memory (VHOST_SET_LOG_BASE), one bit
 * per 4 KiB page of guest physical memory, and reads it back while the
 * guest runs.  Every guest page the device writes gets its bit set after
 * the write and before the guest can see the completion: a command's
 * buffers (its whole chain, both directions, as LIO's emulated commands
 * may fill a device-readable buffer), control and event responses, and,
 * with VHOST_VRING_F_LOG, each write into the used ring.
 *
 * Bits are set with an atomic OR on the long that holds them, so neither
 * another queue's worker nor the owner's harvesting (an exchange of whole
 * longs) loses one.  The bitmap's page is pinned for the moment it takes.
 * A bitmap that cannot be written breaks the queue that tried.
 */
#include <linux/bitops.h>
#include <linux/eventfd.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vhost.h>

#include "compat.h"
#include "fastvhost.h"

#define FV_LOG_SHIFT	12	/* VHOST_LOG_PAGE: 4 KiB, whatever PAGE_SIZE */

/* The byte order of the bitmap is that of longs on a little-endian CPU. */
#ifdef __BIG_ENDIAN
#error "dirty logging assumes a little-endian CPU"
#endif

bool fv_log_on(const struct fv_vq *vq)
{
	return vq->log_base && (vq->features & BIT_ULL(VHOST_F_LOG_ALL));
}

/*
 * Note a buffer of the chain being taken (fv_vq_pop()); runs for every
 * descriptor, logging on or off, so that a chain's buffers are known
 * whenever logging starts.  Adjacent buffers of one direction merge.
 */
void fv_log_note(struct fv_vq *vq, u64 gpa, u32 len, bool write)
{
	struct fv_logr *r = vq->nlogv ? &vq->logv[vq->nlogv - 1] : NULL;

	if (!len)
		return;
	if (r && r->write == write && gpa - r->gpa == r->len &&
	    r->len <= U32_MAX - len) {
		r->len += len;
		return;
	}
	/* One entry per non-empty descriptor: no more than vq->iov holds. */
	if (WARN_ON_ONCE(vq->nlogv == FV_IOV_MAX))
		return;
	vq->logv[vq->nlogv++] = (struct fv_logr){ gpa, len, write };
}

/*
 * Copy the chain's buffers: all of them, or (@write_only) the first @limit
 * device-writable bytes.  Returns how many ranges, or -ENOSPC when more
 * than @max are needed.
 */
int fv_log_copy(const struct fv_vq *vq, struct fv_logr *dst, unsigned int max,
		bool write_only, u64 limit)
{
	unsigned int i, n = 0;

	for (i = 0; i < vq->nlogv && limit; i++) {
		struct fv_logr r = vq->logv[i];

		if (write_only && !r.write)
			continue;
		if (n == max)
			return -ENOSPC;
		if (write_only) {
			r.len = min_t(u64, r.len, limit);
			limit -= r.len;
		}
		dst[n++] = r;
	}
	return n;
}

/* Set the bits of guest pages first..last in the owner's bitmap. */
static int set_bits(struct fv_vq *vq, u64 first, u64 last)
{
	while (first <= last) {
		u64 off = first / BITS_PER_LONG * sizeof(long);
		unsigned long addr, in_page;
		struct page *page;
		void *kaddr;
		u64 end;

		if (off > ULONG_MAX - vq->log_base)
			return -EFAULT;
		addr = vq->log_base + off;
		if (pin_user_pages_fast(addr & PAGE_MASK, 1, FOLL_WRITE,
					&page) != 1)
			return -EFAULT;
		/* The bits this page of the bitmap holds, from @first on. */
		in_page = PAGE_SIZE - offset_in_page(addr);
		end = first - first % BITS_PER_LONG +
			in_page / sizeof(long) * BITS_PER_LONG - 1;
		end = min(end, last);
		kaddr = kmap_local_page(page);
		while (first <= end) {
			unsigned int lo = first % BITS_PER_LONG;
			unsigned int hi = min_t(u64, end - first + lo,
						BITS_PER_LONG - 1);
			unsigned long w = vq->log_base +
				first / BITS_PER_LONG * sizeof(long);

			atomic_long_or(GENMASK(hi, lo),
				       kaddr + offset_in_page(w));
			first += hi - lo + 1;
		}
		kunmap_local(kaddr);
		unpin_user_pages_dirty_lock(&page, 1, true);
	}
	return 0;
}

static int log_write(struct fv_vq *vq, u64 gpa, u64 len)
{
	if (!len)
		return 0;
	if (gpa > U64_MAX - (len - 1))
		return -EFAULT;
	return set_bits(vq, gpa >> FV_LOG_SHIFT,
			(gpa + len - 1) >> FV_LOG_SHIFT);
}

static int log_failed(struct fv_vq *vq)
{
	fv_vq_fail(vq, "cannot write the dirty log");
	return -EFAULT;
}

/*
 * Log the guest pages of @r[0..n) if logging is on.  On failure the queue
 * is broken, and the caller must not publish what it wrote.
 */
int fv_log_ranges(struct fv_vq *vq, const struct fv_logr *r, unsigned int n)
{
	unsigned int i;

	lockdep_assert_held(&vq->mutex);
	if (!fv_log_on(vq) || !n)
		return 0;
	for (i = 0; i < n; i++)
		if (log_write(vq, r[i].gpa, r[i].len))
			return log_failed(vq);
	if (vq->log_ctx)
		fv_eventfd_signal(vq->log_ctx);
	return 0;
}

/* The device-writable buffers of the chain in hand, for a reply now. */
int fv_log_chain(struct fv_vq *vq)
{
	unsigned int i;

	lockdep_assert_held(&vq->mutex);
	if (!fv_log_on(vq))
		return 0;
	for (i = 0; i < vq->nlogv; i++)
		if (vq->logv[i].write &&
		    log_write(vq, vq->logv[i].gpa, vq->logv[i].len))
			return log_failed(vq);
	if (vq->log_ctx)
		fv_eventfd_signal(vq->log_ctx);
	return 0;
}

/* A write of @len bytes at @p in the used ring (VHOST_VRING_F_LOG). */
int fv_log_used(struct fv_vq *vq, const void __user *p, size_t len)
{
	u64 off = (const char __user *)p - (const char __user *)vq->used;

	lockdep_assert_held(&vq->mutex);
	if (!vq->log_used || !fv_log_on(vq))
		return 0;
	if (vq->log_addr > U64_MAX - off ||
	    log_write(vq, vq->log_addr + off, len))
		return log_failed(vq);
	if (vq->log_ctx)
		fv_eventfd_signal(vq->log_ctx);
	return 0;
}

static bool all_logged(struct fv_dev *dev)
{
	unsigned int i;

	for (i = FV_NR_FIXED_VQS; i < FV_MAX_VQS; i++)
		if (READ_ONCE(dev->vqs[i]->unlogged))
			return false;
	return true;
}

/*
 * Logging has just been turned on: wait for the commands taken before,
 * whose buffers nobody noted.  Once they are done, everything the device
 * writes is logged, and the owner may start reading guest memory.
 */
int fv_log_wait(struct fv_dev *dev)
{
	lockdep_assert_held(&dev->mutex);
	if (!dev->running || !dev->log_base ||
	    !(dev->features & BIT_ULL(VHOST_F_LOG_ALL)))
		return 0;
	return wait_event_killable(dev->drain_wq, all_logged(dev)) ? -EINTR : 0;
}

static void put_log(struct fv_dev *dev)
{
	unsigned int i;

	/* Once a queue's mutex is dropped, its worker uses the new values. */
	for (i = 0; i < FV_MAX_VQS; i++) {
		struct fv_vq *vq = dev->vqs[i];

		mutex_lock(&vq->mutex);
		vq->log_base = dev->log_base;
		vq->log_ctx = dev->log_ctx;
		mutex_unlock(&vq->mutex);
	}
}

/* VHOST_SET_LOG_BASE and VHOST_SET_LOG_FD; under dev->mutex. */
long fv_log_ioctl(struct fv_dev *dev, unsigned int ioctl, void __user *argp)
{
	struct eventfd_ctx *ctx = NULL, *old = NULL;
	unsigned long old_base = dev->log_base;
	u64 base = 0;
	int fd;

	lockdep_assert_held(&dev->mutex);
	if (ioctl == VHOST_SET_LOG_BASE) {
		if (copy_from_user(&base, argp, sizeof(base)))
			return -EFAULT;
		/* Longs of the bitmap are ORed whole: they must be aligned. */
		if (base % sizeof(long) || base > ULONG_MAX ||
		    !access_ok(u64_to_user_ptr(base), sizeof(long)))
			return -EINVAL;
		dev->log_base = base;
	} else {
		if (get_user(fd, (int __user *)argp))
			return -EFAULT;
		if (fd != VHOST_FILE_UNBIND) {
			ctx = eventfd_ctx_fdget(fd);
			if (IS_ERR(ctx))
				return PTR_ERR(ctx);
		}
		old = dev->log_ctx;
		dev->log_ctx = ctx;
	}
	put_log(dev);
	if (old)
		eventfd_ctx_put(old);
	if (!old_base && fv_log_wait(dev)) {
		dev->log_base = 0;
		put_log(dev);
		return -EINTR;
	}
	return 0;
}

/* Forget the log on RESET_OWNER and release; under dev->mutex. */
void fv_log_reset(struct fv_dev *dev)
{
	struct eventfd_ctx *ctx = dev->log_ctx;

	dev->log_base = 0;
	dev->log_ctx = NULL;
	put_log(dev);
	if (ctx)
		eventfd_ctx_put(ctx);
}
