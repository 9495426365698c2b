// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging for live migration (VHOST_F_LOG_ALL, VHOST_SET_LOG_BASE,
 * VHOST_VRING_F_LOG): every guest page the device writes has its bit set
 * by the time the guest sees the completion; nothing is logged once
 * logging is off or into a bitmap that was replaced; logging turns on and
 * off while I/O runs; a bad bitmap breaks a queue, not the host.
 * Environment: see tests_common.h.  fastvhost only.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "tests_common.h"

#define LOG_ALL		(1ULL << VHOST_F_LOG_ALL)
#define LOG_PAGE	4096ULL
#define IO_BYTES	(64 * 1024)

struct bitmap {
	uint8_t *bits;
	size_t len;
};

static int bitmap_new(struct vg_dev *d, struct bitmap *b)
{
	b->len = vg_log_size(d);
	b->bits = mmap(NULL, b->len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return b->bits == MAP_FAILED ? -errno : 0;
}

static void bitmap_free(struct bitmap *b)
{
	if (b->bits && b->bits != MAP_FAILED)
		munmap(b->bits, b->len);
	b->bits = NULL;
}

static bool page_logged(const struct bitmap *b, uint64_t gpa)
{
	uint64_t p = gpa / LOG_PAGE;

	return __atomic_load_n(&b->bits[p / 8], __ATOMIC_RELAXED) &
		(1u << (p % 8));
}

/* Guest pages of [gpa, gpa + len) not logged */
static unsigned int missing(const struct bitmap *b, uint64_t gpa,
			    uint64_t len)
{
	unsigned int n = 0;
	uint64_t p;

	for (p = gpa & ~(LOG_PAGE - 1); p < gpa + len; p += LOG_PAGE)
		n += !page_logged(b, p);
	return n;
}

static unsigned int logged_total(const struct bitmap *b)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < b->len; i++)
		n += __builtin_popcount(b->bits[i]);
	return n;
}

static void bitmap_clear(struct bitmap *b)
{
	size_t i;

	for (i = 0; i < b->len / 8; i++)
		__atomic_store_n((uint64_t *)b->bits + i, 0, __ATOMIC_RELAXED);
}

static int set_log_base(struct vg_dev *d, const void *p)
{
	uint64_t base = (uintptr_t)p;

	return ioctl(d->fd, VHOST_SET_LOG_BASE, &base) ? -errno : 0;
}

static int set_log_all(struct vg_dev *d, bool on)
{
	uint64_t f = on ? d->features | LOG_ALL : d->features & ~LOG_ALL;

	return ioctl(d->fd, VHOST_SET_FEATURES, &f) ? -errno : 0;
}

static int log_on(struct vg_dev *d, const struct bitmap *b)
{
	int rc = set_log_base(d, b->bits);

	if (!rc)
		rc = set_log_all(d, true);
	if (!rc)
		rc = vg_vring_log(d, true);
	return rc;
}

static int rw_head(struct vg_vq *q, uint16_t lun, bool write, uint64_t lba,
		   void *buf, uint32_t len, uint32_t bs, uint16_t *head)
{
	struct vg_io io;
	int rc;

	vg_io_init(&io, lun);
	if (write) {
		io.dout = buf;
		io.dout_len = len;
	} else {
		io.din = buf;
		io.din_len = len;
	}
	io.seg_size = 4096;
	vg_cdb_rw(&io, 16, write, lba, len / bs);
	rc = tc_exec(q, &io);
	if (!rc && !vg_io_ok(&io))
		rc = -EIO;
	if (head)
		*head = io.head;
	return rc;
}

static int rw(struct vg_vq *q, uint16_t lun, bool write, uint64_t lba,
	      void *buf, uint32_t len, uint32_t bs)
{
	return rw_head(q, lun, write, lba, buf, len, bs, NULL);
}

FIXTURE(dlog) {
	struct vg_env env;
	struct vg_dev *d;
	struct bitmap b;
	uint16_t lun;
	uint32_t bs;
	uint8_t *buf;
};

