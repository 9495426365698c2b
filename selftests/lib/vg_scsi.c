// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-scsi requests: SCSI commands on the request queues, TMF and AN
 * on the control queue, and the event queue.
 *
 * A command's request and response headers live in vq->hdr[head], so no
 * memory is allocated per I/O. The layout is the one Linux's virtio_scsi
 * uses: out = request header, data-out; in = response, data-in.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "vguest.h"
#include "vg_internal.h"

void vg_lun_encode(uint8_t lun[8], uint16_t tpgt, uint16_t lun_id)
{
	memset(lun, 0, 8);
	lun[0] = 1;
	lun[1] = (uint8_t)tpgt;
	lun[2] = 0x40 | ((lun_id >> 8) & 0x3f);
	lun[3] = lun_id & 0xff;
}

void vg_io_init(struct vg_io *io, uint16_t lun)
{
	memset(io, 0, sizeof(*io));
	io->lun = lun;
	io->task_attr = VIRTIO_SCSI_S_SIMPLE;
}

bool vg_io_ok(const struct vg_io *io)
{
	return io->state == VG_IO_DONE && io->response == VIRTIO_SCSI_S_OK &&
	       io->status == 0;
}

/* Append [gpa, gpa+len) split into seg-sized pieces. */
static int add_segs(struct vg_sg *sg, unsigned int *n, uint64_t gpa,
		    uint32_t len, uint32_t seg, bool in)
{
	while (len) {
		uint32_t l = seg && seg < len ? seg : len;

		if (*n >= VG_MAX_SEGS)
			return -E2BIG;
		sg[*n].gpa = gpa;
		sg[*n].len = l;
		sg[*n].in = in;
		(*n)++;
		gpa += l;
		len -= l;
	}
	return 0;
}

static int data_segs(struct vg_dev *d, const struct vg_io *io, bool in,
		     struct vg_sg *sg, unsigned int *n)
{
	unsigned int i;
	void *buf = in ? io->din : io->dout;
	uint32_t len = in ? io->din_len : io->dout_len;
	uint64_t gpa;

	if (io->sg) {
		for (i = 0; i < io->nsg; i++) {
			if (io->sg[i].in != in)
				continue;
			if (*n >= VG_MAX_SEGS)
				return -E2BIG;
			sg[(*n)++] = io->sg[i];
		}
		return 0;
	}
	if (!len)
		return 0;
	gpa = vg_gpa(d, buf);
	if (gpa == VG_BAD_GPA || !vg_host(d, gpa, len))
		return vg_fail(d, -EFAULT, "data buffer %p+%u is not in the arena",
			       buf, len);
	return add_segs(sg, n, gpa, len, io->seg_size, in);
}

/* The protection information leads the data of its direction. */
static int pi_seg(struct vg_dev *d, const struct vg_io *io, bool in,
		  struct vg_sg *sg, unsigned int *n)
{
	uint32_t len = in ? io->pi_in_len : io->pi_out_len;
	uint64_t gpa;

	if (!io->pi || !len || !vg_has(d, VIRTIO_SCSI_F_T10_PI))
		return 0;
	gpa = vg_gpa(d, io->pi);
	if (gpa == VG_BAD_GPA || !vg_host(d, gpa, len))
		return vg_fail(d, -EFAULT, "PI buffer %p+%u is not in the arena",
			       io->pi, len);
	return add_segs(sg, n, gpa, len, 0, in);
}

