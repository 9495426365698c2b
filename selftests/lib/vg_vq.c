// SPDX-License-Identifier: GPL-2.0
/*
 * Driver side of a split virtqueue (virtio 1.x, little endian).
 *
 * The free list lives in private memory (vq->next), not in the descriptor
 * table, so a chain is recycled by its recorded length even when a hostile
 * test wrote nonsense into the descriptors themselves.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vguest.h"
#include "vg_internal.h"

int vg_vq_layout(struct vg_vq *vq, unsigned int num)
{
	struct vg_dev *d = vq->dev;

	if (!num || num > 32768 || (num & (num - 1)))
		return vg_fail(d, -EINVAL, "ring size %u: need a power of two <= 32768",
			       num);
	vq->num = num;
	vq->desc = vg_alloc(d, sizeof(struct vring_desc) * num, 4096);
	vq->avail = vg_alloc(d, sizeof(struct vring_avail) +
			     sizeof(uint16_t) * (num + 1), 4096);
	vq->used = vg_alloc(d, sizeof(struct vring_used) +
			    sizeof(struct vring_used_elem) * num +
			    sizeof(uint16_t), 4096);
	vq->indirect = vg_alloc(d, sizeof(struct vring_desc) * VG_MAX_SEGS *
				num, 64);
	vq->hdr = vg_alloc(d, sizeof(struct vg_hdr) * num, 64);
	if (!vq->desc || !vq->avail || !vq->used || !vq->indirect || !vq->hdr)
		return vg_fail(d, -ENOMEM, "vq %u: arena too small for ring of %u",
			       vq->index, num);
	vq->next = calloc(num, sizeof(*vq->next));
	vq->chain = calloc(num, sizeof(*vq->chain));
	vq->cookie = calloc(num, sizeof(*vq->cookie));
	if (!vq->next || !vq->chain || !vq->cookie)
		return vg_fail(d, -ENOMEM, "vq %u: out of memory", vq->index);
	vg_vq_reset(vq);
	return 0;
}

void vg_vq_reset(struct vg_vq *vq)
{
	unsigned int i, n = vq->num;

	memset(vq->desc, 0, sizeof(struct vring_desc) * n);
	memset(vq->avail, 0, sizeof(struct vring_avail) +
	       sizeof(uint16_t) * (n + 1));
	memset(vq->used, 0, sizeof(struct vring_used) +
	       sizeof(struct vring_used_elem) * n + sizeof(uint16_t));
	for (i = 0; i < n; i++) {
		vq->next[i] = (i + 1) % n;
		vq->chain[i] = 0;
		vq->cookie[i] = NULL;
	}
	vq->free_head = 0;
	vq->num_free = n;
	vq->avail_shadow = 0;
	vq->avail_kicked = 0;
	vq->last_used = 0;
	vq->inflight = 0;
	vq->cb_enabled = true;
}

static void put_desc(struct vring_desc *d, uint64_t gpa, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	d->addr = htole64(gpa);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

int vg_vq_add(struct vg_vq *vq, const struct vg_sg *sg, unsigned int nsg,
	      bool indirect, void *cookie)
{
	unsigned int i, need;
	uint16_t head, id, flags;
	bool seen_in = false;

	if (!nsg)
		return -EINVAL;
	for (i = 0; i < nsg; i++) {
		if (sg[i].gpa == VG_BAD_GPA)
			return -EFAULT;
		if (seen_in && !sg[i].in)
			return -EINVAL;	/* out after in: use vg_raw_* */
		seen_in |= sg[i].in;
	}
	if (indirect && nsg > VG_MAX_SEGS)
		return -E2BIG;
	need = indirect ? 1 : nsg;
	if (vq->num_free < need)
		return -ENOSPC;

	head = vq->free_head;
	if (indirect) {
		struct vring_desc *t = vq->indirect + (size_t)head * VG_MAX_SEGS;

		for (i = 0; i < nsg; i++) {
			flags = sg[i].in ? VRING_DESC_F_WRITE : 0;
			if (i + 1 < nsg)
				flags |= VRING_DESC_F_NEXT;
			put_desc(&t[i], sg[i].gpa, sg[i].len, flags, i + 1);
		}
		put_desc(&vq->desc[head], vg_gpa(vq->dev, t),
			 nsg * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
		vq->free_head = vq->next[head];
	} else {
		id = head;
		for (i = 0; i < nsg; i++) {
			flags = sg[i].in ? VRING_DESC_F_WRITE : 0;
			if (i + 1 < nsg)
				flags |= VRING_DESC_F_NEXT;
			put_desc(&vq->desc[id], sg[i].gpa, sg[i].len, flags,
				 vq->next[id]);
			id = vq->next[id];
		}
		vq->free_head = id;
	}
	vq->num_free -= need;
	vq->chain[head] = need;
	vq->cookie[head] = cookie;
	vq->avail->ring[vq->avail_shadow & (vq->num - 1)] = htole16(head);
	vq->avail_shadow++;
	vq->inflight++;
	return head;
}

