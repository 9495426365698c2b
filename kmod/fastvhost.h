/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vhost device side of fastvhost: devices, virtqueues, workers and the
 * commands they carry to LIO.
 *
 * Lock order:
 *   dev->mutex -> fv_fabric_mutex -> tpg->lock -> vq->mutex
 *
 * dev->mutex serialises the ioctls (configuration).  vq->mutex protects a
 * virtqueue's ring state; the worker serving the queue takes it while it
 * reads requests or writes completions, and the ioctls take it to change
 * the ring.  The data path takes no other sleeping lock.  LIO callbacks
 * (release_cmd and friends) take no lock at all: they push the command on
 * the queue's llist and wake its worker.
 *
 * Lifetime: workers exist only while an endpoint is set.  Every command
 * counts in vq->inflight until its worker has written the response, and
 * the endpoint is torn down only after all counts have drained.  The
 * workers are started before the target is attached and stopped after it
 * is detached, so netlink, which sees the device only while it is the
 * target's owner and only under fv_fabric_mutex, may read their state and
 * re-pin them without dev->mutex (place.c, stats.c).  To replace them
 * (fv_workers_restart) netlink takes a reference on the device (dev->ref)
 * under fv_fabric_mutex, drops the mutex and then takes dev->mutex; the
 * swap itself happens under fv_fabric_mutex again.  The last reference,
 * the open file's or netlink's, frees the device.
 *
 * Queues served: from SET_ENDPOINT to CLEAR_ENDPOINT the workers serve
 * exactly the queues set up at SET_ENDPOINT, the only ones given command
 * pools and vq->iov (fv_workers_start()).  While the endpoint is set,
 * VHOST_SET_VRING_NUM, _BASE and _ADDR get -EBUSY on every queue, so that
 * set cannot change: a relayout places the same queues again, and no
 * queue is ever enabled late (such a queue would need its pools and its
 * last_used read from the ring, as SET_ENDPOINT does).
 *
 * Relayout: dev->place.layout (the worker count and queue map) describes
 * the running workers and their queue lists at all times; node, CPUs and
 * polling change live (fv_place_apply()).  fv_workers_restart() builds
 * the new workers from a layout of its own and installs workers, layout
 * and queue pointers together under fv_fabric_mutex; the pools move to a
 * new node only after that.  A failure before the swap changes nothing:
 * the old workers, their lists, the layout and the pools are whole, and
 * the queues are published to the old workers again.
 *
 * Local users: every netlink op and the monitor group need CAP_NET_ADMIN.
 * Nothing under fv_fabric_mutex, genl_mutex or LIO's tpg_lun_mutex resolves
 * a path or waits on a filesystem: a LUN's NUMA node is found in the
 * fabric's link callback, in the linking admin's context and before
 * fv_fabric_mutex, and kept in tpg->lun_node for everyone after (numa.c).
 *
 * TMFs: no TMF is answered while a command it may cover can still write
 * into guest memory.  A TMF runs on the device's ordered tmf_wq, never in
 * a worker and under no lock: it kicks and flushes the workers, flips
 * dev->cmd_epoch, flushes them again (a command's epoch is read while it
 * is taken, within one worker pass) and flushes the device's submit_wq
 * and local_wq, so LIO knows every command taken before it; its answer
 * waits on drain_wq until vq->epoch_cmds[old epoch] (under vq->mutex,
 * read with READ_ONCE) is zero on every request queue.  Submissions
 * handed off by the worker and TMFs use workqueues of their own device
 * only, so another guest cannot hold them up; tmf_inflight keeps the
 * workers alive meanwhile, as the drain waits for it.
 *
 * Guest bounds: a ring loop holds vq->mutex for at most FV_WEIGHT passes,
 * counting passes that found the ring empty (the guest controls what the
 * avail index reads back); guest-caused log lines share one rate limit
 * per device; a command's scatterlist and the memory table are charged to
 * the owner's memory cgroup.  A command LIO refuses after its prep ends
 * as a failed one (CHECK CONDITION), never left uncounted.
 *
 * Hotplug: the fabric's LUN link and unlink callbacks, under
 * fv_fabric_mutex and tpg->lock, queue a transport reset event for the
 * device that owns the portal group (fv_evt_lun, under the event queue's
 * mutex: the lock order above) and kick its worker, which hands the
 * events to the guest's event buffers in order.  FV_MAX_EVENTS wait at
 * most; after that the guest is told it missed events and rescans.
 *
 * VMM workers (vmmworker.c): VHOST_NEW_WORKER and friends only name
 * groups of queues, in dev->vmm_*, under dev->mutex and refused while the
 * endpoint is set; place.c turns a group into one of our workers when the
 * target's settings leave the count and map at their defaults.
 *
 * Dirty logging (log.c): the log base, the log eventfd, VHOST_F_LOG_ALL
 * and VHOST_VRING_F_LOG are set under dev->mutex and copied into each
 * queue under vq->mutex; the workers read them there only, so once the
 * ioctl that turns logging off or replaces the bitmap returns, nothing is
 * written to the old one (the owner may free it).  Logging takes no lock
 * of its own: it pins the bitmap's page for one atomic OR.  The pages LIO
 * fills are pinned (zero copy) and written before release_cmd; the worker
 * logs a command's guest ranges, noted when it was taken, after that and
 * before it writes the used ring, and publishes nothing whose log failed.
 * A command taken with logging off has no ranges: turning logging on
 * waits (killable, dev->mutex held, no vq->mutex) on drain_wq until every
 * such command is done, so the owner's first pass over guest memory
 * starts after their data is there.
 */
