// SPDX-License-Identifier: GPL-2.0
/*
 * The memory table: guest physical ranges and where they live in the
 * owner's address space.
 *
 * A table is immutable once built.  SET_MEM_TABLE builds a new one and
 * installs it in every virtqueue under that queue's mutex, so a worker
 * sees one table for the whole of a request it parses; the old table is
 * freed after the last queue has let go of it.
 */
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/vhost.h>

#include "fastvhost.h"

/*
 * QEMU sizes its memory slots for a kernel vhost device from vhost.ko's
 * max_mem_regions parameter, a ushort that operators raise for memory
 * hotplug: take any table that parameter can allow.  A table is 24 bytes
 * a region, charged to the VM's memory cgroup.
 */
#define FV_MAX_REGIONS	U16_MAX

struct fv_mem_region {
	u64 gpa;
	u64 last;		/* last guest physical byte */
	u64 uaddr;
};

struct fv_mem {
	unsigned int nr;
	struct fv_mem_region r[];
};

static int region_cmp(const void *a, const void *b)
{
	const struct fv_mem_region *x = a, *y = b;

	if (x->gpa < y->gpa)
		return -1;
	return x->gpa > y->gpa;
}

static const struct fv_mem_region *lookup(const struct fv_mem *mem, u64 gpa)
{
	unsigned int lo = 0, hi = mem->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct fv_mem_region *r = &mem->r[mid];

		if (gpa < r->gpa)
			hi = mid;
		else if (gpa > r->last)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/*
 * Map [gpa, gpa + len) to at most @max iovecs in the owner's address
 * space.  Returns the number used, -EFAULT when part of the range is not
 * in the table or the range wraps, -ENOBUFS when @max is too small.
 */
int fv_mem_translate(const struct fv_mem *mem, u64 gpa, u64 len,
		     struct iovec *iov, unsigned int max)
{
	unsigned int n = 0;

	if (!mem)
		return -EFAULT;
	if (len && gpa + len - 1 < gpa)
		return -EFAULT;

	while (len) {
		const struct fv_mem_region *r = lookup(mem, gpa);
		u64 chunk;

		if (!r)
			return -EFAULT;
		if (n == max)
			return -ENOBUFS;
		chunk = min(len, r->last - gpa + 1);
		iov[n].iov_base = u64_to_user_ptr(r->uaddr + (gpa - r->gpa));
		iov[n].iov_len = chunk;
		n++;
		gpa += chunk;
		len -= chunk;
	}
	return n;
}

/* Copy @len bytes at guest address @gpa; -EFAULT if any is unreachable. */
int fv_mem_read(const struct fv_mem *mem, void *dst, u64 gpa, size_t len)
{
	if (!mem)
		return -EFAULT;
	if (len && gpa + len - 1 < gpa)
		return -EFAULT;

	while (len) {
		const struct fv_mem_region *r = lookup(mem, gpa);
		u64 chunk;

		if (!r)
			return -EFAULT;
		chunk = min_t(u64, len, r->last - gpa + 1);
		if (copy_from_user(dst, u64_to_user_ptr(r->uaddr +
							(gpa - r->gpa)),
				   chunk))
			return -EFAULT;
		dst += chunk;
		gpa += chunk;
		len -= chunk;
	}
	return 0;
}

void fv_mem_free(struct fv_mem *mem)
{
	kvfree(mem);
}

static int build(struct vhost_memory_region __user *ur, u32 nr,
		 struct fv_mem *mem)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		struct vhost_memory_region vr;

		if (copy_from_user(&vr, &ur[i], sizeof(vr)))
			return -EFAULT;
		if (!vr.memory_size ||
		    vr.guest_phys_addr + vr.memory_size - 1 < vr.guest_phys_addr ||
		    vr.userspace_addr + vr.memory_size - 1 < vr.userspace_addr ||
		    vr.userspace_addr > ULONG_MAX ||
		    !access_ok(u64_to_user_ptr(vr.userspace_addr),
			       vr.memory_size))
			return -EFAULT;
		mem->r[i].gpa = vr.guest_phys_addr;
		mem->r[i].last = vr.guest_phys_addr + vr.memory_size - 1;
		mem->r[i].uaddr = vr.userspace_addr;
	}
	mem->nr = nr;
	sort(mem->r, nr, sizeof(mem->r[0]), region_cmp, NULL);
	for (i = 1; i < nr; i++)
		if (mem->r[i].gpa <= mem->r[i - 1].last)
			return -EINVAL;
	return 0;
}

/* VHOST_SET_MEM_TABLE */
long fv_mem_set(struct fv_dev *dev, void __user *argp)
{
	struct vhost_memory __user *um = argp;
	struct vhost_memory hdr;
	struct fv_mem *mem, *old;
	unsigned int i;
	int ret;

	lockdep_assert_held(&dev->mutex);

	if (copy_from_user(&hdr, um, sizeof(hdr)))
		return -EFAULT;
	if (hdr.padding)
		return -EOPNOTSUPP;
	if (hdr.nregions > FV_MAX_REGIONS)
		return -E2BIG;

	mem = kvzalloc(struct_size(mem, r, hdr.nregions), GFP_KERNEL_ACCOUNT);
	if (!mem)
		return -ENOMEM;
	ret = build(um->regions, hdr.nregions, mem);
	if (ret) {
		kvfree(mem);
		return ret;
	}

	old = dev->mem;
	dev->mem = mem;
	WRITE_ONCE(dev->nr_regions, hdr.nregions);
	for (i = 0; i < FV_MAX_VQS; i++) {
		struct fv_vq *vq = dev->vqs[i];

		mutex_lock(&vq->mutex);
		vq->mem = mem;
		mutex_unlock(&vq->mutex);
	}
	fv_mem_free(old);
	return 0;
}
