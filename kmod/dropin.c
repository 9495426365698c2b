// SPDX-License-Identifier: GPL-2.0
/*
 * Drop-in mode (compat=1): fastvhost also answers under the stock
 * vhost_scsi's names, the misc device /dev/vhost-scsi and the LIO fabric
 * "vhost", so that libvirt and targetcli, which know only those, use it
 * unchanged.  Both fabrics share one target list and one set of names.
 * The two modules exclude each other through the misc device's name: we
 * look for it first; vhost_scsi loaded after us cannot create it and fails
 * (with the kernel's warning about the name; dist/fastvhost-modprobe.conf
 * stops modprobe before that).
 */
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "fabric.h"
#include "fastvhost.h"

static bool compat;
module_param(compat, bool, 0444);
MODULE_PARM_DESC(compat, "Also serve as vhost_scsi: /dev/vhost-scsi and the LIO fabric \"vhost\" (not while vhost_scsi is loaded)");

static struct miscdevice fv_vhost_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "vhost-scsi",
	.fops	= &fv_fops,
	.mode	= 0600,
};

static struct target_core_fabric_ops fv_vhost_ops __ro_after_init;

int fv_dropin_init(void)
{
	int ret;

	if (!compat)
		return 0;
	/* Not EEXIST: modprobe takes that for "loaded already". */
	if (fv_misc_name_taken(fv_vhost_misc.name)) {
		pr_err("compat=1: /dev/vhost-scsi is taken (vhost_scsi loaded?); unload vhost_scsi first\n");
		return -EBUSY;
	}
	ret = misc_register(&fv_vhost_misc);
	if (ret)
		return ret == -EEXIST ? -EBUSY : ret;
	fv_vhost_ops = fv_fabric_ops;
	fv_vhost_ops.fabric_name = FV_FABRIC_VHOST;
	ret = target_register_template(&fv_vhost_ops);
	if (ret) {
		misc_deregister(&fv_vhost_misc);
		return ret;
	}
	pr_info("drop-in mode: /dev/vhost-scsi and the LIO fabric \"vhost\"\n");
	return 0;
}

void fv_dropin_exit(void)
{
	if (!compat)
		return;
	target_unregister_template(&fv_vhost_ops);
	misc_deregister(&fv_vhost_misc);
}
