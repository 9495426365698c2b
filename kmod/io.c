// SPDX-License-Identifier: GPL-2.0
/*
 * Request queues: virtio-scsi commands to LIO and back.
 *
 * The worker pops a request, pins the guest's data pages into the
 * command's scatterlist (zero copy) and submits it to LIO (submit.c).
 * LIO's release_cmd pushes the command on vq->done;
 * the worker then writes the response, unpins the pages and returns the
 * command to the queue's pool.  The pool is a stack touched only by the
 * worker, so it needs no lock.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <scsi/scsi_common.h>
#include <scsi/scsi_proto.h>
#include <target/target_core_backend.h>
#include <target/target_core_fabric.h>

#include "compat.h"
#include "fastvhost.h"

#define FV_PIN_BATCH	64	/* pages pinned per call */

struct fv_req {
	struct virtio_scsi_cmd_req hdr;
	u64 start;			/* ns, taken off the ring */
	unsigned int out, in;		/* iovecs in vq->iov */
	size_t out_len, in_len;
	unsigned int resp_cnt;
	struct iovec resp[FV_RESP_IOV];
};

int fv_io_pool_alloc(struct fv_vq *vq, int node)
{
	unsigned int i, nr;

	vq->node = node;
	vq->iov = kvmalloc_node(FV_IOV_MAX * sizeof(*vq->iov), GFP_KERNEL,
				node);
	vq->logv = kvmalloc_node(FV_IOV_MAX * sizeof(*vq->logv), GFP_KERNEL,
				 node);
	if (!vq->iov || !vq->logv)
		goto err;
	if (vq->index < FV_NR_FIXED_VQS)
		return 0;

	nr = min_t(unsigned int, vq->num, FV_MAX_CMDS);
	vq->cmds = kvzalloc_node(array_size(nr, sizeof(*vq->cmds)),
				 GFP_KERNEL, node);
	vq->free = kvmalloc_node(array_size(nr, sizeof(*vq->free)),
				 GFP_KERNEL, node);
	vq->pages = kvmalloc_node(FV_PIN_BATCH * sizeof(*vq->pages),
				  GFP_KERNEL, node);
	if (!vq->cmds || !vq->free || !vq->pages)
		goto err;
	for (i = 0; i < nr; i++)
		vq->free[i] = i;
	vq->nr_cmds = nr;
	vq->nr_free = nr;
	return 0;

err:
	fv_io_pool_free(vq);
	return -ENOMEM;
}

void fv_io_pool_free(struct fv_vq *vq)
{
	kvfree(vq->iov);
	kvfree(vq->logv);
	kvfree(vq->cmds);
	kvfree(vq->free);
	kvfree(vq->pages);
	vq->iov = NULL;
	vq->logv = NULL;
	vq->cmds = NULL;
	vq->free = NULL;
	vq->pages = NULL;
	vq->nr_cmds = 0;
	vq->nr_free = 0;
}

/*
 * New pools for an idle queue (nothing in flight) on @node.  On failure
 * the old ones stay.
 */
int fv_io_pool_move(struct fv_vq *vq, int node)
{
	struct iovec *iov = vq->iov;
	struct fv_logr *logv = vq->logv;
	struct fv_cmd *cmds = vq->cmds;
	u16 *free = vq->free;
	struct page **pages = vq->pages;
	unsigned int nr_cmds = vq->nr_cmds, nr_free = vq->nr_free;
	int old_node = vq->node;

	vq->iov = NULL;
	vq->logv = NULL;
	vq->cmds = NULL;
	vq->free = NULL;
	vq->pages = NULL;
	if (fv_io_pool_alloc(vq, node)) {
		vq->iov = iov;
		vq->logv = logv;
		vq->cmds = cmds;
		vq->free = free;
		vq->pages = pages;
		vq->nr_cmds = nr_cmds;
		vq->nr_free = nr_free;
		vq->node = old_node;
		return -ENOMEM;
	}
	kvfree(iov);
	kvfree(logv);
	kvfree(cmds);
	kvfree(free);
	kvfree(pages);
	return 0;
}

