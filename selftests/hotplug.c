// SPDX-License-Identifier: GPL-2.0
/*
 * LUN hotplug (VIRTIO_SCSI_F_HOTPLUG): a LUN linked into or unlinked from
 * the portal group a device serves reaches the guest as a transport reset
 * event (RESCAN, REMOVED) for that LUN, in order, also under I/O; a guest
 * that had no event buffer is told that it missed events and gets the
 * backlog (up to the device's queue) when it posts some; LIO raises REPORTED
 * LUNS DATA HAS CHANGED on the other LUNs; a guest that did not take the
 * feature gets nothing; a LUN linked again keeps its relative target port
 * identifier.  Links a LUN of its own in configfs: run as root.
 * Environment: see tests_common.h.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "tests_common.h"

#define CFS		"/sys/kernel/config/target"
#define HP_HBA		CFS "/core/rd_mcp_42"
#define HP_BS		HP_HBA "/fv_hotplug"
#define HP_LUN		hp_lun
#define HP_FEAT		(TC_FEAT_ALL | (1ULL << VIRTIO_SCSI_F_HOTPLUG))
#define DEV_EVENTS	128	/* events fastvhost keeps for a guest */

/* The LUN a test links: 42, or one that needs flat space addressing. */
static unsigned int hp_lun = 42;

static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static void bs_remove(void)
{
	rmdir(HP_BS);
	rmdir(HP_HBA);
}

static int bs_make(void)
{
	int rc;

	bs_remove();
	if ((mkdir(HP_HBA, 0755) && errno != EEXIST) || mkdir(HP_BS, 0755))
		return -errno;
	rc = put(HP_BS "/control", "rd_pages=256");
	if (!rc)
		rc = put(HP_BS "/wwn/vpd_unit_serial", "fastvhost-hotplug");
	if (!rc)
		rc = put(HP_BS "/enable", "1");
	return rc;
}

static void lun_dir(const struct vg_env *e, char *buf, size_t len)
{
	const char *fabric = tc_stock(e) ? "vhost" : "fastvhost";

	snprintf(buf, len, CFS "/%s/%s/tpgt_%u/lun/lun_%u", fabric, e->wwn,
		 e->tpgt, HP_LUN);
}

static int lun_link(const struct vg_env *e)
{
	char dir[256], link[300];

	lun_dir(e, dir, sizeof(dir));
	snprintf(link, sizeof(link), "%s/fv_hotplug", dir);
	if (mkdir(dir, 0755) || symlink(HP_BS, link))
		return -errno;
	return 0;
}

static int lun_unlink(const struct vg_env *e)
{
	char dir[256], link[300];

	lun_dir(e, dir, sizeof(dir));
	snprintf(link, sizeof(link), "%s/fv_hotplug", dir);
	if (unlink(link) || rmdir(dir))
		return -errno;
	return 0;
}

static bool lun_linked(const struct vg_env *e)
{
	char dir[256];
	struct stat st;

	lun_dir(e, dir, sizeof(dir));
	return !stat(dir, &st);
}

/* Open, set up, attach; event buffers only when @post. */
static int hp_open(struct vg_dev **dp, const struct vg_env *e,
		   uint64_t features, bool post)
{
	struct vg_opts o;
	int rc;

	vg_opts_default(&o);
	o.path = e->dev;
	o.nr_io_queues = 2;
	o.want_features = features;
	rc = vg_open(dp, &o);
	if (rc)
		return rc;
	rc = vg_setup(*dp);
	if (!rc)
		rc = vg_set_endpoint(*dp, e->wwn, e->tpgt);
	if (!rc && post)
		rc = vg_events_post(*dp);
	if (rc) {
		vg_close(*dp);
		*dp = NULL;
	}
	return rc;
}

/*
 * The next event must be a transport reset for our LUN with @reason;
 * *missed counts the ones that carried EVENTS_MISSED.
 */
