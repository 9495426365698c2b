// SPDX-License-Identifier: GPL-2.0
/*
 * Commands to LIO: from the worker, or from the device's own workqueues
 * (unbound on the worker's node, or bound to a CPU; a bounded number at a
 * time, so one guest cannot hold up another's).
 */
#include <linux/cpumask.h>
#include <linux/llist.h>
#include <linux/sched.h>
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
 * is always submitted from a work item per command, so one slow read holds
 * up no other.  They go to the device's bound workqueue, whose pool on a
 * CPU runs one item at a time and starts the next only while one sleeps
 * on the file: with a CPU to spare, on a CPU other than the worker's;
 * else on the worker's own, where LIO's completions of them run too.
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

enum fv_where { FV_INLINE, FV_ELSEWHERE, FV_HERE, FV_FILE };

/* Fewer workers than the CPUs a worker may run on: some CPU is spare. */
static bool cpu_spare(struct fv_vq *vq)
{
	return READ_ONCE(vq->dev->nr_workers) < cpumask_weight(current->cpus_ptr);
}

static enum fv_where submit_where(struct fv_vq *vq, struct se_cmd *se_cmd)
{
	if (submit_blocks(se_cmd))
		return FV_FILE;
	if (atomic_read(&vq->inflight) <= FV_HANDOFF_DEPTH)
		return FV_INLINE;
	if (cpu_spare(vq))
		return FV_ELSEWHERE;
	return FV_HERE;
}

/*
 * fileio's CPU: with one to spare, the next after this one that the worker
 * may run on; else (WORK_CPU_UNBOUND on a bound workqueue) this one.
 */
static unsigned int file_cpu(struct fv_vq *vq)
{
	const struct cpumask *mask = current->cpus_ptr;
	unsigned int self = raw_smp_processor_id();
	unsigned int cpu;

	if (!cpu_spare(vq))
		return WORK_CPU_UNBOUND;
	cpu = cpumask_next_and(self, mask, cpu_online_mask);
	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first_and(mask, cpu_online_mask);
	return cpu < nr_cpu_ids && cpu != self ? cpu : WORK_CPU_UNBOUND;
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

void fv_submit_init(struct fv_vq *vq)
{
	init_llist_head(&vq->handed);
	INIT_WORK(&vq->submit_work, submit_batch);
}

/* Hand a prepared command to LIO. */
void fv_submit(struct fv_vq *vq, struct fv_cmd *cmd)
{
	switch (submit_where(vq, &cmd->se_cmd)) {
	case FV_FILE:
		INIT_WORK(&cmd->submit, submit_work);
		queue_work_on(file_cpu(vq), vq->dev->local_wq, &cmd->submit);
		break;
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