/*
 * Step past the first @len bytes of @iov[0..cnt), describing them in @dst
 * (at most @max entries) unless @dst is NULL.  Returns the number of
 * entries, or -1 when the bytes are not there or need more than @max.
 */
int fv_iov_take(struct iovec **iov, unsigned int *cnt, size_t *skip,
		size_t len, struct iovec *dst, unsigned int max)
{
	unsigned int n = 0;

	while (len) {
		size_t avail, chunk;

		if (!*cnt || (dst && n == max))
			return -1;
		avail = (*iov)->iov_len - *skip;
		chunk = min(avail, len);
		if (chunk && dst) {
			dst[n].iov_base = (*iov)->iov_base + *skip;
			dst[n].iov_len = chunk;
			n++;
		}
		len -= chunk;
		*skip += chunk;
		if (*skip == (*iov)->iov_len) {
			(*iov)++;
			(*cnt)--;
			*skip = 0;
		}
	}
	return n;
}

/*
 * A long scatterlist is the command's inline entries chained to pieces of
 * at most a page (SG_MAX_SINGLE_ALLOC entries), charged to the VM: no
 * allocation larger than a page for any length a guest may send.  Slab
 * objects, not whole pages: those were not all seen in the VM's cgroup
 * on 6.1 (docs/testing.md).
 */
static struct scatterlist *sg_piece_alloc(unsigned int n, gfp_t gfp)
{
	return kmalloc_array(n, sizeof(struct scatterlist), gfp);
}

static void sg_piece_free(struct scatterlist *sg, unsigned int n)
{
	kfree(sg);
}

static void free_sgl(struct fv_sgl *s, unsigned int inline_nents)
{
	if (s->table.orig_nents)
		__sg_free_table(&s->table, SG_MAX_SINGLE_ALLOC, inline_nents,
				sg_piece_free, s->table.orig_nents);
	memset(&s->table, 0, sizeof(s->table));
	s->sgl = NULL;
}

static void put_sgl(struct fv_sgl *s, unsigned int inline_nents)
{
	struct scatterlist *sg;
	unsigned int i;

	/*
	 * Always dirty: a guest may name a read CDB with device-readable
	 * buffers, and the backstore then writes them.
	 */
	for_each_sg(s->sgl, sg, s->nents, i)
		unpin_user_page_range_dirty_lock(sg_page(sg), 1, true);
	free_sgl(s, inline_nents);
	s->nents = 0;
}

static void put_pages(struct fv_cmd *cmd)
{
	put_sgl(&cmd->data, FV_SG_INLINE);
	put_sgl(&cmd->prot, FV_PROT_SG_INLINE);
}

static void put_cmd(struct fv_vq *vq, struct fv_cmd *cmd)
{
	struct fv_dev *dev = vq->dev;

	put_pages(cmd);
	if (cmd->logr != cmd->logr_in)
		kfree(cmd->logr);
	cmd->logr = NULL;
	/* Turning logging on waits for the commands taken without it. */
	if (test_bit(FV_CMD_UNLOGGED, &cmd->flags)) {
		WRITE_ONCE(vq->unlogged, vq->unlogged - 1);
		if (!vq->unlogged && fv_log_on(vq))
			wake_up(&dev->drain_wq);
	}
	vq->free[vq->nr_free++] = cmd - vq->cmds;
	/* A TMF may wait for the last command of an epoch (ctl.c). */
	WRITE_ONCE(vq->epoch_cmds[cmd->epoch], vq->epoch_cmds[cmd->epoch] - 1);
	if (!vq->epoch_cmds[cmd->epoch] && atomic_read(&dev->tmf_inflight))
		wake_up(&dev->drain_wq);
	if (atomic_dec_and_test(&vq->inflight))
		wake_up(&vq->dev->drain_wq);
}

/*
 * Keep the guest addresses of the command's buffers while logging is on:
 * its completion logs them.  A command taken with logging off is counted
 * instead, for fv_log_wait().
 */
