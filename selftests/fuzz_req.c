// SPDX-License-Identifier: GPL-2.0
/*
 * fvfuzz families "req" (virtio-scsi command headers and CDBs across the
 * opcode space, directions, split headers), "ctrl" (TMF and AN, with
 * commands in flight on the slow LUN) and "event" (the event queue
 * starved, flooded, given wrong buffers; SET/GET_EVENTS_MISSED).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fvfuzz.h"
#include "vg_internal.h"

#define NEXT	VRING_DESC_F_NEXT
#define WR	VRING_DESC_F_WRITE
#define IND	VRING_DESC_F_INDIRECT
#define REQ_LEN	((uint32_t)sizeof(struct virtio_scsi_cmd_req))
#define REQ_PI_LEN ((uint32_t)sizeof(struct virtio_scsi_cmd_req_pi))
#define RSP_LEN	((uint32_t)sizeof(struct virtio_scsi_cmd_resp))
#define MAX_REQ	6
#define MAX_SG	24

/* A chain as a list of segments, put in the ring or an indirect table. */
struct segs {
	struct vring_desc d[MAX_SG];
	unsigned int n;
};

static void seg(struct segs *s, uint64_t gpa, uint32_t len, bool wr)
{
	if (s->n >= MAX_SG)
		return;
	s->d[s->n].addr = htole64(gpa);
	s->d[s->n].len = htole32(len);
	s->d[s->n].flags = htole16(wr ? WR : 0);
	s->n++;
}

/* [gpa, gpa+len) as 1..4 pieces (zero-length pieces included). */
static void split(struct fz *f, struct segs *s, uint64_t gpa, uint32_t len,
		  bool wr, bool allow)
{
	unsigned int parts = allow && fz_chance(f, 25) ? 2 + fz_below(f, 3) : 1;
	uint32_t off = 0, l;

	while (parts-- > 1) {
		l = fz_below(f, len - off + 1);
		seg(s, gpa + off, l, wr);
		off += l;
	}
	seg(s, gpa + off, len - off, wr);
}

/*
 * Put the chain on q: directly from descriptor *id on, or indirect.
 * *budget is how many descriptors beyond one a chain the ring has left:
 * chains that do not fit go indirect, so no chain overwrites another.
 */
static uint16_t place(struct fz *f, struct vg_vq *q, struct segs *s,
		      uint16_t *id, unsigned int slot, unsigned int *budget)
{
	uint16_t head = *id, cur;
	unsigned int i;

	if (fz_chance(f, 40) || s->n - 1 > *budget) {
		struct vring_desc *t = q->indirect + (size_t)(slot % q->num) * VG_MAX_SEGS;

		for (i = 0; i < s->n; i++) {
			t[i] = s->d[i];
			if (i + 1 < s->n)
				t[i].flags |= htole16(NEXT);
			t[i].next = htole16(i + 1);
		}
		q->desc[head].addr = htole64(vg_gpa(f->d, t));
		q->desc[head].len = htole32(s->n * sizeof(*t));
		q->desc[head].flags = htole16(IND);
		q->desc[head].next = 0;
		*id = (head + 1) % q->num;
		fz_say(f, "indirect ");
		return head;
	}
	for (i = 0, cur = head; i < s->n; i++) {
		uint16_t nxt = (cur + 1) % q->num;

		q->desc[cur] = s->d[i];
		if (i + 1 < s->n)
			q->desc[cur].flags |= htole16(NEXT);
		q->desc[cur].next = htole16(nxt);
		cur = nxt;
	}
	*id = cur;
	*budget -= s->n - 1;
	return head;
}

static const uint8_t known_ops[] = {
	0x00, 0x03, 0x04, 0x08, 0x0a, 0x12, 0x15, 0x16, 0x17, 0x1a, 0x1b,
	0x1c, 0x1d, 0x1e, 0x25, 0x28, 0x2a, 0x2e, 0x2f, 0x34, 0x35, 0x37,
	0x3b, 0x3c, 0x41, 0x42, 0x4d, 0x55, 0x56, 0x57, 0x5a, 0x5e, 0x5f,
	0x7f, 0x83, 0x84, 0x88, 0x89, 0x8a, 0x8e, 0x8f, 0x91, 0x93, 0x9e,
	0xa0, 0xa3, 0xa4, 0xa8, 0xaa, 0xb7,
};

