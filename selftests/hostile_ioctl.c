// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile guests, part 2: ioctls out of order or with bad arguments, and
 * memory or rings changed under a running device. Rules: hostile_common.h.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "tests_common.h"
#include "hostile_common.h"

static void expect_io_works(struct __test_metadata *_metadata,
			    struct vg_vq *q, uint16_t lun)
{
	struct vg_io io;

	ASSERT_EQ(0, vg_tur(q, lun, &io)) TH_LOG("queue %u: no response", q->index);
	if (tc_is_ua(&io))
		ASSERT_EQ(0, vg_tur(q, lun, &io));
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("queue %u: %s", q->index, tc_str(&io));
}

/* Kicks arrive at every step of the setup, before there is a ring. */
TEST_F(hostile, kick_before_rings_are_set)
{
	struct vg_opts o;
	struct vg_dev *d;
	struct vg_vq *q;
	unsigned int i;

	vg_close(self->d);
	self->d = NULL;
	vg_opts_default(&o);
	o.path = self->env.dev;
	o.nr_io_queues = 2;
	o.arena_size = 16 << 20;
	ASSERT_EQ(0, vg_open(&d, &o));
	self->d = d;
	for (i = 0; i < d->nvqs; i++) {
		ASSERT_EQ(0, vg_vring_kick(d, i, d->vq[i].kick_fd));
		vg_vq_notify(&d->vq[i]);
	}
	q = vg_ioq(d, 0);
	ASSERT_EQ(0, vg_vring_num(d, q->index, q->num));
	vg_vq_notify(q);
	ASSERT_EQ(0, vg_setup(d));
	for (i = 0; i < d->nvqs; i++)
		vg_vq_notify(&d->vq[i]);
	ASSERT_EQ(0, vg_set_endpoint(d, self->env.wwn, self->env.tpgt));
	ASSERT_EQ(0, vg_events_post(d));
	self->q = q;
	self->other = vg_ioq(d, 1);
	expect_io_works(_metadata, q, self->env.luns[0]);
	aftermath(_metadata, self);
}

/* A request queued and kicked before SET_ENDPOINT runs once it is set. */
TEST_F(hostile, request_before_endpoint)
{
	struct vg_opts o;
	struct vg_dev *d;
	struct vg_io io;
	int rc;

	vg_close(self->d);
	self->d = NULL;
	vg_opts_default(&o);
	o.path = self->env.dev;
	o.nr_io_queues = 2;
	o.arena_size = 16 << 20;
	ASSERT_EQ(0, vg_open(&d, &o));
	self->d = d;
	ASSERT_EQ(0, vg_setup(d));
	d->tpgt = self->env.tpgt;	/* the LUN address names the target */
	vg_io_init(&io, self->env.luns[0]);
	vg_cdb_tur(&io);
	ASSERT_EQ(0, vg_io_submit(vg_ioq(d, 0), &io));
	vg_vq_kick(vg_ioq(d, 0));
	vg_vq_notify(vg_ioq(d, 0));
	rc = vg_io_wait(vg_ioq(d, 0), &io, 500);
	TH_LOG("before SET_ENDPOINT: %s", rc ? "no response" : tc_str(&io));
	ASSERT_EQ(0, vg_set_endpoint(d, self->env.wwn, self->env.tpgt));
	vg_vq_notify(vg_ioq(d, 0));
	ASSERT_EQ(0, vg_io_wait(vg_ioq(d, 0), &io, VG_TIMEOUT_MS))
		TH_LOG("request queued before SET_ENDPOINT never completed");
	TH_LOG("after SET_ENDPOINT: %s", tc_str(&io));
	EXPECT_TRUE(vg_io_ok(&io) || tc_is_ua(&io));
	self->q = vg_ioq(d, 0);
	self->other = vg_ioq(d, 1);
	aftermath(_metadata, self);
}