FIXTURE_SETUP(dlog)
{
	struct tc_cfg c = { .features = TC_FEAT_ALL | LOG_ALL };
	uint64_t blocks;
	struct vg_io io;

	if (vg_env_load(&self->env))
		SKIP(return, "FV_WWN not set");
	if (tc_stock(&self->env))
		SKIP(return, "the stock vhost_scsi logs the used ring only before 6.16");
	ASSERT_EQ(0, tc_open(&self->d, &self->env, &c));
	ASSERT_TRUE(self->d->features & LOG_ALL) TH_LOG("VHOST_F_LOG_ALL not offered");
	/* tc_open negotiated LOG_ALL; logging starts with a log base. */
	ASSERT_EQ(0, set_log_all(self->d, false));
	ASSERT_EQ(0, bitmap_new(self->d, &self->b));
	self->lun = self->env.luns[0];
	vg_tur(vg_ioq(self->d, 0), self->lun, &io);	/* a UNIT ATTENTION */
	ASSERT_EQ(0, vg_read_capacity(vg_ioq(self->d, 0), self->lun, &blocks,
				      &self->bs));
	ASSERT_LE(IO_BYTES / self->bs * 4, blocks);
	self->buf = vg_alloc(self->d, IO_BYTES, 4096);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(dlog)
{
	if (self->d)
		vg_close(self->d);
	bitmap_free(&self->b);
}

/* A READ's data pages, its response and the used ring, and no more. */
TEST_F(dlog, reads_logged)
{
	struct vg_dev *d = self->d;
	struct vg_vq *q = vg_ioq(d, 0);
	uint8_t *untouched = vg_alloc(d, IO_BYTES, 4096);
	uint64_t gpa = vg_gpa(d, self->buf);
	unsigned int n, pages = IO_BYTES / LOG_PAGE;
	uint16_t head;
	long bad;

	ASSERT_NE(NULL, untouched);
	vg_pattern_fill(self->buf, IO_BYTES, self->bs, 0xd1, 0);
	ASSERT_EQ(0, rw(q, self->lun, true, 0, self->buf, IO_BYTES, self->bs));
	memset(self->buf, 0, IO_BYTES);

	ASSERT_EQ(0, log_on(d, &self->b));
	bitmap_clear(&self->b);
	ASSERT_EQ(0, rw_head(q, self->lun, false, 0, self->buf, IO_BYTES,
			     self->bs, &head));
	bad = vg_pattern_check(self->buf, IO_BYTES, self->bs, 0xd1, 0);
	ASSERT_EQ(-1, bad) TH_LOG("read back differs at byte %ld", bad);

	n = missing(&self->b, gpa, IO_BYTES);
	EXPECT_EQ(0, n) TH_LOG("%u of %u data pages not logged", n, pages);
	EXPECT_EQ(0, missing(&self->b, vg_gpa(d, &q->used->idx), 2))
		TH_LOG("used index not logged");
	EXPECT_EQ(0, missing(&self->b, vg_gpa(d, &q->hdr[head].resp),
			     sizeof(q->hdr[head].resp)))
		TH_LOG("response header not logged");
	EXPECT_EQ(IO_BYTES / LOG_PAGE, missing(&self->b, vg_gpa(d, untouched),
					       IO_BYTES))
		TH_LOG("pages nobody wrote are logged");
	/* data, header (request and response), indirect table, used ring */
	n = logged_total(&self->b);
	EXPECT_LE(n, pages + 8) TH_LOG("%u pages logged for one read", n);
}

/* Pages of the control queue's response headers that are logged */
static unsigned int ctl_resp_pages(struct vg_dev *d, const struct bitmap *b)
{
	struct vg_vq *cq = &d->vq[VG_VQ_CTRL];
	uint64_t last = ~0ULL, gpa;
	unsigned int i, n = 0;

	for (i = 0; i < cq->num; i++) {
		gpa = vg_gpa(d, &cq->hdr[i].resp) & ~(LOG_PAGE - 1);
		if (gpa != last && page_logged(b, gpa))
			n++;
		last = gpa;
	}
	return n;
}

/* Control queue answers and events are device writes too. */
TEST_F(dlog, control_and_events_logged)
{
	struct vg_dev *d = self->d;
	struct vg_vq *cq = &d->vq[VG_VQ_CTRL];
	struct virtio_scsi_event ev;
	uint8_t response = 0xff;
	uint32_t actual = 0, one = 1;
	unsigned int i, n, ev_pages;

	ASSERT_EQ(0, log_on(d, &self->b));

	bitmap_clear(&self->b);
	ASSERT_EQ(0, vg_tmf(d, VIRTIO_SCSI_T_TMF_ABORT_TASK, self->lun,
			    0xdead0001, &response, VG_TIMEOUT_MS));
	EXPECT_EQ(VIRTIO_SCSI_S_OK, response);
	n = ctl_resp_pages(d, &self->b);
	EXPECT_EQ(1, n) TH_LOG("%u pages of control responses logged", n);
	EXPECT_EQ(0, missing(&self->b, vg_gpa(d, &cq->used->idx), 2));

	bitmap_clear(&self->b);
	ASSERT_EQ(0, vg_an(d, VIRTIO_SCSI_T_AN_QUERY, self->lun, 0, &actual,
			   &response, VG_TIMEOUT_MS));
	n = ctl_resp_pages(d, &self->b);
	EXPECT_EQ(1, n) TH_LOG("%u pages of AN responses logged", n);

	bitmap_clear(&self->b);
	ASSERT_EQ(0, ioctl(d->fd, VHOST_SCSI_SET_EVENTS_MISSED, &one));
	ASSERT_EQ(1, vg_event_get(d, &ev, VG_TIMEOUT_MS));
	ev_pages = 0;
	for (i = 0; i < VG_EVENT_BUFS; i++)
		ev_pages += !missing(&self->b, vg_gpa(d, &d->events[i]),
				     sizeof(d->events[i]));
	EXPECT_NE(0, ev_pages) TH_LOG("the event buffer is not logged");
	EXPECT_EQ(0, missing(&self->b, vg_gpa(d, &d->vq[VG_VQ_EVENT].used->idx), 2));
}

/* Off means off: no bit after LOG_ALL is cleared or the bitmap replaced. */
TEST_F(dlog, nothing_logged_after_off)
{
	struct vg_dev *d = self->d;
	struct vg_vq *q = vg_ioq(d, 0);
	struct bitmap b2 = { 0 };

	ASSERT_EQ(0, log_on(d, &self->b));
	ASSERT_EQ(0, rw(q, self->lun, false, 0, self->buf, IO_BYTES, self->bs));
	EXPECT_NE(0, logged_total(&self->b));

	ASSERT_EQ(0, set_log_all(d, false));
	bitmap_clear(&self->b);
	ASSERT_EQ(0, rw(q, self->lun, false, 0, self->buf, IO_BYTES, self->bs));
	ASSERT_EQ(0, rw(q, self->lun, true, 0, self->buf, IO_BYTES, self->bs));
	EXPECT_EQ(0, logged_total(&self->b)) TH_LOG("logged with LOG_ALL off");

	/* On again, then a new bitmap: the old one stays as it was. */
	ASSERT_EQ(0, set_log_all(d, true));
	ASSERT_EQ(0, rw(q, self->lun, false, 0, self->buf, IO_BYTES, self->bs));
	EXPECT_EQ(0, missing(&self->b, vg_gpa(d, self->buf), IO_BYTES));
	ASSERT_EQ(0, bitmap_new(d, &b2));
	ASSERT_EQ(0, set_log_base(d, b2.bits));
	bitmap_clear(&self->b);
	ASSERT_EQ(0, rw(q, self->lun, false, 0, self->buf, IO_BYTES, self->bs));
	EXPECT_EQ(0, logged_total(&self->b)) TH_LOG("logged into the old bitmap");
	EXPECT_EQ(0, missing(&b2, vg_gpa(d, self->buf), IO_BYTES));
	/* The used ring alone: VHOST_VRING_F_LOG off, LOG_ALL on. */
	ASSERT_EQ(0, vg_vring_log(d, false));
	bitmap_clear(&b2);
	ASSERT_EQ(0, rw(q, self->lun, false, 0, self->buf, IO_BYTES, self->bs));
	EXPECT_EQ(1, missing(&b2, vg_gpa(d, &q->used->idx), 2))
		TH_LOG("used ring logged without VHOST_VRING_F_LOG");
	EXPECT_EQ(0, missing(&b2, vg_gpa(d, self->buf), IO_BYTES));
	ASSERT_EQ(0, set_log_all(d, false));
	bitmap_free(&b2);
}

/*
 * Commands in flight when logging starts: once SET_FEATURES returns, each
 * of them has either completed or will log its pages.  On FV_SLOW_LUN
 * (250 ms a request) they are still in LIO when the ioctl comes.
 */
TEST_F(dlog, in_flight_when_logging_starts)
{
	struct vg_dev *d = self->d;
	struct vg_vq *q = vg_ioq(d, 0);
	unsigned int i, n = 64, done_before = 0, unlogged = 0;
	const char *slow = getenv("FV_SLOW_LUN");
	struct vg_io *io = calloc(n, sizeof(*io));
	uint8_t **buf = calloc(n, sizeof(*buf));
	bool *early = calloc(n, sizeof(*early));
	uint16_t idx, u, lun, *avail_event;

	if (!slow)
		SKIP(return, "FV_SLOW_LUN not set (no slow LUN)");
	lun = atoi(slow);
	ASSERT_TRUE(io && buf && early);
	avail_event = (uint16_t *)&q->used->ring[q->num];
	vg_tur(q, lun, &io[0]);		/* a UNIT ATTENTION, if one is due */
	ASSERT_EQ(0, set_log_base(d, self->b.bits));
	ASSERT_EQ(0, vg_vring_log(d, true));
	for (i = 0; i < n; i++) {
		buf[i] = vg_alloc(d, IO_BYTES, 4096);
		ASSERT_NE(NULL, buf[i]);
		vg_io_init(&io[i], lun);
		io[i].din = buf[i];
		io[i].din_len = IO_BYTES;
		io[i].seg_size = 4096;
		vg_cdb_rw(&io[i], 16, false, i * (IO_BYTES / 512),
			  IO_BYTES / 512);
		ASSERT_EQ(0, vg_io_submit(q, &io[i]));
	}
	vg_vq_kick(q);
	/*
	 * The device took them all once it asks for a kick past the last
	 * (EVENT_IDX: avail_event is the avail index it has seen).
	 */
	for (i = 0; i < 10000 &&
	     __atomic_load_n(avail_event, __ATOMIC_ACQUIRE) != q->avail_shadow; i++)
		usleep(1000);
	ASSERT_EQ(q->avail_shadow, *avail_event);
	ASSERT_EQ(0, set_log_all(d, true));
	/* What the device had published when the ioctl returned. */
	idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
	for (u = q->last_used; u != idx; u++) {
		unsigned int head = q->used->ring[u % q->num].id;

		for (i = 0; i < n; i++)
			if (io[i].head == head && !early[i]) {
				early[i] = true;
				done_before++;
				break;
			}
	}
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, vg_io_wait(q, &io[i], VG_TIMEOUT_MS));
	for (i = 0; i < n; i++) {
		EXPECT_TRUE(vg_io_ok(&io[i])) TH_LOG("read %u: %s", i, tc_str(&io[i]));
		if (!early[i] && missing(&self->b, vg_gpa(d, buf[i]), IO_BYTES))
			unlogged++;
	}
	TH_LOG("%u of %u reads done when SET_FEATURES returned", done_before, n);
	EXPECT_EQ(0, unlogged) TH_LOG("%u reads finished later unlogged", unlogged);
	free(io);
	free(buf);
	free(early);
}