/* The CDB's length by its group code (SAM), for the case's description. */
static unsigned int cdb_len(uint8_t op)
{
	switch (op >> 5) {
	case 0:
		return 6;
	case 1: case 2:
		return 10;
	case 5:
		return 12;
	default:
		return 16;
	}
}

static uint32_t alloc_len(struct fz *f)
{
	static const uint32_t l[] = { 0, 1, 4, 8, 18, 36, 96, 252, 255, 256,
				      512, 4096, 65535, 65536, 0xffffffffu };

	return fz_chance(f, 80) ? l[fz_below(f, sizeof(l) / sizeof(l[0]))] :
	       (uint32_t)fz_next(f);
}

/* A CDB: an opcode, random bytes, then often sane LBA and lengths. */
static void gen_cdb(struct fz *f, uint8_t *cdb)
{
	uint8_t op = fz_chance(f, 75) ?
		     known_ops[fz_below(f, sizeof(known_ops))] : (uint8_t)fz_next(f);
	unsigned int i;
	uint32_t al = alloc_len(f), lba = fz_below(f, 100000);

	for (i = 1; i < VIRTIO_SCSI_CDB_SIZE; i++)
		cdb[i] = fz_chance(f, 50) ? 0 : (uint8_t)fz_next(f);
	cdb[0] = op;
	if (fz_chance(f, 50))
		return;
	switch (op >> 5) {
	case 0:
		cdb[4] = (uint8_t)al;
		if (op == 0x08 || op == 0x0a) {
			cdb[1] &= 0xe0;
			cdb[2] = (uint8_t)(lba >> 8);
			cdb[3] = (uint8_t)lba;
		}
		break;
	case 1:
	case 2:
		vg_put_be32(&cdb[2], lba);
		vg_put_be16(&cdb[7], fz_chance(f, 70) ? fz_below(f, 17) : (uint16_t)al);
		break;
	case 4:
		vg_put_be64(&cdb[2], lba);
		vg_put_be32(&cdb[10], fz_chance(f, 70) ? fz_below(f, 17) : al);
		break;
	case 5:
		vg_put_be32(&cdb[2], lba);
		vg_put_be32(&cdb[6], fz_chance(f, 70) ? fz_below(f, 17) : al);
		break;
	default:
		break;
	}
}

/* A LUN field: LUN 0, LUNs that do not exist, other targets, garbage. */
/*
 * T10 PI bytes leading @len bytes of data: what the CDB's blocks need, a
 * tuple or a few, any number up to past the end, or none.
 */
static uint32_t gen_pi(struct fz *f, uint32_t len)
{
	switch (fz_below(f, 5)) {
	case 0:
		return len / 64 & ~7u;
	case 1:
		return 8 << fz_below(f, 4);
	case 2:
		return fz_below(f, len + 64);
	case 3:
		return fz_chance(f, 50) ? len + 1 : (uint32_t)fz_next(f);
	default:
		return 0;
	}
}

/* The header with T10 PI (negotiated): r's fields, PI lengths, r's CDB. */
static void to_pi(struct vg_hdr *h, uint32_t pi_out, uint32_t pi_in)
{
	struct virtio_scsi_cmd_req r = h->req.cmd;
	struct virtio_scsi_cmd_req_pi *p = &h->req.cmd_pi;

	memset(p, 0, sizeof(*p));
	memcpy(p->lun, r.lun, sizeof(p->lun));
	p->tag = r.tag;
	p->task_attr = r.task_attr;
	p->prio = r.prio;
	p->crn = r.crn;
	p->pi_bytesout = htole32(pi_out);
	p->pi_bytesin = htole32(pi_in);
	memcpy(p->cdb, r.cdb, sizeof(p->cdb));
}

static void gen_lun(struct fz *f, uint8_t lun[8], bool may_pat)
{
	static const uint16_t none[] = { 2, 3, 6, 8, 100, 255, 256, 16383 };
	unsigned int r = fz_below(f, 20);

	if (r < 13)
		vg_lun_encode(lun, f->d->tpgt, 0);
	else if (r < 16)
		vg_lun_encode(lun, f->d->tpgt, none[fz_below(f, 8)]);
	else if (r < 17 && may_pat)
		vg_lun_encode(lun, f->d->tpgt, FZ_PAT_LUN);
	else if (r < 19)
		vg_lun_encode(lun, (uint16_t)fz_next(f), 0);
	else
		for (r = 0; r < 8; r++)
			lun[r] = (uint8_t)fz_next(f);
}

