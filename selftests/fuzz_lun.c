// SPDX-License-Identifier: GPL-2.0
/*
 * fvfuzz family "lun": LUNs linked into and unlinked from the second
 * target's portal group (configfs) while a device is attached there, with
 * or without VIRTIO_SCSI_F_HOTPLUG.  Its event buffers come before the
 * changes or only after them, some of them device-readable; a flood with
 * no buffer overruns the events the device keeps.  With the feature the
 * events must come in order, each a transport reset with the right reason
 * and LUN address; without it, none.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests_common.h"
#include "fvfuzz.h"

#define CFS		"/sys/kernel/config/target"
#define LUN_HBA		CFS "/core/rd_mcp_43"
#define LUN_BS		LUN_HBA "/fv_fuzz_lun"
#define KEPT		128	/* events the device keeps (FV_MAX_EVENTS) */
#define FLOOD		70	/* link and unlink pairs: 140 events */

/* The LUNs a case may link: peripheral and flat space, and past 14 bits. */
static const uint32_t luns[] = { 1, 2, 7, 100, 255, 256, 300, 4095, 16383,
				 16384, 20000 };
#define NLUNS	(sizeof(luns) / sizeof(luns[0]))

struct want {
	uint32_t lun;
	bool added;
};

static bool bs_made;

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

static void lun_path(struct fz *f, uint32_t lun, bool link, char *buf,
		     size_t len)
{
	snprintf(buf, len, CFS "/fastvhost/%s/tpgt_%u/lun/lun_%u%s", f->wwn2,
		 f->env.tpgt, lun, link ? "/fv_fuzz_lun" : "");
}

static int lun_link(struct fz *f, uint32_t lun)
{
	char dir[256], link[300];

	lun_path(f, lun, false, dir, sizeof(dir));
	lun_path(f, lun, true, link, sizeof(link));
	if (mkdir(dir, 0755))
		return -errno;
	if (symlink(LUN_BS, link)) {
		int rc = -errno;

		rmdir(dir);
		return rc;
	}
	return 0;
}

static int lun_unlink(struct fz *f, uint32_t lun)
{
	char dir[256], link[300];

	lun_path(f, lun, false, dir, sizeof(dir));
	lun_path(f, lun, true, link, sizeof(link));
	if (unlink(link) || rmdir(dir))
		return -errno;
	return 0;
}

/* Remove the backstore and any LUN of ours left on the second target. */
void fz_lun_cleanup(struct fz *f)
{
	char dir[256];
	struct stat st;
	unsigned int i;

	if (!bs_made || !f->wwn2)
		return;
	for (i = 0; i < NLUNS; i++) {
		lun_path(f, luns[i], false, dir, sizeof(dir));
		if (!stat(dir, &st))
			lun_unlink(f, luns[i]);
	}
	rmdir(LUN_BS);
	rmdir(LUN_HBA);
	bs_made = false;
}

static int bs_make(struct fz *f)
{
	int rc;

	if (bs_made)
		return 0;
	bs_made = true;
	fz_lun_cleanup(f);
	bs_made = true;
	if ((mkdir(LUN_HBA, 0755) && errno != EEXIST) ||
	    (mkdir(LUN_BS, 0755) && errno != EEXIST))
		return -errno;
	rc = put(LUN_BS "/control", "rd_pages=64");
	if (!rc)
		rc = put(LUN_BS "/enable", "1");
	if (rc == -EINVAL)	/* enabled already, by a run that stopped */
		rc = 0;
	return rc;
}

static int post(struct vg_dev *d, struct virtio_scsi_event *ev, bool wr)
{
	struct vg_sg sg = { vg_gpa(d, ev), sizeof(*ev), wr };

	memset(ev, 0, sizeof(*ev));
	return vg_vq_add(&d->vq[VG_VQ_EVENT], &sg, 1, false, ev) < 0 ? -ENOSPC : 0;
}

