/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Split virtqueues read through the owner's address space.
 *
 * Ring addresses are the owner's virtual addresses (as with vhost); the
 * buffer addresses in descriptors are guest physical addresses translated
 * through the memory table.  Every ring access happens either in an ioctl
 * of the owner or in a worker that has adopted the owner's mm, with
 * vq->mutex held.
 */
#ifndef _FV_VQ_H
#define _FV_VQ_H

#include <linux/atomic.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/ratelimit.h>
#include <linux/uio.h>
#include <linux/virtio_byteorder.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/workqueue.h>

#include "stats.h"

#define FV_IOV_MAX	1024		/* iovecs one request may map to */
#define FV_MAX_INDIRECT	1024		/* entries in one indirect table */
#define FV_RING_MAX	32768		/* largest ring size accepted */

struct fv_dev;
struct fv_worker;
struct fv_cmd;

/* A guest buffer by guest physical address, for the dirty log (log.c). */
struct fv_logr {
	u64 gpa;
	u32 len;
	u32 write;			/* device-writable */
};

struct fv_poll {
	wait_queue_entry_t wait;
	poll_table table;
	wait_queue_head_t *wqh;
	struct file *file;
};

/* Bits in fv_vq::pending, set from any context to wake the worker. */
enum {
	FV_VQ_KICK,		/* look at the avail ring */
	FV_VQ_KICKED,		/* the guest kicked (for the statistics) */
	FV_VQ_BROKEN_NTF,	/* announce the queue broke */
};

struct fv_vq {
	struct mutex mutex;		/* ring state; see fastvhost.h */
	struct fv_dev *dev;
	unsigned int index;

	/* Ring state, under mutex. */
	unsigned int num;
	struct vring_desc __user *desc;
	struct vring_avail __user *avail;
	struct vring_used __user *used;
	u64 features;
	const struct fv_mem *mem;
	u16 last_avail;
	u16 avail_idx;
	u16 last_used;
	u16 signalled_used;
	bool signalled_valid;
	bool broken;
	bool enabled;			/* endpoint set: requests are served */
	bool notify_off;		/* left off for polling, see poll.c */
	struct fv_poll kick;
	struct eventfd_ctx *call;
	struct eventfd_ctx *err;
	struct iovec *iov;		/* FV_IOV_MAX, for the request in hand */
	struct ratelimit_state *rs;	/* the device's */
	unsigned int epoch_cmds[2];	/* commands in flight by epoch */

	/* Dirty logging, under mutex (log.c). */
	unsigned long log_base;		/* the owner's bitmap; 0: none */
	struct eventfd_ctx *log_ctx;	/* the device's */
	bool log_used;			/* VHOST_VRING_F_LOG */
	u64 log_addr;			/* guest address of the used ring */
	struct fv_logr *logv;		/* the chain in hand: FV_IOV_MAX */
	unsigned int nlogv;
	unsigned int unlogged;		/* in flight, taken with logging off */

	/* Worker hand-off, any context. */
	struct fv_worker __rcu *worker;
	unsigned long pending;
	struct llist_head done;
	atomic_t inflight;
	struct llist_head handed;	/* for submit_work (submit.c) */
	struct work_struct submit_work;

	/* Command pool, touched by the worker only. */
	struct fv_cmd *cmds;
	unsigned int nr_cmds;
	unsigned int nr_free;
	u16 *free;
	bool pool_wait;
	int node;			/* of the worker; READ_ONCE */
	struct page **pages;		/* pinning batch */

	struct fv_vq_stats stats;	/* see stats.h */
};

static inline bool vq_le(const struct fv_vq *vq)
{
	return (vq->features & BIT_ULL(VIRTIO_F_VERSION_1)) ||
		virtio_legacy_is_little_endian();
}

static inline u16 v16(const struct fv_vq *vq, __virtio16 v)
{
	return __virtio16_to_cpu(vq_le(vq), v);
}

static inline u32 v32(const struct fv_vq *vq, __virtio32 v)
{
	return __virtio32_to_cpu(vq_le(vq), v);
}

static inline u64 v64(const struct fv_vq *vq, __virtio64 v)
{
	return __virtio64_to_cpu(vq_le(vq), v);
}

static inline __virtio16 to_v16(const struct fv_vq *vq, u16 v)
{
	return __cpu_to_virtio16(vq_le(vq), v);
}

static inline __virtio32 to_v32(const struct fv_vq *vq, u32 v)
{
	return __cpu_to_virtio32(vq_le(vq), v);
}

int fv_vq_alloc(struct fv_dev *dev, unsigned int index, struct fv_vq **vqp);
void fv_vq_free(struct fv_vq *vq);
void fv_vq_reset(struct fv_vq *vq);
bool fv_vq_ready(struct fv_vq *vq);
long fv_vq_ioctl(struct fv_dev *dev, unsigned int ioctl, void __user *argp);

int fv_vq_pop(struct fv_vq *vq, unsigned int *out, unsigned int *in);
void fv_vq_unpop(struct fv_vq *vq);
int fv_vq_push(struct fv_vq *vq, u16 head, u32 len);
void fv_vq_notify(struct fv_vq *vq);
bool fv_vq_enable_notify(struct fv_vq *vq);
bool fv_vq_avail_pending(struct fv_vq *vq);
void fv_vq_disable_notify(struct fv_vq *vq);
void fv_vq_fail(struct fv_vq *vq, const char *what);

#define fv_vq_err(vq, fmt, ...)						\
	do {								\
		struct fv_vq *__vq = (vq);				\
									\
		if (__ratelimit(__vq->rs))				\
			pr_err("vq %u: " fmt, __vq->index, ##__VA_ARGS__); \
	} while (0)

#endif /* _FV_VQ_H */