/* SET_ENDPOINT straight after SET_OWNER: no memory table, no rings. */
TEST_F(hostile, endpoint_before_rings)
{
	struct vg_opts o;
	struct vg_dev *d;
	unsigned int i;
	int rc;

	vg_close(self->d);
	self->d = NULL;
	vg_opts_default(&o);
	o.path = self->env.dev;
	o.nr_io_queues = 2;
	o.arena_size = 16 << 20;
	ASSERT_EQ(0, vg_open(&d, &o));
	d->quiet = true;
	rc = vg_set_endpoint(d, self->env.wwn, self->env.tpgt);
	TH_LOG("SET_ENDPOINT without rings: %s", rc ? strerror(-rc) : "accepted");
	for (i = 0; i < d->nvqs; i++) {
		vg_vring_kick(d, i, d->vq[i].kick_fd);
		vg_vq_notify(&d->vq[i]);
	}
	rc = vg_vring_num(d, VG_VQ_REQ0, 128);
	TH_LOG("SET_VRING_NUM afterwards: %s", rc ? strerror(-rc) : "accepted");
	usleep(200 * 1000);
	vg_close(d);
	ASSERT_EQ(0, tc_open(&self->d, &self->env, NULL));
	self->q = vg_ioq(self->d, 0);
	self->other = vg_ioq(self->d, 1);
	aftermath(_metadata, self);
}

TEST_F(hostile, ring_size_and_base_change_while_running)
{
	struct vg_dev *d = self->d;
	unsigned int idx = self->q->index;

	d->quiet = true;
	EXPECT_NE(0, vg_vring_num(d, idx, 64));
	EXPECT_NE(0, vg_vring_num(d, idx, 3));
	EXPECT_NE(0, vg_vring_base(d, idx, 77));
	d->quiet = false;
	expect_io_works(_metadata, self->q, self->env.luns[0]);
	aftermath(_metadata, self);
}

TEST_F(hostile, ring_address_invalid_while_running)
{
	struct vg_dev *d = self->d;
	struct vg_vq *q = self->q;
	char *avail = (char *)q->avail;

	d->quiet = true;
	EXPECT_NE(0, vg_vring_addr(d, q->index, q->desc, avail + 1, q->used));
	EXPECT_NE(0, vg_vring_addr(d, q->index, q->desc, q->avail,
				   (char *)q->used + 2));
	EXPECT_NE(0, vg_vring_addr(d, q->index, (void *)0xffff888000000000ULL,
				   q->avail, q->used));
	d->quiet = false;
	expect_io_works(_metadata, q, self->env.luns[0]);
	aftermath(_metadata, self);
}

/* Move an idle ring to new memory (allowed: QEMU does it for logging). */
TEST_F(hostile, ring_moved_while_running)
{
	struct vg_dev *d = self->d;
	struct vg_vq *q = self->q;
	size_t n = q->num;
	struct vring_desc *desc = vg_alloc(d, 16 * n, 4096);
	struct vring_avail *avail = vg_alloc(d, 6 + 2 * n, 4096);
	struct vring_used *used = vg_alloc(d, 6 + 8 * n, 4096);
	int rc, k;

	ASSERT_NE(NULL, used);
	ASSERT_EQ(0, vg_vq_inflight(q));
	memcpy(desc, q->desc, 16 * n);
	memcpy(avail, q->avail, 6 + 2 * n);
	memcpy(used, q->used, 6 + 8 * n);
	d->quiet = true;
	rc = vg_vring_addr(d, q->index, desc, avail, used);
	d->quiet = false;
	TH_LOG("SET_VRING_ADDR on a running queue: %s", rc ? strerror(-rc) : "accepted");
	if (!rc) {
		q->desc = desc;
		q->avail = avail;
		q->used = used;
	}
	for (k = 0; k < 4; k++)
		expect_io_works(_metadata, q, self->env.luns[0]);
	aftermath(_metadata, self);
}