static int keep_log(struct fv_vq *vq, struct fv_cmd *cmd)
{
	int n;

	if (!fv_log_on(vq)) {
		set_bit(FV_CMD_UNLOGGED, &cmd->flags);
		WRITE_ONCE(vq->unlogged, vq->unlogged + 1);
		return 0;
	}
	cmd->logr = cmd->logr_in;
	n = fv_log_copy(vq, cmd->logr, FV_LOGR_INLINE, false, U64_MAX);
	if (n < 0) {
		cmd->logr = kmalloc_array(vq->nlogv, sizeof(*cmd->logr),
					  GFP_KERNEL_ACCOUNT);
		if (!cmd->logr)
			return -ENOMEM;
		n = fv_log_copy(vq, cmd->logr, vq->nlogv, false, U64_MAX);
	}
	cmd->nlogr = n;
	return 0;
}

/*
 * Count pages, allocate the scatterlist and pin @bytes of the buffers at
 * @iov[0..cnt) from @skip on.  At most @max_pages pages' worth (what the
 * Block Limits VPD page tells the guest, for data); a buffer that starts
 * or ends inside a page touches up to two pages more than it fills.
 */
static int map_sgl(struct fv_vq *vq, struct fv_sgl *s,
		   struct scatterlist *inl, unsigned int inline_nents,
		   const struct iovec *iov, unsigned int cnt, size_t skip,
		   size_t bytes, unsigned int max_pages)
{
	unsigned int i, nents = 0, k = 0, max = max_pages + 2 * cnt;
	struct scatterlist *sg, *last = NULL;
	size_t left;
	int ret;

	for (i = 0, left = bytes; i < cnt && left; i++) {
		unsigned long a = (unsigned long)iov[i].iov_base;
		size_t len = min(iov[i].iov_len - (i ? 0 : skip), left);

		if (!i)
			a += skip;
		left -= len;
		if (!len)
			continue;
		nents += DIV_ROUND_UP((a & ~PAGE_MASK) + len, PAGE_SIZE);
		if (nents > max)
			return -E2BIG;
	}
	if (left)
		return -EFAULT;
	if (!nents)
		return 0;

	if (nents <= inline_nents) {
		sg_init_table(inl, nents);
		s->sgl = inl;
	} else {
		ret = __sg_alloc_table(&s->table, nents, SG_MAX_SINGLE_ALLOC,
				       inl, inline_nents, GFP_KERNEL_ACCOUNT,
				       sg_piece_alloc);
		if (ret) {
			free_sgl(s, inline_nents);
			return ret;
		}
		s->sgl = s->table.sgl;
	}
	sg = s->sgl;

	for (i = 0, left = bytes; i < cnt && left; i++) {
		unsigned long a = (unsigned long)iov[i].iov_base;
		size_t len = min(iov[i].iov_len - (i ? 0 : skip), left);

		if (!i)
			a += skip;
		left -= len;
		while (len) {
			unsigned int off = a & ~PAGE_MASK, j, np;

			np = min_t(size_t, DIV_ROUND_UP(off + len, PAGE_SIZE),
				   FV_PIN_BATCH);
			ret = pin_user_pages_fast(a & PAGE_MASK, np, FOLL_WRITE,
						  vq->pages);
			if (ret != np) {
				if (ret > 0)
					unpin_user_pages(vq->pages, ret);
				s->nents = k;
				if (last)
					sg_mark_end(last);
				return ret < 0 ? ret : -EFAULT;
			}
			for (j = 0; j < np; j++) {
				unsigned int n = min_t(size_t, PAGE_SIZE - off,
						       len);

				sg_set_page(sg, vq->pages[j], n, off);
				last = sg;
				sg = sg_next(sg);
				k++;
				a += n;
				len -= n;
				off = 0;
			}
		}
	}
	s->nents = k;
	return 0;
}

/*
 * A READ whose data buffers are device-readable, or a WRITE whose are
 * device-writable.  LIO takes the direction from the fabric, not from the
 * CDB: it would write the medium from a READ's buffers, or answer a WRITE
 * GOOD having read the medium into its buffers.
 */
