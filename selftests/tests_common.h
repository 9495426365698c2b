/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the vguest tests. Environment:
 *   FV_DEV   device node (default /dev/vhost-scsi)
 *   FV_WWN   target WWN, e.g. naa.5001405000000001 (tests skip without it)
 *   FV_TPGT  target portal group tag (default 1)
 *   FV_LUNS  comma separated LUNs, scratch data! (default 0)
 */
#ifndef TESTS_COMMON_H
#define TESTS_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "vguest.h"

#define TC_FEAT_V1	(1ULL << VIRTIO_F_VERSION_1)
#define TC_FEAT_IND	(1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define TC_FEAT_EVIDX	(1ULL << VIRTIO_RING_F_EVENT_IDX)
#define TC_FEAT_ALL	(TC_FEAT_V1 | TC_FEAT_IND | TC_FEAT_EVIDX)

struct tc_cfg {
	unsigned int nq;	/* request queues; 0: 4 */
	unsigned int ring;	/* 0: 128 */
	uint64_t features;	/* 0: TC_FEAT_ALL */
	size_t arena;		/* 0: 64 MiB */
	unsigned int nregions;	/* 0: 1 */
	bool adjacent;
};

/*
 * Open and start a device.  SET_ENDPOINT is tried once: the previous user
 * of the target has released it by the time its process has been reaped
 * (the release of the device node is synchronous), and a test that kills
 * one waits for it first.  A target still busy then is a slow or leaked
 * release and fails the test that opens it.
 */
static inline int tc_open(struct vg_dev **dp, const struct vg_env *e,
			  const struct tc_cfg *c)
{
	struct tc_cfg def = { 0 };
	struct vg_opts o;
	struct vg_dev *d;
	int rc;

	if (!c)
		c = &def;
	vg_opts_default(&o);
	o.path = e->dev;
	o.nr_io_queues = c->nq ? c->nq : 4;
	o.ring_size = c->ring ? c->ring : 128;
	o.want_features = c->features ? c->features : TC_FEAT_ALL;
	o.arena_size = c->arena ? c->arena : 64 << 20;
	o.nregions = c->nregions ? c->nregions : 1;
	o.adjacent_regions = c->adjacent;
	*dp = NULL;
	rc = vg_open(&d, &o);
	if (rc)
		return rc;
	rc = vg_setup(d);
	if (!rc)
		rc = vg_set_endpoint(d, e->wwn, e->tpgt);
	if (rc) {
		fprintf(stderr, "# SET_ENDPOINT %s tpgt %u on %s: %s\n",
			e->wwn, e->tpgt, e->dev, strerror(-rc));
	} else {
		rc = vg_events_post(d);
	}
	if (rc) {
		vg_close(d);
		return rc;
	}
	*dp = d;
	return 0;
}

/* Testing the stock vhost_scsi module (known quirks are tolerated)? */
static inline bool tc_stock(const struct vg_env *e)
{
	const char *b = strrchr(e->dev, '/');

	return !strcmp(b ? b + 1 : e->dev, "vhost-scsi");
}

/*
 * The stock vhost_scsi of the 6.1 series keeps one preallocated TMF per
 * LUN and puts it back after a LUN RESET with list_add_tail()'s arguments
 * swapped; unlinking the LUN afterwards frees a pointer into its TPG and
 * corrupts the host's kmalloc-2k slab.  The 6.12 driver allocates a TMF
 * per request.  Do not send it a LUN RESET where the bug is.
 */
static inline bool tc_stock_lun_reset_corrupts(const struct vg_env *e)
{
	struct utsname u;
	unsigned int major, minor;

	if (!tc_stock(e) || uname(&u) ||
	    sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major < 6 || (major == 6 && minor < 12);
}

static inline bool tc_is_ua(const struct vg_io *io)
{
	uint8_t key, asc, ascq;

	return io->response == VIRTIO_SCSI_S_OK && io->status == 0x02 &&
	       vg_sense_key(io, &key, &asc, &ascq) && key == 0x6;
}

/* vg_io_exec, repeated while the LUN reports a UNIT ATTENTION */
static inline int tc_exec(struct vg_vq *q, struct vg_io *io)
{
	int rc, i;

	for (i = 0; i < 8; i++) {
		rc = vg_io_exec(q, io, VG_TIMEOUT_MS);
		if (rc || !tc_is_ua(io))
			return rc;
	}
	return rc;
}

static inline const char *tc_str(const struct vg_io *io)
{
	static __thread char buf[192];

	return vg_io_str(io, buf, sizeof(buf));
}

/* sense key of a CHECK CONDITION, or -1 */
static inline int tc_sense_key(const struct vg_io *io)
{
	uint8_t key, asc, ascq;

	if (io->status != 0x02 || !vg_sense_key(io, &key, &asc, &ascq))
		return -1;
	return key;
}

/* Write a fastvhost module parameter; -1 when there is none. */
static inline int tc_set_param(const char *name, unsigned int v)
{
	char path[128];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "/sys/module/fastvhost/parameters/%s",
		 name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	rc = fprintf(f, "%u\n", v) > 0 ? 0 : -1;
	if (fclose(f))
		rc = -1;
	return rc;
}

#endif /* TESTS_COMMON_H */
