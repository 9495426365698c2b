/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the vguest sources; not part of the API. */
#ifndef VG_INTERNAL_H
#define VG_INTERNAL_H

#include <endian.h>
#include "vguest.h"

/* Record (and unless quiet, print) an error; returns err. */
int vg_fail(struct vg_dev *d, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define vg_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define vg_load_acq(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define vg_store_rel(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

/* EVENT_IDX fields live just past the rings. */
static inline uint16_t *vg_used_event(struct vg_vq *vq)
{
	return &vq->avail->ring[vq->num];
}

static inline uint16_t *vg_avail_event(struct vg_vq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->num];
}

#endif /* VG_INTERNAL_H */