int fz_case_req(struct fz *f)
{
	unsigned int n = 1 + fz_below(f, MAX_REQ), k, i;
	bool good[MAX_REQ], all_good = true;
	uint16_t heads[MAX_REQ], id = 0;
	uint32_t inlen[MAX_REQ];
	unsigned int budget = FZ_RING - MAX_REQ;
	struct vg_vq *q;
	bool pi;
	int rc;

	q = fz_take_io(f);
	if (!q)
		return fz_fail(f, "no queue: the device could not be set up again");
	pi = vg_has(f->d, VIRTIO_SCSI_F_T10_PI);
	for (k = 0; k < n; k++) {
		struct vg_hdr *h = &q->hdr[k];
		struct virtio_scsi_cmd_req *r = &h->req.cmd, shown;
		uint32_t req_len = pi ? REQ_PI_LEN : REQ_LEN, rsp_len = RSP_LEN;
		uint32_t dout = 0, din = 0, pi_out = 0, pi_in = 0;
		struct segs s = { .n = 0 };
		bool misorder = false;

		memset(h, 0, sizeof(*h));
		gen_lun(f, r->lun, false);
		r->tag = htole64(fz_next(f));
		r->task_attr = fz_chance(f, 85) ? VIRTIO_SCSI_S_SIMPLE : (uint8_t)fz_next(f);
		r->prio = fz_chance(f, 80) ? 0 : (uint8_t)fz_next(f);
		r->crn = fz_chance(f, 90) ? 0 : (uint8_t)fz_next(f);
		gen_cdb(f, r->cdb);
		h->resp.cmd.response = 0xff;
		switch (fz_below(f, 4)) {
		case 1:
			dout = fz_chance(f, 70) ? 512u << fz_below(f, 5) : fz_below(f, 300000);
			break;
		case 2:
			din = fz_chance(f, 70) ? 512u << fz_below(f, 5) : fz_below(f, 300000);
			break;
		case 3:
			dout = 512 << fz_below(f, 3);
			din = 512 << fz_below(f, 3);
			break;
		}
		good[k] = true;
		shown = *r;
		if (pi) {
			pi_out = dout || fz_chance(f, 5) ? gen_pi(f, dout) : 0;
			pi_in = din || fz_chance(f, 5) ? gen_pi(f, din) : 0;
			to_pi(h, pi_out, pi_in);
		}
		if (fz_chance(f, 5)) {
			req_len = fz_below(f, req_len);
			good[k] = false;
		} else if (fz_chance(f, 5)) {
			req_len += 1 + fz_below(f, 12);
		}
		if (fz_chance(f, 5)) {
			rsp_len = fz_below(f, RSP_LEN);
			good[k] = false;
		}
		split(f, &s, vg_gpa(f->d, &h->req), req_len, false, true);
		if (dout)
			split(f, &s, fz_junk(f, dout), dout, false, true);
		if (fz_chance(f, 4) && dout) {
			misorder = true;	/* readable after writable */
			good[k] = false;
		}
		if (!misorder) {
			split(f, &s, vg_gpa(f->d, &h->resp), rsp_len, true, true);
			if (din)
				split(f, &s, fz_junk(f, din), din, true, true);
		} else {
			struct segs t = { .n = 0 };

			split(f, &t, vg_gpa(f->d, &h->resp), rsp_len, true, false);
			memmove(&s.d[t.n], s.d, s.n * sizeof(s.d[0]));
			memcpy(s.d, t.d, t.n * sizeof(s.d[0]));
			s.n += t.n;
		}
		inlen[k] = rsp_len + din;
		all_good &= good[k];
		heads[k] = place(f, q, &s, &id, k, &budget);
		fz_say(f, "#%u %s cdb ", k, good[k] ? "ok" : "bad");
		for (i = 0; i < cdb_len(shown.cdb[0]); i++)
			fz_say(f, "%02x", shown.cdb[i]);
		fz_say(f, " lun %02x%02x%02x%02x attr %u req %u resp %u out %u in %u",
		       shown.lun[0], shown.lun[1], shown.lun[2], shown.lun[3],
		       shown.task_attr, req_len, rsp_len, dout, din);
		if (pi)
			fz_say(f, " pi out %u in %u", pi_out, pi_in);
		fz_say(f, " in %u segs%s; ", s.n, misorder ? " misordered" : "");
		vg_raw_avail(q, heads[k]);
	}
	vg_store_rel(&q->avail->idx, htole16(q->avail_shadow));
	vg_mb();
	vg_vq_notify(q);
	rc = fz_settle(f, q, n, heads, n);
	if (rc < 0)
		return rc;
	if (rc == 1 && all_good)
		return fz_fail(f, "queue broken by well-formed requests");
	for (k = 0; k < n && rc == 0; k++) {
		const struct virtio_scsi_cmd_resp *r = &q->hdr[k].resp.cmd;
		uint32_t used_len = 0, j;

		for (j = 0; j < n; j++) {
			const struct vring_used_elem *e =
				&q->used->ring[(uint16_t)(q->last_used - n + j) % q->num];

			if (le32toh(e->id) == heads[k])
				used_len = le32toh(e->len);
		}
		if (used_len > inlen[k])
			return fz_fail(f, "request %u: used len %u, but only %u bytes were writable",
				       k, used_len, inlen[k]);
		if (!good[k])
			continue;
		if (r->response == 0xff)
			return fz_fail(f, "request %u: came back with no response written", k);
		if (r->response > VIRTIO_SCSI_S_FAILURE)
			return fz_fail(f, "request %u: response %u is no virtio-scsi response",
				       k, r->response);
		if (le32toh(r->sense_len) > VIRTIO_SCSI_SENSE_SIZE)
			return fz_fail(f, "request %u: sense_len %u", k,
				       le32toh(r->sense_len));
	}
	return rc;
}

