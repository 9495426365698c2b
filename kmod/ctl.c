// SPDX-License-Identifier: GPL-2.0
/*
 * The control queue (task management and asynchronous notification) and
 * the event queue.
 *
 * A TMF runs on the device's ordered TMF workqueue, never in a worker.
 * Before LIO sees it, every command the guest made available before it
 * is handed to LIO (fence()); its response goes out only once every
 * command that was in flight when it arrived has been answered
 * (tmf_done_work()).  A guest thus never gets FUNCTION COMPLETE while a
 * command the TMF covers may still write into its buffers.
 *
 * I_T NEXUS RESET is rejected, as the stock module does: LIO resets LUNs,
 * not nexuses, and a LUN reset would abort the tasks of every other
 * initiator sharing the backstore.
 */
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <target/target_core_fabric.h>

#include "fastvhost.h"

static void reply(struct fv_vq *vq, u16 head, unsigned int out,
		  unsigned int in, const void *buf, size_t len)
{
	struct iov_iter it;

	iov_iter_init(&it, ITER_DEST, vq->iov + out, in,
		      iov_length(vq->iov + out, in));
	if (copy_to_iter(buf, len, &it) != len) {
		fv_vq_err(vq, "control request %u: no room for the response\n",
			  head);
		len = 0;
	}
	if (!fv_log_chain(vq))
		fv_vq_push(vq, head, len);
}

static void reply_tmf(struct fv_vq *vq, u16 head, unsigned int out,
		      unsigned int in, u8 response)
{
	struct virtio_scsi_ctrl_tmf_resp rsp = { .response = response };

	reply(vq, head, out, in, &rsp, sizeof(rsp));
}

static u8 tmr_to_virtio(u8 tmr)
{
	switch (tmr) {
	case TMR_FUNCTION_COMPLETE:
	case TMR_TASK_DOES_NOT_EXIST:	/* answered before the abort */
		return VIRTIO_SCSI_S_OK;	/* FUNCTION COMPLETE */
	case TMR_LUN_DOES_NOT_EXIST:
		return VIRTIO_SCSI_S_INCORRECT_LUN;
	default:
		return VIRTIO_SCSI_S_FUNCTION_REJECTED;
	}
}

/* Have every request queue look at its ring, and wait for the passes. */
static void kick_and_flush(struct fv_dev *dev)
{
	unsigned int i;

	for (i = FV_NR_FIXED_VQS; i < FV_MAX_VQS; i++)
		if (READ_ONCE(dev->vqs[i]->num))
			set_bit(FV_VQ_KICK, &dev->vqs[i]->pending);
	fv_workers_flush(dev);
}

/*
 * Close the epoch of the commands in flight and hand LIO every command
 * taken off a ring so far.  A worker reads the epoch while it takes a
 * command, within one pass: after the flip, one flush of the workers
 * leaves no command counted in the old epoch that is still to come.
 * Returns the old epoch.
 */
static unsigned int fence(struct fv_dev *dev)
{
	unsigned int old = READ_ONCE(dev->cmd_epoch) & 1;

	kick_and_flush(dev);
	WRITE_ONCE(dev->cmd_epoch, old ^ 1);
	fv_workers_flush(dev);
	flush_workqueue(dev->submit_wq);
	flush_workqueue(dev->local_wq);
	return old;
}

static bool epoch_done(struct fv_dev *dev, unsigned int epoch)
{
	unsigned int i;

	for (i = FV_NR_FIXED_VQS; i < FV_MAX_VQS; i++)
		if (READ_ONCE(dev->vqs[i]->epoch_cmds[epoch]))
			return false;
	return true;
}

/* Answer once the commands it covers are answered, on the control queue. */
static void tmf_done_work(struct work_struct *work)
{
	struct fv_tmf *tmf = container_of(work, struct fv_tmf, work);
	struct fv_dev *dev = tmf->vq->dev;

	wait_event(dev->drain_wq, epoch_done(dev, tmf->epoch));
	fv_vq_done(tmf->vq, &tmf->node);
}

