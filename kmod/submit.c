// SPDX-License-Identifier: GPL-2.0
/*
 * Commands to LIO: from the worker, or from the device's own submission
 * workqueue on the worker's node (a bounded number at a time, so one
 * guest cannot hold up another's).
 */
#include <linux/cpumask.h>
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
 * Submit from the device's submission workqueue rather than from the
 * worker.  Always for a backstore that blocks.  Otherwise when the queue
 * is deep and the device has fewer workers than the CPUs its worker may
 * run on: a backstore such as rd_mcp copies the data in the submitting
 * thread, and from the worker that copy holds up every other request of
 * its queues while a CPU stays idle.  At shallow depth the hop would only
 * add a wake-up to each request, and with a worker on every CPU there is
 * no idle CPU to hand it to.
 */
#define FV_HANDOFF_DEPTH	4

static bool submit_elsewhere(struct fv_vq *vq, struct se_cmd *se_cmd)
{
	return submit_blocks(se_cmd) ||
	       (atomic_read(&vq->inflight) > FV_HANDOFF_DEPTH &&
		READ_ONCE(vq->dev->nr_workers) <
			cpumask_weight(current->cpus_ptr));
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

/* Hand a prepared command to LIO, from the worker or off it. */
void fv_submit(struct fv_vq *vq, struct fv_cmd *cmd)
{
	if (submit_elsewhere(vq, &cmd->se_cmd)) {
		INIT_WORK(&cmd->submit, submit_work);
		queue_work_node(READ_ONCE(vq->node), vq->dev->submit_wq,
				&cmd->submit);
	} else {
		submit(cmd);
	}
}