struct toggler {
	struct vg_dev *d;
	struct bitmap *b[2];
	volatile bool stop;
	unsigned int rounds;
	int err;
};

static void *toggle(void *arg)
{
	struct toggler *t = arg;
	int rc = 0;

	while (!t->stop && !rc) {
		unsigned int r = t->rounds++;

		if (r % 3 == 0)
			rc = set_log_base(t->d, t->b[r / 3 % 2]->bits);
		if (!rc)
			rc = set_log_all(t->d, r % 2 == 0);
		if (!rc && r % 5 == 0)
			rc = vg_vring_log(t->d, r % 10 == 0);
	}
	t->err = rc;
	return NULL;
}

/* Logging on and off, and two bitmaps in turn, while a verify load runs. */
TEST_F_TIMEOUT(dlog, toggled_under_io, 300)
{
	struct vg_dev *d = self->d;
	struct bitmap b2 = { 0 };
	struct toggler t = { .d = d, .b = { &self->b, &b2 } };
	struct vg_load_stats st;
	struct vg_load_cfg c = {
		.mode = VG_LOAD_VERIFY,
		.lun = self->lun,
		.block_size = self->bs,
		.lba_count = IO_BYTES / self->bs * 4,
		.nqueues = 4,
		.qd = 16,
		.min_blocks = 1,
		.max_blocks = 16,
		.seg_size = 4096,
		.seed = 0xd10c,
		.rounds = 6,
		.cross_queue = true,
	};
	pthread_t th;
	unsigned int i;

	ASSERT_EQ(0, bitmap_new(d, &b2));
	ASSERT_EQ(0, pthread_create(&th, NULL, toggle, &t));
	EXPECT_EQ(0, vg_load_run(d, &c, &st)) TH_LOG("%s", st.err);
	t.stop = true;
	pthread_join(th, NULL);
	EXPECT_EQ(0, t.err) TH_LOG("toggling: %s", strerror(-t.err));
	TH_LOG("%llu I/Os, %u toggles", (unsigned long long)st.ios, t.rounds);
	for (i = 0; i < vg_nr_ioqs(d); i++)
		EXPECT_EQ(0, vg_vq_errors(vg_ioq(d, i)));
	ASSERT_EQ(0, set_log_all(d, false));
	bitmap_free(&b2);
}

