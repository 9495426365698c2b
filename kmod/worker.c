// SPDX-License-Identifier: GPL-2.0
/*
 * Worker kthreads.  Each serves a fixed set of virtqueues for the life of
 * an endpoint: it runs in the owner's mm and cgroups, on the CPUs of its
 * NUMA node, and does all ring work for its queues (requests, control
 * messages and completions).  Other contexts only set a bit or push on an
 * llist and wake it.
 *
 * Workers are created at SET_ENDPOINT before the target is attached and
 * stopped at CLEAR_ENDPOINT, RESET_OWNER or close after it is detached and
 * every command has drained: while netlink sees the device as the
 * target's owner, the workers exist.  vq->worker is RCU-protected so that
 * a kick racing with the stop never wakes a freed task.
 */
#include <linux/cgroup.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <uapi/linux/sched/types.h>

#include "fastvhost.h"
#include "netlink.h"

void fv_vq_wake(struct fv_vq *vq)
{
	struct fv_worker *w;

	rcu_read_lock();
	w = rcu_dereference(vq->worker);
	if (w)
		wake_up_process(w->task);
	rcu_read_unlock();
}

/*
 * Queue a finished command for @vq's worker.  The RCU section covers the
 * llist_add() too: once the worker has consumed the entry the device may
 * be torn down, but not before fv_workers_stop()'s synchronize_rcu().
 */
void fv_vq_done(struct fv_vq *vq, struct llist_node *node)
{
	struct fv_worker *w;

	rcu_read_lock();
	llist_add(node, &vq->done);
	w = rcu_dereference(vq->worker);
	if (w)
		wake_up_process(w->task);
	rcu_read_unlock();
}

void fv_vq_kick(struct fv_vq *vq)
{
	set_bit(FV_VQ_KICK, &vq->pending);
	fv_vq_wake(vq);
}

bool fv_worker_has_work(struct fv_worker *w)
{
	unsigned int i;

	if (atomic_long_read(&w->flush_req) != w->flush_done)
		return true;
	for (i = 0; i < w->nvqs; i++) {
		struct fv_vq *vq = w->vqs[i];

		if ((READ_ONCE(vq->pending) &
		     (BIT(FV_VQ_KICK) | BIT(FV_VQ_BROKEN_NTF))) ||
		    !llist_empty(&vq->done))
			return true;
	}
	return false;
}

static void run_vq(struct fv_worker *w, struct fv_vq *vq)
{
	if (!llist_empty(&vq->done)) {
		if (vq->index == FV_CTL_VQ)
			fv_ctl_complete(vq);
		else
			fv_io_complete(vq);
	}
	if (test_and_clear_bit(FV_VQ_KICKED, &vq->pending))
		fv_stat_add(&vq->stats, FV_STAT_KICKS, 1);
	if (test_and_clear_bit(FV_VQ_KICK, &vq->pending)) {
		if (vq->index == FV_CTL_VQ)
			fv_ctl_handle(vq);
		else if (vq->index == FV_EVT_VQ)
			fv_evt_handle(vq);
		else
			fv_io_handle(vq, w->poll_window);
	}
	/* Outside vq->mutex: this allocates and may sleep. */
	if (test_and_clear_bit(FV_VQ_BROKEN_NTF, &vq->pending))
		fv_nl_notify_broken(w->dev->wwpn, w->dev->owner_pid,
				    vq->index);
}

static void run_once(struct fv_worker *w)
{
	long req = atomic_long_read(&w->flush_req);
	unsigned int i;

	/* Pairs with the full barrier of atomic_long_inc_return(). */
	smp_rmb();
	for (i = 0; i < w->nvqs; i++)
		run_vq(w, w->vqs[i]);
	if (req != w->flush_done) {
		/* Completions above are done before a flusher sees this. */
		smp_store_release(&w->flush_done, req);
		wake_up_all(&w->flush_wq);
	}
}

/*
 * Work while there is work.  When it runs out, poll the rings for up to
 * the adaptive window (poll.c), then turn the guest's kicks back on, look
 * once more and sleep.  The time from running out to the next work is
 * what the window adapts to.
 *
 * That time starts when a pass leaves no work, before the worker yields
 * the CPU: the tasks it has just woken (LIO's completion work, the guest
 * it answered) often run first on this CPU and queue the next work
 * before the worker looks again.  Waiting for them is block time too; if
 * it were not counted, such a worker would never see a block, and its
 * window would stay at zero.
 *
 * With polling off (poll_max_ns 0) nothing of this is timed: the clock
 * is not free under every hypervisor, and a sleeping driver would pay
 * for several reads a request.  The window is zero then, and adapts
 * afresh from zero once polling is turned back on.
 */