int vg_io_submit(struct vg_vq *q, struct vg_io *io)
{
	struct vg_dev *d = q->dev;
	struct vg_sg sg[VG_MAX_SEGS];
	struct vg_hdr *h;
	bool pi = vg_has(d, VIRTIO_SCSI_F_T10_PI);
	unsigned int n = 0;
	uint8_t *lun, *cdb;
	int rc;

	if (!q->num_free)
		return -ENOSPC;
	h = &q->hdr[q->free_head];
	memset(&h->req, 0, sizeof(h->req));
	io->tag = __atomic_add_fetch(&d->next_tag, 1, __ATOMIC_RELAXED);
	if (pi) {
		lun = h->req.cmd_pi.lun;
		cdb = h->req.cmd_pi.cdb;
		h->req.cmd_pi.tag = htole64(io->tag);
		h->req.cmd_pi.task_attr = io->task_attr;
		h->req.cmd_pi.prio = io->prio;
		h->req.cmd_pi.pi_bytesout = htole32(io->pi_out_len);
		h->req.cmd_pi.pi_bytesin = htole32(io->pi_in_len);
	} else {
		lun = h->req.cmd.lun;
		cdb = h->req.cmd.cdb;
		h->req.cmd.tag = htole64(io->tag);
		h->req.cmd.task_attr = io->task_attr;
		h->req.cmd.prio = io->prio;
	}
	vg_lun_encode(lun, d->tpgt, io->lun);
	memcpy(cdb, io->cdb, VIRTIO_SCSI_CDB_SIZE);
	memset(&h->resp.cmd, 0, sizeof(h->resp.cmd));
	h->resp.cmd.response = 0xff;	/* "device wrote nothing" */

	sg[n].gpa = vg_gpa(d, &h->req);
	sg[n].len = io->req_len ? io->req_len :
		    pi ? sizeof(h->req.cmd_pi) : sizeof(h->req.cmd);
	sg[n++].in = false;
	rc = pi_seg(d, io, false, sg, &n);
	if (!rc)
		rc = data_segs(d, io, false, sg, &n);
	if (rc)
		return rc;
	if (n >= VG_MAX_SEGS)
		return -E2BIG;
	sg[n].gpa = vg_gpa(d, &h->resp);
	sg[n].len = io->resp_len ? io->resp_len : sizeof(h->resp.cmd);
	sg[n++].in = true;
	rc = pi_seg(d, io, true, sg, &n);
	if (!rc)
		rc = data_segs(d, io, true, sg, &n);
	if (rc)
		return rc;

	if (d->timing)
		io->t_submit = vg_now_ns();
	io->state = VG_IO_INFLIGHT;
	rc = vg_vq_add(q, sg, n, !io->direct &&
		       vg_has(d, VIRTIO_RING_F_INDIRECT_DESC), io);
	if (rc < 0) {
		io->state = VG_IO_IDLE;
		return rc;
	}
	io->head = rc;
	return 0;
}

static void complete(struct vg_vq *q, struct vg_io *io, int head,
		     uint32_t len)
{
	const struct virtio_scsi_cmd_resp *r = &q->hdr[head].resp.cmd;

	io->used_len = len;
	io->response = r->response;
	io->status = r->status;
	io->status_qualifier = le16toh(r->status_qualifier);
	io->resid = le32toh(r->resid);
	io->sense_len = le32toh(r->sense_len);
	if (io->sense_len)
		memcpy(io->sense, r->sense, io->sense_len < sizeof(io->sense) ?
		       io->sense_len : sizeof(io->sense));
	if (q->dev->timing)
		io->t_done = vg_now_ns();
	io->state = VG_IO_DONE;
	if (io->done)
		io->done(io);
}

int vg_io_reap(struct vg_vq *q)
{
	void *cookie;
	uint32_t len;
	int head, n = 0;

	for (;;) {
		head = vg_vq_pop(q, &cookie, &len);
		if (head == -EAGAIN)
			break;
		if (head < 0 || !cookie)
			continue;
		complete(q, cookie, head, len);
		n++;
	}
	return n;
}

static int64_t now_ms(void)
{
	return (int64_t)(vg_now_ns() / 1000000);
}

int vg_io_wait(struct vg_vq *q, struct vg_io *io, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms, left;
	int rc;

	for (;;) {
		rc = vg_io_reap(q);
		if (io ? io->state == VG_IO_DONE : rc > 0)
			return 0;
		left = end - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		rc = vg_vq_wait(q, (int)left);
		if (rc < 0)
			return rc;
	}
}

int vg_io_exec(struct vg_vq *q, struct vg_io *io, int timeout_ms)
{
	int rc = vg_io_submit(q, io);

	if (rc)
		return rc;
	vg_vq_kick(q);
	return vg_io_wait(q, io, timeout_ms);
}

