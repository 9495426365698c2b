// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory: mmap'd arenas, a bump allocator, and the translation
 * between host pointers and the guest physical addresses the device sees.
 *
 * Region i sits at guest physical 4 GiB * (i + 1) + 1 MiB, so a device
 * that confuses the two address spaces faults instead of working by luck.
 * With adjacent_regions the regions are back to back in guest physical
 * space (but not in host memory), so one descriptor can straddle them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vguest.h"
#include "vg_internal.h"

#define VG_GPA_BASE	0x100100000ULL
#define VG_GPA_STRIDE	0x100000000ULL

int vg_mem_map(struct vg_dev *d, const struct vg_opts *o)
{
	uint64_t gpa = VG_GPA_BASE;
	unsigned int i;

	if (!o->nregions || o->nregions > VG_MAX_REGIONS)
		return vg_fail(d, -EINVAL, "nregions %u out of range 1..%d",
			       o->nregions, VG_MAX_REGIONS);
	if (o->arena_size < (1 << 20) || (o->arena_size & 4095))
		return vg_fail(d, -EINVAL,
			       "arena_size %zu: need >= 1 MiB, page multiple",
			       o->arena_size);

	for (i = 0; i < o->nregions; i++) {
		struct vg_region *r = &d->reg[i];

		r->host = mmap(NULL, o->arena_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);
		if (r->host == MAP_FAILED) {
			r->host = NULL;
			return vg_fail(d, -errno, "mmap arena %u (%zu bytes): %m",
				       i, o->arena_size);
		}
		r->size = o->arena_size;
		r->gpa = gpa;
		r->used = 0;
		d->nregions = i + 1;
		gpa += o->adjacent_regions ? o->arena_size : VG_GPA_STRIDE;
	}
	return 0;
}

void vg_mem_unmap(struct vg_dev *d)
{
	unsigned int i;

	for (i = 0; i < d->nregions; i++) {
		if (d->reg[i].host)
			munmap(d->reg[i].host, d->reg[i].size);
		d->reg[i].host = NULL;
	}
	d->nregions = 0;
}

void *vg_alloc_in(struct vg_dev *d, unsigned int region, size_t size,
		  size_t align)
{
	struct vg_region *r;
	size_t off;

	if (region >= d->nregions || !align || (align & (align - 1)))
		return NULL;
	r = &d->reg[region];
	off = (r->used + align - 1) & ~(align - 1);
	if (off > r->size || size > r->size - off)
		return NULL;
	r->used = off + size;
	/* zero: fresh anonymous memory, or cleared by vg_mem_release */
	return (char *)r->host + off;
}

void *vg_alloc(struct vg_dev *d, size_t size, size_t align)
{
	unsigned int i;
	void *p;

	for (i = 0; i < d->nregions; i++) {
		p = vg_alloc_in(d, i, size, align);
		if (p)
			return p;
	}
	vg_fail(d, -ENOMEM, "arena full: %zu bytes requested", size);
	return NULL;
}

void vg_mem_mark(const struct vg_dev *d, struct vg_mark *m)
{
	unsigned int i;

	for (i = 0; i < VG_MAX_REGIONS; i++)
		m->used[i] = i < d->nregions ? d->reg[i].used : 0;
}

void vg_mem_release(struct vg_dev *d, const struct vg_mark *m)
{
	unsigned int i;

	for (i = 0; i < d->nregions; i++) {
		struct vg_region *r = &d->reg[i];

		if (m->used[i] < r->used) {
			/* vg_alloc promises zeroed memory */
			memset((char *)r->host + m->used[i], 0,
			       r->used - m->used[i]);
			r->used = m->used[i];
		}
	}
}

uint64_t vg_gpa(const struct vg_dev *d, const void *p)
{
	const char *c = p;
	unsigned int i;

	for (i = 0; i < d->nregions; i++) {
		const struct vg_region *r = &d->reg[i];
		const char *h = r->host;

		if (c >= h && c < h + r->size)
			return r->gpa + (uint64_t)(c - h);
	}
	return VG_BAD_GPA;
}

void *vg_host(const struct vg_dev *d, uint64_t gpa, size_t len)
{
	unsigned int i;

	for (i = 0; i < d->nregions; i++) {
		const struct vg_region *r = &d->reg[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size &&
		    len <= r->size - (gpa - r->gpa))
			return (char *)r->host + (gpa - r->gpa);
	}
	return NULL;
}

int vg_set_mem_table_raw(struct vg_dev *d,
			 const struct vhost_memory_region *r, unsigned int n)
{
	struct {
		struct vhost_memory hdr;
		struct vhost_memory_region reg[VG_MAX_REGIONS + 4];
	} m;

	if (n > VG_MAX_REGIONS + 4)
		return -E2BIG;
	memset(&m, 0, sizeof(m));
	m.hdr.nregions = n;
	memcpy(m.reg, r, n * sizeof(*r));
	return vg_ioctl(d, VHOST_SET_MEM_TABLE, &m, "VHOST_SET_MEM_TABLE");
}

int vg_set_mem_table(struct vg_dev *d)
{
	struct vhost_memory_region r[VG_MAX_REGIONS];
	unsigned int i;

	memset(r, 0, sizeof(r));
	for (i = 0; i < d->nregions; i++) {
		r[i].guest_phys_addr = d->reg[i].gpa;
		r[i].memory_size = d->reg[i].size;
		r[i].userspace_addr = (uint64_t)(uintptr_t)d->reg[i].host;
	}
	return vg_set_mem_table_raw(d, r, d->nregions);
}