static bool wrong_direction(u8 op, size_t dout_len, size_t din_len)
{
	switch (op) {
	case READ_6:
	case READ_10:
	case READ_12:
	case READ_16:
		return dout_len;
	case WRITE_6:
	case WRITE_10:
	case WRITE_12:
	case WRITE_16:
	case WRITE_VERIFY:
	case WRITE_VERIFY_12:
	case WRITE_VERIFY_16:
	case WRITE_SAME:
	case WRITE_SAME_16:
	case UNMAP:
		return din_len;
	default:
		return false;
	}
}

/* Statistics of a request answered now; the worker's, under vq->mutex. */
static void account(struct fv_vq *vq, u64 start, bool error)
{
	fv_stat_latency(&vq->stats, fv_clock_since(start));
	if (error)
		fv_stat_add(&vq->stats, FV_STAT_ERRORS, 1);
}

/* Answer a request that never reached LIO. */
static void respond(struct fv_vq *vq, u16 head, struct fv_req *r,
		    u8 response, u8 status, u8 key, u8 asc)
{
	struct virtio_scsi_cmd_resp rsp = {};
	struct iov_iter it;

	rsp.response = response;
	rsp.status = status;
	if (key) {
		scsi_build_sense_buffer(0, rsp.sense, key, asc, 0);
		rsp.sense_len = to_v32(vq, 18);
	}
	iov_iter_init(&it, ITER_DEST, r->resp, r->resp_cnt, sizeof(rsp));
	if (copy_to_iter(&rsp, sizeof(rsp), &it) != sizeof(rsp)) {
		fv_vq_fail(vq, "cannot write response");
		return;
	}
	if (fv_log_chain(vq))
		return;
	/* BAD_TARGET answers a guest's bus scan: not an error to count. */
	if (!fv_vq_push(vq, head, sizeof(rsp)))
		account(vq, r->start, response != VIRTIO_SCSI_S_OK &&
			response != VIRTIO_SCSI_S_BAD_TARGET);
}

/*
 * A READ whose buffer is larger than its CDB asks for: LIO shortened
 * data_length, so shorten the scatterlist to match, as backstores such as
 * fileio transfer whatever the list holds.  Our own view (data.nents)
 * keeps every pinned page.
 */
static void trim_sg(struct se_cmd *se)
{
	u32 left = se->data_length;
	struct scatterlist *sg;
	unsigned int i;

	for_each_sg(se->t_data_sg, sg, se->t_data_nents, i) {
		if (!left) {
			se->t_data_nents = i;
			return;
		}
		if (sg->length >= left) {
			sg->length = left;
			se->t_data_nents = i + 1;
			return;
		}
		left -= sg->length;
	}
}

static int task_attr(u8 attr)
{
	switch (attr) {
	case VIRTIO_SCSI_S_ORDERED:
		return TCM_ORDERED_TAG;
	case VIRTIO_SCSI_S_HEAD:
		return TCM_HEAD_TAG;
	case VIRTIO_SCSI_S_ACA:
		return TCM_ACA_TAG;
	default:
		return TCM_SIMPLE_TAG;
	}
}

/*
 * The request header, with T10 PI (VIRTIO_SCSI_F_T10_PI) or without, into
 * r->hdr; the protection bytes that lead the data each way.  Returns the
 * header's length, 0 when the buffers are shorter.
 */
static size_t read_header(struct fv_vq *vq, struct fv_req *r,
			  struct iov_iter *it, u32 *pi_out, u32 *pi_in)
{
	struct virtio_scsi_cmd_req_pi pi;

	*pi_out = 0;
	*pi_in = 0;
	if (!(vq->features & BIT_ULL(VIRTIO_SCSI_F_T10_PI))) {
		if (r->out_len < sizeof(r->hdr) ||
		    copy_from_iter(&r->hdr, sizeof(r->hdr), it) != sizeof(r->hdr))
			return 0;
		return sizeof(r->hdr);
	}
	if (r->out_len < sizeof(pi) ||
	    copy_from_iter(&pi, sizeof(pi), it) != sizeof(pi))
		return 0;
	memcpy(r->hdr.lun, pi.lun, sizeof(r->hdr.lun));
	r->hdr.tag = pi.tag;
	r->hdr.task_attr = pi.task_attr;
	r->hdr.prio = pi.prio;
	r->hdr.crn = pi.crn;
	memcpy(r->hdr.cdb, pi.cdb, sizeof(r->hdr.cdb));
	*pi_out = v32(vq, pi.pi_bytesout);
	*pi_in = v32(vq, pi.pi_bytesin);
	return sizeof(pi);
}

