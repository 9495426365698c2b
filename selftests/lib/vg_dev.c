// SPDX-License-Identifier: GPL-2.0
/*
 * Device lifetime: open, the vhost ioctl sequence in QEMU's order, the
 * vhost-scsi endpoint, and teardown.
 *
 * QEMU: SET_OWNER + GET_FEATURES at realize; at start GET_ABI_VERSION,
 * notifiers (KICK/CALL), SET_FEATURES, SET_MEM_TABLE, per vq NUM, BASE,
 * ADDR, and SET_ENDPOINT last. Stop: CLEAR_ENDPOINT, GET_VRING_BASE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "vguest.h"
#include "vg_internal.h"

int vg_fail(struct vg_dev *d, int err, const char *fmt, ...)
{
	char buf[sizeof(d->errmsg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (d) {
		memcpy(d->errmsg, buf, sizeof(buf));
		if (d->quiet)
			return err;
	}
	fprintf(stderr, "# vguest: %s\n", buf);
	return err;
}

const char *vg_strerror(const struct vg_dev *d)
{
	return d->errmsg;
}

int vg_ioctl(struct vg_dev *d, unsigned long req, void *arg, const char *name)
{
	if (ioctl(d->fd, req, arg) < 0)
		return vg_fail(d, -errno, "%s on %s: %m", name, d->path);
	return 0;
}

void vg_opts_default(struct vg_opts *o)
{
	const char *dev = getenv("FV_DEV");

	memset(o, 0, sizeof(*o));
	o->path = dev && *dev ? dev : "/dev/vhost-scsi";
	o->fd = -1;
	o->nr_io_queues = 4;
	o->ring_size = 128;
	o->want_features = (1ULL << VIRTIO_F_VERSION_1) |
			   (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
			   (1ULL << VIRTIO_RING_F_EVENT_IDX);
	o->arena_size = 64 << 20;
	o->nregions = 1;
}

bool vg_has(const struct vg_dev *d, unsigned int bit)
{
	return d->features & (1ULL << bit);
}

struct vg_vq *vg_ioq(struct vg_dev *d, unsigned int n)
{
	if (n >= d->nvqs - VG_VQ_REQ0)
		return NULL;
	return &d->vq[VG_VQ_REQ0 + n];
}

unsigned int vg_nr_ioqs(const struct vg_dev *d)
{
	return d->nvqs - VG_VQ_REQ0;
}

static int make_eventfds(struct vg_vq *vq)
{
	vq->kick_fd = eventfd(0, EFD_CLOEXEC);
	vq->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vq->err_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vq->kick_fd < 0 || vq->call_fd < 0 || vq->err_fd < 0)
		return vg_fail(vq->dev, -errno, "eventfd: %m");
	return 0;
}

static void free_vqs(struct vg_dev *d)
{
	unsigned int i;

	for (i = 0; i < VG_MAX_VQS; i++) {
		struct vg_vq *vq = &d->vq[i];

		if (vq->kick_fd > 0)
			close(vq->kick_fd);
		if (vq->call_fd > 0)
			close(vq->call_fd);
		if (vq->err_fd > 0)
			close(vq->err_fd);
		free(vq->next);
		free(vq->chain);
		free(vq->cookie);
		memset(vq, 0, sizeof(*vq));
	}
}

static void destroy(struct vg_dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	free_vqs(d);
	vg_mem_unmap(d);
	free(d);
}

/* Three eventfds a queue: past 300 queues, more than the usual 1024 files. */
static int enough_files(struct vg_dev *d, unsigned int nvqs)
{
	rlim_t want = 3 * nvqs + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return vg_fail(d, -errno, "getrlimit: %m");
	if (rl.rlim_cur >= want)
		return 0;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;	/* root may raise it */
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return vg_fail(d, -errno, "%u queues need %llu open files: %m",
			       nvqs, (unsigned long long)want);
	return 0;
}