void fv_tmf_release(struct se_cmd *se_cmd)
{
	struct fv_tmf *tmf = container_of(se_cmd, struct fv_tmf, se_cmd);

	INIT_WORK(&tmf->work, tmf_done_work);
	queue_work(tmf->vq->dev->tmf_wq, &tmf->work);
}

void fv_tmf_queue_rsp(struct se_cmd *se_cmd)
{
	struct fv_tmf *tmf = container_of(se_cmd, struct fv_tmf, se_cmd);

	tmf->response = tmr_to_virtio(se_cmd->se_tmr_req->response);
	transport_generic_free_cmd(se_cmd, 0);
}

static void tmf_submit_work(struct work_struct *work)
{
	struct fv_tmf *tmf = container_of(work, struct fv_tmf, work);
	struct fv_dev *dev = tmf->vq->dev;

	tmf->epoch = fence(dev);
	if (target_submit_tmr(&tmf->se_cmd, tmf->tpg->sess, tmf->sense,
			      tmf->lun, tmf, tmf->type, GFP_KERNEL, tmf->tag,
			      TARGET_SCF_ACK_KREF) < 0) {
		tmf->response = VIRTIO_SCSI_S_FUNCTION_REJECTED;
		tmf_done_work(&tmf->work);
	}
}

/*
 * LIO logs every TMF it runs: a guest gets FV_TMF_BURST of them at once
 * and FV_TMF_RATE a second after that; the rest are rejected.  Under the
 * control queue's mutex.
 */
static bool tmf_allowed(struct fv_dev *dev)
{
	unsigned long now = jiffies;
	u64 add = div_u64((u64)(now - dev->tmf_stamp) * FV_TMF_RATE, HZ);

	if (add) {
		dev->tmf_tokens = min_t(u64, dev->tmf_tokens + add,
					FV_TMF_BURST);
		dev->tmf_stamp = now;
	}
	if (!dev->tmf_tokens)
		return false;
	dev->tmf_tokens--;
	return true;
}

static void handle_tmf(struct fv_vq *vq, u16 head, unsigned int out,
		       unsigned int in, struct virtio_scsi_ctrl_tmf_req *req)
{
	struct fv_dev *dev = vq->dev;
	struct iovec *iov = vq->iov + out;
	unsigned int cnt = in;
	struct fv_tpg *tpg;
	struct fv_tmf *tmf;
	size_t skip = 0;
	int type, n;

	tpg = req->lun[0] == 1 ? dev->tpgs[req->lun[1]] : NULL;
	if (!tpg || !tpg->sess) {
		reply_tmf(vq, head, out, in, VIRTIO_SCSI_S_BAD_TARGET);
		return;
	}

	switch (v32(vq, req->subtype)) {
	case VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET:
		type = TMR_LUN_RESET;
		break;
	case VIRTIO_SCSI_T_TMF_ABORT_TASK:
		type = TMR_ABORT_TASK;
		break;
	default:
		reply_tmf(vq, head, out, in, VIRTIO_SCSI_S_FUNCTION_REJECTED);
		return;
	}
	if (!tmf_allowed(dev)) {
		fv_vq_err(vq, "control request %u: too many TMFs, rejected\n",
			  head);
		fv_stat_add(&vq->stats, FV_STAT_ERRORS, 1);
		reply_tmf(vq, head, out, in, VIRTIO_SCSI_S_FUNCTION_REJECTED);
		return;
	}

	tmf = kzalloc(sizeof(*tmf), GFP_KERNEL_ACCOUNT);
	if (!tmf)
		goto reject;
	n = fv_iov_take(&iov, &cnt, &skip,
			sizeof(struct virtio_scsi_ctrl_tmf_resp), tmf->resp,
			FV_RESP_IOV);
	if (n < 0) {
		kfree(tmf);
		goto reject;
	}
	tmf->resp_cnt = n;
	/* Within FV_RESP_IOV: each buffer gave at least one of the iovecs. */
	n = fv_log_copy(vq, tmf->logr, FV_RESP_IOV, true,
			sizeof(struct virtio_scsi_ctrl_tmf_resp));
	if (n < 0) {
		kfree(tmf);
		goto reject;
	}
	tmf->nlogr = n;
	tmf->vq = vq;
	tmf->tpg = tpg;
	tmf->head = head;
	tmf->type = type;
	tmf->lun = ((req->lun[2] << 8) | req->lun[3]) & 0x3fff;
	tmf->tag = v64(vq, req->tag);
	tmf->response = VIRTIO_SCSI_S_FUNCTION_REJECTED;
	atomic_inc(&dev->tmf_inflight);
	INIT_WORK(&tmf->work, tmf_submit_work);
	queue_work(dev->tmf_wq, &tmf->work);
	return;

reject:
	reply_tmf(vq, head, out, in, VIRTIO_SCSI_S_FUNCTION_REJECTED);
}

