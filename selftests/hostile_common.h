/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared fixture for the hostile tests. Each test attacks request queue 0
 * and then checks the rules every device must keep:
 *   - the attacked request gets an error response, or no response at all
 *     (the queue may be broken), within FV_HOSTILE_WAIT_MS (default 3000);
 *     a queue that fires its error eventfd is broken, and not waited for;
 *   - request queue 1 still works;
 *   - the device closes (CLEAR_ENDPOINT, GET_VRING_BASE, close) and a new
 *     open of the node can attach to the target and do I/O.
 * A hang fails through the harness timeout.
 * Include after kselftest_harness.h and tests_common.h.
 */
#ifndef HOSTILE_COMMON_H
#define HOSTILE_COMMON_H

#include <stdlib.h>

/* 1 MiB past the end of region 0: never mapped by the library */
#define HOLE_GPA(d)	((d)->reg[0].gpa + (d)->reg[0].size + (1 << 20))

FIXTURE(hostile) {
	struct vg_env env;
	struct vg_dev *d;
	struct vg_vq *q;	/* attacked */
	struct vg_vq *other;
	uint32_t bs;
	uint8_t *buf;		/* 64 KiB, arena */
	int wait_ms;
	bool broken;		/* the attacked queue said so */
};

struct outcome {
	bool used;		/* the device returned something */
	int id;			/* the head it returned */
	uint8_t response;	/* of our request, if id was ours */
	uint8_t status;
	uint32_t len;
	uint64_t errs;		/* error eventfd count */
};

static inline int hostile_wait_ms(void)
{
	const char *s = getenv("FV_HOSTILE_WAIT_MS");

	return s && *s ? atoi(s) : 3000;
}

FIXTURE_SETUP(hostile)
{
	uint64_t blocks;
	struct vg_io io;

	if (vg_env_load(&self->env))
		SKIP(return, "FV_WWN not set");
	self->wait_ms = hostile_wait_ms();
	ASSERT_EQ(0, tc_open(&self->d, &self->env, NULL));
	self->q = vg_ioq(self->d, 0);
	self->other = vg_ioq(self->d, 1);
	vg_tur(self->q, self->env.luns[0], &io);
	ASSERT_EQ(0, vg_read_capacity(self->q, self->env.luns[0], &blocks,
				      &self->bs));
	self->buf = vg_alloc(self->d, 65536, 4096);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(hostile)
{
	vg_close(self->d);
}

/* A valid request header for `op` (TUR or READ(10) of nb blocks). */
static inline struct vg_hdr *hdr_for(FIXTURE_DATA(hostile) *self,
				     uint16_t head, uint8_t op, uint32_t nb)
{
	struct vg_hdr *h = &self->q->hdr[head];

	memset(h, 0, sizeof(*h));
	vg_lun_encode(h->req.cmd.lun, self->d->tpgt, self->env.luns[0]);
	h->req.cmd.tag = htole64(0x4057113000000000ULL | head);
	h->req.cmd.cdb[0] = op;
	if (op == 0x28) {
		vg_put_be32(&h->req.cmd.cdb[2], 0);
		vg_put_be16(&h->req.cmd.cdb[7], nb);
	}
	h->resp.cmd.response = 0xff;
	return h;
}

static inline uint64_t gpa_of(FIXTURE_DATA(hostile) *self, const void *p)
{
	return vg_gpa(self->d, p);
}

/* Publish what was put in the avail ring, notify, and see what happens. */
static inline void await(FIXTURE_DATA(hostile) *self, int head,
			 struct outcome *o)
{
	struct vg_vq *q = self->q;
	void *cookie;
	int rc;

	memset(o, 0, sizeof(*o));
	o->id = -1;
	if (q->avail_shadow != q->avail_kicked)
		vg_vq_kick(q);
	vg_vq_notify(q);
	if (vg_vq_wait_or_broken(q, self->wait_ms, 50) > 0) {
		self->d->quiet = true;
		rc = vg_vq_pop(q, &cookie, &o->len);
		self->d->quiet = false;
		o->used = true;
		o->id = rc;
		if (rc >= 0 && rc == head) {
			o->response = q->hdr[head].resp.cmd.response;
			o->status = q->hdr[head].resp.cmd.status;
		} else {
			o->response = 0xfe;	/* not ours */
		}
	}
	o->errs = vg_vq_errors(q);
	if (o->errs)
		self->broken = true;
}

static inline const char *outcome_str(const struct outcome *o)
{
	static char buf[160];

	if (!o->used)
		snprintf(buf, sizeof(buf), "no response (error eventfd %llu)",
			 (unsigned long long)o->errs);
	else
		snprintf(buf, sizeof(buf),
			 "used id %d len %u: response %s status %#x (error eventfd %llu)",
			 o->id, o->len, vg_response_name(o->response), o->status,
			 (unsigned long long)o->errs);
	return buf;
}

/* Error response or nothing; never a successful command. */
#define EXPECT_REFUSED(o) \
	EXPECT_TRUE(!(o)->used || (o)->response != VIRTIO_SCSI_S_OK || \
		    (o)->status != 0) TH_LOG("accepted: %s", outcome_str(o))

/*
 * The aftermath checks. Queue 1 must work; queue 0 is reported, not
 * required; then close, and a new open must work.
 */
static inline void aftermath(struct __test_metadata *_metadata,
			     FIXTURE_DATA(hostile) *self)
{
	struct vg_dev *d;
	struct vg_io io;
	uint64_t t0;
	int rc;

	vg_io_init(&io, self->env.luns[0]);
	vg_cdb_tur(&io);
	ASSERT_EQ(0, vg_io_exec(self->other, &io, VG_TIMEOUT_MS))
		TH_LOG("request queue 1 stopped working");
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("queue 1: %s", tc_str(&io));

	if (self->broken) {
		TH_LOG("attacked queue afterwards: broken (error eventfd)");
	} else {
		vg_io_init(&io, self->env.luns[0]);
		vg_cdb_tur(&io);
		self->d->quiet = true;
		rc = vg_io_submit(self->q, &io);
		if (!rc) {
			vg_vq_kick(self->q);
			rc = vg_io_wait(self->q, &io, self->wait_ms / 2);
		}
		self->d->quiet = false;
		TH_LOG("attacked queue afterwards: %s",
		       rc ? "no response" : tc_str(&io));
	}

	t0 = vg_now_ns();
	vg_close(self->d);
	self->d = NULL;
	TH_LOG("close took %llu ms", (unsigned long long)((vg_now_ns() - t0) / 1000000));

	ASSERT_EQ(0, tc_open(&d, &self->env, NULL))
		TH_LOG("the target cannot be attached again");
	ASSERT_EQ(0, vg_tur(vg_ioq(d, 0), self->env.luns[0], &io));
	if (tc_is_ua(&io))
		ASSERT_EQ(0, vg_tur(vg_ioq(d, 0), self->env.luns[0], &io));
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("new device: %s", tc_str(&io));
	vg_close(d);
}

#endif /* HOSTILE_COMMON_H */
