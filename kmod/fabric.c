// SPDX-License-Identifier: GPL-2.0
/*
 * LIO fabric "fastvhost": target ports, portal groups, the I_T nexus, and
 * attaching a vhost device to them.
 *
 * Lock order: fv_fabric_mutex -> tpg->lock.  fv_fabric_attach() and
 * fv_fabric_detach() are reached from the device ioctls with the device
 * mutex held above both.  configfs calls us with its inode locks held
 * (mkdir, rmdir, symlink), so we never enter configfs's locking, as
 * target_depend_item() does, under either of ours.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/configfs.h>
#include <scsi/scsi_proto.h>
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

#include "fabric.h"
#include "netlink.h"
#include "numa.h"
#include "compat.h"

DEFINE_MUTEX(fv_fabric_mutex);	/* the configuration lock, see fabric.h */
LIST_HEAD(fv_tport_list);
LIST_HEAD(fv_tpg_list);
unsigned int fv_fabric_gen;

struct fv_tport *fv_tport_find(const char *name)
{
	struct fv_tport *tport;

	lockdep_assert_held(&fv_fabric_mutex);
	list_for_each_entry(tport, &fv_tport_list, node)
		if (!strcmp(tport->name, name))
			return tport;
	return NULL;
}

static char *fv_tpg_get_wwn(struct se_portal_group *se_tpg)
{
	return to_fv_tpg(se_tpg)->tport->name;
}

static u16 fv_tpg_get_tag(struct se_portal_group *se_tpg)
{
	return to_fv_tpg(se_tpg)->tag;
}

static int fv_tpg_yes(struct se_portal_group *se_tpg)
{
	return 1;
}

static int fv_tpg_no(struct se_portal_group *se_tpg)
{
	return 0;
}

static u32 fv_tpg_inst_index(struct se_portal_group *se_tpg)
{
	return 1;
}

static u32 fv_sess_get_index(struct se_session *se_sess)
{
	return 0;
}

static void fv_set_default_node_attrs(struct se_node_acl *nacl)
{
}

static int fv_check_stop_free(struct se_cmd *se_cmd)
{
	return target_put_sess_cmd(se_cmd);
}

static int fv_write_pending(struct se_cmd *se_cmd)
{
	/* Data-out buffers are pinned guest pages, ready before submission. */
	target_execute_cmd(se_cmd);
	return 0;
}

static int fv_get_cmd_state(struct se_cmd *se_cmd)
{
	return 0;
}

/* "naa.", "fc." and "iqn." names select the SCSI protocol identifier. */
static int fv_parse_wwn(const char *name, u8 *proto_id)
{
	if (!strncmp(name, "naa.", 4))
		*proto_id = SCSI_PROTOCOL_SAS;
	else if (!strncmp(name, "fc.", 3))
		*proto_id = SCSI_PROTOCOL_FCP;
	else if (!strncmp(name, "iqn.", 4))
		*proto_id = SCSI_PROTOCOL_ISCSI;
	else
		return -EINVAL;
	return 0;
}

static struct se_wwn *fv_make_tport(struct target_fabric_configfs *tf,
				    struct config_group *group,
				    const char *name)
{
	struct fv_tport *tport;
	u8 proto_id;

	if (fv_parse_wwn(name, &proto_id)) {
		pr_err("target name \"%s\" must start with naa., fc. or iqn.\n",
		       name);
		return ERR_PTR(-EINVAL);
	}
	if (strlen(name) >= FV_NAMELEN) {
		pr_err("target name longer than %d bytes\n", FV_NAMELEN - 1);
		return ERR_PTR(-EINVAL);
	}

	tport = kzalloc(sizeof(*tport), GFP_KERNEL);
	if (!tport)
		return ERR_PTR(-ENOMEM);
	tport->fabric = strcmp(config_item_name(&group->cg_item), FV_FABRIC_VHOST) ?
			FV_FABRIC_NAME : FV_FABRIC_VHOST;
	tport->proto_id = proto_id;
	strscpy(tport->name, name, sizeof(tport->name));
	tport->cfg.node = NUMA_NO_NODE;
	tport->cfg.node_auto = true;
	tport->cfg.poll_max_ns = FV_POLL_MAX_NS_DEFAULT;
	memset(tport->cfg.map, FV_CFG_NO_WORKER, sizeof(tport->cfg.map));

	mutex_lock(&fv_fabric_mutex);
	/* Guests and fvctl find a target by name, in either fabric. */
	if (fv_tport_find(name)) {
		mutex_unlock(&fv_fabric_mutex);
		pr_err("target %s exists already in the other fabric\n", name);
		kfree(tport);
		return ERR_PTR(-EEXIST);
	}
	list_add_tail(&tport->node, &fv_tport_list);
	fv_fabric_gen++;
	mutex_unlock(&fv_fabric_mutex);
	return &tport->se_wwn;
}