/* Control queue: synchronous, one request at a time. */
static int ctrl_exec(struct vg_dev *d, struct vg_hdr *h, uint32_t req_len,
		     uint32_t resp_len, int timeout_ms)
{
	struct vg_vq *q = &d->vq[VG_VQ_CTRL];
	struct vg_sg sg[2] = {
		{ vg_gpa(d, &h->req), req_len, false },
		{ vg_gpa(d, &h->resp), resp_len, true },
	};
	int64_t end = now_ms() + timeout_ms, left;
	int head, rc;
	void *cookie;

	head = vg_vq_add(q, sg, 2, false, h);
	if (head < 0)
		return head;
	vg_vq_kick(q);
	for (;;) {
		while ((rc = vg_vq_pop(q, &cookie, NULL)) != -EAGAIN)
			if (rc == head)
				return 0;
		left = end - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		rc = vg_vq_wait(q, (int)left);
		if (rc < 0)
			return rc;
	}
}

int vg_tmf(struct vg_dev *d, uint32_t subtype, uint16_t lun, uint64_t tag,
	   uint8_t *response, int timeout_ms)
{
	struct vg_vq *q = &d->vq[VG_VQ_CTRL];
	struct vg_hdr *h;
	int rc;

	if (!q->num_free)
		return -ENOSPC;
	h = &q->hdr[q->free_head];
	memset(h, 0, sizeof(*h));
	h->req.tmf.type = htole32(VIRTIO_SCSI_T_TMF);
	h->req.tmf.subtype = htole32(subtype);
	vg_lun_encode(h->req.tmf.lun, d->tpgt, lun);
	h->req.tmf.tag = htole64(tag);
	h->resp.tmf.response = 0xff;
	rc = ctrl_exec(d, h, sizeof(h->req.tmf), sizeof(h->resp.tmf),
		       timeout_ms);
	if (!rc && response)
		*response = h->resp.tmf.response;
	return rc;
}

int vg_an(struct vg_dev *d, uint32_t type, uint16_t lun, uint32_t requested,
	  uint32_t *actual, uint8_t *response, int timeout_ms)
{
	struct vg_vq *q = &d->vq[VG_VQ_CTRL];
	struct vg_hdr *h;
	int rc;

	if (!q->num_free)
		return -ENOSPC;
	h = &q->hdr[q->free_head];
	memset(h, 0, sizeof(*h));
	h->req.an.type = htole32(type);
	vg_lun_encode(h->req.an.lun, d->tpgt, lun);
	h->req.an.event_requested = htole32(requested);
	h->resp.an.response = 0xff;
	rc = ctrl_exec(d, h, sizeof(h->req.an), sizeof(h->resp.an), timeout_ms);
	if (!rc) {
		if (actual)
			*actual = le32toh(h->resp.an.event_actual);
		if (response)
			*response = h->resp.an.response;
	}
	return rc;
}

static int event_add(struct vg_dev *d, struct virtio_scsi_event *ev)
{
	struct vg_sg sg = { vg_gpa(d, ev), sizeof(*ev), true };

	memset(ev, 0, sizeof(*ev));
	return vg_vq_add(&d->vq[VG_VQ_EVENT], &sg, 1, false, ev);
}

int vg_events_post(struct vg_dev *d)
{
	unsigned int i;
	int rc;

	for (i = 0; i < VG_EVENT_BUFS; i++) {
		rc = event_add(d, &d->events[i]);
		if (rc < 0)
			return rc;
	}
	vg_vq_kick(&d->vq[VG_VQ_EVENT]);
	return 0;
}

int vg_event_get(struct vg_dev *d, struct virtio_scsi_event *ev,
		 int timeout_ms)
{
	struct vg_vq *q = &d->vq[VG_VQ_EVENT];
	void *cookie;
	int rc;

	rc = vg_vq_wait(q, timeout_ms);
	if (rc <= 0)
		return rc;
	rc = vg_vq_pop(q, &cookie, NULL);
	if (rc < 0)
		return rc;
	memcpy(ev, cookie, sizeof(*ev));
	event_add(d, cookie);
	vg_vq_kick(q);
	return 1;
}