/* The protection information, then the data, of one direction. */
static int map_data(struct fv_vq *vq, struct fv_cmd *cmd, struct iovec *iov,
		    unsigned int cnt, size_t skip, size_t len, u32 prot_len)
{
	int ret;

	cmd->prot_len = prot_len;
	cmd->data_len = len - prot_len;
	ret = map_sgl(vq, &cmd->prot, cmd->prot_sg, FV_PROT_SG_INLINE, iov,
		      cnt, skip, prot_len, FV_MAX_PROT_PAGES);
	if (ret)
		return ret;
	fv_iov_take(&iov, &cnt, &skip, prot_len, NULL, 0);
	return map_sgl(vq, &cmd->data, cmd->sg, FV_SG_INLINE, iov, cnt, skip,
		       cmd->data_len, FV_MAX_DATA_SG);
}

/*
 * LIO reads or writes prot_length bytes of protection information in the
 * list it is given, without looking at how long that is: a guest must
 * have sent enough.
 */
static bool short_prot(const struct fv_cmd *cmd)
{
	const struct se_cmd *se = &cmd->se_cmd;

	return cmd->prot.nents && se->prot_op != TARGET_PROT_NORMAL &&
	       cmd->prot_len < se->prot_length;
}

static void handle_one(struct fv_vq *vq, u16 head, unsigned int out,
		       unsigned int in, u64 start)
{
	struct fv_req r;
	struct iovec *iov, *din;
	unsigned int cnt, din_cnt;
	size_t skip, din_skip, dout_len, din_len, hdr_len;
	u32 pi_out, pi_in;
	struct fv_tpg *tpg;
	struct fv_cmd *cmd;
	struct iov_iter it;
	int n, ret;

	r.start = start;
	r.out_len = iov_length(vq->iov, out);
	r.in_len = iov_length(vq->iov + out, in);

	/* The response header leads the device-writable part. */
	iov = vq->iov + out;
	cnt = in;
	skip = 0;
	n = fv_iov_take(&iov, &cnt, &skip,
			sizeof(struct virtio_scsi_cmd_resp), r.resp,
			FV_RESP_IOV);
	if (n < 0) {
		fv_vq_err(vq, "request %u: no room for the response\n", head);
		if (!fv_vq_push(vq, head, 0))
			account(vq, start, true);
		return;
	}
	r.resp_cnt = n;
	din = iov;
	din_cnt = cnt;
	din_skip = skip;
	din_len = r.in_len - sizeof(struct virtio_scsi_cmd_resp);

	iov_iter_init(&it, ITER_SOURCE, vq->iov, out, r.out_len);
	hdr_len = read_header(vq, &r, &it, &pi_out, &pi_in);
	if (!hdr_len) {
		fv_vq_err(vq, "request %u: short request header\n", head);
		respond(vq, head, &r, VIRTIO_SCSI_S_FAILURE, 0, 0, 0);
		return;
	}
	dout_len = r.out_len - hdr_len;

	if (r.hdr.lun[0] != 1) {
		respond(vq, head, &r, VIRTIO_SCSI_S_BAD_TARGET, 0, 0, 0);
		return;
	}
	tpg = vq->dev->tpgs[r.hdr.lun[1]];
	if (!tpg || !tpg->sess) {
		respond(vq, head, &r, VIRTIO_SCSI_S_BAD_TARGET, 0, 0, 0);
		return;
	}
	if (scsi_command_size(r.hdr.cdb) > VIRTIO_SCSI_CDB_SIZE ||
	    (dout_len && din_len)) {
		/* CDBs beyond the header, or bidirectional transfers. */
		respond(vq, head, &r, VIRTIO_SCSI_S_OK,
			SAM_STAT_CHECK_CONDITION, ILLEGAL_REQUEST, 0x24);
		return;
	}
	if (wrong_direction(r.hdr.cdb[0], dout_len, din_len)) {
		/* LIO would move the data the way the buffers, not the CDB, say. */
		fv_vq_err(vq, "request %u: opcode %#x with data the other way\n",
			  head, r.hdr.cdb[0]);
		respond(vq, head, &r, VIRTIO_SCSI_S_OK,
			SAM_STAT_CHECK_CONDITION, ILLEGAL_REQUEST, 0x24);
		return;
	}
	if (r.hdr.cdb[0] == COMPARE_AND_WRITE) {
		/*
		 * LIO's COMPARE AND WRITE breaks when the command fails after
		 * its buffers are set up but before it runs (a unit attention,
		 * a reservation conflict): 6.1 writes without comparing and
		 * drops the command twice, 6.12 releases a semaphore it never
		 * took.  Not offered (see fix_vpd()) and refused.
		 */
		respond(vq, head, &r, VIRTIO_SCSI_S_OK,
			SAM_STAT_CHECK_CONDITION, ILLEGAL_REQUEST, 0x20);
		return;
	}
	if (pi_out > dout_len || pi_in > din_len) {
		fv_vq_err(vq, "request %u: protection information beyond the data\n",
			  head);
		respond(vq, head, &r, VIRTIO_SCSI_S_FAILURE, 0, 0, 0);
		return;
	}
	if (dout_len - pi_out > FV_MAX_DATA_SG * PAGE_SIZE ||
	    din_len - pi_in > FV_MAX_DATA_SG * PAGE_SIZE ||
	    pi_out + pi_in > FV_MAX_PROT_PAGES * PAGE_SIZE) {
		fv_vq_err(vq, "request %u: data too large\n", head);
		respond(vq, head, &r, VIRTIO_SCSI_S_FAILURE, 0, 0, 0);
		return;
	}

	cmd = &vq->cmds[vq->free[--vq->nr_free]];
	memset(cmd, 0, offsetof(struct fv_cmd, sg));
	cmd->vq = vq;
	cmd->head = head;
	cmd->start = start;
	cmd->resp_cnt = r.resp_cnt;
	memcpy(cmd->resp, r.resp, sizeof(r.resp));
	if (dout_len) {
		cmd->data_dir = DMA_TO_DEVICE;
		iov = vq->iov;
		cnt = out;
		skip = 0;
		fv_iov_take(&iov, &cnt, &skip, hdr_len, NULL, 0);
		ret = map_data(vq, cmd, iov, cnt, skip, dout_len, pi_out);
	} else if (din_len) {
		cmd->data_dir = DMA_FROM_DEVICE;
		ret = map_data(vq, cmd, din, din_cnt, din_skip, din_len, pi_in);
	} else {
		cmd->data_dir = DMA_NONE;
		ret = 0;
	}
	if (!ret)
		ret = keep_log(vq, cmd);
	atomic_inc(&vq->inflight);
	cmd->epoch = READ_ONCE(vq->dev->cmd_epoch) & 1;
	WRITE_ONCE(vq->epoch_cmds[cmd->epoch], vq->epoch_cmds[cmd->epoch] + 1);
	if (ret) {
		fv_vq_err(vq, "request %u: cannot map data: %d\n", head, ret);
		put_cmd(vq, cmd);
		respond(vq, head, &r, VIRTIO_SCSI_S_FAILURE, 0, 0, 0);
		return;
	}

	ret = target_init_cmd(&cmd->se_cmd, tpg->sess, cmd->sense,
			      ((r.hdr.lun[2] << 8) | r.hdr.lun[3]) & 0x3fff,
			      cmd->data_len, task_attr(r.hdr.task_attr),
			      cmd->data_dir, TARGET_SCF_ACK_KREF);
	if (ret) {
		put_cmd(vq, cmd);
		respond(vq, head, &r, VIRTIO_SCSI_S_TRANSPORT_FAILURE, 0, 0, 0);
		return;
	}
	cmd->se_cmd.tag = v64(vq, r.hdr.tag);
	/* On failure LIO has queued a CHECK CONDITION already. */
	if (target_submit_prep(&cmd->se_cmd, r.hdr.cdb, cmd->data.sgl,
			       cmd->data.nents, NULL, 0, cmd->prot.sgl,
			       cmd->prot.nents, GFP_KERNEL))
		return;
	if (short_prot(cmd)) {
		fv_vq_err(vq, "request %u: %u bytes of protection information for %u\n",
			  head, cmd->prot_len, cmd->se_cmd.prot_length);
		transport_generic_request_failure(&cmd->se_cmd,
						  TCM_INVALID_CDB_FIELD);
		return;
	}
	if (cmd->se_cmd.se_cmd_flags & SCF_UNDERFLOW_BIT && cmd->data.nents)
		trim_sg(&cmd->se_cmd);

	fv_submit(vq, cmd);
}