static void fv_drop_tport(struct se_wwn *wwn)
{
	struct fv_tport *tport = container_of(wwn, struct fv_tport, se_wwn);

	mutex_lock(&fv_fabric_mutex);
	list_del(&tport->node);
	fv_fabric_gen++;
	mutex_unlock(&fv_fabric_mutex);
	kfree(tport);
}

static struct se_portal_group *fv_make_tpg(struct se_wwn *wwn, const char *name)
{
	struct fv_tport *tport = container_of(wwn, struct fv_tport, se_wwn);
	struct fv_tpg *tpg;
	u16 tag;
	int ret;

	if (strncmp(name, "tpgt_", 5) || kstrtou16(name + 5, 10, &tag) ||
	    tag >= FV_MAX_TPGT) {
		pr_err("portal group \"%s\" must be tpgt_N with N < %d\n",
		       name, FV_MAX_TPGT);
		return ERR_PTR(-EINVAL);
	}

	tpg = kzalloc(sizeof(*tpg), GFP_KERNEL);
	if (!tpg)
		return ERR_PTR(-ENOMEM);
	kref_init(&tpg->ref);
	mutex_init(&tpg->lock);
	xa_init(&tpg->lun_node);
	INIT_LIST_HEAD(&tpg->node);
	tpg->tport = tport;
	tpg->tag = tag;

	ret = core_tpg_register(wwn, &tpg->se_tpg, tport->proto_id);
	if (ret) {
		kfree(tpg);
		return ERR_PTR(ret);
	}

	mutex_lock(&fv_fabric_mutex);
	list_add_tail(&tpg->node, &fv_tpg_list);
	fv_fabric_gen++;
	mutex_unlock(&fv_fabric_mutex);
	return &tpg->se_tpg;
}

static void fv_tpg_free(struct kref *ref)
{
	kfree(container_of(ref, struct fv_tpg, ref));
}

static void fv_tpg_put(struct fv_tpg *tpg)
{
	kref_put(&tpg->ref, fv_tpg_free);
}

static void fv_drop_nexus(struct fv_tpg *tpg)
{
	lockdep_assert_held(&tpg->lock);

	if (!tpg->sess)
		return;
	target_remove_session(tpg->sess);
	tpg->sess = NULL;
	tpg->nexus_name[0] = '\0';
}

static void fv_drop_tpg(struct se_portal_group *se_tpg)
{
	struct fv_tpg *tpg = to_fv_tpg(se_tpg);

	mutex_lock(&fv_fabric_mutex);
	list_del(&tpg->node);
	fv_fabric_gen++;
	mutex_unlock(&fv_fabric_mutex);

	/* configfs refuses the rmdir while a device pins this group. */
	mutex_lock(&tpg->lock);
	WARN_ON_ONCE(tpg->owner);
	fv_drop_nexus(tpg);
	mutex_unlock(&tpg->lock);

	core_tpg_deregister(se_tpg);
	xa_destroy(&tpg->lun_node);
	fv_tpg_put(tpg);
}