static int worker_fn(void *data)
{
	struct fv_worker *w = data;
	u64 idle = 0;			/* when work ran out; 0: busy */
	bool polled = false;		/* already, since work ran out */
	struct mem_cgroup *memcg, *old;

	kthread_use_mm(w->dev->mm);
	/*
	 * A kthread's allocations charge no memory cgroup, even in the VM's
	 * cgroups: name the VM's for what we allocate for it.
	 */
	memcg = get_mem_cgroup_from_mm(w->dev->mm);
	old = set_active_memcg(memcg);
	for (;;) {
		bool adapt = READ_ONCE(w->dev->place.poll_max_ns);

		if (!adapt) {
			idle = 0;
			if (w->poll_window)
				WRITE_ONCE(w->poll_window, 0);
		}
		if (fv_worker_has_work(w)) {
			if (idle)
				fv_poll_adjust(w, fv_clock_since(idle));
			run_once(w);
			idle = adapt && !fv_worker_has_work(w) ? fv_clock() : 0;
			polled = false;
			cond_resched();
			continue;
		}
		if (!idle && adapt)
			idle = fv_clock();
		if (!polled && adapt) {
			polled = true;
			if (fv_poll(w, fv_clock()))
				continue;
		}
		fv_poll_end(w);
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		if (!fv_worker_has_work(w))
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	set_active_memcg(old);
	mem_cgroup_put(memcg);
	kthread_unuse_mm(w->dev->mm);
	return 0;
}

static bool flushed(struct fv_worker *w, long seq)
{
	/* Acquire: pairs with the release in run_once(). */
	return (long)(smp_load_acquire(&w->flush_done) - seq) >= 0;
}

/* Wait until @w has processed every completion queued before the call. */
void fv_worker_flush(struct fv_worker *w)
{
	long seq = atomic_long_inc_return(&w->flush_req);

	wake_up_process(w->task);
	wait_event(w->flush_wq, flushed(w, seq));
}

void fv_workers_flush(struct fv_dev *dev)
{
	unsigned int i;

	for (i = 0; i < dev->nr_workers; i++)
		fv_worker_flush(dev->workers[i]);
}

/*
 * For tests only (selftests/placement.c): step N (an allocation or a
 * thread start) of the next worker relayouts fails as if memory ran out;
 * each step counts one down.  0: never.
 */
static unsigned int fail_relayout;
module_param(fail_relayout, uint, 0600);
MODULE_PARM_DESC(fail_relayout,
		 "For tests only: fail step N of the next worker relayout (0: off)");

static bool relayout_fails(bool relayout)
{
	unsigned int n;

	if (!relayout)
		return false;
	do {
		n = READ_ONCE(fail_relayout);
		if (!n)
			return false;
	} while (cmpxchg(&fail_relayout, n, n - 1) != n);
	return n == 1;
}

/*
 * Whether the workers serve @vq: it was set up at SET_ENDPOINT, and
 * fv_workers_start() gave it its buffers (vq->iov, the command pool).  No
 * other queue is served until the endpoint is set again: the ring ioctls
 * refuse to set one up while the endpoint is set (vq.c), and a relayout
 * places only these.  Read under dev->mutex.
 */
static bool served(const struct fv_vq *vq)
{
	return vq->iov;
}

/* Which worker of @nr serves queue @idx: the map of @l or the default. */
static unsigned int worker_of(const struct fv_layout *l, unsigned int idx,
			      unsigned int nr)
{
	if (l->map[idx] != FV_CFG_NO_WORKER)
		return l->map[idx] % nr;
	if (idx < FV_NR_FIXED_VQS)
		return 0;
	return (idx - FV_NR_FIXED_VQS) % nr;
}

/* How many workers @l asks for, for the queues served. */
static unsigned int nr_wanted(struct fv_dev *dev, const struct fv_layout *l)
{
	unsigned int i, nr, nio = 0;

	for (i = FV_NR_FIXED_VQS; i < FV_MAX_VQS; i++)
		if (served(dev->vqs[i]))
			nio++;
	nr = l->nr_workers ? l->nr_workers : max(nio, 1U);
	return min_t(unsigned int, nr, FASTVHOST_MAX_WORKERS);
}

static void destroy_workers(struct fv_worker **ws, unsigned int nr)
{
	unsigned int i;

	for (i = 0; ws && i < nr; i++) {
		struct fv_worker *w = ws[i];

		if (!w)
			continue;
		if (w->task)
			kthread_stop(w->task);
		kfree(w->vqs);
		kfree(w);
	}
	kfree(ws);
}

static void free_pools(struct fv_dev *dev)
{
	unsigned int i;

	for (i = 0; i < FV_MAX_VQS; i++)
		fv_io_pool_free(dev->vqs[i]);
}

/*
 * SCHED_BATCH: a woken worker does not preempt the task on its CPU, often
 * the kworker that woke it and has more of its completions to hand over
 * (submit.c); it runs when that one is done or its slice is.  An operator
 * who wants otherwise can change it with chrt(1).
 */
static void batch_policy(struct task_struct *t)
{
	struct sched_attr a = {
		.size = sizeof(a),
		.sched_policy = SCHED_BATCH,
		.sched_nice = task_nice(t),
	};

	if (sched_setattr_nocheck(t, &a))
		pr_warn_once("workers stay SCHED_NORMAL\n");
}

static int spawn(struct fv_dev *dev, struct fv_worker *w,
		 struct task_struct *cg)
{
	struct task_struct *t;
	int ret;

	t = kthread_create_on_node(worker_fn, w, w->node, "fv-%d-%u",
				   dev->owner_pid, w->id);
	if (IS_ERR(t))
		return PTR_ERR(t);
	ret = set_cpus_allowed_ptr(t, dev->place.cpus);
	if (ret)
		goto err_task;
	/* CPU time and memory are charged to the VM's cgroups. */
	ret = cgroup_attach_task_all(cg, t);
	if (ret)
		goto err_task;
	batch_policy(t);
	w->task = t;
	wake_up_process(t);
	return 0;

err_task:
	kthread_stop(t);
	return ret;
}

/*
 * @nr workers for the queues served, as @l maps them, their threads
 * running in the cgroups of @cg (the owner, or a worker already in the
 * VM's cgroups).  They serve no queue until the queues' worker pointers
 * are published.
 */
static struct fv_worker **build_workers(struct fv_dev *dev,
					const struct fv_layout *l,
					unsigned int nr,
					struct task_struct *cg, bool relayout)
{
	int node = dev->place.node;
	struct fv_worker **ws;
	unsigned int i;
	int ret = -ENOMEM;

	if (relayout_fails(relayout))
		return ERR_PTR(-ENOMEM);
	ws = kcalloc(nr, sizeof(*ws), GFP_KERNEL);
	if (!ws)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < nr; i++) {
		struct fv_worker *w;

		if (relayout_fails(relayout))
			goto err;
		w = kzalloc_node(sizeof(*w), GFP_KERNEL, node);
		if (!w)
			goto err;
		ws[i] = w;
		w->dev = dev;
		w->id = i;
		w->node = node;
		atomic_long_set(&w->flush_req, 0);
		init_waitqueue_head(&w->flush_wq);
		if (relayout_fails(relayout))
			goto err;
		w->vqs = kcalloc(FV_MAX_VQS, sizeof(*w->vqs), GFP_KERNEL);
		if (!w->vqs)
			goto err;
	}
	for (i = 0; i < FV_MAX_VQS; i++) {
		struct fv_worker *w = ws[worker_of(l, i, nr)];

		if (served(dev->vqs[i]))
			w->vqs[w->nvqs++] = dev->vqs[i];
	}
	for (i = 0; i < nr; i++) {
		ret = relayout_fails(relayout) ? -ENOMEM : spawn(dev, ws[i], cg);
		if (ret)
			goto err;
	}
	return ws;

err:
	destroy_workers(ws, nr);
	return ERR_PTR(ret);
}