/* Device-readable buffers (pushed back empty), then the good ones. */
static int post_all(struct fz *f, struct vg_dev *d, unsigned int bad)
{
	unsigned int i;
	int rc = 0;

	for (i = 0; !rc && i < bad; i++)
		rc = post(d, &d->events[VG_EVENT_BUFS - 1 - i], false);
	for (i = 0; !rc && i < VG_EVENT_BUFS - bad; i++)
		rc = post(d, &d->events[i], true);
	if (rc)
		return fz_fail(f, "posting event buffers: %s", strerror(-rc));
	vg_vq_kick(&d->vq[VG_VQ_EVENT]);
	return 0;
}

/* The next event that is not an empty readable buffer; 1, 0 none, -1. */
static int next(struct fz *f, struct vg_dev *d, unsigned int bad,
		struct virtio_scsi_event *out, int wait_ms)
{
	struct vg_vq *q = &d->vq[VG_VQ_EVENT];
	void *cookie;
	uint32_t len;
	int rc;

	for (;;) {
		rc = vg_vq_wait(q, wait_ms);
		if (rc <= 0)
			return rc < 0 ? fz_fail(f, "event queue: %s", strerror(-rc)) : 0;
		rc = vg_vq_pop(q, &cookie, &len);
		if (rc < 0)
			return fz_fail(f, "event queue: %s", strerror(-rc));
		if ((struct virtio_scsi_event *)cookie >= &d->events[VG_EVENT_BUFS - bad]) {
			if (len)
				return fz_fail(f, "a device-readable event buffer came back with %u bytes",
					       len);
			continue;
		}
		memcpy(out, cookie, sizeof(*out));
		if (post(d, cookie, true))
			return fz_fail(f, "event queue full");
		vg_vq_kick(q);
		return 1;
	}
}

static int check(struct fz *f, const struct virtio_scsi_event *ev,
		 const struct want *w, unsigned int i)
{
	uint32_t type = le32toh(ev->event) & ~VIRTIO_SCSI_T_EVENTS_MISSED;
	uint32_t reason = w->added ? VIRTIO_SCSI_EVT_RESET_RESCAN :
		VIRTIO_SCSI_EVT_RESET_REMOVED;

	if (type == VIRTIO_SCSI_T_TRANSPORT_RESET && le32toh(ev->reason) == reason &&
	    ev->lun[0] == 1 && ev->lun[1] == f->env.tpgt &&
	    ev->lun[2] == (w->lun < 256 ? 0 : (0x40 | w->lun >> 8)) &&
	    ev->lun[3] == (w->lun & 0xff))
		return 0;
	return fz_fail(f, "event %u: %#x reason %u lun %02x %02x %02x %02x, want transport reset %u of lun %u",
		       i, le32toh(ev->event), le32toh(ev->reason), ev->lun[0],
		       ev->lun[1], ev->lun[2], ev->lun[3], reason, w->lun);
}

/* The LUN changes: a few at random, or a flood of link and unlink. */
static int change(struct fz *f, bool flood, struct want *w, unsigned int *nw,
		  bool *linked)
{
	unsigned int ops = flood ? 2 * FLOOD : 1 + fz_below(f, 4), k, i;
	int rc;

	for (k = 0; k < ops; k++) {
		i = flood ? 0 : fz_below(f, NLUNS);
		if (flood && k % 2)
			rc = lun_unlink(f, luns[i]);
		else if (!flood && linked[i])
			rc = lun_unlink(f, luns[i]);
		else
			rc = lun_link(f, luns[i]);
		if (rc)
			return fz_fail(f, "%s lun %u: %s", linked[i] ? "unlink" : "link",
				       luns[i], strerror(-rc));
		linked[i] = !linked[i];
		if (!flood)
			fz_say(f, "%c%u ", linked[i] ? '+' : '-', luns[i]);
		if (luns[i] <= 0x3fff) {
			w[*nw].lun = luns[i];
			w[*nw].added = linked[i];
			++*nw;
		}
	}
	if (flood)
		fz_say(f, "%u links and unlinks of lun %u ", FLOOD, luns[0]);
	return 0;
}