static int fv_port_link(struct se_portal_group *se_tpg, struct se_lun *lun)
{
	struct fv_tpg *tpg = to_fv_tpg(se_tpg);

	/*
	 * The admin's symlink(2), under no lock of ours: the one place that
	 * resolves the backstore's path (numa.c).
	 */
	if (fv_lun_node_cache(tpg, lun))
		pr_warn("%s tpgt %u lun %llu: out of memory; its NUMA node is taken as none\n",
			tpg->tport->name, tpg->tag, lun->unpacked_lun);
	fv_lun_stable_rtpi(lun);

	mutex_lock(&fv_fabric_mutex);
	mutex_lock(&tpg->lock);
	tpg->nr_luns++;
	if (tpg->owner)
		fv_evt_lun(tpg->owner, tpg->tag, lun->unpacked_lun, true);
	mutex_unlock(&tpg->lock);
	fv_fabric_gen++;
	fv_nl_notify_lun(tpg, lun, FASTVHOST_CMD_LUN_ADD_NTF);
	mutex_unlock(&fv_fabric_mutex);
	return 0;
}

static void fv_port_unlink(struct se_portal_group *se_tpg, struct se_lun *lun)
{
	struct fv_tpg *tpg = to_fv_tpg(se_tpg);

	mutex_lock(&fv_fabric_mutex);
	mutex_lock(&tpg->lock);
	tpg->nr_luns--;
	if (tpg->owner)
		fv_evt_lun(tpg->owner, tpg->tag, lun->unpacked_lun, false);
	mutex_unlock(&tpg->lock);
	fv_fabric_gen++;
	fv_nl_notify_lun(tpg, lun, FASTVHOST_CMD_LUN_DEL_NTF);
	mutex_unlock(&fv_fabric_mutex);
	fv_lun_node_forget(tpg, lun);
}

static ssize_t fv_tpg_nexus_show(struct config_item *item, char *page)
{
	struct fv_tpg *tpg = to_fv_tpg(to_tpg(item));
	ssize_t ret;

	mutex_lock(&tpg->lock);
	ret = sysfs_emit(page, "%s\n", tpg->sess ? tpg->nexus_name : "");
	mutex_unlock(&tpg->lock);
	return ret;
}

static ssize_t fv_tpg_nexus_store(struct config_item *item, const char *page,
				  size_t count)
{
	struct fv_tpg *tpg = to_fv_tpg(to_tpg(item));
	char name[FV_NAMELEN];
	struct se_session *sess;
	u8 proto_id;
	int ret = 0;

	if (count >= FV_NAMELEN) {
		pr_err("nexus name longer than %d bytes\n", FV_NAMELEN - 1);
		return -EINVAL;
	}
	strscpy(name, page, sizeof(name));
	strim(name);

	mutex_lock(&fv_fabric_mutex);
	mutex_lock(&tpg->lock);
	fv_fabric_gen++;
	if (!strcmp(name, "NULL") || !name[0]) {
		if (tpg->owner)
			ret = -EBUSY;
		else if (!tpg->sess)
			ret = -ENODEV;
		else
			fv_drop_nexus(tpg);
		goto out;
	}

	if (fv_parse_wwn(name, &proto_id) || proto_id != tpg->tport->proto_id) {
		pr_err("nexus \"%s\" must use the target's naa./fc./iqn. prefix\n",
		       name);
		ret = -EINVAL;
		goto out;
	}
	if (tpg->sess) {
		ret = -EEXIST;
		goto out;
	}

	/*
	 * No protection information travels until a guest that negotiated
	 * VIRTIO_SCSI_F_T10_PI attaches (fv_fabric_attach()): claim none
	 * before, or LIO reports a PI-formatted backstore's PROTECT and
	 * PROT_EN to a guest that cannot send it.
	 */
	sess = target_setup_session(&tpg->se_tpg, 0, 0, TARGET_PROT_NORMAL,
				    name, tpg, NULL);
	if (IS_ERR(sess)) {
		ret = PTR_ERR(sess);
		goto out;
	}
	tpg->sess = sess;
	strscpy(tpg->nexus_name, name, sizeof(tpg->nexus_name));
out:
	mutex_unlock(&tpg->lock);
	mutex_unlock(&fv_fabric_mutex);
	return ret ? ret : count;
}