static void handle_one(struct fv_vq *vq, u16 head, unsigned int out,
		       unsigned int in)
{
	union {
		__virtio32 type;
		struct virtio_scsi_ctrl_tmf_req tmf;
		struct virtio_scsi_ctrl_an_req an;
	} req;
	struct virtio_scsi_ctrl_an_resp an = {};
	size_t len = iov_length(vq->iov, out);
	struct iov_iter it;
	size_t need;
	u32 type;

	iov_iter_init(&it, ITER_SOURCE, vq->iov, out, len);
	if (copy_from_iter(&req.type, sizeof(req.type), &it) !=
	    sizeof(req.type))
		goto bad;
	type = v32(vq, req.type);
	switch (type) {
	case VIRTIO_SCSI_T_TMF:
		need = sizeof(req.tmf);
		break;
	case VIRTIO_SCSI_T_AN_QUERY:
	case VIRTIO_SCSI_T_AN_SUBSCRIBE:
		need = sizeof(req.an);
		break;
	default:
		goto bad;
	}
	need -= sizeof(req.type);
	if (copy_from_iter((char *)&req + sizeof(req.type), need, &it) != need)
		goto bad;

	if (type == VIRTIO_SCSI_T_TMF) {
		handle_tmf(vq, head, out, in, &req.tmf);
		return;
	}
	/* No asynchronous events are supported: none are reported. */
	an.response = VIRTIO_SCSI_S_OK;
	reply(vq, head, out, in, &an, sizeof(an));
	return;

bad:
	fv_vq_err(vq, "control request %u: malformed\n", head);
	fv_vq_push(vq, head, 0);
}

void fv_ctl_handle(struct fv_vq *vq)
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
		head = fv_vq_pop(vq, &out, &in);
		if (head < 0)
			break;
		if (head == vq->num) {
			if (!fv_vq_enable_notify(vq))
				break;
			fv_vq_disable_notify(vq);
			continue;
		}
		fv_stat_add(&vq->stats, FV_STAT_REQUESTS, 1);
		handle_one(vq, head, out, in);
	}
	if (vq->last_used != used)
		fv_vq_notify(vq);
out:
	mutex_unlock(&vq->mutex);
}

/* Write the responses of finished TMFs. */
void fv_ctl_complete(struct fv_vq *vq)
{
	struct llist_node *list = llist_reverse_order(llist_del_all(&vq->done));
	struct fv_dev *dev = vq->dev;
	struct fv_tmf *tmf, *t;
	bool pushed = false;

	mutex_lock(&vq->mutex);
	llist_for_each_entry_safe(tmf, t, list, node) {
		struct virtio_scsi_ctrl_tmf_resp rsp = {
			.response = tmf->response,
		};
		struct iov_iter it;
		u32 len = sizeof(rsp);

		iov_iter_init(&it, ITER_DEST, tmf->resp, tmf->resp_cnt, len);
		if (copy_to_iter(&rsp, len, &it) != len)
			len = 0;
		if (!fv_log_ranges(vq, tmf->logr, tmf->nlogr) &&
		    !fv_vq_push(vq, tmf->head, len))
			pushed = true;
		kfree(tmf);
		if (atomic_dec_and_test(&dev->tmf_inflight))
			wake_up(&dev->drain_wq);
	}
	if (pushed)
		fv_vq_notify(vq);
	mutex_unlock(&vq->mutex);
}

