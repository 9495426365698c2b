// SPDX-License-Identifier: GPL-2.0
/*
 * fastvhost: an in-kernel vhost-scsi target on LIO backstores.
 */
#include <linux/module.h>
#include <net/genetlink.h>

#include "fabric.h"
#include "fastvhost.h"
#include "netlink.h"

static int __init fv_init(void)
{
	int ret;

	ret = fv_fabric_init();
	if (ret)
		goto err_fabric;
	ret = fv_dev_init();
	if (ret)
		goto err_dev;
	/* After /dev/fastvhost: it looks for the stock module's device. */
	ret = fv_dropin_init();
	if (ret)
		goto err_dropin;
	ret = fv_nl_init();
	if (ret)
		goto err_nl;

	pr_info("version %s loaded\n", FV_VERSION);
	return 0;

err_nl:
	fv_dropin_exit();
err_dropin:
	fv_dev_exit();
err_dev:
	fv_fabric_exit();
err_fabric:
	return ret;
}

static void __exit fv_exit(void)
{
	fv_nl_exit();
	fv_dropin_exit();
	fv_dev_exit();
	fv_fabric_exit();
}

module_init(fv_init);
module_exit(fv_exit);

MODULE_DESCRIPTION("In-kernel vhost-scsi target for LIO backstores");
MODULE_AUTHOR("The fastvhost authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(FV_VERSION);
MODULE_ALIAS_GENL_FAMILY(FASTVHOST_FAMILY_NAME);