/*
 * Serve up to FV_WEIGHT requests; the worker comes back for more.  With
 * @poll, a ring that runs empty keeps its notifications off for the
 * worker to poll (fv_poll()); fv_poll_end() turns them back on.
 */
void fv_io_handle(struct fv_vq *vq, bool poll)
{
	unsigned int out, in, done = 0;
	u16 used;
	int head;

	mutex_lock(&vq->mutex);
	if (!vq->enabled || vq->broken)
		goto out;
	used = vq->last_used;
	fv_vq_disable_notify(vq);
	for (;;) {
		/* Every pass counts, also one that found the ring empty. */
		if (done++ == FV_WEIGHT) {
			set_bit(FV_VQ_KICK, &vq->pending);
			break;
		}
		if (!vq->nr_free) {
			/* fv_io_complete() kicks us when a command frees up. */
			vq->pool_wait = true;
			break;
		}
		head = fv_vq_pop(vq, &out, &in);
		if (head < 0)
			break;
		if (head == vq->num) {
			if (poll) {
				vq->notify_off = true;
				break;
			}
			if (!fv_vq_enable_notify(vq))
				break;
			fv_vq_disable_notify(vq);
			continue;
		}
		fv_stat_add(&vq->stats, FV_STAT_REQUESTS, 1);
		handle_one(vq, head, out, in, fv_clock());
	}
	if (vq->last_used != used)
		fv_vq_notify(vq);
out:
	mutex_unlock(&vq->mutex);
}