/* ---- ctrl ---- */

/* READs on the slow LUN to be aborted; returns how many are in flight. */
static unsigned int slow_ios(struct fz *f, struct vg_io *io, unsigned int n,
			     struct vg_vq **qp)
{
	struct vg_vq *q = fz_take_io(f);
	unsigned int k;

	*qp = q;
	if (!q)
		return 0;
	for (k = 0; k < n; k++) {
		vg_io_init(&io[k], (uint16_t)f->slow_lun);
		vg_cdb_rw(&io[k], 10, false, k, 1);
		io[k].din = f->pat_rd + 512 * k;
		io[k].din_len = 512;
		if (vg_io_submit(q, &io[k]))
			break;
	}
	vg_vq_kick(q);
	fz_say(f, "%u READs on the slow LUN; ", k);
	return k;
}

int fz_case_ctrl(struct fz *f)
{
	unsigned int n = 1 + fz_below(f, 3), k, nio = 0, budget = FZ_RING - 3;
	uint16_t heads[3], id;
	bool good[3], tmf[3], all_good = true;
	struct vg_hdr *hs[3];
	struct vg_io io[4];
	struct vg_vq *q, *sq = NULL;
	int rc;

	/*
	 * The control queue first: taking it may recycle the device, which
	 * resets the rings, and a READ already on one would be lost.
	 */
	q = fz_take_fixed(f, VG_VQ_CTRL);
	if (!q)
		return fz_fail(f, "no queue: the device could not be set up again");
	if (f->slow_lun >= 0 && fz_chance(f, 15)) {
		nio = slow_ios(f, io, 1 + fz_below(f, 4), &sq);
		f->dirty[VG_VQ_CTRL] = true;	/* a recycle there cleared it */
	}
	id = q->avail_shadow % q->num;
	for (k = 0; k < n; k++) {
		struct vg_hdr *h = &q->hdr[(q->avail_shadow + k) % q->num];
		uint32_t type, req_len, rsp_len;
		struct segs s = { .n = 0 };

		hs[k] = h;
		memset(h, 0xee, sizeof(*h));
		type = fz_below(f, 10);
		type = type < 6 ? VIRTIO_SCSI_T_TMF : type < 8 ?
		       VIRTIO_SCSI_T_AN_QUERY + fz_below(f, 2) : (uint32_t)fz_next(f);
		good[k] = type <= VIRTIO_SCSI_T_AN_SUBSCRIBE;
		tmf[k] = type == VIRTIO_SCSI_T_TMF;
		if (type == VIRTIO_SCSI_T_TMF) {
			struct virtio_scsi_ctrl_tmf_req *t = &h->req.tmf;

			t->type = htole32(type);
			t->subtype = htole32(fz_chance(f, 90) ? fz_below(f, 8) :
					     (uint32_t)fz_next(f));
			gen_lun(f, t->lun, true);
			t->tag = htole64(fz_next(f));
			if (nio && fz_chance(f, 80)) {
				vg_lun_encode(t->lun, f->d->tpgt, (uint16_t)f->slow_lun);
				t->tag = htole64(io[fz_below(f, nio)].tag);
			}
			req_len = sizeof(*t);
			rsp_len = sizeof(h->resp.tmf);
			fz_say(f, "TMF %u lun %02x%02x%02x%02x; ", le32toh(t->subtype),
			       t->lun[0], t->lun[1], t->lun[2], t->lun[3]);
		} else {
			struct virtio_scsi_ctrl_an_req *a = &h->req.an;

			a->type = htole32(type);
			gen_lun(f, a->lun, true);
			a->event_requested = htole32(fz_next(f));
			req_len = sizeof(*a);
			rsp_len = sizeof(h->resp.an);
			fz_say(f, "type %u; ", type);
		}
		h->resp.tmf.response = 0xff;
		h->resp.an.response = 0xff;
		if (fz_chance(f, 8)) {
			req_len = fz_below(f, req_len);
			good[k] = false;
		} else if (fz_chance(f, 5)) {
			req_len += 1 + fz_below(f, 16);
		}
		if (fz_chance(f, 8)) {
			rsp_len = fz_below(f, rsp_len);
			good[k] = false;
		}
		split(f, &s, vg_gpa(f->d, &h->req), req_len, false, true);
		split(f, &s, vg_gpa(f->d, &h->resp), rsp_len, true, true);
		if (fz_chance(f, 3)) {
			split(f, &s, fz_junk(f, 512), 512, false, false);
			good[k] = false;
			fz_say(f, "readable after writable; ");
		}
		all_good &= good[k];
		heads[k] = place(f, q, &s, &id, q->avail_shadow % q->num,
				 &budget);
		vg_raw_avail(q, heads[k]);
	}
	vg_store_rel(&q->avail->idx, htole16(q->avail_shadow));
	vg_mb();
	vg_vq_notify(q);
	rc = fz_settle(f, q, n, heads, n);
	if (rc == 1 && all_good)
		rc = fz_fail(f, "control queue broken by well-formed requests");
	if (rc == 0)
		f->dirty[VG_VQ_CTRL] = false;	/* it may be used on */
	for (k = 0; k < n && rc == 0; k++) {
		uint8_t resp = tmf[k] ? hs[k]->resp.tmf.response :
			       hs[k]->resp.an.response;

		if (good[k] && resp == 0xff)
			rc = fz_fail(f, "control request %u came back with no response written", k);
	}
	for (k = 0; k < nio && rc >= 0; k++) {
		if (vg_io_wait(sq, &io[k], f->bound_ms))
			rc = fz_fail(f, "READ %u on the slow LUN never completed after the TMF", k);
	}
	fz_say(f, "%u slow READs back; ", nio);
	return rc;
}