TEST_F(hostile, vring_index_out_of_range)
{
	struct vg_dev *d = self->d;
	struct vg_vq *q = self->q;
	unsigned int base;

	d->quiet = true;
	EXPECT_NE(0, vg_vring_num(d, 100000, 128));
	EXPECT_NE(0, vg_vring_get_base(d, 100000, &base));
	EXPECT_NE(0, vg_vring_kick(d, 100000, q->kick_fd));
	EXPECT_NE(0, vg_vring_call(d, 0x7fffffff, q->call_fd));
	EXPECT_NE(0, vg_vring_addr(d, 100000, q->desc, q->avail, q->used));
	d->quiet = false;
	expect_io_works(_metadata, q, self->env.luns[0]);
	aftermath(_metadata, self);
}

TEST_F(hostile, bad_eventfds)
{
	struct vg_dev *d = self->d;
	int fd = dup(1);

	d->quiet = true;
	EXPECT_NE(0, vg_vring_kick(d, self->q->index, fd));	/* not an eventfd */
	EXPECT_NE(0, vg_vring_call(d, self->q->index, 9999));
	d->quiet = false;
	close(fd);
	expect_io_works(_metadata, self->q, self->env.luns[0]);
	aftermath(_metadata, self);
}

TEST_F(hostile, unknown_feature_bits)
{
	struct vg_dev *d = self->d;

	d->quiet = true;
	EXPECT_NE(0, vg_set_features(d, d->features | (1ULL << 50)));
	d->quiet = false;
	expect_io_works(_metadata, self->q, self->env.luns[0]);
	aftermath(_metadata, self);
}

TEST_F(hostile, endpoint_misuse)
{
	struct vg_dev *d = self->d;
	struct vhost_scsi_target t = d->target;
	int rc;

	d->quiet = true;
	EXPECT_NE(0, vg_endpoint_ioctl(d, VHOST_SCSI_SET_ENDPOINT, &t))
		TH_LOG("second SET_ENDPOINT accepted");
	t.reserved = 1;
	EXPECT_NE(0, vg_endpoint_ioctl(d, VHOST_SCSI_SET_ENDPOINT, &t));
	EXPECT_NE(0, vg_endpoint_ioctl(d, VHOST_SCSI_CLEAR_ENDPOINT, &t));
	t = d->target;
	strcpy(t.vhost_wwpn, "naa.5001405deadbeef");
	rc = vg_endpoint_ioctl(d, VHOST_SCSI_CLEAR_ENDPOINT, &t);
	TH_LOG("CLEAR_ENDPOINT with another wwn: %s", rc ? strerror(-rc) : "accepted");
	d->quiet = false;
	if (rc)
		expect_io_works(_metadata, self->q, self->env.luns[0]);
	else
		ASSERT_EQ(0, vg_set_endpoint(d, self->env.wwn, self->env.tpgt));
	aftermath(_metadata, self);
}

TEST_F(hostile, endpoint_unknown_wwn)
{
	struct vg_opts o;
	struct vg_dev *d;

	vg_close(self->d);
	self->d = NULL;
	vg_opts_default(&o);
	o.path = self->env.dev;
	o.nr_io_queues = 1;
	o.arena_size = 8 << 20;
	ASSERT_EQ(0, vg_open(&d, &o));
	ASSERT_EQ(0, vg_setup(d));
	d->quiet = true;
	EXPECT_NE(0, vg_set_endpoint(d, "naa.5001405deadbeef", self->env.tpgt));
	EXPECT_NE(0, vg_set_endpoint(d, "", self->env.tpgt));
	d->quiet = false;
	vg_close(d);
	ASSERT_EQ(0, tc_open(&self->d, &self->env, NULL));
	self->q = vg_ioq(self->d, 0);
	self->other = vg_ioq(self->d, 1);
	aftermath(_metadata, self);
}