/* Protection information LIO put in the guest's buffers on a read. */
static u32 read_prot(const struct fv_cmd *cmd, u32 moved)
{
	const struct se_cmd *se = &cmd->se_cmd;

	if (!moved || !cmd->prot.nents || se->prot_op == TARGET_PROT_NORMAL)
		return 0;
	return min(cmd->prot_len, se->prot_length);
}

static bool write_resp(struct fv_vq *vq, struct fv_cmd *cmd)
{
	struct se_cmd *se = &cmd->se_cmd;
	struct virtio_scsi_cmd_resp rsp = {};
	u32 len = sizeof(rsp), moved = 0;
	struct iov_iter it;

	if (test_bit(FV_CMD_STATUS, &cmd->flags)) {
		u32 sense = min_t(u32, se->scsi_sense_length,
				  VIRTIO_SCSI_SENSE_SIZE);
		u32 resid = min(se->residual_count, cmd->data_len);

		rsp.status = se->scsi_status;
		rsp.sense_len = to_v32(vq, sense);
		memcpy(rsp.sense, cmd->sense, sense);
		rsp.resid = to_v32(vq, se->residual_count);
		moved = cmd->data_len -
			(se->se_cmd_flags & SCF_UNDERFLOW_BIT ? resid : 0);
		/* a failed command's data, if any, is not the guest's to use */
		if (se->scsi_status != SAM_STAT_GOOD &&
		    se->scsi_status != SAM_STAT_CONDITION_MET) {
			moved = 0;
			rsp.resid = to_v32(vq, cmd->data_len);
		}
		if (cmd->data_dir == DMA_FROM_DEVICE)
			len += moved + read_prot(cmd, moved);
	} else {
		rsp.response = VIRTIO_SCSI_S_ABORTED;
	}
	iov_iter_init(&it, ITER_DEST, cmd->resp, cmd->resp_cnt, sizeof(rsp));
	if (copy_to_iter(&rsp, sizeof(rsp), &it) != sizeof(rsp)) {
		fv_vq_err(vq, "request %u: cannot write response\n",
			  cmd->head);
		len = 0;
	}
	if (fv_vq_push(vq, cmd->head, len))
		return false;
	account(vq, cmd->start, !len || rsp.response != VIRTIO_SCSI_S_OK);
	if (len && cmd->data_dir == DMA_FROM_DEVICE)
		fv_stat_add(&vq->stats, FV_STAT_BYTES_READ, moved);
	else if (len && cmd->data_dir == DMA_TO_DEVICE)
		fv_stat_add(&vq->stats, FV_STAT_BYTES_WRITTEN, moved);
	return true;
}

