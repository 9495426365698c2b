// SPDX-License-Identifier: GPL-2.0
/*
 * fvfuzz families "ring" (descriptor chains, indirect tables, avail and
 * used indexes, EVENT_IDX) and "addr" (buffers at and past the edges of
 * the memory table).  Both drive a fresh request queue by hand.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fvfuzz.h"
#include "vg_internal.h"

#define NEXT	VRING_DESC_F_NEXT
#define WR	VRING_DESC_F_WRITE
#define IND	VRING_DESC_F_INDIRECT
#define REQ_LEN	((uint32_t)sizeof(struct virtio_scsi_cmd_req))
#define RSP_LEN	((uint32_t)sizeof(struct virtio_scsi_cmd_resp))
#define MAX_HEADS 8

struct build {
	struct fz *f;
	struct vg_vq *q;
	uint16_t id;		/* next descriptor to use */
	unsigned int tcur;	/* next free entry of the indirect area */
};

static void put(struct vring_desc *d, uint64_t gpa, uint32_t len,
		uint16_t flags, uint16_t next)
{
	d->addr = htole64(gpa);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

static const char *flags_str(uint16_t fl)
{
	static char buf[8][8];
	static unsigned int n;
	char *b = buf[n++ % 8];

	snprintf(b, 8, "%s%s%s%s", fl & NEXT ? "N" : "", fl & WR ? "W" : "",
		 fl & IND ? "I" : "", fl & ~(NEXT | WR | IND) ? "+" : "");
	return b[0] ? b : "-";
}

/* Any descriptor at all: header, response, data, or a strange address. */
static void rand_desc(struct build *b, struct vring_desc *d, unsigned int slot,
		      bool last, uint16_t next)
{
	struct fz *f = b->f;
	struct vg_hdr *h = &b->q->hdr[slot % b->q->num];
	uint16_t fl = last ? 0 : NEXT;
	const char *what = "junk";
	uint64_t a;
	uint32_t len;

	switch (fz_below(f, 5)) {
	case 0:
		a = vg_gpa(f->d, &h->req);
		len = fz_chance(f, 70) ? REQ_LEN : fz_len(f);
		what = "req";
		break;
	case 1:
		a = vg_gpa(f->d, &h->resp);
		len = fz_chance(f, 70) ? RSP_LEN : fz_below(f, 128);
		fl |= WR;
		what = "resp";
		break;
	case 2:
		len = fz_len(f);
		if (fz_chance(f, 50))
			fl |= WR;
		a = fz_addr(f, len, fl & WR, &what);
		break;
	default:
		len = fz_chance(f, 50) ? 512 : fz_below(f, 65536);
		a = fz_junk(f, len);
		if (fz_chance(f, 60))
			fl |= WR;
		break;
	}
	if (fz_chance(f, 4))
		fl |= IND;
	if (fz_chance(f, 2))
		fl |= 1u << (3 + fz_below(f, 13));
	put(d, a, len, fl, next);
	fz_say(f, "[%s %u %s>%u] ", what, len, flags_str(fl), next);
}

/* A READ(10) of LUN 0: header, response, 1-3 data segments. */
static unsigned int good_chain(struct build *b, struct vring_desc *t,
			       unsigned int slot, bool indirect, uint16_t first)
{
	struct fz *f = b->f;
	struct vg_hdr *h = fz_hdr(f, b->q, slot, fz_chance(f, 50) ? 0x28 : 0,
				  0, fz_below(f, 64), 1);
	unsigned int n = 0, k, nseg = 1 + fz_below(f, 3);
	uint32_t seg = 512 / nseg;
	uint64_t buf = fz_junk(f, 512);
	uint16_t id = first;

#define NXT(i) (indirect ? (uint16_t)((i) + 1) : (uint16_t)((id + 1) % b->q->num))
	put(&t[indirect ? n : id], vg_gpa(f->d, &h->req), REQ_LEN, NEXT, NXT(n));
	n++, id = NXT(n - 1);
	put(&t[indirect ? n : id], vg_gpa(f->d, &h->resp), RSP_LEN, WR | NEXT,
	    NXT(n));
	n++, id = NXT(n - 1);
	for (k = 0; k < nseg; k++) {
		put(&t[indirect ? n : id], buf + k * seg,
		    k + 1 < nseg ? seg : 512 - k * seg,
		    WR | (k + 1 < nseg ? NEXT : 0), NXT(n));
		n++, id = NXT(n - 1);
	}
#undef NXT
	fz_say(f, "good %s %u segs; ", h->req.cmd.cdb[0] ? "READ" : "TUR", n);
	return n;
}

/* An indirect table with 1..1100 entries, mostly sane, then broken. */
static void indirect_table(struct build *b, struct vring_desc *d,
			   unsigned int slot, uint16_t dflags, uint16_t dnext)
{
	struct fz *f = b->f;
	unsigned int room = b->q->num * VG_MAX_SEGS - b->tcur, n, i, m;
	struct vring_desc *t = b->q->indirect + b->tcur;
	uint32_t len;
	const char *what = "table";
	uint64_t a;

	switch (fz_below(f, 4)) {
	case 0:
		n = 1025 + fz_below(f, 76);	/* past 1024 entries */
		break;
	case 1:
		n = 1 + fz_below(f, 64);
		break;
	default:
		n = 3 + fz_below(f, 6);
		break;
	}
	if (n > room)
		n = room;
	if (!n) {
		put(d, 0, 0, dflags | IND, dnext);
		fz_say(f, "{empty} ");
		return;
	}
	b->tcur += n;
	if (n >= 5 && fz_chance(f, 70)) {
		unsigned int n0 = good_chain(b, t, slot, true, 0);

		/* more data segments after the good ones, then the end */
		for (i = n0; i < n; i++)
			put(&t[i], fz_junk(f, 512), 512,
			    WR | (i + 1 < n ? NEXT : 0), i + 1);
		if (n > n0)
			t[n0 - 1].flags = htole16(WR | NEXT);
	} else {
		for (i = 0; i < n; i++)
			rand_desc(b, &t[i], slot, i + 1 == n, i + 1);
	}
	/* Break it: loops, next out of the table, nesting, order. */
	for (m = fz_below(f, 3); m; m--) {
		i = fz_below(f, n);
		switch (fz_below(f, 5)) {
		case 0:
			t[i].flags |= htole16(NEXT);
			t[i].next = htole16(fz_below(f, i + 1));
			fz_say(f, "{loop %u->%u} ", i, le16toh(t[i].next));
			break;
		case 1:
			t[i].flags |= htole16(NEXT);
			t[i].next = htole16(n + fz_below(f, 8));
			fz_say(f, "{%u next out of table} ", i);
			break;
		case 2:
			t[i].flags |= htole16(IND);
			fz_say(f, "{%u nested} ", i);
			break;
		case 3:
			t[i].flags ^= htole16(WR);
			fz_say(f, "{%u direction flipped} ", i);
			break;
		default:
			rand_desc(b, &t[i], slot, fz_chance(f, 30), fz_below(f, n + 2));
			break;
		}
	}
	a = vg_gpa(f->d, t);
	len = n * sizeof(*t);
	switch (fz_below(f, 10)) {
	case 0:
		len = fz_len(f);
		break;
	case 1:
		len += 1 + fz_below(f, 15);
		break;
	case 2:
		a = fz_addr(f, len, false, &what);
		break;
	}
	put(d, a, len, dflags | IND, dnext);
	fz_say(f, "{%s %u entries, len %u, %s} ", what, n, len,
	       flags_str(dflags | IND));
}

/* One chain starting at descriptor b->id; returns its head. */
static uint16_t chain(struct build *b, unsigned int slot)
{
	struct fz *f = b->f;
	struct vg_vq *q = b->q;
	uint16_t head = b->id, id, nxt, last = head;
	unsigned int len, k;

	switch (fz_below(f, 6)) {
	case 0:
		b->id = (b->id + good_chain(b, q->desc, slot, false, head)) % q->num;
		return head;
	case 1:
	case 2:
		indirect_table(b, &q->desc[head], slot,
			       fz_chance(f, 10) ? NEXT : 0, (head + 1) % q->num);
		b->id = (b->id + 1) % q->num;
		if (le16toh(q->desc[head].flags) & NEXT) {
			rand_desc(b, &q->desc[b->id], slot, true, 0);
			b->id = (b->id + 1) % q->num;
		}
		return head;
	default:
		break;
	}
	switch (fz_below(f, 6)) {
	case 0:
		len = q->num + 1 + fz_below(f, 3);
		break;
	case 1:
		len = q->num - fz_below(f, 2);
		break;
	default:
		len = 1 + fz_below(f, 8);
		break;
	}
	fz_say(f, "chain of %u: ", len);
	for (k = 0, id = head; k < len; k++) {
		nxt = (id + 1) % q->num;
		if (fz_chance(f, 5))
			nxt = fz_chance(f, 50) ? fz_below(f, q->num) :
			      q->num + fz_below(f, 0x10000 - q->num);
		if (k < 6 || fz_chance(f, 3)) {
			rand_desc(b, &q->desc[id], slot, k + 1 == len, nxt);
		} else {	/* long chains: plain data */
			put(&q->desc[id], fz_junk(f, 512), 512,
			    WR | (k + 1 < len ? NEXT : 0), nxt);
		}
		if (fz_chance(f, 10) && k < len - 1)
			indirect_table(b, &q->desc[id], slot, NEXT, nxt);
		last = id;
		if (nxt >= q->num)
			break;
		id = nxt;
	}
	/*
	 * Longer than the ring, it wrote over its own start: its last
	 * descriptor leads back to the head, so that the walk can loop
	 * (else it ends within the ring, on descriptors written twice).
	 */
	if (k == len && len > q->num) {
		q->desc[last].flags |= htole16(NEXT);
		q->desc[last].next = htole16(head);
		fz_say(f, "{%u loops to %u} ", last, head);
	}
	b->id = (id + 1) % q->num;
	return head;
}

struct flipper {
	struct vg_vq *q;
	uint64_t rng;
	volatile bool stop;
};

/* Flags and next fields change while the worker walks them. */
static void *flip(void *arg)
{
	struct flipper *fl = arg;
	unsigned int n = 0;

	while (!fl->stop && n++ < 200000) {
		uint64_t r = vg_rand(&fl->rng);
		struct vring_desc *d = &fl->q->desc[r % fl->q->num];

		if (r & 0x100)
			__atomic_fetch_xor(&d->flags, htole16((r >> 16) & 7),
					   __ATOMIC_RELAXED);
		else
			__atomic_store_n(&d->next, htole16((r >> 16) % (fl->q->num + 2)),
					 __ATOMIC_RELAXED);
	}
	return NULL;
}

int fz_case_ring(struct fz *f)
{
	struct build b = { .f = f };
	uint16_t heads[MAX_HEADS], start, idx;
	unsigned int nheads, k, expect;
	struct flipper fl = { 0 };
	pthread_t thr;
	bool flipping = false;
	struct vg_vq *q;
	int rc;

	if (fz_chance(f, 8)) {
		static const uint16_t bases[] = { 0xffff, 0xfffe, 0xffc0, 0x7fff, 0x8000 };

		q = fz_take_at(f, bases[fz_below(f, 5)]);
	} else {
		q = fz_take_io(f);
	}
	if (!q)
		return fz_fail(f, "no queue: the device could not be set up again");
	b.q = q;
	start = q->avail_shadow;
	nheads = 1 + fz_below(f, fz_chance(f, 10) ? MAX_HEADS : 3);
	for (k = 0; k < nheads; k++) {
		heads[k] = chain(&b, k);
		if (fz_chance(f, 4)) {
			heads[k] = q->num + fz_below(f, 0x10000 - q->num);
			fz_say(f, "head %u out of range; ", heads[k]);
		} else if (k && fz_chance(f, 6)) {
			heads[k] = heads[0];
			fz_say(f, "head repeated; ");
		}
		vg_raw_avail(q, heads[k]);
	}
	idx = q->avail_shadow;
	switch (fz_below(f, 24)) {
	case 0:
		idx = start + q->num + 1 + fz_below(f, 2000);
		fz_say(f, "avail idx jumps to %u; ", idx);
		break;
	case 1:
		idx = start - 1 - fz_below(f, 4);
		fz_say(f, "avail idx goes back to %u; ", idx);
		break;
	case 2:
		idx = start + fz_below(f, nheads);
		fz_say(f, "avail idx short: %u; ", idx);
		break;
	}
	if (q->event_idx && fz_chance(f, 30)) {
		*vg_used_event(q) = htole16(fz_chance(f, 50) ? start :
					    (uint16_t)fz_next(f));
		fz_say(f, "used_event %u; ", le16toh(*vg_used_event(q)));
	}
	if (fz_chance(f, 10)) {
		q->avail->flags = htole16(fz_next(f));
		fz_say(f, "avail flags %#x; ", le16toh(q->avail->flags));
	}
	if (fz_chance(f, 8)) {
		fl.q = q;
		fl.rng = fz_next(f) | 1;
		flipping = !pthread_create(&thr, NULL, flip, &fl);
		fz_say(f, "flipping flags/next; ");
	}
	expect = (uint16_t)(idx - start);
	vg_store_rel(&q->avail->idx, htole16(idx));
	vg_mb();
	vg_vq_notify(q);
	rc = fz_settle(f, q, expect, heads, nheads);
	if (flipping) {
		fl.stop = true;
		pthread_join(thr, NULL);
	}
	return rc;
}

/* ---- addr ---- */

struct areq {
	uint64_t din;
	uint32_t din_len;
	bool valid;
	uint32_t lba, nb;
	uint16_t head;
	uint64_t ha;		/* where its header is */
	/* every buffer the device may write: response and data */
	uint64_t wa[4];
	uint32_t wl[4];
	unsigned int nw;
};

static void note_w(struct areq *r, uint64_t a, uint32_t len)
{
	r->wa[r->nw] = a;
	r->wl[r->nw++] = len;
}

/*
 * Does a buffer another request (or this one's response) may be written
 * to overlap [a, a + len)?  Then what is found there proves nothing.
 * k == n: any request's buffer at all.
 */
static bool clobbered(const struct areq *r, unsigned int n, unsigned int k,
		      uint64_t a, uint32_t len)
{
	unsigned int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < r[i].nw; j++) {
			if (i == k && j > 0)	/* its own data: the range itself */
				continue;
			if (r[i].wa[j] < a + len && a < r[i].wa[j] + r[i].wl[j])
				return true;
		}
	return false;
}

