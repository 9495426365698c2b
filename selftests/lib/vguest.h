/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vguest: a userspace virtio-scsi "guest" driving a vhost-scsi device node
 * (/dev/vhost-scsi, /dev/fastvhost) through the vhost ioctl ABI.
 *
 * The library owns one or more mmap'd arenas, publishes them with
 * VHOST_SET_MEM_TABLE at guest physical addresses that differ from the
 * user addresses, and keeps every ring, header and data buffer inside them.
 *
 * Layers:
 *   vg_mem.c   arenas, allocation, pointer <-> guest physical translation
 *   vg_dev.c   open, ioctl sequence (QEMU's order), endpoint, teardown
 *   vg_vq.c    driver side of a split virtqueue (indirect, EVENT_IDX)
 *   vg_raw.c   raw descriptor hooks for hostile tests
 *   vg_scsi.c  virtio-scsi requests: commands, TMF, AN, events
 *   vg_cdb.c   SCSI CDB builders and synchronous helpers
 *   vg_util.c  time, PRNG, data patterns, environment, decoding
 *
 * Nothing here allocates per I/O; a device is meant to be used by one
 * thread per virtqueue at most (the control queue by one thread).
 */
#ifndef VGUEST_H
#define VGUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_scsi.h>

/* The worker ioctls (Linux 6.5), for older userspace headers (Debian 12's). */
#ifndef VHOST_NEW_WORKER
struct vhost_worker_state {
	unsigned int worker_id;
};

struct vhost_vring_worker {
	unsigned int index;
	unsigned int worker_id;
};

#define VHOST_NEW_WORKER _IOR(VHOST_VIRTIO, 0x8, struct vhost_worker_state)
#define VHOST_FREE_WORKER _IOW(VHOST_VIRTIO, 0x9, struct vhost_worker_state)
#define VHOST_ATTACH_VRING_WORKER _IOW(VHOST_VIRTIO, 0x15, struct vhost_vring_worker)
#define VHOST_GET_VRING_WORKER _IOWR(VHOST_VIRTIO, 0x16, struct vhost_vring_worker)
#endif

#define VG_MAX_REGIONS	4
#define VG_MAX_IO_VQS	1024		/* fastvhost; vhost-scsi: max_io_vqs (128) */
#define VG_MAX_VQS	(2 + VG_MAX_IO_VQS)
#define VG_VQ_CTRL	0
#define VG_VQ_EVENT	1
#define VG_VQ_REQ0	2
/* Descriptors one request may use, header and response included. */
#define VG_MAX_SEGS	64
#define VG_EVENT_BUFS	8
#define VG_SCRATCH_SIZE	(256 * 1024)
#define VG_BAD_GPA	(~0ULL)

/* Default timeout for synchronous helpers, milliseconds. */
#define VG_TIMEOUT_MS	10000

struct vg_dev;

/* One arena: host mapping and where the guest sees it. */
struct vg_region {
	void *host;
	uint64_t gpa;
	size_t size;
	size_t used;		/* bump allocator */
};

/* One buffer segment; in = written by the device. */
struct vg_sg {
	uint64_t gpa;
	uint32_t len;
	bool in;
};

/* Request/response headers, one per ring head, in the arena. */
struct vg_hdr {
	union {
		struct virtio_scsi_cmd_req cmd;
		struct virtio_scsi_cmd_req_pi cmd_pi;
		struct virtio_scsi_ctrl_tmf_req tmf;
		struct virtio_scsi_ctrl_an_req an;
		uint8_t raw[64];
	} req;
	union {
		struct virtio_scsi_cmd_resp cmd;
		struct virtio_scsi_ctrl_tmf_resp tmf;
		struct virtio_scsi_ctrl_an_resp an;
		uint8_t raw[128];
	} resp;
	uint8_t pad[64];	/* keep heads on separate cache lines */
};

struct vg_vq {
	struct vg_dev *dev;
	unsigned int index;
	unsigned int num;
	struct vring_desc *desc;	/* all in the arena */
	struct vring_avail *avail;
	struct vring_used *used;
	struct vring_desc *indirect;	/* num tables of VG_MAX_SEGS */
	struct vg_hdr *hdr;		/* num headers */
	uint16_t avail_shadow;		/* next avail->idx to publish */
	uint16_t avail_kicked;		/* avail->idx at the last kick check */
	uint16_t last_used;
	uint16_t free_head;
	uint16_t num_free;
	uint16_t *next;			/* private free list links */
	uint16_t *chain;		/* descriptors held by each head */
	void **cookie;			/* per head */
	int kick_fd, call_fd, err_fd;
	bool event_idx;
	bool cb_enabled;
	bool always_kick;		/* ignore notification suppression */
	bool configured;		/* NUM/BASE/ADDR sent */
	unsigned int inflight;		/* buffers added, not yet used */
	/* statistics */
	uint64_t n_kicks, n_kicks_saved, n_waits, n_calls, n_bad_used;
};

struct vg_opts {
	const char *path;		/* device node, used when fd < 0 */
	int fd;				/* an already open node, or -1 */
	unsigned int nr_io_queues;	/* 1..VG_MAX_IO_VQS */
	unsigned int ring_size;		/* power of two, <= 32768 */
	uint64_t want_features;		/* offered & wanted = negotiated */
	size_t arena_size;		/* per region */
	unsigned int nregions;		/* 1..VG_MAX_REGIONS */
	bool adjacent_regions;		/* regions back to back in gpa */
	bool quiet;			/* no messages on stderr */
};

struct vg_dev {
	int fd;
	char path[128];
	bool quiet;
	uint64_t dev_features;		/* VHOST_GET_FEATURES */
	uint64_t features;		/* negotiated */
	bool has_backend_features;
	uint64_t backend_features;
	int abi_version;
	struct vg_region reg[VG_MAX_REGIONS];
	unsigned int nregions;
	unsigned int nvqs;		/* 2 + nr_io_queues */
	struct vg_vq vq[VG_MAX_VQS];
	struct vhost_scsi_target target;
	bool endpoint;
	uint16_t tpgt;
	uint64_t next_tag;
	bool timing;			/* stamp vg_io t_submit/t_done */
	void *scratch;			/* VG_SCRATCH_SIZE, arena */
	struct virtio_scsi_event *events; /* VG_EVENT_BUFS, arena */
	char errmsg[256];
};

/* ---- vg_mem.c ---- */
int vg_mem_map(struct vg_dev *d, const struct vg_opts *o);
void vg_mem_unmap(struct vg_dev *d);
/* Zeroed, aligned memory from the arena (first region that fits). */
void *vg_alloc(struct vg_dev *d, size_t size, size_t align);
void *vg_alloc_in(struct vg_dev *d, unsigned int region, size_t size,
		  size_t align);
uint64_t vg_gpa(const struct vg_dev *d, const void *p);
void *vg_host(const struct vg_dev *d, uint64_t gpa, size_t len);
/* Send the regions (all, or a custom table) with VHOST_SET_MEM_TABLE. */
int vg_set_mem_table(struct vg_dev *d);
int vg_set_mem_table_raw(struct vg_dev *d,
			 const struct vhost_memory_region *r, unsigned int n);

/* ---- vg_dev.c ---- */
void vg_opts_default(struct vg_opts *o);
/* open (or adopt fd), SET_OWNER, GET_FEATURES, map arenas, lay out rings */
int vg_open(struct vg_dev **dp, const struct vg_opts *o);
/* GET_ABI_VERSION, KICK/CALL/ERR, SET_FEATURES, SET_MEM_TABLE, NUM/BASE/ADDR */
int vg_setup(struct vg_dev *d);
int vg_set_endpoint(struct vg_dev *d, const char *wwn, uint16_t tpgt);
int vg_clear_endpoint(struct vg_dev *d);
/* vg_setup + vg_set_endpoint + post event buffers */
int vg_start(struct vg_dev *d, const char *wwn, uint16_t tpgt);
/* CLEAR_ENDPOINT (if set), GET_VRING_BASE, close, unmap, free */
void vg_close(struct vg_dev *d);
/* close the fd without any ioctl (simulates a crash); then free */
void vg_abandon(struct vg_dev *d);
struct vg_vq *vg_ioq(struct vg_dev *d, unsigned int n);	/* request queue n */
unsigned int vg_nr_ioqs(const struct vg_dev *d);
bool vg_has(const struct vg_dev *d, unsigned int feature_bit);
const char *vg_strerror(const struct vg_dev *d);

/* Thin ioctl wrappers; return 0 or -errno. */
int vg_ioctl(struct vg_dev *d, unsigned long req, void *arg, const char *name);
int vg_vring_num(struct vg_dev *d, unsigned int idx, unsigned int num);
int vg_vring_base(struct vg_dev *d, unsigned int idx, unsigned int base);
int vg_vring_get_base(struct vg_dev *d, unsigned int idx, unsigned int *base);
int vg_vring_addr(struct vg_dev *d, unsigned int idx, const void *desc,
		  const void *avail, const void *used);
size_t vg_log_size(const struct vg_dev *d);
int vg_vring_log(struct vg_dev *d, bool on);
int vg_vring_kick(struct vg_dev *d, unsigned int idx, int fd);
int vg_vring_call(struct vg_dev *d, unsigned int idx, int fd);
int vg_vring_err(struct vg_dev *d, unsigned int idx, int fd);
int vg_set_features(struct vg_dev *d, uint64_t features);
int vg_endpoint_ioctl(struct vg_dev *d, unsigned long req,
		      const struct vhost_scsi_target *t);

/* ---- vg_vq.c ---- */
int vg_vq_layout(struct vg_vq *vq, unsigned int num);
void vg_vq_reset(struct vg_vq *vq);
/* Add a buffer: out segments first, then in. Returns head or -errno. */
int vg_vq_add(struct vg_vq *vq, const struct vg_sg *sg, unsigned int nsg,
	      bool indirect, void *cookie);
/* Publish added buffers; notify unless suppressed. Returns true if kicked. */
bool vg_vq_kick(struct vg_vq *vq);
void vg_vq_notify(struct vg_vq *vq);	/* unconditional eventfd write */
bool vg_vq_has_used(const struct vg_vq *vq);
/*
 * Take the next used element: returns its head and fills cookie/len;
 * -EAGAIN when none, -EPROTO when the device returned an id not in flight.
 */
int vg_vq_pop(struct vg_vq *vq, void **cookie, uint32_t *len);
/* Wait for a used element: 1 ready, 0 timeout, -errno. */
int vg_vq_wait(struct vg_vq *vq, int timeout_ms);
/*
 * As vg_vq_wait, but -EPIPE as soon as the error eventfd fires (the queue
 * is broken), after grace_ms more for a used element; the error count is
 * left for vg_vq_errors.
 */
int vg_vq_wait_or_broken(struct vg_vq *vq, int timeout_ms, int grace_ms);
/* Ask for (or suppress) used notifications. */
void vg_vq_enable_cb(struct vg_vq *vq, bool enable);
/* Number of times the error eventfd fired since the last call. */
uint64_t vg_vq_errors(struct vg_vq *vq);
unsigned int vg_vq_inflight(const struct vg_vq *vq);

/* ---- vg_raw.c (hostile) ---- */
/* Take n descriptors from the free list as one "chain"; ids[0] = head. */
int vg_raw_take(struct vg_vq *vq, unsigned int n, uint16_t *ids, void *cookie);
void vg_raw_desc(struct vg_vq *vq, uint16_t id, uint64_t gpa, uint32_t len,
		 uint16_t flags, uint16_t next);
/* Put head in the avail ring (not yet published). */
void vg_raw_avail(struct vg_vq *vq, uint16_t head);
/* Store avail->idx as given and notify. */
void vg_raw_avail_idx(struct vg_vq *vq, uint16_t idx);

/* ---- vg_scsi.c ---- */
enum vg_io_state { VG_IO_IDLE, VG_IO_INFLIGHT, VG_IO_DONE };

struct vg_io {
	/* request */
	uint8_t cdb[VIRTIO_SCSI_CDB_SIZE];
	uint16_t lun;
	uint8_t task_attr;
	uint8_t prio;
	void *dout;		/* arena pointers */
	uint32_t dout_len;
	void *din;
	uint32_t din_len;
	uint32_t seg_size;	/* split data into segments; 0: one */
	const struct vg_sg *sg;	/* custom data segments; overrides above */
	unsigned int nsg;
	bool direct;		/* no indirect table even if negotiated */
	uint32_t req_len;	/* header bytes sent; 0: the full struct */
	void *pi;		/* T10 PI (negotiated): before the data, */
	uint32_t pi_out_len;	/* out (pi_bytesout) */
	uint32_t pi_in_len;	/* or in (pi_bytesin) */
	uint32_t resp_len;	/* response bytes offered; 0: the full struct */
	void (*done)(struct vg_io *io);
	void *priv;
	/* results */
	enum vg_io_state state;
	uint8_t response;
	uint8_t status;
	uint16_t status_qualifier;
	uint32_t resid;
	uint32_t sense_len;
	uint32_t used_len;	/* what the device put in used->len */
	uint8_t sense[VIRTIO_SCSI_SENSE_SIZE];
	uint64_t tag;
	uint64_t t_submit, t_done;	/* ns, when dev->timing */
	uint16_t head;
};

void vg_lun_encode(uint8_t lun[8], uint16_t tpgt, uint16_t lun_id);
void vg_io_init(struct vg_io *io, uint16_t lun);
/* Queue on a request queue; no kick. Returns 0 or -errno (-ENOSPC: full). */
int vg_io_submit(struct vg_vq *q, struct vg_io *io);
/* Complete what the device has used; returns the number completed. */
int vg_io_reap(struct vg_vq *q);
/* Wait until io is done (io NULL: at least one completion). 0/-ETIMEDOUT */
int vg_io_wait(struct vg_vq *q, struct vg_io *io, int timeout_ms);
/* submit + kick + wait */
int vg_io_exec(struct vg_vq *q, struct vg_io *io, int timeout_ms);
/* GOOD and S_OK */
bool vg_io_ok(const struct vg_io *io);

int vg_tmf(struct vg_dev *d, uint32_t subtype, uint16_t lun, uint64_t tag,
	   uint8_t *response, int timeout_ms);
int vg_an(struct vg_dev *d, uint32_t type, uint16_t lun, uint32_t requested,
	  uint32_t *actual, uint8_t *response, int timeout_ms);
int vg_events_post(struct vg_dev *d);
/* 1: an event was returned, 0: timeout */
int vg_event_get(struct vg_dev *d, struct virtio_scsi_event *ev,
		 int timeout_ms);

/* ---- vg_cdb.c ---- */
void vg_cdb_tur(struct vg_io *io);
void vg_cdb_inquiry(struct vg_io *io, bool evpd, uint8_t page,
		    uint16_t alloc);
void vg_cdb_read_capacity10(struct vg_io *io);
void vg_cdb_read_capacity16(struct vg_io *io, uint32_t alloc);
void vg_cdb_report_luns(struct vg_io *io, uint32_t alloc);
/* size is 6, 10, 12 or 16; returns -EINVAL if lba/blocks do not fit */
int vg_cdb_rw(struct vg_io *io, int size, bool write, uint64_t lba,
	      uint32_t blocks);
void vg_cdb_sync_cache(struct vg_io *io, bool sixteen, uint64_t lba,
		       uint32_t blocks);
void vg_cdb_unmap(struct vg_io *io, uint16_t param_len);
/* Fills an UNMAP parameter list; returns its length. */
uint16_t vg_unmap_param(void *buf, const uint64_t *lba, const uint32_t *nblk,
			unsigned int n);
void vg_cdb_write_same(struct vg_io *io, bool sixteen, bool unmap,
		       uint64_t lba, uint32_t blocks);
/* COMPARE AND WRITE: data-out is nolb blocks to compare, then to write */
void vg_cdb_compare_and_write(struct vg_io *io, uint64_t lba, uint8_t nolb);
void vg_cdb_mode_sense(struct vg_io *io, bool ten, uint8_t page,
		       uint8_t subpage, uint16_t alloc);
void vg_cdb_pr_in(struct vg_io *io, uint8_t action, uint16_t alloc);
void vg_cdb_pr_out(struct vg_io *io, uint8_t action, uint8_t type,
		   uint32_t param_len);
/* 24-byte basic PR OUT parameter list */
void vg_pr_out_param(void *buf, uint64_t key, uint64_t sa_key, bool aptpl);

/* Synchronous helpers on request queue q; they use d->scratch. */
int vg_tur(struct vg_vq *q, uint16_t lun, struct vg_io *res);
int vg_read_capacity(struct vg_vq *q, uint16_t lun, uint64_t *blocks,
		     uint32_t *block_size);
int vg_inquiry(struct vg_vq *q, uint16_t lun, bool evpd, uint8_t page,
	       void *buf, uint16_t len, struct vg_io *res);

/* ---- vg_load.c: multi-queue workloads (one thread per queue) ---- */
enum vg_load_mode {
	VG_LOAD_VERIFY,		/* write slots, read back, compare; rounds */
	VG_LOAD_BENCH,		/* timed read/write mix, no compare */
};

struct vg_load_cfg {
	enum vg_load_mode mode;
	uint16_t lun;
	uint32_t block_size;
	uint64_t lba_start;		/* area used, split between queues */
	uint64_t lba_count;
	unsigned int first_queue;	/* request queue index */
	unsigned int nqueues;
	unsigned int qd;		/* per queue, <= ring size */
	uint32_t min_blocks, max_blocks;	/* per I/O */
	unsigned int cdb_size;		/* 10/12/16; 0: rotate (verify), 16 */
	uint32_t seg_size;		/* vg_io.seg_size */
	bool direct;			/* vg_io.direct */
	uint64_t seed;
	int timeout_ms;			/* per wait; 0: VG_TIMEOUT_MS */
	/* VG_LOAD_VERIFY */
	unsigned int rounds;
	bool cross_queue;		/* read back on the next queue */
	/* VG_LOAD_BENCH */
	bool random;
	unsigned int read_pct;
	uint64_t duration_ms;
};

struct vg_load_stats {
	uint64_t ios, bytes, reads, writes, errors;
	uint64_t lat_sum_ns, lat_min_ns, lat_max_ns;
	uint64_t elapsed_ns;
	char err[320];			/* first error, if any */
};

/* 0 when every I/O completed GOOD (and matched); else -EIO/-ETIMEDOUT */
int vg_load_run(struct vg_dev *d, const struct vg_load_cfg *c,
		struct vg_load_stats *st);

/* Arena marks: release everything allocated after the mark. */
struct vg_mark {
	size_t used[VG_MAX_REGIONS];
};
void vg_mem_mark(const struct vg_dev *d, struct vg_mark *m);
void vg_mem_release(struct vg_dev *d, const struct vg_mark *m);

/* ---- vg_util.c ---- */
uint64_t vg_now_ns(void);
uint64_t vg_rand(uint64_t *state);
/* Pattern keyed by (seed, lba): block-sized chunks are self-describing. */
void vg_pattern_fill(void *buf, size_t len, uint32_t block_size,
		     uint64_t seed, uint64_t lba);
/* -1 if it matches, else the first mismatching byte offset */
long vg_pattern_check(const void *buf, size_t len, uint32_t block_size,
		      uint64_t seed, uint64_t lba);
uint32_t vg_be32(const uint8_t *p);
uint64_t vg_be64(const uint8_t *p);
uint16_t vg_be16(const uint8_t *p);
void vg_put_be16(uint8_t *p, uint16_t v);
void vg_put_be32(uint8_t *p, uint32_t v);
void vg_put_be64(uint8_t *p, uint64_t v);
/* "key/asc/ascq" of fixed or descriptor sense; false if none */
bool vg_sense_key(const struct vg_io *io, uint8_t *key, uint8_t *asc,
		  uint8_t *ascq);
const char *vg_response_name(uint8_t response);
/* One-line description of a completed io, for logs. */
const char *vg_io_str(const struct vg_io *io, char *buf, size_t len);

/* Test environment: FV_DEV, FV_WWN, FV_TPGT, FV_LUNS */
struct vg_env {
	const char *dev;
	const char *wwn;
	uint16_t tpgt;
	uint16_t luns[16];
	unsigned int nluns;
};
/* 0, or -ENOENT when FV_WWN is not set (tests then skip) */
int vg_env_load(struct vg_env *e);

#endif /* VGUEST_H */