int vg_open(struct vg_dev **dp, const struct vg_opts *o)
{
	struct vg_dev *d;
	unsigned int i;
	int rc;

	*dp = NULL;
	if (!o->nr_io_queues || o->nr_io_queues > VG_MAX_IO_VQS)
		return vg_fail(NULL, -EINVAL, "nr_io_queues %u out of 1..%d",
			       o->nr_io_queues, VG_MAX_IO_VQS);
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->quiet = o->quiet;
	d->fd = -1;
	snprintf(d->path, sizeof(d->path), "%s",
		 o->fd >= 0 ? "(fd)" : o->path);
	if (o->fd >= 0) {
		d->fd = o->fd;
	} else {
		d->fd = open(o->path, O_RDWR | O_CLOEXEC);
		if (d->fd < 0) {
			rc = vg_fail(d, -errno, "open %s: %m", o->path);
			goto err;
		}
	}
	rc = vg_ioctl(d, VHOST_SET_OWNER, NULL, "VHOST_SET_OWNER");
	if (rc)
		goto err;
	rc = vg_ioctl(d, VHOST_GET_FEATURES, &d->dev_features,
		      "VHOST_GET_FEATURES");
	if (rc)
		goto err;
	d->features = d->dev_features & o->want_features;
	/* vhost-scsi has no backend features; older kernels answer ENOTTY. */
	d->backend_features = 0;
	if (ioctl(d->fd, VHOST_GET_BACKEND_FEATURES, &d->backend_features) == 0)
		d->has_backend_features = true;

	rc = vg_mem_map(d, o);
	if (rc)
		goto err;
	d->nvqs = VG_VQ_REQ0 + o->nr_io_queues;
	rc = enough_files(d, d->nvqs);
	if (rc)
		goto err;
	for (i = 0; i < d->nvqs; i++) {
		struct vg_vq *vq = &d->vq[i];

		vq->dev = d;
		vq->index = i;
		rc = make_eventfds(vq);
		if (!rc)
			rc = vg_vq_layout(vq, o->ring_size);
		if (rc)
			goto err;
	}
	d->scratch = vg_alloc(d, VG_SCRATCH_SIZE, 4096);
	d->events = vg_alloc(d, sizeof(*d->events) * VG_EVENT_BUFS, 64);
	if (!d->scratch || !d->events) {
		rc = -ENOMEM;
		goto err;
	}
	*dp = d;
	return 0;
err:
	destroy(d);
	return rc;
}

int vg_vring_num(struct vg_dev *d, unsigned int idx, unsigned int num)
{
	struct vhost_vring_state s = { .index = idx, .num = num };

	return vg_ioctl(d, VHOST_SET_VRING_NUM, &s, "VHOST_SET_VRING_NUM");
}

int vg_vring_base(struct vg_dev *d, unsigned int idx, unsigned int base)
{
	struct vhost_vring_state s = { .index = idx, .num = base };

	return vg_ioctl(d, VHOST_SET_VRING_BASE, &s, "VHOST_SET_VRING_BASE");
}

int vg_vring_get_base(struct vg_dev *d, unsigned int idx, unsigned int *base)
{
	struct vhost_vring_state s = { .index = idx };
	int rc;

	rc = vg_ioctl(d, VHOST_GET_VRING_BASE, &s, "VHOST_GET_VRING_BASE");
	if (!rc && base)
		*base = s.num;
	return rc;
}

int vg_vring_addr(struct vg_dev *d, unsigned int idx, const void *desc,
		  const void *avail, const void *used)
{
	struct vhost_vring_addr a = {
		.index = idx,
		.desc_user_addr = (uint64_t)(uintptr_t)desc,
		.avail_user_addr = (uint64_t)(uintptr_t)avail,
		.used_user_addr = (uint64_t)(uintptr_t)used,
	};

	return vg_ioctl(d, VHOST_SET_VRING_ADDR, &a, "VHOST_SET_VRING_ADDR");
}

/* Bytes of a dirty bitmap (a bit per 4 KiB page) over the memory table. */
size_t vg_log_size(const struct vg_dev *d)
{
	uint64_t top = 0;
	unsigned int i;

	for (i = 0; i < d->nregions; i++)
		if (d->reg[i].gpa + d->reg[i].size > top)
			top = d->reg[i].gpa + d->reg[i].size;
	return ((top / 4096 + 7) / 8 + 4095) & ~(size_t)4095;
}

/*
 * VHOST_VRING_F_LOG on or off for every configured queue, rings
 * unchanged, the used ring logged at its guest address.  Quiet (-errno):
 * the dirty_log tests switch it from a thread while I/O runs.
 */
int vg_vring_log(struct vg_dev *d, bool on)
{
	unsigned int i;

	for (i = 0; i < d->nvqs; i++) {
		struct vg_vq *q = &d->vq[i];
		struct vhost_vring_addr a = {
			.index = i,
			.flags = on ? 1u << VHOST_VRING_F_LOG : 0,
			.desc_user_addr = (uintptr_t)q->desc,
			.avail_user_addr = (uintptr_t)q->avail,
			.used_user_addr = (uintptr_t)q->used,
			.log_guest_addr = vg_gpa(d, q->used),
		};

		if (!q->configured)
			continue;
		if (ioctl(d->fd, VHOST_SET_VRING_ADDR, &a))
			return -errno;
	}
	return 0;
}

static int vring_file(struct vg_dev *d, unsigned long req, unsigned int idx,
		      int fd, const char *name)
{
	struct vhost_vring_file f = { .index = idx, .fd = fd };

	return vg_ioctl(d, req, &f, name);
}