int fz_case_addr(struct fz *f)
{
	struct areq r[3];
	uint16_t heads[3];
	unsigned int n = 1 + fz_below(f, 3), k, i, nseg;
	struct build b = { .f = f };
	bool all_valid = true;
	uint8_t *got = NULL;
	struct vg_vq *q;
	int rc;

	/* the data is checked: no earlier case's READ may still land there */
	q = fz_take_io_quiet(f);
	if (!q)
		return fz_fail(f, "no queue: the device could not be set up again");
	b.q = q;
	for (k = 0; k < n; k++) {
		struct vg_hdr *h;
		const char *what = "junk";
		uint64_t a, rsp;
		uint32_t len, off = 0;
		uint16_t id;

		r[k].lba = fz_below(f, FZ_PAT_BLOCKS);
		r[k].nb = 1 + fz_below(f, FZ_PAT_BLOCKS - r[k].lba);
		r[k].din_len = r[k].nb * f->bs;
		r[k].valid = true;
		r[k].nw = 0;
		h = fz_hdr(f, q, k, 0x28, FZ_PAT_LUN, r[k].lba, r[k].nb);
		heads[k] = r[k].head = id = b.id;
		/* the header itself, sometimes at the end of memory */
		a = vg_gpa(f->d, &h->req);
		if (fz_chance(f, 15)) {
			uint32_t cut = fz_below(f, REQ_LEN + 1);
			uint64_t hi = f->d->reg[1].gpa + f->d->reg[1].size;

			a = hi - cut;
			memcpy((uint8_t *)f->d->reg[1].host +
			       f->d->reg[1].size - cut, &h->req, cut);
			r[k].valid = cut == REQ_LEN;
			fz_say(f, "header %u bytes before the end; ", cut);
		}
		r[k].ha = a;
		put(&q->desc[id], a, REQ_LEN, NEXT, (id + 1) % q->num);
		id = (id + 1) % q->num;
		rsp = vg_gpa(f->d, &h->resp);
		if (fz_chance(f, 10)) {
			rsp = fz_addr(f, RSP_LEN, true, &what);
			r[k].valid &= fz_valid(f, rsp, RSP_LEN);
			fz_say(f, "response %s; ", what);
		}
		note_w(&r[k], rsp, RSP_LEN);
		put(&q->desc[id], rsp, RSP_LEN, WR | NEXT, (id + 1) % q->num);
		id = (id + 1) % q->num;
		nseg = 1 + fz_below(f, 3);
		r[k].din = VG_BAD_GPA;
		for (i = 0; i < nseg; i++) {
			len = i + 1 < nseg ? fz_below(f, r[k].din_len - off + 1) :
			      r[k].din_len - off;
			if (fz_chance(f, 20))
				len = fz_len(f);
			if (i == 0 || fz_chance(f, 50)) {
				a = fz_addr(f, len, true, &what);
				if (!strcmp(what, "junk") && len <= (8 << 20) &&
				    fz_chance(f, 50)) {
					a = f->d->reg[1].gpa - len / 2;
					what = "straddling regions";
				}
			} else if (r[k].din != VG_BAD_GPA) {
				a = r[k].din + off;	/* contiguous */
				what = "next";
			} else {
				a = fz_junk(f, len);
			}
			if (i == 0)
				r[k].din = a;
			else if (a != r[k].din + off)
				r[k].din = VG_BAD_GPA;	/* not checked */
			r[k].valid &= fz_valid(f, a, len);
			fz_say(f, "data %u at %s %#llx; ", len, what,
			       (unsigned long long)a);
			note_w(&r[k], a, len);
			put(&q->desc[id], a, len, WR | (i + 1 < nseg ? NEXT : 0),
			    (id + 1) % q->num);
			id = (id + 1) % q->num;
			off += len;
		}
		r[k].din_len = off < r[k].din_len ? off : r[k].din_len;
		all_valid &= r[k].valid;
		b.id = id;
		vg_raw_avail(q, heads[k]);
	}
	vg_store_rel(&q->avail->idx, htole16(q->avail_shadow));
	vg_mb();
	vg_vq_notify(q);
	rc = fz_settle(f, q, n, heads, n);
	if (rc < 0)
		return rc;
	if (rc == 1 && all_valid)
		return fz_fail(f, "queue broken by requests whose buffers are all in guest memory");
	/* What came back OK must hold the pattern. */
	for (k = 0; k < n && rc == 0; k++) {
		struct vg_hdr *h = &q->hdr[k];
		uint32_t want = r[k].nb * f->bs;

		/* a header written over may have asked for other blocks */
		if (clobbered(r, n, k, r[k].din, want) ||
		    clobbered(r, n, n, r[k].ha, REQ_LEN) || h->resp.cmd.response != VIRTIO_SCSI_S_OK ||
		    h->resp.cmd.status || r[k].din == VG_BAD_GPA ||
		    !r[k].valid || r[k].din_len < want)
			continue;
		got = got ? got : malloc(FZ_PAT_BLOCKS * 4096);
		if (!got || !fz_read_gpa(f, r[k].din, want, got))
			continue;
		if (memcmp(got, f->pat_ref + (size_t)r[k].lba * f->bs, want)) {
			free(got);
			return fz_fail(f, "request %u: READ of %u blocks into %#llx came back OK with the wrong data",
				       k, r[k].nb, (unsigned long long)r[k].din);
		}
	}
	free(got);
	return rc;
}