CONFIGFS_ATTR(fv_tpg_, nexus);

static struct configfs_attribute *fv_tpg_attrs[] = {
	&fv_tpg_attr_nexus,
	NULL,
};

static ssize_t fv_wwn_version_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "fastvhost %s\n", FV_VERSION);
}

CONFIGFS_ATTR_RO(fv_wwn_, version);

static struct configfs_attribute *fv_wwn_attrs[] = {
	&fv_wwn_attr_version,
	NULL,
};

static void detach_tpgs(void *owner, struct fv_tpg **tpgs)
{
	struct fv_tpg *tpg;
	int i;

	lockdep_assert_held(&fv_fabric_mutex);
	for (i = 0; i < FV_MAX_TPGT; i++) {
		tpg = tpgs[i];
		if (!tpg)
			continue;
		tpgs[i] = NULL;

		mutex_lock(&tpg->lock);
		WARN_ON_ONCE(tpg->owner != owner);
		tpg->owner = NULL;
		if (tpg->sess)
			tpg->sess->sup_prot_ops = TARGET_PROT_NORMAL;
		mutex_unlock(&tpg->lock);
		target_undepend_item(&tpg->se_tpg.tpg_group.cg_item);
	}
}

/*
 * Pin each candidate in configfs with none of our locks held.  A TPG
 * being removed meanwhile is not found by configfs (-ENOENT); our
 * reference keeps its memory, so the pointer configfs compares cannot
 * belong to a new group.  Pinned ones stay in @cand, the others are
 * cleared.  Returns how many are pinned, or an error with none pinned.
 */
static int depend_tpgs(struct fv_tpg **cand)
{
	int i, n = 0, ret;

	for (i = 0; i < FV_MAX_TPGT; i++) {
		if (!cand[i])
			continue;
		ret = target_depend_item(&cand[i]->se_tpg.tpg_group.cg_item);
		if (!ret) {
			n++;
			continue;
		}
		fv_tpg_put(cand[i]);
		cand[i] = NULL;
		if (ret != -ENOENT)
			goto err;
	}
	return n;
err:
	for (i = 0; i < FV_MAX_TPGT; i++) {
		if (!cand[i])
			continue;
		target_undepend_item(&cand[i]->se_tpg.tpg_group.cg_item);
		fv_tpg_put(cand[i]);
		cand[i] = NULL;
	}
	return ret;
}

int fv_fabric_attach(void *owner, const char *wwpn, struct fv_tpg **tpgs,
		     bool pi)
{
	struct fv_tport *tport = NULL;
	struct fv_tpg **cand, *tpg;
	int i, n = 0, ret;

	cand = kcalloc(FV_MAX_TPGT, sizeof(*cand), GFP_KERNEL);
	if (!cand)
		return -ENOMEM;

	/* 1: the TPGs with a nexus now, each with a reference */
	mutex_lock(&fv_fabric_mutex);
	tport = fv_tport_find(wwpn);
	ret = !tport ? -ENOENT : tport->owner ? -EBUSY : 0;
	if (!ret) {
		list_for_each_entry(tpg, &fv_tpg_list, node) {
			if (tpg->tport != tport)
				continue;
			mutex_lock(&tpg->lock);
			if (tpg->sess) {
				kref_get(&tpg->ref);
				cand[tpg->tag] = tpg;
			}
			mutex_unlock(&tpg->lock);
		}
	}
	mutex_unlock(&fv_fabric_mutex);
	if (ret)
		goto out;

	/* 2: pin them; the port may be gone unless one of its TPGs is pinned */
	ret = depend_tpgs(cand);
	if (ret <= 0) {
		ret = ret ?: -ENOENT;
		goto out;
	}

	/*
	 * 3: a pinned TPG cannot go, nor then can its port; but its nexus
	 * may have, or another device may have taken the port meanwhile.
	 */
	mutex_lock(&fv_fabric_mutex);
	if (tport->owner) {
		ret = -EBUSY;
		goto unlock;
	}
	for (i = 0; i < FV_MAX_TPGT; i++) {
		tpg = cand[i];
		if (!tpg)
			continue;
		mutex_lock(&tpg->lock);
		if (tpg->sess) {
			tpg->owner = owner;
			/*
			 * The owner's commands alone use the session, and
			 * none has come yet: LIO advertises and checks T10
			 * PI as this says from the first one on.
			 */
			tpg->sess->sup_prot_ops = pi ?
				TARGET_PROT_DIN_PASS | TARGET_PROT_DOUT_PASS :
				TARGET_PROT_NORMAL;
			tpgs[i] = tpg;
			n++;
		}
		mutex_unlock(&tpg->lock);
	}
	if (n) {
		tport->owner = owner;
		tport->owner_pid = task_tgid_nr(current);
		fv_fabric_gen++;
		fv_nl_notify_owner(tport, FASTVHOST_CMD_ATTACH_NTF);
	}
	ret = n ?: -ENOENT;
unlock:
	mutex_unlock(&fv_fabric_mutex);
out:
	/* unpin what was not attached; drop the references of step 1 */
	for (i = 0; i < FV_MAX_TPGT; i++) {
		if (!cand[i])
			continue;
		if (tpgs[i] != cand[i])
			target_undepend_item(&cand[i]->se_tpg.tpg_group.cg_item);
		fv_tpg_put(cand[i]);
	}
	kfree(cand);
	return ret;
}

