// SPDX-License-Identifier: GPL-2.0
/*
 * Placement of a device's workers from its target's settings (struct
 * fv_target_cfg, kept with the target port under fv_fabric_mutex).
 *
 * SET_ENDPOINT reads them before it starts the workers: the node (chosen
 * from the storage when node_auto), the CPUs, the number of workers, the
 * queue map (with neither set, the VMM's grouping if it made workers:
 * vmmworker.c) and the polling parameters.  While the device is attached,
 * netlink applies changes live (the lock order is dev->mutex ->
 * fv_fabric_mutex):
 *
 *  - under fv_fabric_mutex, without dev->mutex: polling parameters are
 *    published to the workers and node and CPUs re-pin the worker
 *    threads at once (the workers exist while the device is the
 *    target's owner, worker.c);
 *  - then, with the mutex dropped and a reference on the device, a new
 *    worker count, queue map or node rebuilds the workers (and moves the
 *    command pools to the node) under dev->mutex: fv_workers_restart(),
 *    with the count and map fv_place_layout() reads.  dev->place.layout
 *    changes only when new workers take over; on failure the old workers
 *    and their layout stay as they were.
 *
 * dev->place is written under fv_fabric_mutex.
 */
#include <linux/cpumask.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/topology.h>

#include "fastvhost.h"
#include "numa.h"

/* The workers' CPUs: the list within the node, else what is there. */
static void place_cpus(struct cpumask *mask, const char *list, int node)
{
	if (!list[0] || cpulist_parse(list, mask))
		cpumask_copy(mask, cpu_possible_mask);
	if (node != NUMA_NO_NODE &&
	    cpumask_intersects(mask, cpumask_of_node(node)))
		cpumask_and(mask, mask, cpumask_of_node(node));
	if (!cpumask_intersects(mask, cpu_online_mask))
		cpumask_copy(mask, cpu_possible_mask);
}

static void place_poll(struct fv_placement *p, const struct fv_target_cfg *cfg)
{
	WRITE_ONCE(p->poll_max_ns, cfg->poll_max_ns);
	WRITE_ONCE(p->poll_grow, cfg->poll_grow);
	WRITE_ONCE(p->poll_shrink, cfg->poll_shrink);
}

static unsigned int cfg_workers(const struct fv_target_cfg *cfg)
{
	return min_t(unsigned int, cfg->workers, FASTVHOST_MAX_WORKERS);
}

/*
 * Read the settings of target @wwpn for the next start of the workers.
 * Called at SET_ENDPOINT with dev->mutex held and no worker running.
 */
int fv_place_load(struct fv_dev *dev, const char *wwpn)
{
	struct fv_placement *p = &dev->place;
	struct fv_target_cfg *cfg;
	struct fv_node_choice *nc;
	struct fv_tport *tport;
	int ret = 0;

	lockdep_assert_held(&dev->mutex);
	cfg = kmalloc(sizeof(*cfg), GFP_KERNEL);
	nc = kmalloc(sizeof(*nc), GFP_KERNEL);
	if (!cfg || !nc) {
		ret = -ENOMEM;
		goto out;
	}

	/* Netlink writes dev->place under the same mutex. */
	mutex_lock(&fv_fabric_mutex);
	tport = fv_tport_find(wwpn);
	if (!tport) {
		mutex_unlock(&fv_fabric_mutex);
		ret = -ENOENT;
		goto out;
	}
	*cfg = tport->cfg;
	fv_target_node(tport, nc);
	p->node = nc->node;
	if (p->node != NUMA_NO_NODE && !node_online(p->node))
		p->node = NUMA_NO_NODE;
	place_cpus(p->cpus, cfg->cpus, p->node);
	p->layout.nr_workers = cfg_workers(cfg);
	static_assert(sizeof(p->layout.map) == sizeof(cfg->map));
	memcpy(p->layout.map, cfg->map, sizeof(p->layout.map));
	fv_vmm_workers_layout(dev, &p->layout);
	place_poll(p, cfg);
	mutex_unlock(&fv_fabric_mutex);
out:
	kfree(nc);
	kfree(cfg);
	return ret;
}

/*
 * The worker count and queue map target @dev->wwpn asks for, into @l for
 * fv_workers_restart(); dev->place keeps describing the running workers
 * until new ones replace them.  dev->mutex held, the device running.
 */
int fv_place_layout(struct fv_dev *dev, struct fv_layout *l)
{
	struct fv_tport *tport;
	int ret = 0;

	lockdep_assert_held(&dev->mutex);
	mutex_lock(&fv_fabric_mutex);
	tport = fv_tport_find(dev->wwpn);
	if (tport) {
		l->nr_workers = cfg_workers(&tport->cfg);
		memcpy(l->map, tport->cfg.map, sizeof(l->map));
		fv_vmm_workers_layout(dev, l);
	} else {
		ret = -ENOENT;
	}
	mutex_unlock(&fv_fabric_mutex);
	return ret;
}

/*
 * Apply @cfg, with its node resolved to @node, to the running workers of
 * an attached device.  fv_fabric_mutex held.
 */
int fv_place_apply(struct fv_dev *dev, const struct fv_target_cfg *cfg,
		   int node, struct netlink_ext_ack *extack)
{
	struct fv_placement *p = &dev->place;
	cpumask_var_t mask;
	unsigned int i, j;
	int ret;

	lockdep_assert_held(&fv_fabric_mutex);
	if (node != NUMA_NO_NODE && !node_online(node)) {
		NL_SET_ERR_MSG(extack, "the workers' node is not online");
		return -EINVAL;
	}
	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	place_cpus(mask, cfg->cpus, node);

	for (i = 0; i < dev->nr_workers; i++) {
		ret = set_cpus_allowed_ptr(dev->workers[i]->task, mask);
		if (ret) {
			NL_SET_ERR_MSG(extack, "cannot move the workers to these CPUs");
			/* Back where they were: all or nothing. */
			for (j = 0; j < i; j++)
				set_cpus_allowed_ptr(dev->workers[j]->task,
						     p->cpus);
			free_cpumask_var(mask);
			return ret;
		}
	}
	cpumask_copy(p->cpus, mask);
	free_cpumask_var(mask);

	WRITE_ONCE(p->node, node);
	for (i = 0; i < dev->nr_workers; i++)
		WRITE_ONCE(dev->workers[i]->node, node);
	for (i = 0; i < FV_MAX_VQS; i++)
		if (rcu_access_pointer(dev->vqs[i]->worker))
			WRITE_ONCE(dev->vqs[i]->node, node);
	place_poll(p, cfg);
	return 0;
}

/*
 * Right after SET_ENDPOINT attached the device: settings that changed
 * since fv_place_load() found no owner to apply to; apply them now.
 */
void fv_place_refresh(struct fv_dev *dev)
{
	struct fv_node_choice *nc;
	struct fv_tport *tport;

	nc = kmalloc(sizeof(*nc), GFP_KERNEL);
	if (!nc)
		return;
	mutex_lock(&fv_fabric_mutex);
	tport = fv_tport_find(dev->wwpn);
	if (tport && tport->owner == dev) {
		fv_target_node(tport, nc);
		fv_place_apply(dev, &tport->cfg, nc->node, NULL);
	}
	mutex_unlock(&fv_fabric_mutex);
	kfree(nc);
}
