// SPDX-License-Identifier: GPL-2.0
/*
 * fvfuzz families "vmm" (random ioctl sequences on a second device, on a
 * second target: memory tables during I/O, ring re-setups, endpoint set
 * and cleared, feature changes, eventfd swaps, memory unmapped under the
 * device, close with I/O in flight) and "kill" (a child SIGKILLed while
 * it does I/O).  After each, a new device must attach to that target and
 * serve a READ.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests_common.h"
#include "fvfuzz.h"

#define NIO	8

static int xioctl(struct vg_dev *d, unsigned long req, void *arg)
{
	return ioctl(d->fd, req, arg) ? -errno : 0;
}

static int endpoint2(struct fz *f, struct vg_dev *d, int wait_ms)
{
	uint64_t end = vg_now_ns() + (uint64_t)wait_ms * 1000000;
	int rc;

	for (;;) {
		rc = vg_set_endpoint(d, f->wwn2, f->env.tpgt);
		if ((rc != -EBUSY && rc != -ENODEV) || vg_now_ns() > end)
			return rc;
		usleep(10 * 1000);
	}
}

static int open2(struct fz *f, struct vg_dev **dp, unsigned int nq,
		 unsigned int ring, uint64_t feat, unsigned int nreg, bool adj)
{
	struct vg_opts o;

	vg_opts_default(&o);
	o.path = f->env.dev;
	o.nr_io_queues = nq;
	o.ring_size = ring;
	o.want_features = feat;
	o.arena_size = 4 << 20;
	o.nregions = nreg;
	o.adjacent_regions = adj;
	o.quiet = true;
	return vg_open(dp, &o);
}

/* A new device attaches to the second target and READs from it. */
static int reattach(struct fz *f)
{
	struct vg_dev *d;
	struct vg_io io;
	void *buf;
	int rc;

	rc = open2(f, &d, 1, 16, TC_FEAT_ALL, 1, false);
	if (rc)
		return fz_fail(f, "second target: open: %s", strerror(-rc));
	rc = vg_setup(d);
	if (!rc)
		rc = endpoint2(f, d, f->bound_ms);
	if (rc) {
		fz_fail(f, "second target cannot be attached again: %s",
			vg_strerror(d));
		vg_close(d);
		return -1;
	}
	buf = vg_alloc(d, 4096, 4096);
	vg_io_init(&io, 0);
	vg_cdb_rw(&io, 10, false, 0, 1);
	io.din = buf;
	io.din_len = 512;
	rc = tc_exec(vg_ioq(d, 0), &io);
	if (rc || !vg_io_ok(&io))
		rc = fz_fail(f, "second target: READ after re-attach: %s",
			     rc ? strerror(-rc) : tc_str(&io));
	vg_close(d);
	return rc;
}

static void submit_some(struct fz *f, struct vg_dev *d, struct vg_io *io,
			uint8_t *buf)
{
	struct vg_vq *q = vg_ioq(d, fz_below(f, vg_nr_ioqs(d)));
	unsigned int k, n = 1 + fz_below(f, 4);

	if (!q->configured)
		return;
	for (k = 0; k < NIO && n; k++) {
		if (io[k].state == VG_IO_INFLIGHT)
			continue;
		vg_io_init(&io[k], 0);
		vg_cdb_rw(&io[k], 10, fz_chance(f, 30), fz_below(f, 1000), 8);
		if (io[k].cdb[0] == 0x2a) {
			io[k].dout = buf + k * 4096;
			io[k].dout_len = 4096;
		} else {
			io[k].din = buf + k * 4096;
			io[k].din_len = 4096;
		}
		if (vg_io_submit(q, &io[k]))
			break;
		n--;
	}
	vg_vq_kick(q);
}

