// SPDX-License-Identifier: GPL-2.0
/*
 * The control queue (task management and asynchronous notification) and
 * the event queue.
 *
 * A TMF goes to LIO as a TMR.  When LIO releases it, a work item first
 * flushes every worker, so that the responses of the commands the TMF
 * aborted reach the guest before the TMF's own response, and then hands
 * the TMF to the control queue's worker to answer.  I_T NEXUS RESET is a
 * LOGICAL UNIT RESET of every LUN in the target, one after the other.
 */
#include <linux/completion.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <target/target_core_fabric.h>

#include "fastvhost.h"

#define FV_MAX_RESET_LUNS	256	/* LUNs an I_T NEXUS RESET walks */

struct fv_sub_tmf {
	struct fv_tmf tmf;
	struct completion done;
};

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
	case TMR_TASK_DOES_NOT_EXIST:	/* it finished before the abort */
		return VIRTIO_SCSI_S_OK;	/* FUNCTION COMPLETE */
	case TMR_LUN_DOES_NOT_EXIST:
		return VIRTIO_SCSI_S_INCORRECT_LUN;
	default:
		return VIRTIO_SCSI_S_FUNCTION_REJECTED;
	}
}

/* Answer on the control queue's worker once earlier responses are out. */
static void tmf_finish(struct fv_tmf *tmf)
{
	fv_workers_flush(tmf->vq->dev);
	fv_vq_done(tmf->vq, &tmf->node);
}

static void tmf_done_work(struct work_struct *work)
{
	tmf_finish(container_of(work, struct fv_tmf, work));
}

void fv_tmf_release(struct se_cmd *se_cmd)
{
	struct fv_tmf *tmf = container_of(se_cmd, struct fv_tmf, se_cmd);

	if (!tmf->vq) {
		complete(&container_of(tmf, struct fv_sub_tmf, tmf)->done);
		return;
	}
	INIT_WORK(&tmf->work, tmf_done_work);
	queue_work(fv_wq, &tmf->work);
}

void fv_tmf_queue_rsp(struct se_cmd *se_cmd)
{
	struct fv_tmf *tmf = container_of(se_cmd, struct fv_tmf, se_cmd);

	tmf->response = tmr_to_virtio(se_cmd->se_tmr_req->response);
	transport_generic_free_cmd(se_cmd, 0);
}

/* Reset one LUN and wait for it; returns a VIRTIO_SCSI_S_* code. */
static u8 reset_lun(struct se_session *sess, u64 lun)
{
	struct fv_sub_tmf *sub;
	u8 response;

	sub = kzalloc(sizeof(*sub), GFP_KERNEL);
	if (!sub)
		return VIRTIO_SCSI_S_FUNCTION_REJECTED;
	init_completion(&sub->done);
	sub->tmf.response = VIRTIO_SCSI_S_FUNCTION_REJECTED;
	if (target_submit_tmr(&sub->tmf.se_cmd, sess, sub->tmf.sense, lun,
			      sub, TMR_LUN_RESET, GFP_KERNEL, 0,
			      TARGET_SCF_ACK_KREF) < 0) {
		kfree(sub);
		return VIRTIO_SCSI_S_FUNCTION_REJECTED;
	}
	wait_for_completion(&sub->done);
	response = sub->tmf.response;
	kfree(sub);
	return response;
}