/*
 * Kicks and completions may wake the workers from here on: each queue
 * served points at the worker dev->place.layout gave it, whose list holds
 * it (build_workers() with the same layout and count).
 */
static void publish(struct fv_dev *dev)
{
	const struct fv_layout *l = &dev->place.layout;
	unsigned int i, nr = dev->nr_workers;

	for (i = 0; i < FV_MAX_VQS; i++)
		if (served(dev->vqs[i]))
			rcu_assign_pointer(dev->vqs[i]->worker,
					   dev->workers[worker_of(l, i, nr)]);
}

/*
 * Nobody wakes the workers from here on.  The grace period is expedited:
 * it is waited for in a guest's stop (a migration's downtime) and, on a
 * relayout, under fv_fabric_mutex; a normal one takes milliseconds.
 */
static void unpublish(struct fv_dev *dev)
{
	unsigned int i;

	for (i = 0; i < FV_MAX_VQS; i++)
		RCU_INIT_POINTER(dev->vqs[i]->worker, NULL);
	synchronize_rcu_expedited();
}

/*
 * Start the workers for every queue that is set up, with the queues'
 * command pools on the workers' node.  The queues serve nothing until
 * fv_workers_enable().  Called at SET_ENDPOINT before the target is
 * attached, so that the workers exist whenever netlink can see the
 * device; on error nothing is left running.
 */