static void mem_table(struct fz *f, struct vg_dev *d)
{
	struct {
		struct vhost_memory hdr;
		struct vhost_memory_region r[8];
	} m;
	unsigned int i, kind = fz_below(f, 8);

	memset(&m, 0, sizeof(m));
	m.hdr.nregions = d->nregions;
	for (i = 0; i < d->nregions; i++) {
		m.r[i].guest_phys_addr = d->reg[i].gpa;
		m.r[i].memory_size = d->reg[i].size;
		m.r[i].userspace_addr = (uintptr_t)d->reg[i].host;
	}
	i = fz_below(f, d->nregions);
	switch (kind) {
	case 0:
		m.r[i].memory_size /= 2;
		break;
	case 1:
		m.hdr.nregions = fz_chance(f, 50) ? 0 : fz_chance(f, 50) ?
				 0xffffffffu : 8 + fz_below(f, 100000);
		break;
	case 2:	/* overlapping */
		m.r[d->nregions] = m.r[0];
		m.r[d->nregions].userspace_addr += 4096;
		m.hdr.nregions = d->nregions + 1;
		break;
	case 3:
		m.r[i].userspace_addr = fz_chance(f, 50) ? 0xffff888000000000ULL :
					fz_next(f) & ~4095ULL;
		break;
	case 4:
		m.r[i].guest_phys_addr = ~0ULL - 4095;
		break;
	case 5:
		m.r[i].memory_size = fz_chance(f, 50) ? 0 : fz_next(f);
		break;
	case 6:
		m.r[i].flags_padding = fz_next(f);
		break;
	default:
		break;	/* the same table again, during I/O */
	}
	fz_say(f, "MEM_TABLE/%u=%d ", kind, xioctl(d, VHOST_SET_MEM_TABLE, &m));
}

