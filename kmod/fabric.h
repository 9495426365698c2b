/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The LIO side of fastvhost: target ports (WWNs), portal groups and the
 * I_T nexus, and how a vhost device attaches to them.
 */
#ifndef _FV_FABRIC_H
#define _FV_FABRIC_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/xarray.h>
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>
#include <linux/fastvhost.h>

#define FV_NAMELEN	256	/* matches stock vhost and struct vhost_scsi_target */
#define FV_FABRIC_NAME	"fastvhost"
#define FV_FABRIC_VHOST	"vhost"	/* the stock module's, in drop-in mode */
#define FV_MAX_TPGT	256	/* tpgt_N with N < 256, as lun[1] addresses it */
#define FV_MAX_DATA_SG	2048	/* scatterlist entries LIO may hand one command */
/* T10 PI: 8 bytes for each block of 512 bytes or more of that data */
#define FV_MAX_PROT_PAGES	(FV_MAX_DATA_SG / 64)

#define FV_CFG_MAX_VQS	FASTVHOST_MAX_QUEUES	/* control, event, request queues */
#define FV_CFG_NO_WORKER	0xff	/* in map[]: the default spread */
/* Workers are numbered below FASTVHOST_MAX_WORKERS; queues may share one. */
static_assert(FASTVHOST_MAX_WORKERS <= FV_CFG_NO_WORKER);
#define FV_POLL_MAX_NS_DEFAULT	32000	/* as QEMU's IOThread poll-max-ns */

/*
 * Placement and polling of a target, set over netlink and kept with the
 * target port so that it outlives the guests attached to it.
 */
struct fv_target_cfg {
	int node;			/* NUMA_NO_NODE: any */
	bool node_auto;			/* resolve the node from the LUNs' storage */
	char cpus[FASTVHOST_CPUS_LEN];	/* CPU list as given; "" for all */
	u32 workers;			/* 0: one per request queue */
	u8 map[FV_CFG_MAX_VQS];		/* queue -> worker, or FV_CFG_NO_WORKER */
	u32 poll_max_ns;
	u32 poll_grow;
	u32 poll_shrink;
};

struct fv_tport {
	u8 proto_id;			/* SCSI_PROTOCOL_SAS, _FCP or _ISCSI */
	char name[FV_NAMELEN];		/* "naa.6001405...", as written in configfs */
	const char *fabric;		/* FV_FABRIC_NAME, or FV_FABRIC_VHOST (dropin.c) */
	struct se_wwn se_wwn;

	/* Under fv_fabric_mutex. */
	struct list_head node;		/* on fv_tport_list */
	struct fv_target_cfg cfg;
	void *owner;			/* the attached device, NULL if none */
	pid_t owner_pid;
};

struct fv_tpg {
	struct se_portal_group se_tpg;
	struct fv_tport *tport;
	u16 tag;
	struct kref ref;		/* configfs's, and an attach's in flight */

	/* Protects everything below. */
	struct mutex lock;
	struct se_session *sess;	/* the I_T nexus; NULL until "nexus" is written */
	char nexus_name[FV_NAMELEN];
	void *owner;			/* attached vhost device, NULL when free */
	unsigned int nr_luns;

	/*
	 * unpacked_lun -> NUMA node of its storage + 1 (xa_mk_value), found
	 * when the LUN was linked (numa.c); the xarray's own lock.
	 */
	struct xarray lun_node;

	struct list_head node;		/* on fv_tpg_list, under fv_fabric_mutex */
};

static inline struct fv_tpg *to_fv_tpg(struct se_portal_group *se_tpg)
{
	return container_of(se_tpg, struct fv_tpg, se_tpg);
}

/*
 * fv_fabric_mutex is the configuration lock: configfs callbacks, netlink and
 * attach/detach take it; the data path never does.  It protects the two
 * lists, each tport's cfg and owner fields, and fv_fabric_gen (bumped on
 * every change, for consistent netlink dumps).
 */
extern struct mutex fv_fabric_mutex;
extern struct list_head fv_tport_list;
extern struct list_head fv_tpg_list;
extern unsigned int fv_fabric_gen;

struct fv_tport *fv_tport_find(const char *name);

int fv_fabric_init(void);
/* dropin.c: the stock module's names too, with compat=1. */
int fv_dropin_init(void);
void fv_dropin_exit(void);
void fv_fabric_exit(void);

/*
 * Attach @owner to every TPG under target port @wwpn that has a nexus:
 * each is pinned in configfs (target_depend_item, under none of our
 * locks) and stored in tpgs[tag]; @tpgs has FV_MAX_TPGT slots.  Returns the number of TPGs
 * attached, -ENOENT when the port does not exist or has no nexus, -EBUSY
 * when another device holds one of them.  Nothing is held on error.
 * @pi: the owner carries T10 PI; LIO may advertise and pass it.
 */
int fv_fabric_attach(void *owner, const char *wwpn, struct fv_tpg **tpgs,
		     bool pi);
/* Undo fv_fabric_attach(); clears tpgs[]. */
void fv_fabric_detach(void *owner, struct fv_tpg **tpgs);

/*
 * Data-path callbacks that LIO reaches through our fabric ops; implemented
 * by the vhost side (io.c, ctl.c).
 */
void fv_cmd_release(struct se_cmd *se_cmd);
int fv_cmd_queue_status(struct se_cmd *se_cmd);
void fv_tmf_queue_rsp(struct se_cmd *se_cmd);
void fv_cmd_aborted(struct se_cmd *se_cmd);
void fv_evt_lun(void *owner, u16 tag, u64 lun, bool added);

extern const struct target_core_fabric_ops fv_fabric_ops;

#endif /* _FV_FABRIC_H */