#ifndef _FV_FASTVHOST_H
#define _FV_FASTVHOST_H

#include <linux/bitmap.h>
#include <linux/cpumask.h>
#include <linux/kref.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/numa.h>
#include <linux/ratelimit.h>
#include <linux/scatterlist.h>
#include <linux/sched/clock.h>
#include <linux/vhost_types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/virtio_scsi.h>
#include <target/target_core_base.h>

#include "fabric.h"
#include "vq.h"

#define FV_NR_FIXED_VQS	2		/* control and event queues */
#define FV_MAX_IO_VQS	1024		/* request queues */
#define FV_MAX_VQS	(FV_NR_FIXED_VQS + FV_MAX_IO_VQS)
static_assert(FV_MAX_VQS == FV_CFG_MAX_VQS);
#define FV_CTL_VQ	0
#define FV_EVT_VQ	1

#define FV_MAX_CMDS	1024		/* commands per request queue at most */
#define FV_SG_INLINE	16		/* scatterlist entries inside a command */
#define FV_PROT_SG_INLINE 2		/* and for its protection information */
#define FV_RESP_IOV	4		/* iovecs a response header may span */
#define FV_WEIGHT	256		/* requests per queue per pass */
#define FV_MAX_EVENTS	128		/* queued events before "missed" */
#define FV_SUBMIT_ACTIVE 32		/* handed-off submissions at once */
#define FV_TMF_BURST	64		/* TMFs a guest may send at once */
#define FV_TMF_RATE	16		/* and a second after that */

#define FV_FEATURES	(BIT_ULL(VIRTIO_F_VERSION_1) | \
			 BIT_ULL(VHOST_F_LOG_ALL) | \
			 BIT_ULL(VIRTIO_SCSI_F_HOTPLUG) | \
			 BIT_ULL(VIRTIO_SCSI_F_T10_PI) | \
			 BIT_ULL(VIRTIO_F_ANY_LAYOUT) | \
			 BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) | \
			 BIT_ULL(VIRTIO_RING_F_EVENT_IDX) | \
			 BIT_ULL(VIRTIO_F_NOTIFY_ON_EMPTY))

struct fv_dev;
struct fv_worker;

/* Command flags, bits in fv_cmd::flags. */
enum {
	FV_CMD_STATUS,		/* LIO queued a status */
	FV_CMD_ABORTED,		/* LIO aborted the command */
	FV_CMD_UNLOGGED,	/* taken with logging off: no ranges */
};

/*
 * Guest ranges kept inside a command while logging: request header,
 * response and data in up to two pieces fit without an allocation.
 */
#define FV_LOGR_INLINE	4

/* Pinned guest buffers as a scatterlist. */
struct fv_sgl {
	unsigned int nents;
	struct scatterlist *sgl;	/* inline entries, chained on in table */
	struct sg_table table;		/* orig_nents 0: the inline ones alone */
};

struct fv_cmd {
	struct se_cmd se_cmd;
	struct fv_vq *vq;
	struct llist_node node;		/* on vq->handed, vq->done */
	unsigned long flags;
	u16 head;
	u8 data_dir;			/* enum dma_data_direction */
	u8 epoch;			/* dev->cmd_epoch when taken */
	u64 start;			/* ns, taken off the ring */
	u32 data_len;
	u32 prot_len;			/* T10 PI bytes before the data */
	struct fv_sgl data;		/* on sg[] */
	struct fv_sgl prot;		/* on prot_sg[] */
	struct work_struct submit;	/* submission off the worker */
	unsigned int resp_cnt;
	struct iovec resp[FV_RESP_IOV];
	unsigned char sense[TRANSPORT_SENSE_BUFFER];
	unsigned int nlogr;
	struct fv_logr *logr;		/* its buffers, for the dirty log */
	struct fv_logr logr_in[FV_LOGR_INLINE];
	struct scatterlist sg[FV_SG_INLINE];
	struct scatterlist prot_sg[FV_PROT_SG_INLINE];
};