int fz_case_lun(struct fz *f)
{
	bool hp = fz_chance(f, 80), before = fz_chance(f, 50);
	/* rare: an unlink costs a grace period, some 30 ms under TCG */
	bool flood = hp && !before && fz_chance(f, 3);
	unsigned int bad = fz_chance(f, 25) ? 1 + fz_below(f, 2) : 0;
	unsigned int nw = 0, got = 0, missed = 0, i, expect;
	bool linked[NLUNS] = { false };
	struct want w[2 * FLOOD];
	struct virtio_scsi_event ev;
	struct vg_opts o;
	struct vg_dev *d;
	uint32_t v;
	int rc;

	rc = bs_make(f);
	if (rc)
		return fz_fail(f, "backstore %s: %s", LUN_BS, strerror(-rc));
	fz_say(f, "%s, buffers %s, %u readable; ", hp ? "hotplug" : "no hotplug",
	       before ? "before" : "after", bad);
	vg_opts_default(&o);
	o.path = f->env.dev;
	o.nr_io_queues = 1;
	o.ring_size = 16;
	o.want_features = TC_FEAT_ALL | (hp ? 1ULL << VIRTIO_SCSI_F_HOTPLUG : 0);
	o.arena_size = 1 << 20;
	o.quiet = true;
	rc = vg_open(&d, &o);
	if (rc)
		return fz_fail(f, "open: %s", strerror(-rc));
	rc = vg_setup(d);
	for (i = 0; !rc; i++) {
		rc = vg_set_endpoint(d, f->wwn2, f->env.tpgt);
		if ((rc != -EBUSY && rc != -ENODEV) || i >= 100)
			break;
		usleep(10 * 1000);
	}
	if (rc) {
		rc = fz_fail(f, "second target: %s", vg_strerror(d));
		goto out;
	}
	if (before && post_all(f, d, bad)) {
		rc = -1;
		goto out;
	}
	rc = change(f, flood, w, &nw, linked);
	if (!rc && !before)
		rc = post_all(f, d, bad);
	if (rc)
		goto out;
	/* A flood with no buffer keeps the oldest KEPT, and says it missed. */
	expect = hp ? (flood ? KEPT : nw) : 0;
	while (got < expect) {
		rc = next(f, d, bad, &ev, f->bound_ms);
		if (rc <= 0) {
			rc = rc ? rc : fz_fail(f, "%u of %u events came back", got, expect);
			goto out;
		}
		if (le32toh(ev.event) & VIRTIO_SCSI_T_EVENTS_MISSED)
			missed++;
		rc = check(f, &ev, &w[got], got);
		if (rc)
			goto out;
		got++;
	}
	/* Nothing after them: a short look, the device has had its kick. */
	rc = next(f, d, bad, &ev, 20);
	if (rc) {
		rc = rc < 0 ? rc : fz_fail(f, "event %#x after the %u wanted",
					   le32toh(ev.event), expect);
		goto out;
	}
	if (flood && !missed)
		rc = fz_fail(f, "%u events for %u kept, none said EVENTS_MISSED", nw, KEPT);
	else if (ioctl(d->fd, VHOST_SCSI_GET_EVENTS_MISSED, &v) || v)
		rc = fz_fail(f, "GET_EVENTS_MISSED %u after the events", v);
	fz_say(f, "%u events, %u said missed ", got, missed);
out:
	for (i = 0; i < NLUNS; i++)
		if (linked[i] && lun_unlink(f, luns[i]) && rc >= 0)
			rc = fz_fail(f, "unlink lun %u: %m", luns[i]);
	vg_close(d);
	return rc;
}