/* The memory table moves away under a running queue, then comes back. */
TEST_F(hostile, memory_table_replaced_while_running)
{
	struct vg_dev *d = self->d;
	struct vhost_memory_region r = {
		.guest_phys_addr = d->reg[0].gpa + (64ULL << 30),
		.memory_size = d->reg[0].size,
		.userspace_addr = (uint64_t)(uintptr_t)d->reg[0].host,
	};
	struct outcome o;
	struct vg_io io;
	int rc;

	d->quiet = true;
	rc = vg_set_mem_table_raw(d, &r, 1);
	d->quiet = false;
	TH_LOG("SET_MEM_TABLE while running: %s", rc ? strerror(-rc) : "accepted");
	vg_io_init(&io, self->env.luns[0]);
	vg_cdb_tur(&io);
	ASSERT_EQ(0, vg_io_submit(self->q, &io));
	await(self, io.head, &o);
	TH_LOG("request with the old addresses: %s", outcome_str(&o));
	if (!rc)
		EXPECT_REFUSED(&o);
	ASSERT_EQ(0, vg_set_mem_table(d));
	vg_vq_notify(self->q);
	aftermath(_metadata, self);
}

/* A memory region whose user address range is no longer mapped. */
TEST_F(hostile, memory_region_unmapped)
{
	struct vg_dev *d = self->d;
	struct vhost_memory_region r[2];
	struct outcome o;
	struct vg_sg sg;
	struct vg_io io;
	void *gone;
	int rc;

	gone = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gone);
	munmap(gone, 1 << 20);
	memset(r, 0, sizeof(r));
	r[0].guest_phys_addr = d->reg[0].gpa;
	r[0].memory_size = d->reg[0].size;
	r[0].userspace_addr = (uint64_t)(uintptr_t)d->reg[0].host;
	r[1].guest_phys_addr = HOLE_GPA(d);
	r[1].memory_size = 1 << 20;
	r[1].userspace_addr = (uint64_t)(uintptr_t)gone;
	d->quiet = true;
	rc = vg_set_mem_table_raw(d, r, 2);
	d->quiet = false;
	TH_LOG("SET_MEM_TABLE with an unmapped region: %s",
	       rc ? strerror(-rc) : "accepted");
	sg.gpa = HOLE_GPA(d);
	sg.len = self->bs;
	sg.in = true;
	vg_io_init(&io, self->env.luns[0]);
	vg_cdb_rw(&io, 10, false, 0, 1);
	io.sg = &sg;
	io.nsg = 1;
	ASSERT_EQ(0, vg_io_submit(self->q, &io));
	await(self, io.head, &o);
	TH_LOG("%s", outcome_str(&o));
	EXPECT_REFUSED(&o);
	aftermath(_metadata, self);
}

/* A storm of kicks on an empty queue while another queue does I/O. */
TEST_F(hostile, kick_storm)
{
	struct vg_io io;
	int k;

	for (k = 0; k < 20000; k++) {
		vg_vq_notify(self->q);
		if (k % 1000 == 0)
			ASSERT_EQ(0, vg_tur(self->other, self->env.luns[0], &io));
	}
	expect_io_works(_metadata, self->q, self->env.luns[0]);
	aftermath(_metadata, self);
}

/*
 * No SET_MEM_TABLE at all. The stock 6.1/6.12 vhost dereferences a NULL
 * table in translate_desc() here, so on stock it runs only with
 * FV_HOSTILE_UNSAFE=1; on fastvhost it always runs.
 */