static int next_event(struct vg_dev *d, const struct vg_env *e,
		      uint32_t reason, unsigned int *missed, char *why,
		      size_t len)
{
	struct virtio_scsi_event ev;
	uint32_t type, r;
	int rc;

	rc = vg_event_get(d, &ev, VG_TIMEOUT_MS);
	if (rc != 1) {
		snprintf(why, len, "no event within %d ms (%d)", VG_TIMEOUT_MS,
			 rc);
		return -ETIMEDOUT;
	}
	type = le32toh(ev.event);
	r = le32toh(ev.reason);
	if (type & VIRTIO_SCSI_T_EVENTS_MISSED) {
		++*missed;
		type &= ~VIRTIO_SCSI_T_EVENTS_MISSED;
	}
	if (type != VIRTIO_SCSI_T_TRANSPORT_RESET || r != reason ||
	    ev.lun[0] != 1 || ev.lun[1] != e->tpgt ||
	    ev.lun[2] != (HP_LUN < 256 ? 0 : 0x40 | HP_LUN >> 8) ||
	    ev.lun[3] != (HP_LUN & 0xff)) {
		snprintf(why, len,
			 "event %#x reason %u lun %02x %02x %02x %02x, wanted transport reset %u for tpgt %u lun %u",
			 le32toh(ev.event), r, ev.lun[0], ev.lun[1], ev.lun[2],
			 ev.lun[3], reason, e->tpgt, HP_LUN);
		return -EPROTO;
	}
	return 0;
}

FIXTURE(hp) {
	struct vg_env env;
	struct vg_dev *d;
};

FIXTURE_SETUP(hp)
{
	if (vg_env_load(&self->env))
		SKIP(return, "FV_WWN not set");
	if (geteuid())
		SKIP(return, "links LUNs in configfs: run as root");
	if (lun_linked(&self->env))
		lun_unlink(&self->env);	/* left by a test that stopped */
	ASSERT_EQ(0, bs_make()) TH_LOG("cannot make the backstore %s", HP_BS);
}

FIXTURE_TEARDOWN(hp)
{
	if (self->d)
		vg_close(self->d);
	if (lun_linked(&self->env))
		lun_unlink(&self->env);
	bs_remove();
}

/* Offered, and a LUN's link and unlink arrive as RESCAN and REMOVED. */
TEST_F(hp, link_and_unlink)
{
	struct vg_vq *q;
	unsigned int missed = 0;
	uint8_t key, asc, ascq;
	struct vg_io io;
	char why[256];

	ASSERT_EQ(0, hp_open(&self->d, &self->env, HP_FEAT, true));
	ASSERT_TRUE(vg_has(self->d, VIRTIO_SCSI_F_HOTPLUG))
		TH_LOG("VIRTIO_SCSI_F_HOTPLUG not offered");
	q = vg_ioq(self->d, 0);
	vg_tur(q, self->env.luns[0], &io);	/* the nexus's first UA */

	ASSERT_EQ(0, lun_link(&self->env));
	ASSERT_EQ(0, next_event(self->d, &self->env,
				VIRTIO_SCSI_EVT_RESET_RESCAN, &missed, why,
				sizeof(why))) TH_LOG("link: %s", why);
	vg_io_init(&io, HP_LUN);
	vg_cdb_tur(&io);
	ASSERT_EQ(0, tc_exec(q, &io));
	EXPECT_TRUE(vg_io_ok(&io)) TH_LOG("TUR of the new LUN: %s", tc_str(&io));

	/* LIO tells the other LUNs that the LUN inventory changed. */
	vg_io_init(&io, self->env.luns[0]);
	vg_cdb_tur(&io);
	ASSERT_EQ(0, vg_io_exec(q, &io, VG_TIMEOUT_MS));
	EXPECT_TRUE(tc_is_ua(&io) && vg_sense_key(&io, &key, &asc, &ascq) &&
		    asc == 0x3f && ascq == 0x0e)
		TH_LOG("LUN %u after the link: %s, wanted REPORTED LUNS DATA HAS CHANGED",
		       self->env.luns[0], tc_str(&io));

	ASSERT_EQ(0, lun_unlink(&self->env));
	ASSERT_EQ(0, next_event(self->d, &self->env,
				VIRTIO_SCSI_EVT_RESET_REMOVED, &missed, why,
				sizeof(why))) TH_LOG("unlink: %s", why);
	vg_io_init(&io, HP_LUN);
	vg_cdb_tur(&io);
	ASSERT_EQ(0, tc_exec(q, &io));
	EXPECT_FALSE(vg_io_ok(&io)) TH_LOG("the removed LUN still answers");
	EXPECT_EQ(0, missed);
}