static void nexus_reset_work(struct work_struct *work)
{
	struct fv_tmf *tmf = container_of(work, struct fv_tmf, work);
	struct se_portal_group *se_tpg = &tmf->tpg->se_tpg;
	struct se_session *sess = tmf->tpg->sess;
	unsigned int i, n = 0;
	struct se_lun *lun;
	u64 *luns;

	tmf->response = VIRTIO_SCSI_S_FUNCTION_REJECTED;
	luns = kcalloc(FV_MAX_RESET_LUNS, sizeof(*luns), GFP_KERNEL);
	if (!luns)
		goto out;
	mutex_lock(&se_tpg->tpg_lun_mutex);
	hlist_for_each_entry(lun, &se_tpg->tpg_lun_hlist, link)
		if (n < FV_MAX_RESET_LUNS)
			luns[n++] = lun->unpacked_lun;
	mutex_unlock(&se_tpg->tpg_lun_mutex);

	tmf->response = VIRTIO_SCSI_S_OK;	/* FUNCTION COMPLETE */
	for (i = 0; i < n; i++) {
		u8 r = reset_lun(sess, luns[i]);

		if (r != VIRTIO_SCSI_S_OK &&
		    r != VIRTIO_SCSI_S_INCORRECT_LUN)
			tmf->response = r;
	}
	kfree(luns);
out:
	tmf_finish(tmf);
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
	u64 lun;

	tpg = req->lun[0] == 1 ? dev->tpgs[req->lun[1]] : NULL;
	if (!tpg || !tpg->sess) {
		reply_tmf(vq, head, out, in, VIRTIO_SCSI_S_BAD_TARGET);
		return;
	}
	lun = ((req->lun[2] << 8) | req->lun[3]) & 0x3fff;

	switch (v32(vq, req->subtype)) {
	case VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET:
		type = TMR_LUN_RESET;
		break;
	case VIRTIO_SCSI_T_TMF_ABORT_TASK:
		type = TMR_ABORT_TASK;
		break;
	case VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET:
		type = -1;
		break;
	default:
		reply_tmf(vq, head, out, in, VIRTIO_SCSI_S_FUNCTION_REJECTED);
		return;
	}

	tmf = kzalloc(sizeof(*tmf), GFP_KERNEL);
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
	tmf->vq = vq;
	tmf->tpg = tpg;
	tmf->head = head;
	tmf->response = VIRTIO_SCSI_S_FUNCTION_REJECTED;
	atomic_inc(&dev->tmf_inflight);

	if (type < 0) {
		INIT_WORK(&tmf->work, nexus_reset_work);
		queue_work(fv_wq, &tmf->work);
		return;
	}
	if (target_submit_tmr(&tmf->se_cmd, tpg->sess, tmf->sense, lun, tmf,
			      type, GFP_KERNEL, v64(vq, req->tag),
			      TARGET_SCF_ACK_KREF) < 0) {
		kfree(tmf);
		if (atomic_dec_and_test(&dev->tmf_inflight))
			wake_up(&dev->drain_wq);
		goto reject;
	}
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
		if (++done == FV_WEIGHT) {
			set_bit(FV_VQ_KICK, &vq->pending);
			break;
		}
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
		if (!fv_vq_push(vq, tmf->head, len))
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
 * The event queue carries nothing but the "events missed" notice for now:
 * sent once a buffer is there, then the flag is cleared.
 */
void fv_evt_handle(struct fv_vq *vq)
{
	struct virtio_scsi_event ev = {};
	unsigned int out, in;
	int head;

	mutex_lock(&vq->mutex);
	if (!vq->enabled || vq->broken || !vq->dev->events_missed)
		goto out;
	head = fv_vq_pop(vq, &out, &in);
	if (head < 0)
		goto out;
	if (head == vq->num) {
		if (fv_vq_enable_notify(vq))
			set_bit(FV_VQ_KICK, &vq->pending);
		goto out;
	}
	if (out) {
		fv_vq_err(vq, "event buffer %u is device-readable\n", head);
		fv_vq_push(vq, head, 0);
		goto notify;
	}
	ev.event = to_v32(vq, VIRTIO_SCSI_T_NO_EVENT |
			  VIRTIO_SCSI_T_EVENTS_MISSED);
	reply(vq, head, out, in, &ev, sizeof(ev));
	vq->dev->events_missed = 0;
notify:
	fv_vq_notify(vq);
out:
	mutex_unlock(&vq->mutex);
}