TEST_F(hostile, no_memory_table)
{
	struct vg_opts o;
	struct vg_dev *d;
	struct outcome o2;
	struct vg_io io;
	unsigned int i;
	int ret;
	const char *unsafe = getenv("FV_HOSTILE_UNSAFE");

	if (!strstr(self->env.dev, "fastvhost") && (!unsafe || strcmp(unsafe, "1")))
		SKIP(return, "crashes stock vhost; set FV_HOSTILE_UNSAFE=1");
	vg_close(self->d);
	self->d = NULL;
	vg_opts_default(&o);
	o.path = self->env.dev;
	o.nr_io_queues = 2;
	o.arena_size = 16 << 20;
	ASSERT_EQ(0, vg_open(&d, &o));
	self->d = d;
	ASSERT_EQ(0, ioctl(d->fd, VHOST_SCSI_GET_ABI_VERSION, &d->abi_version));
	for (i = 0; i < d->nvqs; i++) {
		struct vg_vq *q = &d->vq[i];

		ASSERT_EQ(0, vg_vring_kick(d, i, q->kick_fd));
		ASSERT_EQ(0, vg_vring_call(d, i, q->call_fd));
		ASSERT_EQ(0, vg_vring_num(d, i, q->num));
		ASSERT_EQ(0, vg_vring_base(d, i, 0));
		ASSERT_EQ(0, vg_vring_addr(d, i, q->desc, q->avail, q->used));
		q->configured = true;
	}
	ASSERT_EQ(0, vg_set_features(d, d->features));
	/*
	 * Refusing the endpoint while there is no memory table is as good as
	 * refusing the request: either way nothing is read through it.
	 */
	ret = vg_set_endpoint(d, self->env.wwn, self->env.tpgt);
	if (ret) {
		TH_LOG("SET_ENDPOINT without a memory table: %d", ret);
		ASSERT_EQ(-EINVAL, ret);
	} else {
		self->q = vg_ioq(d, 0);
		self->other = vg_ioq(d, 1);
		vg_io_init(&io, self->env.luns[0]);
		vg_cdb_tur(&io);
		ASSERT_EQ(0, vg_io_submit(self->q, &io));
		await(self, io.head, &o2);
		TH_LOG("%s", outcome_str(&o2));
		EXPECT_REFUSED(&o2);
	}
	vg_close(d);
	self->d = NULL;
	ASSERT_EQ(0, tc_open(&self->d, &self->env, NULL));
	self->q = vg_ioq(self->d, 0);
	self->other = vg_ioq(self->d, 1);
	aftermath(_metadata, self);
}

/*
 * The avail ring placed 2 bytes before the used ring, without EVENT_IDX:
 * avail->idx is then used->flags, which the device itself writes.  Each
 * time the device finds the ring empty and turns notifications back on
 * (flags 0), the index it reads back differs from the one it had, so it
 * looks again; turning them off (flags 1) makes the ring empty again.  A
 * device that does not count those passes against its weight loops
 * forever with the queue's lock held: the other queue stops, close hangs.
 */
TEST_F(hostile, avail_index_aliases_used_flags)
{
	struct vg_opts o;
	struct vg_dev *d;
	struct vg_io io;
	struct vg_vq *q;

	vg_close(self->d);
	self->d = NULL;
	vg_opts_default(&o);
	o.path = self->env.dev;
	o.nr_io_queues = 2;
	o.arena_size = 16 << 20;
	o.want_features = TC_FEAT_V1 | TC_FEAT_IND;
	ASSERT_EQ(0, vg_open(&d, &o));
	self->d = d;
	ASSERT_EQ(0, vg_setup(d));
	q = vg_ioq(d, 0);
	ASSERT_EQ(0, vg_vring_addr(d, q->index, q->desc,
				   (char *)q->used - 2, q->used));
	/* head 0: avail->ring[0] is used->idx, 0 until the first answer */
	d->tpgt = self->env.tpgt;
	vg_io_init(&io, self->env.luns[0]);
	vg_cdb_tur(&io);
	ASSERT_EQ(0, vg_io_submit(q, &io));
	ASSERT_EQ(0, vg_set_endpoint(d, self->env.wwn, self->env.tpgt));
	ASSERT_EQ(0, vg_events_post(d));
	vg_vq_notify(q);
	usleep(500 * 1000);
	self->q = q;
	self->other = vg_ioq(d, 1);
	aftermath(_metadata, self);
}

TEST_HARNESS_MAIN