/* Without the feature: no event. */
TEST_F(hp, not_negotiated)
{
	struct virtio_scsi_event ev;

	ASSERT_EQ(0, hp_open(&self->d, &self->env, TC_FEAT_ALL, true));
	ASSERT_EQ(0, lun_link(&self->env));
	ASSERT_EQ(0, lun_unlink(&self->env));
	EXPECT_EQ(0, vg_event_get(self->d, &ev, 500))
		TH_LOG("event %#x for a guest without VIRTIO_SCSI_F_HOTPLUG",
		       le32toh(ev.event));
}

/*
 * Events wait for buffers and come in order when the guest posts some,
 * the first saying that events were missed (the guest rescans).
 */
TEST_F(hp, backlog)
{
	unsigned int i, missed = 0;
	char why[256];

	ASSERT_EQ(0, hp_open(&self->d, &self->env, HP_FEAT, false));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, lun_link(&self->env));
		ASSERT_EQ(0, lun_unlink(&self->env));
	}
	ASSERT_EQ(0, vg_events_post(self->d));
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, next_event(self->d, &self->env,
					i % 2 ? VIRTIO_SCSI_EVT_RESET_REMOVED :
						VIRTIO_SCSI_EVT_RESET_RESCAN,
					&missed, why, sizeof(why)))
			TH_LOG("event %u: %s", i, why);
	EXPECT_EQ(1, missed) TH_LOG("%u events said events were missed", missed);
}

/*
 * Past the device's queue events are lost: the guest gets the queued ones
 * in order, the first saying that events were missed, and no more.
 */
TEST_F(hp, missed)
{
	const unsigned int cycles = DEV_EVENTS / 2 + 6;
	struct virtio_scsi_event ev;
	unsigned int i, missed = 0;
	char why[256];

	ASSERT_EQ(0, hp_open(&self->d, &self->env, HP_FEAT, false));
	for (i = 0; i < cycles; i++) {
		ASSERT_EQ(0, lun_link(&self->env));
		ASSERT_EQ(0, lun_unlink(&self->env));
	}
	ASSERT_EQ(0, vg_events_post(self->d));
	for (i = 0; i < DEV_EVENTS; i++) {
		ASSERT_EQ(0, next_event(self->d, &self->env,
					i % 2 ? VIRTIO_SCSI_EVT_RESET_REMOVED :
						VIRTIO_SCSI_EVT_RESET_RESCAN,
					&missed, why, sizeof(why)))
			TH_LOG("event %u: %s", i, why);
		if (i == 0)
			EXPECT_EQ(1, missed) TH_LOG("the first event does not say events were missed");
	}
	EXPECT_EQ(1, missed);
	EXPECT_EQ(0, vg_event_get(self->d, &ev, 500))
		TH_LOG("an event past the %u the device keeps", DEV_EVENTS);
}

struct reader {
	struct vg_vq *q;
	uint16_t lun;
	uint32_t bs;
	void *buf;
	volatile bool stop;
	unsigned int reads, bad;
	char why[192];
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;
	struct vg_io io;

	while (!r->stop) {
		vg_io_init(&io, r->lun);
		vg_cdb_rw(&io, 10, false, r->reads % 64, 1);
		io.din = r->buf;
		io.din_len = r->bs;
		if (tc_exec(r->q, &io) || !vg_io_ok(&io)) {
			if (!r->bad++)
				snprintf(r->why, sizeof(r->why), "%s",
					 tc_str(&io));
		}
		r->reads++;
	}
	return NULL;
}

/*
 * 100 link/unlink cycles of LUN 300 (flat space addressing) while another
 * queue reads: 200 events in order.
 */