int vg_vring_kick(struct vg_dev *d, unsigned int idx, int fd)
{
	return vring_file(d, VHOST_SET_VRING_KICK, idx, fd,
			  "VHOST_SET_VRING_KICK");
}

int vg_vring_call(struct vg_dev *d, unsigned int idx, int fd)
{
	return vring_file(d, VHOST_SET_VRING_CALL, idx, fd,
			  "VHOST_SET_VRING_CALL");
}

int vg_vring_err(struct vg_dev *d, unsigned int idx, int fd)
{
	return vring_file(d, VHOST_SET_VRING_ERR, idx, fd,
			  "VHOST_SET_VRING_ERR");
}

int vg_set_features(struct vg_dev *d, uint64_t features)
{
	return vg_ioctl(d, VHOST_SET_FEATURES, &features, "VHOST_SET_FEATURES");
}

int vg_setup(struct vg_dev *d)
{
	unsigned int i;
	int rc;

	rc = vg_ioctl(d, VHOST_SCSI_GET_ABI_VERSION, &d->abi_version,
		      "VHOST_SCSI_GET_ABI_VERSION");
	if (rc)
		return rc;
	if (d->abi_version != VHOST_SCSI_ABI_VERSION)
		return vg_fail(d, -EPROTO, "%s: ABI version %d, expected %d",
			       d->path, d->abi_version, VHOST_SCSI_ABI_VERSION);
	for (i = 0; i < d->nvqs; i++) {
		struct vg_vq *vq = &d->vq[i];

		rc = vg_vring_kick(d, i, vq->kick_fd);
		if (!rc)
			rc = vg_vring_call(d, i, vq->call_fd);
		if (!rc)
			rc = vg_vring_err(d, i, vq->err_fd);
		if (rc)
			return rc;
	}
	rc = vg_set_features(d, d->features);
	if (!rc)
		rc = vg_set_mem_table(d);
	if (rc)
		return rc;
	for (i = 0; i < d->nvqs; i++) {
		struct vg_vq *vq = &d->vq[i];

		rc = vg_vring_num(d, i, vq->num);
		if (!rc)
			rc = vg_vring_base(d, i, vq->avail_shadow);
		if (!rc)
			rc = vg_vring_addr(d, i, vq->desc, vq->avail, vq->used);
		if (rc)
			return rc;
		vq->event_idx = vg_has(d, VIRTIO_RING_F_EVENT_IDX);
		vq->configured = true;
	}
	return 0;
}

int vg_endpoint_ioctl(struct vg_dev *d, unsigned long req,
		      const struct vhost_scsi_target *t)
{
	struct vhost_scsi_target copy = *t;

	return vg_ioctl(d, req, &copy, req == VHOST_SCSI_SET_ENDPOINT ?
			"VHOST_SCSI_SET_ENDPOINT" : "VHOST_SCSI_CLEAR_ENDPOINT");
}

int vg_set_endpoint(struct vg_dev *d, const char *wwn, uint16_t tpgt)
{
	int rc;

	memset(&d->target, 0, sizeof(d->target));
	d->target.abi_version = VHOST_SCSI_ABI_VERSION;
	if (strlen(wwn) >= sizeof(d->target.vhost_wwpn))
		return vg_fail(d, -ENAMETOOLONG, "wwn too long: %s", wwn);
	strcpy(d->target.vhost_wwpn, wwn);
	d->target.vhost_tpgt = tpgt;
	rc = vg_endpoint_ioctl(d, VHOST_SCSI_SET_ENDPOINT, &d->target);
	if (rc)
		return rc;
	d->endpoint = true;
	d->tpgt = tpgt;
	return 0;
}

int vg_clear_endpoint(struct vg_dev *d)
{
	int rc;

	rc = vg_endpoint_ioctl(d, VHOST_SCSI_CLEAR_ENDPOINT, &d->target);
	if (!rc)
		d->endpoint = false;
	return rc;
}

int vg_start(struct vg_dev *d, const char *wwn, uint16_t tpgt)
{
	int rc;

	rc = vg_setup(d);
	if (!rc)
		rc = vg_set_endpoint(d, wwn, tpgt);
	if (!rc)
		rc = vg_events_post(d);
	return rc;
}

void vg_close(struct vg_dev *d)
{
	unsigned int i;

	if (!d)
		return;
	if (d->fd >= 0) {
		if (d->endpoint)
			vg_clear_endpoint(d);
		for (i = 0; i < d->nvqs; i++)
			if (d->vq[i].configured)
				vg_vring_get_base(d, i, NULL);
	}
	destroy(d);
}

void vg_abandon(struct vg_dev *d)
{
	if (d)
		destroy(d);
}
