// SPDX-License-Identifier: GPL-2.0
/*
 * Commands to LIO: from the worker, or from the device's own workqueues
 * (unbound on the worker's node, or bound to a CPU; a bounded number at a
 * time, so one guest cannot hold up another's).
 */
#include <linux/cpumask.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/topology.h>
#include <linux/workqueue.h>
#include <target/target_core_backend.h>
#include <target/target_core_fabric.h>

#include "compat.h"
#include "fastvhost.h"

static bool submit_blocks(struct se_cmd *se_cmd)
{
	const struct se_device *dev = se_cmd->se_dev;

	/* fileio reads and writes the file in the submitting thread. */
	return dev && !strcmp(dev->transport->name, "fileio");
}

/*
 * Where a prepared command goes to LIO.  A backstore that blocks (fileio)
 * never runs in the worker: its commands go to the queue's file list (see
 * file_hand()), or, with no other CPU on the worker's node, to the
 * device's unbound submission workqueue, a work item per command.
 *
 * Others are submitted by the worker itself, unless its queue is deep:
 *
 * - With fewer workers than the CPUs a worker may run on, a backstore such
 *   as rd_mcp would copy the data in the worker and hold up every request
 *   of its queues while a CPU idles: the command goes to the submission
 *   workqueue, where an idle CPU takes it.
 * - With a worker on every CPU there is no idle CPU.  LIO queues a
 *   command's completion on the CPU that submitted it; from the worker,
 *   each completion wakes a kworker there that often preempts the worker.
 *   The queue's commands go instead to a list that one work item on the
 *   worker's CPU drains: submissions and completions then run in one
 *   kworker, a batch at a time, while the worker (SCHED_BATCH, worker.c)
 *   does not preempt it to take each completion.
 *
 * At shallow depth every hop would only add a wake-up to each request.
 */
#define FV_HANDOFF_DEPTH	4

enum fv_where { FV_INLINE, FV_FILE, FV_ELSEWHERE, FV_HERE };

static enum fv_where submit_where(struct fv_vq *vq, struct se_cmd *se_cmd)
{
	if (submit_blocks(se_cmd))
		return FV_FILE;
	if (atomic_read(&vq->inflight) <= FV_HANDOFF_DEPTH)
		return FV_INLINE;
	if (READ_ONCE(vq->dev->nr_workers) < cpumask_weight(current->cpus_ptr))
		return FV_ELSEWHERE;
	return FV_HERE;
}

/*
 * For tests only (selftests/scsi_cmds.c): the next N submissions to LIO
 * fail as target_submit() can since 6.10.  0: never.
 */
static unsigned int fail_submit;
module_param(fail_submit, uint, 0600);
MODULE_PARM_DESC(fail_submit,
		 "For tests only: fail the next N submissions to LIO (0: off)");

static bool submit_fails(void)
{
	unsigned int n;

	do {
		n = READ_ONCE(fail_submit);
		if (!n)
			return false;
	} while (cmpxchg(&fail_submit, n, n - 1) != n);
	return true;
}

/*
 * A command LIO refuses after a good prep ends as one that failed there:
 * LIO queues its CHECK CONDITION and we release it as any other.
 */
static void submit(struct fv_cmd *cmd)
{
	int ret = submit_fails() ? -EINVAL : fv_target_submit(&cmd->se_cmd);

	if (ret) {
		pr_warn_ratelimited("LIO refused a command: %d\n", ret);
		transport_generic_request_failure(&cmd->se_cmd,
						  TCM_LOGICAL_UNIT_COMMUNICATION_FAILURE);
	}
}

static void submit_work(struct work_struct *work)
{
	submit(container_of(work, struct fv_cmd, submit));
}

/*
 * The queue's list, in the order the worker took the commands.  A command
 * may complete (and go on vq->done) once submitted: its next is read first.
 */
static void submit_batch(struct work_struct *work)
{
	struct fv_vq *vq = container_of(work, struct fv_vq, submit_work);
	struct llist_node *list = llist_del_all(&vq->handed);
	struct fv_cmd *cmd, *t;

	llist_for_each_entry_safe(cmd, t, llist_reverse_order(list), node)
		submit(cmd);
}

/*
 * fileio's commands: the queue's file list, drained by work items on the
 * device's bound workqueue on another CPU of the worker's node.
 *
 * - LIO queues a command's completion on the CPU that set it up, the
 *   worker's: a drainer there would be preempted by each completion.
 * - One drainer runs a CPU at a time: a bound workqueue starts a pending
 *   work item only while the running one sleeps.  A drainer that takes a
 *   command with more behind it queues the next drainer, so up to
 *   FV_FILE_DRAINERS commands of a queue may wait on the file, while the
 *   page cache is served by one thread, which no other one of the queue
 *   contends with for the file's lock.
 * - A drainer submits FV_FILE_BATCH commands a run at most, then queues
 *   itself again behind the CPU's other work items.
 *
 * vq->file_pending[epoch] counts the commands listed and not yet with LIO,
 * for a TMF's fence (fv_submit_handed()).
 */