/* A bitmap the owner cannot write breaks the queue that logs; close works. */
TEST_F(dlog, unwritable_bitmap_breaks_the_queue)
{
	struct vg_dev *d = self->d;
	struct vg_vq *q = vg_ioq(d, 0);
	struct vg_io io;
	uint64_t base = (uintptr_t)self->b.bits + 4;
	unsigned int i, served = 0;

	EXPECT_EQ(-1, ioctl(d->fd, VHOST_SET_LOG_BASE, &base));
	EXPECT_EQ(EINVAL, errno) TH_LOG("misaligned log base taken");

	ASSERT_EQ(0, log_on(d, &self->b));
	ASSERT_EQ(0, mprotect(self->b.bits, self->b.len, PROT_READ));
	vg_io_init(&io, self->lun);
	io.din = self->buf;
	io.din_len = IO_BYTES;
	vg_cdb_rw(&io, 16, false, 0, IO_BYTES / self->bs);
	ASSERT_EQ(0, vg_io_submit(q, &io));
	vg_vq_kick(q);
	EXPECT_NE(0, vg_io_wait(q, &io, 2000)) TH_LOG("completed unlogged");
	EXPECT_NE(0, vg_vq_errors(q)) TH_LOG("no error eventfd");
	/*
	 * The queues the device did not break are fine without logging.
	 * Another queue's worker that wrote its used ring meanwhile (it
	 * re-arms notifications after any pass: a late pass for the kick
	 * that turning VRING_F_LOG on gave it) must have broken too, and
	 * said so on its error eventfd.
	 */
	ASSERT_EQ(0, set_log_all(d, false));
	for (i = 1; i < vg_nr_ioqs(d); i++) {
		if (vg_vq_errors(vg_ioq(d, i))) {
			TH_LOG("request queue %u broke too", i);
			continue;
		}
		EXPECT_EQ(0, rw(vg_ioq(d, i), self->lun, false, 0, self->buf,
				IO_BYTES, self->bs))
			TH_LOG("request queue %u, not broken, does not serve", i);
		served++;
	}
	if (!served)
		TH_LOG("every request queue broke: none left to try");
	vg_close(d);
	self->d = NULL;
	/* The target is free again. */
	ASSERT_EQ(0, tc_open(&self->d, &self->env, NULL));
}

TEST_HARNESS_MAIN