struct fv_tmf {
	struct se_cmd se_cmd;
	struct fv_vq *vq;		/* the control queue */
	struct fv_tpg *tpg;
	struct llist_node node;
	struct work_struct work;
	u64 lun;
	u64 tag;
	int type;			/* TMR_* */
	unsigned int epoch;		/* of the commands it waits for */
	u16 head;
	u8 response;			/* VIRTIO_SCSI_S_* */
	unsigned int resp_cnt;
	struct iovec resp[FV_RESP_IOV];
	unsigned char sense[TRANSPORT_SENSE_BUFFER];
	unsigned int nlogr;
	struct fv_logr logr[FV_RESP_IOV];	/* the response's buffers */
};

/*
 * Where the workers run and how they poll, from the target's settings
 * (struct fv_target_cfg) at SET_ENDPOINT; see place.c.  node and cpus
 * change live under fv_fabric_mutex, the poll fields are read by the
 * workers with READ_ONCE().  layout, how many workers and which serves
 * each queue, always describes the running workers: a relayout builds
 * new ones from a layout of its own and installs it only with them.
 */
struct fv_layout {
	unsigned int nr_workers;	/* 0: one per request queue */
	u8 map[FV_MAX_VQS];		/* vq -> worker, or FV_CFG_NO_WORKER */
};

struct fv_placement {
	int node;			/* NUMA_NO_NODE: anywhere */
	cpumask_var_t cpus;		/* effective CPUs of the workers */
	struct fv_layout layout;	/* of the running workers */
	u32 poll_max_ns;		/* 0: notifications only */
	u32 poll_grow;			/* 0: 2 */
	u32 poll_shrink;		/* 0: drop to 0 at once */
};

struct fv_worker {
	struct task_struct *task;
	struct fv_dev *dev;
	unsigned int id;
	int node;			/* READ_ONCE: changes live */
	unsigned int nvqs;
	struct fv_vq **vqs;
	atomic_long_t flush_req;	/* bumped by flushers */
	long flush_done;		/* written by the worker */
	wait_queue_head_t flush_wq;
	u32 poll_window;		/* ns; written by the worker */
};

struct fv_dev {
	struct kref ref;		/* the open file, netlink's relayout */
	struct mutex mutex;		/* configuration, see above */
	struct mm_struct *mm;		/* owner's, with a mm_users reference */
	pid_t owner_pid;		/* for worker names */
	u64 features;
	struct fv_mem *mem;
	unsigned int nr_regions;	/* in mem, for netlink (no lock) */
	bool running;			/* endpoint set */
	char wwpn[FV_NAMELEN];
	struct fv_tpg *tpgs[FV_MAX_TPGT];

	unsigned int nr_workers;
	struct fv_worker **workers;
	struct fv_placement place;

	int pool_node;			/* where the command pools are */

	atomic_t tmf_inflight;
	wait_queue_head_t drain_wq;	/* drains and TMFs wait here */
	unsigned int cmd_epoch;		/* bit 0: see ctl.c */
	unsigned long tmf_stamp;	/* TMF rate limit, ctl queue's mutex */
	unsigned int tmf_tokens;
	struct workqueue_struct *submit_wq;	/* submissions off the worker */
	struct workqueue_struct *local_wq;	/* and bound to a CPU */
	struct workqueue_struct *tmf_wq;	/* ordered: TMFs */
	struct ratelimit_state log_rs;	/* guest-caused log lines */
	unsigned long log_base;		/* VHOST_SET_LOG_BASE; 0: none */
	struct eventfd_ctx *log_ctx;	/* VHOST_SET_LOG_FD */
	/* Hotplug events for the guest, under the event queue's mutex. */
	u32 events_missed;
	unsigned int evt_first, evt_count;
	bool evt_waiting;		/* events found no buffer */
	struct virtio_scsi_event evts[FV_MAX_EVENTS];
	/* The VMM's worker ioctls (vmmworker.c): its ids, each queue's. */
	DECLARE_BITMAP(vmm_ids, FV_MAX_VQS);
	u16 vmm_worker[FV_MAX_VQS];
	u16 vmm_rank[FV_MAX_VQS];	/* scratch of fv_vmm_workers_layout() */
	bool vmm_asked;			/* it made a worker of its own */
	struct fv_vq *vqs[FV_MAX_VQS];
};