TEST_F(hp, cycles_under_io)
{
	struct reader r = { 0 };
	unsigned int i, missed = 0;
	char why[256];
	uint64_t blocks;
	struct vg_io io;
	pthread_t t;
	int rc = 0;

	hp_lun = 300;
	ASSERT_EQ(0, hp_open(&self->d, &self->env, HP_FEAT, true));
	r.q = vg_ioq(self->d, 1);
	r.lun = self->env.luns[0];
	vg_io_init(&io, r.lun);
	vg_cdb_tur(&io);
	ASSERT_EQ(0, tc_exec(r.q, &io));	/* the UNIT ATTENTIONs so far */
	ASSERT_EQ(0, vg_read_capacity(r.q, r.lun, &blocks, &r.bs));
	ASSERT_LE(64, blocks);
	r.buf = vg_alloc(self->d, r.bs, 4096);
	ASSERT_NE(NULL, r.buf);
	ASSERT_EQ(0, pthread_create(&t, NULL, read_loop, &r));
	for (i = 0; i < 100 && !rc; i++) {
		rc = lun_link(&self->env);
		if (!rc)
			rc = next_event(self->d, &self->env,
					VIRTIO_SCSI_EVT_RESET_RESCAN, &missed,
					why, sizeof(why));
		if (!rc)
			rc = lun_unlink(&self->env);
		if (!rc)
			rc = next_event(self->d, &self->env,
					VIRTIO_SCSI_EVT_RESET_REMOVED, &missed,
					why, sizeof(why));
	}
	r.stop = true;
	pthread_join(t, NULL);
	ASSERT_EQ(0, rc) TH_LOG("cycle %u: %s", i, why);
	EXPECT_EQ(0, missed);
	EXPECT_LT(0, r.reads);
	EXPECT_EQ(0, r.bad) TH_LOG("%u of %u reads failed, the first: %s",
				   r.bad, r.reads, r.why);
	TH_LOG("100 cycles, 200 events, %u reads beside them", r.reads);
}

/* The relative target port identifier of @lun's VPD 0x83, or -1. */
static int rel_port(struct vg_vq *q, unsigned int lun, uint8_t *buf)
{
	unsigned int off, len;
	struct vg_io io;

	vg_io_init(&io, lun);
	vg_cdb_inquiry(&io, true, 0x83, 512);
	io.din = buf;
	io.din_len = 512;
	if (tc_exec(q, &io) || !vg_io_ok(&io))
		return -1;
	len = 4 + (buf[2] << 8 | buf[3]);
	for (off = 4; off + 8 <= len && off + 8 <= 512; off += 4 + buf[off + 3])
		if ((buf[off + 1] & 0x0f) == 0x4 && buf[off + 3] == 4)
			return buf[off + 6] << 8 | buf[off + 7];
	return -1;
}

/*
 * A backstore linked again gets the same relative target port identifier
 * (VPD 0x83), so a target that fvctl restores, or a migration's
 * destination, looks the same to the guest.  6.1's LIO counts up.
 */
TEST_F(hp, relink_keeps_port_id)
{
	int first = -1, id, i;
	struct vg_vq *q;
	uint8_t *buf;

	if (tc_stock(&self->env))
		SKIP(return, "the stock vhost_scsi keeps LIO's numbering");
	ASSERT_EQ(0, hp_open(&self->d, &self->env, TC_FEAT_ALL, false));
	q = vg_ioq(self->d, 0);
	buf = vg_alloc(self->d, 512, 4096);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, lun_link(&self->env));
		id = rel_port(q, HP_LUN, buf);
		ASSERT_LE(0, id) TH_LOG("link %d: no relative target port in VPD 0x83",
					i + 1);
		if (!i)
			first = id;
		EXPECT_EQ(first, id)
			TH_LOG("link %d: relative target port %d, at the first %d",
			       i + 1, id, first);
		ASSERT_EQ(0, lun_unlink(&self->env));
	}
	TH_LOG("relative target port %d at the first link", first);
}

TEST_HARNESS_MAIN