void vg_vq_notify(struct vg_vq *vq)
{
	uint64_t one = 1;

	vq->n_kicks++;
	if (write(vq->kick_fd, &one, sizeof(one)) != sizeof(one))
		vg_fail(vq->dev, -errno, "vq %u: kick eventfd write: %m",
			vq->index);
}

bool vg_vq_kick(struct vg_vq *vq)
{
	uint16_t old = vq->avail_kicked, new = vq->avail_shadow;
	bool need;

	vg_store_rel(&vq->avail->idx, htole16(new));
	/* Publish the index before reading the device's suppression. */
	vg_mb();
	vq->avail_kicked = new;
	if (vq->always_kick)
		need = true;
	else if (new == old)
		need = false;
	else if (vq->event_idx)
		need = vring_need_event(le16toh(vg_load_acq(vg_avail_event(vq))),
					new, old);
	else
		need = !(le16toh(vg_load_acq(&vq->used->flags)) &
			 VRING_USED_F_NO_NOTIFY);
	if (need)
		vg_vq_notify(vq);
	else
		vq->n_kicks_saved++;
	return need;
}

bool vg_vq_has_used(const struct vg_vq *vq)
{
	return le16toh(vg_load_acq(&vq->used->idx)) != vq->last_used;
}

int vg_vq_pop(struct vg_vq *vq, void **cookie, uint32_t *len)
{
	struct vring_used_elem *e;
	uint32_t id;
	uint16_t tail, n, k;

	if (!vg_vq_has_used(vq))
		return -EAGAIN;
	e = &vq->used->ring[vq->last_used & (vq->num - 1)];
	id = le32toh(e->id);
	if (len)
		*len = le32toh(e->len);
	vq->last_used++;
	if (id >= vq->num || !vq->chain[id]) {
		vq->n_bad_used++;
		vg_fail(vq->dev, -EPROTO,
			"vq %u: device used id %u, which is not in flight",
			vq->index, id);
		return -EPROTO;
	}
	n = vq->chain[id];
	for (tail = id, k = 1; k < n; k++)
		tail = vq->next[tail];
	vq->next[tail] = vq->free_head;
	vq->free_head = id;
	vq->num_free += n;
	vq->chain[id] = 0;
	if (cookie)
		*cookie = vq->cookie[id];
	vq->cookie[id] = NULL;
	vq->inflight--;
	return id;
}

void vg_vq_enable_cb(struct vg_vq *vq, bool enable)
{
	vq->cb_enabled = enable;
	if (vq->event_idx) {
		uint16_t ev = vq->last_used + (enable ? 0 : 0x7fff);

		vg_store_rel(vg_used_event(vq), htole16(ev));
	} else {
		vq->avail->flags = htole16(enable ? 0 :
					   VRING_AVAIL_F_NO_INTERRUPT);
	}
	vg_mb();
}

static int64_t ms_left(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (end->tv_sec - now.tv_sec) * 1000 +
	       (end->tv_nsec - now.tv_nsec) / 1000000;
}

/* @end = now + @ms. */
static void deadline(struct timespec *end, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, end);
	end->tv_sec += ms / 1000;
	end->tv_nsec += (long)(ms % 1000) * 1000000;
	if (end->tv_nsec >= 1000000000) {
		end->tv_sec++;
		end->tv_nsec -= 1000000000;
	}
}

int vg_vq_wait(struct vg_vq *vq, int timeout_ms)
{
	struct timespec end;
	struct pollfd pfd = { .fd = vq->call_fd, .events = POLLIN };
	uint64_t cnt;
	int64_t left;
	int rc;

	deadline(&end, timeout_ms);
	vq->n_waits++;
	for (;;) {
		if (vg_vq_has_used(vq))
			return 1;
		vg_vq_enable_cb(vq, true);
		if (vg_vq_has_used(vq))
			return 1;
		left = timeout_ms < 0 ? -1 : ms_left(&end);
		if (timeout_ms >= 0 && left <= 0)
			return 0;
		rc = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (rc < 0 && errno != EINTR)
			return -errno;
		if (rc > 0 && read(vq->call_fd, &cnt, sizeof(cnt)) == sizeof(cnt))
			vq->n_calls++;
	}
}

int vg_vq_wait_or_broken(struct vg_vq *vq, int timeout_ms, int grace_ms)
{
	struct pollfd pfd = { .fd = vq->err_fd, .events = POLLIN };
	struct timespec end;
	int64_t left;
	int rc, slice;

	deadline(&end, timeout_ms);
	/* The call eventfd in short slices, the error eventfd between them. */
	for (;;) {
		left = ms_left(&end);
		slice = left < 20 ? (int)(left < 0 ? 0 : left) : 20;
		rc = vg_vq_wait(vq, slice);
		if (rc)
			return rc;
		if (poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN)) {
			/* Broken; nothing may be used after it, so look once more. */
			rc = vg_vq_wait(vq, grace_ms);
			return rc ? rc : -EPIPE;
		}
		if (left <= 0)
			return 0;
	}
}

uint64_t vg_vq_errors(struct vg_vq *vq)
{
	uint64_t cnt = 0;

	if (read(vq->err_fd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return 0;
	return cnt;
}

unsigned int vg_vq_inflight(const struct vg_vq *vq)
{
	return vq->inflight;
}