/* dev.c */
extern const struct file_operations fv_fops;
int fv_dev_init(void);
bool fv_misc_name_taken(const char *name);
void fv_dev_exit(void);
void fv_dev_get(struct fv_dev *dev);
void fv_dev_put(struct fv_dev *dev);
int fv_dev_relayout(struct fv_dev *dev);

/* place.c */
int fv_place_load(struct fv_dev *dev, const char *wwpn);
int fv_place_layout(struct fv_dev *dev, struct fv_layout *l);
void fv_place_refresh(struct fv_dev *dev);
int fv_place_apply(struct fv_dev *dev, const struct fv_target_cfg *cfg,
		   int node, struct netlink_ext_ack *extack);

/* vmmworker.c */
void fv_vmm_workers_reset(struct fv_dev *dev);
long fv_vmm_worker_ioctl(struct fv_dev *dev, unsigned int ioctl,
			 void __user *argp);
void fv_vmm_workers_layout(struct fv_dev *dev, struct fv_layout *l);

/* mem.c */
long fv_mem_set(struct fv_dev *dev, void __user *argp);
void fv_mem_free(struct fv_mem *mem);
int fv_mem_translate(const struct fv_mem *mem, u64 gpa, u64 len,
		     struct iovec *iov, unsigned int max);
int fv_mem_read(const struct fv_mem *mem, void *dst, u64 gpa, size_t len);

/* worker.c */
int fv_workers_start(struct fv_dev *dev);
int fv_workers_enable(struct fv_dev *dev);
void fv_workers_drain(struct fv_dev *dev);
void fv_workers_stop(struct fv_dev *dev);
int fv_workers_restart(struct fv_dev *dev, const struct fv_layout *l);
bool fv_worker_has_work(struct fv_worker *w);
void fv_worker_flush(struct fv_worker *w);
void fv_workers_flush(struct fv_dev *dev);
void fv_vq_wake(struct fv_vq *vq);
void fv_vq_kick(struct fv_vq *vq);
void fv_vq_done(struct fv_vq *vq, struct llist_node *node);

/*
 * The clock of the data path (request latency, poll windows, idle
 * times): local_clock() is a TSC read where ktime_get_ns() may be a
 * clocksource read (an HPET MMIO in a VM whose TSC the kernel distrusts),
 * several of which a request would pay.  It may step a little between
 * CPUs; fv_clock_delta() reads such a step back as no time.
 */
static inline u64 fv_clock(void)
{
	return local_clock();
}

static inline u64 fv_clock_delta(u64 from, u64 to)
{
	return to > from ? to - from : 0;
}

static inline u64 fv_clock_since(u64 t)
{
	return fv_clock_delta(t, local_clock());
}

/* poll.c */
#define FV_POLL_START_NS	4000	/* first window after a short block */
bool fv_poll(struct fv_worker *w, u64 start);
void fv_poll_end(struct fv_worker *w);
void fv_poll_adjust(struct fv_worker *w, u64 block_ns);

/* io.c */
int fv_io_pool_alloc(struct fv_vq *vq, int node);
void fv_io_pool_free(struct fv_vq *vq);
int fv_io_pool_move(struct fv_vq *vq, int node);
void fv_io_handle(struct fv_vq *vq, bool poll);
void fv_io_complete(struct fv_vq *vq);
void fv_submit_init(struct fv_vq *vq);
void fv_submit(struct fv_vq *vq, struct fv_cmd *cmd);
int fv_iov_take(struct iovec **iov, unsigned int *cnt, size_t *skip,
		size_t len, struct iovec *dst, unsigned int max);

/* log.c */
bool fv_log_on(const struct fv_vq *vq);
void fv_log_note(struct fv_vq *vq, u64 gpa, u32 len, bool write);
int fv_log_copy(const struct fv_vq *vq, struct fv_logr *dst, unsigned int max,
		bool write_only, u64 limit);
int fv_log_ranges(struct fv_vq *vq, const struct fv_logr *r, unsigned int n);
int fv_log_chain(struct fv_vq *vq);
int fv_log_used(struct fv_vq *vq, const void __user *p, size_t len);
long fv_log_ioctl(struct fv_dev *dev, unsigned int ioctl, void __user *argp);
int fv_log_wait(struct fv_dev *dev);
void fv_log_reset(struct fv_dev *dev);

/* ctl.c */
void fv_ctl_handle(struct fv_vq *vq);
void fv_ctl_complete(struct fv_vq *vq);
void fv_evt_handle(struct fv_vq *vq);
void fv_tmf_release(struct se_cmd *se_cmd);

#endif /* _FV_FASTVHOST_H */