static int rand_fd(struct fz *f, struct vg_dev *d, struct vg_vq *vq,
		   unsigned long req, int *tmp)
{
	int p[2];

	switch (fz_below(f, 6)) {
	case 0:
		return -1;
	case 1:
		return 9999;
	case 2:
		return d->fd;
	case 3:
		if (pipe(p))
			return -1;
		tmp[0] = p[0];
		tmp[1] = p[1];
		return p[0];
	case 4:
		tmp[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		return tmp[0];
	default:
		return req == VHOST_SET_VRING_KICK ? vq->kick_fd :
		       req == VHOST_SET_VRING_CALL ? vq->call_fd : vq->err_fd;
	}
}

static void vring_op(struct fz *f, struct vg_dev *d)
{
	static const unsigned long files[] = {
		VHOST_SET_VRING_KICK, VHOST_SET_VRING_CALL, VHOST_SET_VRING_ERR,
	};
	static const unsigned int bad_idx[] = { 66, 129, 130, 1026, 0xffffffffu };
	unsigned int idx = fz_chance(f, 85) ? fz_below(f, d->nvqs) :
			   bad_idx[fz_below(f, 5)];
	struct vg_vq *vq = &d->vq[idx < d->nvqs ? idx : 0];
	struct vhost_vring_state s = { .index = idx };
	struct vhost_vring_addr a = { .index = idx };
	struct vhost_vring_file fl = { .index = idx };
	int tmp[2] = { -1, -1 }, rc = 0;
	unsigned int op = fz_below(f, 5);

	switch (op) {
	case 0:
		s.num = fz_chance(f, 50) ? vq->num : fz_chance(f, 50) ?
			1u << fz_below(f, 17) : (uint32_t)fz_next(f);
		rc = xioctl(d, VHOST_SET_VRING_NUM, &s);
		break;
	case 1:
		s.num = fz_chance(f, 50) ? 0 : (uint32_t)fz_next(f) & 0x1ffff;
		rc = xioctl(d, VHOST_SET_VRING_BASE, &s);
		break;
	case 2:
		a.desc_user_addr = (uintptr_t)vq->desc;
		a.avail_user_addr = (uintptr_t)vq->avail;
		a.used_user_addr = (uintptr_t)vq->used;
		switch (fz_below(f, 5)) {
		case 0:
			a.desc_user_addr += 8;
			break;
		case 1:
			a.used_user_addr = fz_next(f);
			break;
		case 2:
			a.avail_user_addr = 0xffff888000000000ULL;
			break;
		case 3:
			a.flags = 1u << fz_below(f, 32);
			break;
		}
		rc = xioctl(d, VHOST_SET_VRING_ADDR, &a);
		break;
	case 3:
		rc = xioctl(d, VHOST_GET_VRING_BASE, &s);
		break;
	default:
		fl.fd = rand_fd(f, d, vq, files[fz_below(f, 3)], tmp);
		rc = xioctl(d, files[fz_below(f, 3)], &fl);
		if (tmp[0] >= 0)
			close(tmp[0]);
		if (tmp[1] >= 0)
			close(tmp[1]);
		break;
	}
	fz_say(f, "VRING/%u[%u]=%d ", op, idx, rc);
}

/* Region r gone from the owner's mm for a moment, or replaced by zeros. */
static void unmap_op(struct fz *f, struct vg_dev *d)
{
	struct vg_region *r = &d->reg[fz_below(f, d->nregions)];
	unsigned int kind = fz_below(f, 3);

	switch (kind) {
	case 0:
		munmap(r->host, r->size);
		usleep(fz_below(f, 3000));
		break;
	case 1:
		mprotect(r->host, r->size, PROT_NONE);
		usleep(fz_below(f, 3000));
		mprotect(r->host, r->size, PROT_READ | PROT_WRITE);
		break;
	}
	if (kind != 1)
		mmap(r->host, r->size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	fz_say(f, "UNMAP/%u ", kind);
}

/*
 * The VMM's worker ioctls: new workers, frees, and queues moved between
 * them, with ids and queue indexes near and far from the real ones.  The
 * next start places the queues by whatever grouping this leaves.
 */
static int worker_op(struct fz *f, struct vg_dev *d)
{
	struct vhost_worker_state s = { 0 };
	struct vhost_vring_worker w = { 0 };
	unsigned int n = 1 + fz_below(f, 4), i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		w.index = fz_chance(f, 90) ? fz_below(f, vg_nr_ioqs(d) + 3) :
			  (uint32_t)fz_next(f);
		w.worker_id = fz_chance(f, 90) ? fz_below(f, 6) : (uint32_t)fz_next(f);
		s.worker_id = w.worker_id;
		switch (fz_below(f, 4)) {
		case 0:
			rc = xioctl(d, VHOST_NEW_WORKER, &s);
			fz_say(f, "NEW_WORKER=%d/%u ", rc, s.worker_id);
			break;
		case 1:
			rc = xioctl(d, VHOST_FREE_WORKER, &s);
			fz_say(f, "FREE_WORKER %u=%d ", w.worker_id, rc);
			break;
		case 2:
			rc = xioctl(d, VHOST_ATTACH_VRING_WORKER, &w);
			fz_say(f, "ATTACH %u:%u=%d ", w.index, w.worker_id, rc);
			break;
		default:
			rc = xioctl(d, VHOST_GET_VRING_WORKER, &w);
			fz_say(f, "GET_VRING_WORKER %u=%d/%u ", w.index, rc, w.worker_id);
			break;
		}
	}
	return rc;
}

static void other_op(struct fz *f, struct vg_dev *d, unsigned int op)
{
	struct vhost_scsi_target t;
	uint8_t buf[256];
	uint64_t v64;
	uint32_t v;
	int rc;

	switch (op) {
	case 0:
		memset(&t, 0, sizeof(t));
		t.abi_version = VHOST_SCSI_ABI_VERSION;
		strcpy(t.vhost_wwpn, f->env.wwn);	/* held by the main device */
		t.vhost_tpgt = f->env.tpgt;
		rc = xioctl(d, VHOST_SCSI_SET_ENDPOINT, &t);
		if (!rc) {
			fz_fail(f, "SET_ENDPOINT to the main device's target succeeded");
			xioctl(d, VHOST_SCSI_CLEAR_ENDPOINT, &t);
		}
		break;
	case 1:
		for (v = 0; v < sizeof(t); v++)
			((uint8_t *)&t)[v] = (uint8_t)fz_next(f);
		if (fz_chance(f, 70)) {
			memset(t.vhost_wwpn, 0, sizeof(t.vhost_wwpn));
			strcpy(t.vhost_wwpn, f->wwn2);
		}
		rc = xioctl(d, fz_chance(f, 50) ? VHOST_SCSI_SET_ENDPOINT :
			    VHOST_SCSI_CLEAR_ENDPOINT, &t);
		break;
	case 2:
		v64 = fz_chance(f, 50) ? d->features ^ (1ULL << fz_below(f, 64)) :
		      fz_next(f);
		rc = xioctl(d, VHOST_SET_FEATURES, &v64);
		break;
	case 3:
		v = (uint32_t)fz_next(f);
		rc = xioctl(d, fz_chance(f, 50) ? VHOST_SCSI_SET_EVENTS_MISSED :
			    VHOST_SCSI_GET_EVENTS_MISSED, &v);
		break;
	case 4:
		rc = xioctl(d, fz_chance(f, 70) ? VHOST_RESET_OWNER : VHOST_SET_OWNER,
			    NULL);
		break;
	case 5:
		v64 = fz_next(f);
		rc = xioctl(d, fz_chance(f, 50) ? VHOST_SET_BACKEND_FEATURES :
			    VHOST_GET_BACKEND_FEATURES, &v64);
		break;
	case 6:
		rc = worker_op(f, d);
		break;
	default:
		memset(buf, 0, sizeof(buf));
		v = _IOC(fz_below(f, 4), fz_chance(f, 80) ? VHOST_VIRTIO : fz_below(f, 256),
			 fz_below(f, 256), fz_below(f, sizeof(buf)));
		rc = ioctl(d->fd, v, buf) ? -errno : 0;
		fz_say(f, "(%#x)", v);
		break;
	}
	fz_say(f, "OP/%u=%d ", op, rc);
}

int fz_case_vmm(struct fz *f)
{
	static const unsigned int rings[] = { 1, 2, 4, 16, 64, 256 };
	unsigned int nops = 3 + fz_below(f, 24), i, k;
	struct vg_io io[NIO];
	struct vg_dev *d;
	uint8_t *buf;
	uint64_t feat = TC_FEAT_V1;
	int rc;

	if (fz_chance(f, 60))
		feat |= TC_FEAT_IND;
	if (fz_chance(f, 60))
		feat |= TC_FEAT_EVIDX;
	rc = open2(f, &d, 1 + fz_below(f, 4), rings[fz_below(f, 6)], feat,
		   1 + fz_below(f, 2), fz_chance(f, 50));
	if (rc)
		return fz_fail(f, "open: %s", strerror(-rc));
	fz_say(f, "%u queues of %u; ", vg_nr_ioqs(d), d->vq[0].num);
	buf = vg_alloc(d, NIO * 4096, 4096);
	memset(io, 0, sizeof(io));
	if (fz_chance(f, 80)) {
		rc = vg_setup(d);
		if (!rc)
			rc = endpoint2(f, d, f->bound_ms);
		fz_say(f, "start=%d ", rc);
		if (rc == -EBUSY)
			fz_fail(f, "second target still busy after %d ms", f->bound_ms);
	}
	for (i = 0; i < nops && buf; i++) {
		switch (fz_below(f, 12)) {
		case 0:
			fz_say(f, "SETUP=%d ", vg_setup(d));
			break;
		case 1:
			fz_say(f, "ENDPOINT=%d ", endpoint2(f, d, 200));
			break;
		case 2:
			fz_say(f, "CLEAR=%d ", vg_clear_endpoint(d));
			break;
		case 3:
			mem_table(f, d);
			break;
		case 4:
		case 5:
			vring_op(f, d);
			break;
		case 6:
		case 7:
			submit_some(f, d, io, buf);
			fz_say(f, "IO ");
			break;
		case 8:
			for (k = 0; k < vg_nr_ioqs(d); k++)
				vg_io_reap(vg_ioq(d, k));
			usleep(fz_below(f, 2000));
			fz_say(f, "REAP ");
			break;
		case 9:
			if (fz_chance(f, 30))
				unmap_op(f, d);
			break;
		default:
			other_op(f, d, fz_below(f, 8));
			break;
		}
	}
	if (fz_chance(f, 50)) {
		fz_say(f, "close");
		vg_close(d);
	} else {
		fz_say(f, "abandon");
		vg_abandon(d);
	}
	return f->why[0] ? -1 : reattach(f);
}

/* The child: attach, then I/O on every queue until killed. */
static void child(struct fz *f, int ready)
{
	struct vg_io io[NIO];
	struct vg_dev *d;
	unsigned int k;
	uint8_t *buf;

	if (open2(f, &d, 2, 16, TC_FEAT_ALL, 1, false) || vg_setup(d) ||
	    endpoint2(f, d, f->bound_ms))
		_exit(1);
	buf = vg_alloc(d, NIO * 4096, 4096);
	memset(io, 0, sizeof(io));
	if (write(ready, "r", 1) != 1)
		_exit(1);
	for (;;) {
		submit_some(f, d, io, buf);
		for (k = 0; k < vg_nr_ioqs(d); k++)
			vg_io_reap(vg_ioq(d, k));
	}
}

int fz_case_kill(struct fz *f)
{
	struct pollfd p;
	int pfd[2], st;
	pid_t pid;
	char c;

	if (pipe(pfd))
		return fz_fail(f, "pipe: %m");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fz_fail(f, "fork: %m");
	if (!pid) {
		close(pfd[0]);
		alarm(0);
		child(f, pfd[1]);
	}
	close(pfd[1]);
	p.fd = pfd[0];
	p.events = POLLIN;
	if (fz_chance(f, 80)) {
		if (poll(&p, 1, f->bound_ms) != 1 || read(pfd[0], &c, 1) != 1) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			close(pfd[0]);
			return fz_fail(f, "the child could not attach to the second target");
		}
		usleep(fz_below(f, 30000));
		fz_say(f, "killed during I/O");
	} else {
		usleep(fz_below(f, 5000));
		fz_say(f, "killed while it set up");
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	close(pfd[0]);
	return reattach(f);
}
