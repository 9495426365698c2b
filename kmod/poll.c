// SPDX-License-Identifier: GPL-2.0
/*
 * Adaptive polling of the request queues, after QEMU's IOThread
 * (poll-max-ns, poll-grow, poll-shrink).
 *
 * When a worker runs out of work, the request queues whose rings ran
 * empty keep the guest's kicks off (vq->notify_off, set by
 * fv_io_handle()) and the worker watches their avail index for up to its
 * current window.  It stops at once when it finds requests, when other
 * work arrives (completions, kicks of its other queues, a flush), or when
 * it is told to stop.  When another task wants the CPU it steps aside at
 * once (yield()) and goes on polling when it runs again, within the same
 * window: LIO completes a command in a kworker on the CPU that submitted
 * it, so the worker's own completions, and the driver on a shared CPU,
 * come through exactly that way.  Before it sleeps it turns kicks back on
 * and looks at the rings once more, so no request is left behind
 * (fv_poll_end()).
 *
 * The window follows the time from running out of work to the next work
 * ("block time"): it starts at FV_POLL_START_NS once a block was shorter
 * than poll_max_ns, grows by poll_grow while blocks stay below
 * poll_max_ns and the window has not caught them, and shrinks by
 * poll_shrink (or to zero) after a block longer than poll_max_ns.
 * poll_max_ns 0 is pure notification mode.  An idle worker thus polls
 * once, for at most poll_max_ns, and then sleeps.
 *
 * Counters go to every queue that was polled: with several request
 * queues on one worker, each counts the whole poll.
 */
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>

#include "fastvhost.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static bool poll_queues(struct fv_worker *w)
{
	bool found = false;
	unsigned int i;

	for (i = 0; i < w->nvqs; i++) {
		struct fv_vq *vq = w->vqs[i];
		bool avail;

		if (!vq->notify_off)
			continue;
		mutex_lock(&vq->mutex);
		avail = fv_vq_avail_pending(vq);
		mutex_unlock(&vq->mutex);
		if (avail) {
			set_bit(FV_VQ_KICK, &vq->pending);
			found = true;
		}
	}
	return found;
}

static void poll_account(struct fv_worker *w, u64 ns, bool found)
{
	unsigned int i;

	for (i = 0; i < w->nvqs; i++) {
		struct fv_vq *vq = w->vqs[i];

		if (!vq->notify_off)
			continue;
		fv_stat_add(&vq->stats, FV_STAT_POLL_NS, ns);
		fv_stat_add(&vq->stats,
			    found ? FV_STAT_POLL_HITS : FV_STAT_POLL_MISSES, 1);
	}
}

/*
 * Poll the rings left with kicks off, from @start (ns) for up to the
 * worker's window.  True when there is work to do.
 */
bool fv_poll(struct fv_worker *w, u64 start)
{
	u64 now, spun = 0, from = start, end = start + w->poll_window;
	bool found = false, any = false;
	unsigned int i;

	if (!w->poll_window || !READ_ONCE(w->dev->place.poll_max_ns))
		return false;
	for (i = 0; i < w->nvqs; i++)
		any |= w->vqs[i]->notify_off;
	if (!any)
		return false;

	for (;;) {
		if (kthread_should_stop() || signal_pending(current))
			break;
		if (fv_worker_has_work(w) || poll_queues(w)) {
			found = true;
			break;
		}
		now = fv_clock();
		if (now >= end)
			break;
		if (need_resched() || !single_task_running()) {
			/* Its turn first; the window goes on meanwhile. */
			spun += fv_clock_delta(from, now);
			yield();
			from = fv_clock();
			continue;
		}
		cpu_relax();
	}
	poll_account(w, spun + fv_clock_since(from), found);
	return found;
}

/* Kicks back on for the polled queues, and one more look at their rings. */
void fv_poll_end(struct fv_worker *w)
{
	unsigned int i;

	for (i = 0; i < w->nvqs; i++) {
		struct fv_vq *vq = w->vqs[i];

		if (!vq->notify_off)
			continue;
		mutex_lock(&vq->mutex);
		vq->notify_off = false;
		if (vq->enabled && fv_vq_enable_notify(vq))
			set_bit(FV_VQ_KICK, &vq->pending);
		mutex_unlock(&vq->mutex);
	}
}

/* Adapt the window to a block time of @block_ns. */
void fv_poll_adjust(struct fv_worker *w, u64 block_ns)
{
	const struct fv_placement *p = &w->dev->place;
	u32 max = READ_ONCE(p->poll_max_ns);
	u32 grow = READ_ONCE(p->poll_grow);
	u32 shrink = READ_ONCE(p->poll_shrink);
	u64 old = w->poll_window, win = old;

	if (!max) {
		win = 0;
	} else if (!win || block_ns > win) {
		/* Polling did not catch it (when it did, the window is right). */
		if (block_ns > max)
			win = shrink ? div_u64(win, shrink) : 0;
		else if (win < max)
			win = win ? win * (grow ?: 2) : FV_POLL_START_NS;
	}
	win = min_t(u64, win, max);
	WRITE_ONCE(w->poll_window, win);
	trace_fv_poll_adjust(block_ns, old, win, max, grow, shrink);
}