#define FV_FILE_BATCH	32

static struct fv_cmd *file_take(struct fv_vq *vq, bool *more)
{
	struct fv_cmd *cmd;

	spin_lock(&vq->file_lock);
	cmd = list_first_entry_or_null(&vq->file_cmds, struct fv_cmd, file);
	if (cmd)
		list_del(&cmd->file);
	*more = !list_empty(&vq->file_cmds);
	spin_unlock(&vq->file_lock);
	return cmd;
}

static void file_drain(struct work_struct *work)
{
	struct fv_drainer *d = container_of(work, struct fv_drainer, work);
	struct fv_vq *vq = d->vq;
	struct workqueue_struct *wq = vq->dev->local_wq;
	unsigned int n, epoch;
	struct fv_cmd *cmd;
	bool more = false;

	for (n = 0; n < FV_FILE_BATCH; n++) {
		cmd = file_take(vq, &more);
		if (!cmd)
			return;
		if (more && d->i + 1 < FV_FILE_DRAINERS)
			queue_work(wq, &vq->drainers[d->i + 1].work);
		/* Once submitted, the command may be gone. */
		epoch = cmd->epoch;
		submit(cmd);
		if (atomic_dec_and_test(&vq->file_pending[epoch]))
			wake_up(&vq->dev->drain_wq);
	}
	if (more)
		queue_work(wq, work);
}

/* The CPU after this one on the worker's node; nr_cpu_ids: none. */
static unsigned int file_cpu(struct fv_vq *vq)
{
	int node = READ_ONCE(vq->node);
	const struct cpumask *mask = node == NUMA_NO_NODE ?
		cpu_online_mask : cpumask_of_node(node);
	unsigned int self = raw_smp_processor_id();
	unsigned int cpu;

	cpu = cpumask_next_and(self, mask, cpu_online_mask);
	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first_and(mask, cpu_online_mask);
	return cpu == self ? nr_cpu_ids : cpu;
}

static bool file_hand(struct fv_vq *vq, struct fv_cmd *cmd)
{
	unsigned int cpu = file_cpu(vq);
	bool first;

	if (cpu >= nr_cpu_ids)
		return false;
	atomic_inc(&vq->file_pending[cmd->epoch]);
	spin_lock(&vq->file_lock);
	first = list_empty(&vq->file_cmds);
	list_add_tail(&cmd->file, &vq->file_cmds);
	spin_unlock(&vq->file_lock);
	/* Otherwise a drainer has yet to find the list empty. */
	if (first)
		queue_work_on(cpu, vq->dev->local_wq, &vq->drainers[0].work);
	return true;
}

/* Whether LIO has every command of @epoch that went on the file list. */
bool fv_submit_handed(struct fv_vq *vq, unsigned int epoch)
{
	return !atomic_read(&vq->file_pending[epoch]);
}

void fv_submit_init(struct fv_vq *vq)
{
	unsigned int i;

	init_llist_head(&vq->handed);
	INIT_WORK(&vq->submit_work, submit_batch);
	spin_lock_init(&vq->file_lock);
	INIT_LIST_HEAD(&vq->file_cmds);
	atomic_set(&vq->file_pending[0], 0);
	atomic_set(&vq->file_pending[1], 0);
	for (i = 0; i < FV_FILE_DRAINERS; i++) {
		INIT_WORK(&vq->drainers[i].work, file_drain);
		vq->drainers[i].vq = vq;
		vq->drainers[i].i = i;
	}
}

/* Hand a prepared command to LIO. */
void fv_submit(struct fv_vq *vq, struct fv_cmd *cmd)
{
	switch (submit_where(vq, &cmd->se_cmd)) {
	case FV_FILE:
		if (file_hand(vq, cmd))
			break;
		fallthrough;
	case FV_ELSEWHERE:
		INIT_WORK(&cmd->submit, submit_work);
		queue_work_node(READ_ONCE(vq->node), vq->dev->submit_wq,
				&cmd->submit);
		break;
	case FV_HERE:
		/* The first on the list queues the work: on this CPU. */
		if (llist_add(&cmd->node, &vq->handed))
			queue_work(vq->dev->local_wq, &vq->submit_work);
		break;
	default:
		submit(cmd);
	}
}