int fv_workers_start(struct fv_dev *dev)
{
	struct fv_worker **ws;
	unsigned int i, nr;
	int ret;

	lockdep_assert_held(&dev->mutex);

	for (i = 0; i < FV_MAX_VQS; i++) {
		struct fv_vq *vq = dev->vqs[i];

		if (!vq->num)
			continue;
		ret = fv_io_pool_alloc(vq, dev->place.node);
		if (ret)
			goto err;
		/* No worker runs yet: nobody writes or reads these. */
		fv_stats_init(&vq->stats);
		vq->notify_off = false;
	}
	dev->pool_node = dev->place.node;

	nr = nr_wanted(dev, &dev->place.layout);
	ws = build_workers(dev, &dev->place.layout, nr, current, false);
	if (IS_ERR(ws)) {
		ret = PTR_ERR(ws);
		goto err;
	}
	dev->workers = ws;
	dev->nr_workers = nr;
	publish(dev);
	return 0;

err:
	free_pools(dev);
	return ret;
}

static void enable_queues(struct fv_dev *dev)
{
	unsigned int i;

	for (i = 0; i < FV_MAX_VQS; i++) {
		struct fv_vq *vq = dev->vqs[i];

		if (!served(vq))
			continue;
		mutex_lock(&vq->mutex);
		vq->signalled_valid = false;
		vq->pool_wait = false;
		vq->enabled = true;
		/* Serve whatever the guest queued meanwhile. */
		set_bit(FV_VQ_KICK, &vq->pending);
		mutex_unlock(&vq->mutex);
		fv_vq_wake(vq);
	}
}

/* Serve the queues: the target is attached. */
int fv_workers_enable(struct fv_dev *dev)
{
	unsigned int i;
	__virtio16 used;

	lockdep_assert_held(&dev->mutex);
	for (i = 0; i < FV_MAX_VQS; i++) {
		struct fv_vq *vq = dev->vqs[i];

		if (!served(vq))
			continue;
		mutex_lock(&vq->mutex);
		if (get_user(used, &vq->used->idx)) {
			mutex_unlock(&vq->mutex);
			return -EFAULT;
		}
		vq->last_used = v16(vq, used);
		mutex_unlock(&vq->mutex);
	}
	enable_queues(dev);
	return 0;
}

static bool drained(struct fv_dev *dev)
{
	unsigned int i;

	if (atomic_read(&dev->tmf_inflight))
		return false;
	for (i = 0; i < FV_MAX_VQS; i++)
		if (atomic_read(&dev->vqs[i]->inflight))
			return false;
	return true;
}

/* What a drain that takes long still waits for. */
static void drain_report(struct fv_dev *dev)
{
	unsigned int i;

	pr_err("device of pid %d: still waiting for %d TMF(s) to finish\n",
	       dev->owner_pid, atomic_read(&dev->tmf_inflight));
	for (i = 0; i < FV_MAX_VQS; i++)
		if (atomic_read(&dev->vqs[i]->inflight))
			pr_err("device of pid %d: queue %u: %d command(s) in flight, %s completions\n",
			       dev->owner_pid, i,
			       atomic_read(&dev->vqs[i]->inflight),
			       llist_empty(&dev->vqs[i]->done) ? "no" : "unprocessed");
}

/*
 * Stop serving requests and let every command in flight complete through
 * its worker.  LIO completes or aborts every command it was given, so the
 * wait ends.  The workers keep running.
 */