/* ---- event ---- */

static int events_missed(struct fz *f, bool set, uint32_t *v)
{
	return ioctl(f->d->fd, set ? VHOST_SCSI_SET_EVENTS_MISSED :
		     VHOST_SCSI_GET_EVENTS_MISSED, v) ? -errno : 0;
}

/* Wait for the next used entry or a broken queue; 1 used, 0 broken. */
static int event_wait(struct fz *f, struct vg_vq *q)
{
	uint64_t end = vg_now_ns() + (uint64_t)f->bound_ms * 1000000;

	while (fz_used_idx(q) == q->last_used) {
		if (vg_vq_errors(q))
			return 0;
		if (vg_now_ns() > end)
			return -1;
		usleep(1000);
	}
	return 1;
}

int fz_case_event(struct fz *f)
{
	struct vg_vq *q = fz_take_fixed(f, VG_VQ_EVENT);
	unsigned int kind = fz_below(f, 4), nb, k, budget;
	struct segs one = { .n = 0 };
	struct virtio_scsi_event *ev;
	bool first_good = false;
	uint64_t first = 0;
	uint32_t v, got;
	uint16_t id = 0;
	int rc = 0;

	if (!q)
		return fz_fail(f, "no queue: the device could not be set up again");
	ev = (void *)(f->junk + 4096 * fz_below(f, 64));
	nb = kind == 1 ? 0 : kind == 2 ? q->num : 1 + fz_below(f, 8);
	budget = q->num - (nb ? nb : 1);
	for (k = 0; k < nb; k++) {
		struct segs s = { .n = 0 };
		uint64_t a = vg_gpa(f->d, ev + k);
		uint32_t len = sizeof(*ev);
		bool wr = true;
		const char *what = "ok";

		memset(ev + k, 0xee, sizeof(*ev));
		if (kind >= 2 && fz_chance(f, 50)) {
			switch (fz_below(f, 4)) {
			case 0:
				wr = false;
				what = "readable";
				break;
			case 1:
				len = fz_below(f, sizeof(*ev));
				what = "short";
				break;
			case 2:
				len = fz_len(f);
				a = fz_addr(f, len, true, &what);
				break;
			default:
				len = fz_len(f);
				what = "any length";
				break;
			}
		}
		if (!k) {
			first_good = wr && len >= sizeof(*ev) && fz_valid(f, a, len);
			first = a;
		}
		split(f, &s, a, len, wr, true);
		vg_raw_avail(q, place(f, q, &s, &id, k, &budget));
		fz_say(f, "[%s %u] ", what, len);
	}
	vg_store_rel(&q->avail->idx, htole16(q->avail_shadow));
	vg_mb();
	v = fz_chance(f, 70) ? 1 : (uint32_t)fz_next(f);
	fz_say(f, "%u buffers, EVENTS_MISSED %u; ", nb, v);
	if (events_missed(f, true, &v))
		return fz_fail(f, "SET_EVENTS_MISSED failed: %m");
	vg_vq_notify(q);
	if (kind == 1) {	/* starved: the flag stays */
		usleep(2000);
		if (events_missed(f, false, &got) || got != v)
			return fz_fail(f, "GET_EVENTS_MISSED gave %u after SET %u with no buffer",
				       got, v);
		first = vg_gpa(f->d, ev);
		seg(&one, first, sizeof(*ev), true);
		vg_raw_avail(q, place(f, q, &one, &id, 0, &budget));
		vg_store_rel(&q->avail->idx, htole16(q->avail_shadow));
		vg_mb();
		vg_vq_notify(q);
		first_good = true;
		nb = 1;
	}
	if (nb && v) {
		rc = event_wait(f, q);
		if (rc < 0)
			rc = fz_fail(f, "events missed and %u buffers posted, but nothing came back", nb);
		else if (rc == 0 && first_good)
			rc = fz_fail(f, "event queue broken by a good buffer");
		else if (rc == 1 && first_good) {
			const struct vring_used_elem *e =
				&q->used->ring[q->last_used % q->num];
			struct virtio_scsi_event got_ev;

			/* where the first buffer is: not always ev[0] */
			if (!fz_read_gpa(f, first, sizeof(got_ev), &got_ev))
				memset(&got_ev, 0xee, sizeof(got_ev));
			ev = &got_ev;
			rc = 0;
			if (le32toh(e->id) != 0 && le32toh(e->id) != q->avail->ring[0])
				rc = fz_fail(f, "event used id %u", le32toh(e->id));
			else if (le32toh(ev->event) !=
				 (VIRTIO_SCSI_T_NO_EVENT | VIRTIO_SCSI_T_EVENTS_MISSED))
				rc = fz_fail(f, "event %#x (used id %u len %u, used idx %u), want NO_EVENT|EVENTS_MISSED",
					     le32toh(ev->event), le32toh(e->id),
					     le32toh(e->len), fz_used_idx(q));
			else if (events_missed(f, false, &got) || got)
				rc = fz_fail(f, "GET_EVENTS_MISSED %u after the event", got);
		} else {
			rc = 0;
		}
	}
	v = 0;
	events_missed(f, true, &v);
	return rc;
}