void fv_fabric_detach(void *owner, struct fv_tpg **tpgs)
{
	struct fv_tport *tport = NULL;
	int i;

	mutex_lock(&fv_fabric_mutex);
	for (i = 0; i < FV_MAX_TPGT && !tport; i++)
		if (tpgs[i])
			tport = tpgs[i]->tport;
	detach_tpgs(owner, tpgs);
	if (tport && tport->owner == owner) {
		fv_nl_notify_owner(tport, FASTVHOST_CMD_DETACH_NTF);
		tport->owner = NULL;
		tport->owner_pid = 0;
		fv_fabric_gen++;
	}
	mutex_unlock(&fv_fabric_mutex);
}

const struct target_core_fabric_ops fv_fabric_ops = {
	.module				= THIS_MODULE,
	.fabric_name			= FV_FABRIC_NAME,
	.max_data_sg_nents		= FV_MAX_DATA_SG,
	.tpg_get_wwn			= fv_tpg_get_wwn,
	.tpg_get_tag			= fv_tpg_get_tag,
	.tpg_check_demo_mode		= fv_tpg_yes,
	.tpg_check_demo_mode_cache	= fv_tpg_yes,
	.tpg_check_demo_mode_write_protect = fv_tpg_no,
	.tpg_check_prod_mode_write_protect = fv_tpg_no,
	.tpg_check_prot_fabric_only	= fv_tpg_no,
	.tpg_get_inst_index		= fv_tpg_inst_index,
	.sess_get_index			= fv_sess_get_index,
	.check_stop_free		= fv_check_stop_free,
	.release_cmd			= fv_cmd_release,
	.write_pending			= fv_write_pending,
	.set_default_node_attributes	= fv_set_default_node_attrs,
	.get_cmd_state			= fv_get_cmd_state,
	.queue_data_in			= fv_cmd_queue_status,
	.queue_status			= fv_cmd_queue_status,
	.queue_tm_rsp			= fv_tmf_queue_rsp,
	.aborted_task			= fv_cmd_aborted,
	.fabric_make_wwn		= fv_make_tport,
	.fabric_drop_wwn		= fv_drop_tport,
	.fabric_make_tpg		= fv_make_tpg,
	.fabric_drop_tpg		= fv_drop_tpg,
	.fabric_post_link		= fv_port_link,
	.fabric_pre_unlink		= fv_port_unlink,
	.tfc_wwn_attrs			= fv_wwn_attrs,
	.tfc_tpg_base_attrs		= fv_tpg_attrs,
	FV_FABRIC_SUBMIT_OPS
};

int fv_fabric_init(void)
{
	return target_register_template(&fv_fabric_ops);
}

void fv_fabric_exit(void)
{
	target_unregister_template(&fv_fabric_ops);
}