void fv_workers_drain(struct fv_dev *dev)
{
	unsigned int i;

	lockdep_assert_held(&dev->mutex);

	for (i = 0; i < FV_MAX_VQS; i++) {
		struct fv_vq *vq = dev->vqs[i];

		mutex_lock(&vq->mutex);
		vq->enabled = false;
		mutex_unlock(&vq->mutex);
	}

	while (!wait_event_timeout(dev->drain_wq, drained(dev), 30 * HZ))
		drain_report(dev);
}

/* Drain, then stop the workers and free the pools. */
void fv_workers_stop(struct fv_dev *dev)
{
	unsigned int i;

	fv_workers_drain(dev);
	unpublish(dev);
	destroy_workers(dev->workers, dev->nr_workers);
	dev->workers = NULL;
	dev->nr_workers = 0;
	free_pools(dev);
	for (i = 0; i < FV_MAX_VQS; i++)
		clear_bit(FV_VQ_KICK, &dev->vqs[i]->pending);
}

/* Do @nr workers laid out as @l differ from the running ones? */
static bool layout_changed(struct fv_dev *dev, const struct fv_layout *l,
			   unsigned int nr)
{
	unsigned int i;

	if (nr != dev->nr_workers || dev->pool_node != dev->place.node)
		return true;
	for (i = 0; i < FV_MAX_VQS; i++) {
		struct fv_worker *w;

		if (!served(dev->vqs[i]))
			continue;
		w = rcu_dereference_protected(dev->vqs[i]->worker,
					      lockdep_is_held(&dev->mutex));
		if (!w || w->id != worker_of(l, i, nr))
			return true;
	}
	return false;
}

/* Command pools to @node; where that fails, they stay (and say so). */
static void move_pools(struct fv_dev *dev, int node)
{
	unsigned int i;
	int ret;

	for (i = 0; i < FV_MAX_VQS; i++) {
		struct fv_vq *vq = dev->vqs[i];

		if (!served(vq))
			continue;
		/* Drained and disabled: a worker that looks finds nothing. */
		mutex_lock(&vq->mutex);
		ret = fv_io_pool_move(vq, node);
		mutex_unlock(&vq->mutex);
		if (ret) {
			pr_warn_ratelimited("device of pid %d: queue %u keeps its memory on node %d\n",
					    dev->owner_pid, i, dev->pool_node);
			return;
		}
	}
	dev->pool_node = node;
}

/*
 * A running device takes the worker count and queue map of @l and the
 * node of dev->place: the queues pause while the commands in flight
 * complete, new workers take over and the queues resume where they were,
 * with nothing lost and the statistics kept.  Only the queues served
 * since SET_ENDPOINT are placed.  On failure nothing has changed: the old
 * workers, their queue lists, dev->place.layout and the pools are as they
 * were, and the old workers resume.
 */
int fv_workers_restart(struct fv_dev *dev, const struct fv_layout *l)
{
	unsigned int i, nr = nr_wanted(dev, l), old_nr = dev->nr_workers;
	struct fv_worker **ws, **old = dev->workers;
	int ret = 0;

	lockdep_assert_held(&dev->mutex);
	if (!dev->running || !layout_changed(dev, l, nr))
		return 0;

	fv_workers_drain(dev);
	/* Netlink reads vq->worker and dev->workers under fv_fabric_mutex. */
	mutex_lock(&fv_fabric_mutex);
	unpublish(dev);
	mutex_unlock(&fv_fabric_mutex);
	/* The old workers are in the VM's cgroups: the new ones join them. */
	ws = build_workers(dev, l, nr, old[0]->task, true);
	if (IS_ERR(ws)) {
		ret = PTR_ERR(ws);
		/* The old workers with the old layout: as they were. */
		mutex_lock(&fv_fabric_mutex);
		publish(dev);
		mutex_unlock(&fv_fabric_mutex);
		goto resume;
	}

	mutex_lock(&fv_fabric_mutex);
	dev->workers = ws;
	dev->nr_workers = nr;
	dev->place.layout = *l;
	/* CPUs set while the new workers started. */
	for (i = 0; i < nr; i++)
		set_cpus_allowed_ptr(ws[i]->task, dev->place.cpus);
	publish(dev);
	mutex_unlock(&fv_fabric_mutex);
	destroy_workers(old, old_nr);
	if (dev->pool_node != dev->place.node)
		move_pools(dev, dev->place.node);
resume:
	enable_queues(dev);
	return ret;
}
