// SPDX-License-Identifier: GPL-2.0
/*
 * Raw ring access for hostile tests: descriptors with arbitrary contents,
 * avail entries and indexes the driver would never produce.
 *
 * vg_raw_take() reserves descriptors through the normal free list, so if
 * the device does return the head, vg_vq_pop() recycles them as usual.
 */
#include <errno.h>

#include "vguest.h"
#include "vg_internal.h"

int vg_raw_take(struct vg_vq *vq, unsigned int n, uint16_t *ids, void *cookie)
{
	uint16_t id, head;
	unsigned int i;

	if (!n || vq->num_free < n)
		return -ENOSPC;
	head = id = vq->free_head;
	for (i = 0; i < n; i++) {
		ids[i] = id;
		id = vq->next[id];
	}
	vq->free_head = id;
	vq->num_free -= n;
	vq->chain[head] = n;
	vq->cookie[head] = cookie;
	vq->inflight++;
	return 0;
}

void vg_raw_desc(struct vg_vq *vq, uint16_t id, uint64_t gpa, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	struct vring_desc *d = &vq->desc[id % vq->num];

	d->addr = htole64(gpa);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

void vg_raw_avail(struct vg_vq *vq, uint16_t head)
{
	vq->avail->ring[vq->avail_shadow & (vq->num - 1)] = htole16(head);
	vq->avail_shadow++;
}

void vg_raw_avail_idx(struct vg_vq *vq, uint16_t idx)
{
	vg_store_rel(&vq->avail->idx, htole16(idx));
	vg_mb();
	vg_vq_notify(vq);
}