/*
 * A LUN of a portal group @owner serves was linked or unlinked (the
 * fabric's callbacks, under tpg->lock).  A guest that took hotplug gets a
 * transport reset event for it.  When it has no event buffer the event
 * waits (FV_MAX_EVENTS at most) and the guest is told that it missed
 * events, with the first one it gets later.
 */
void fv_evt_lun(void *owner, u16 tag, u64 lun, bool added)
{
	struct fv_dev *dev = owner;
	struct fv_vq *vq = dev->vqs[FV_EVT_VQ];
	struct virtio_scsi_event *ev;

	/* Beyond the 14 bits a virtio-scsi LUN carries: no guest sees it. */
	if (lun > 0x3fff)
		return;
	mutex_lock(&vq->mutex);
	if (!(vq->features & BIT_ULL(VIRTIO_SCSI_F_HOTPLUG))) {
		mutex_unlock(&vq->mutex);
		return;
	}
	if (dev->evt_count == FV_MAX_EVENTS) {
		dev->events_missed = 1;
	} else {
		ev = &dev->evts[(dev->evt_first + dev->evt_count++) %
				FV_MAX_EVENTS];
		memset(ev, 0, sizeof(*ev));
		ev->event = to_v32(vq, VIRTIO_SCSI_T_TRANSPORT_RESET);
		ev->reason = to_v32(vq, added ? VIRTIO_SCSI_EVT_RESET_RESCAN :
					VIRTIO_SCSI_EVT_RESET_REMOVED);
		/* Peripheral addressing below 256, flat space above. */
		ev->lun[0] = 1;
		ev->lun[1] = tag;
		ev->lun[2] = lun < 256 ? 0 : 0x40 | lun >> 8;
		ev->lun[3] = lun & 0xff;
	}
	mutex_unlock(&vq->mutex);
	fv_vq_kick(vq);
}

/*
 * Hand the queued events, oldest first, to the guest's event buffers;
 * "events missed" rides on the next one (or on an empty event).
 */
void fv_evt_handle(struct fv_vq *vq)
{
	struct fv_dev *dev = vq->dev;
	struct virtio_scsi_event ev;
	unsigned int out, in, n = 0;
	int head;

	mutex_lock(&vq->mutex);
	while (vq->enabled && !vq->broken && n < FV_WEIGHT &&
	       (dev->evt_count || dev->events_missed)) {
		head = fv_vq_pop(vq, &out, &in);
		if (head < 0)
			break;
		if (head == vq->num) {
			/*
			 * Events wait: say so once, with the first the guest
			 * gets, until it has them all.
			 */
			if (dev->evt_count && !dev->evt_waiting) {
				dev->events_missed = 1;
				dev->evt_waiting = true;
			}
			if (fv_vq_enable_notify(vq))
				set_bit(FV_VQ_KICK, &vq->pending);
			break;
		}
		n++;
		if (out) {
			fv_vq_err(vq, "event buffer %u is device-readable\n",
				  head);
			fv_vq_push(vq, head, 0);
			continue;
		}
		if (dev->evt_count) {
			ev = dev->evts[dev->evt_first];
			dev->evt_first = (dev->evt_first + 1) % FV_MAX_EVENTS;
			if (!--dev->evt_count)
				dev->evt_waiting = false;
		} else {
			memset(&ev, 0, sizeof(ev));
			ev.event = to_v32(vq, VIRTIO_SCSI_T_NO_EVENT);
		}
		if (dev->events_missed) {
			ev.event = to_v32(vq, VIRTIO_SCSI_T_EVENTS_MISSED |
					  v32(vq, ev.event));
			dev->events_missed = 0;
		}
		reply(vq, head, out, in, &ev, sizeof(ev));
	}
	if (n == FV_WEIGHT)
		set_bit(FV_VQ_KICK, &vq->pending);
	if (n)
		fv_vq_notify(vq);
	mutex_unlock(&vq->mutex);
}