/* Write the responses of the commands LIO released. */
void fv_io_complete(struct fv_vq *vq)
{
	struct llist_node *list = llist_del_all(&vq->done);
	struct fv_cmd *cmd, *t;
	bool pushed = false;

	list = llist_reverse_order(list);
	mutex_lock(&vq->mutex);
	llist_for_each_entry_safe(cmd, t, list, node) {
		/* What LIO wrote, before the guest can see it is done. */
		if (!fv_log_ranges(vq, cmd->logr, cmd->nlogr) &&
		    write_resp(vq, cmd))
			pushed = true;
		put_cmd(vq, cmd);
	}
	if (pushed)
		fv_vq_notify(vq);
	if (vq->pool_wait && vq->nr_free) {
		vq->pool_wait = false;
		set_bit(FV_VQ_KICK, &vq->pending);
	}
	mutex_unlock(&vq->mutex);
}

/* LIO callbacks, any context: hand over to the worker. */
void fv_cmd_release(struct se_cmd *se_cmd)
{
	struct fv_cmd *cmd;

	if (se_cmd->se_cmd_flags & SCF_SCSI_TMR_CDB) {
		fv_tmf_release(se_cmd);
		return;
	}
	cmd = container_of(se_cmd, struct fv_cmd, se_cmd);
	fv_vq_done(cmd->vq, &cmd->node);
}

/*
 * The Block Limits VPD page says COMPARE AND WRITE works (LIO fills it in):
 * set its MAXIMUM COMPARE AND WRITE LENGTH to zero, which tells the guest
 * the command is not supported (SBC-4), as handle_one() refuses it.
 */
static void fix_vpd(struct fv_cmd *cmd)
{
	struct se_cmd *se = &cmd->se_cmd;
	const u8 *cdb = se->t_task_cdb;
	u8 zero = 0;

	if (!cdb || cdb[0] != INQUIRY || !(cdb[1] & 1) || cdb[2] != 0xb0 ||
	    cmd->data_dir != DMA_FROM_DEVICE || se->scsi_status ||
	    se->data_length < 6)
		return;
	sg_pcopy_from_buffer(cmd->data.sgl, cmd->data.nents, &zero, 1, 5);
}

int fv_cmd_queue_status(struct se_cmd *se_cmd)
{
	struct fv_cmd *cmd = container_of(se_cmd, struct fv_cmd, se_cmd);

	/* Data-in and status travel together: drop our reference once. */
	if (!test_and_set_bit(FV_CMD_STATUS, &cmd->flags)) {
		fix_vpd(cmd);
		transport_generic_free_cmd(se_cmd, 0);
	}
	return 0;
}

void fv_cmd_aborted(struct se_cmd *se_cmd)
{
	struct fv_cmd *cmd;

	if (se_cmd->se_cmd_flags & SCF_SCSI_TMR_CDB)
		return;
	cmd = container_of(se_cmd, struct fv_cmd, se_cmd);
	set_bit(FV_CMD_ABORTED, &cmd->flags);
}
