/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * fastvhost: definitions shared by the kernel module and userspace.
 */
#ifndef _UAPI_LINUX_FASTVHOST_H
#define _UAPI_LINUX_FASTVHOST_H

/* The device node; it speaks the vhost-scsi ioctls of <linux/vhost.h>. */
#define FASTVHOST_DEV_NAME	"fastvhost"

/* The LIO fabric, under /sys/kernel/config/target/. */
#define FASTVHOST_FABRIC_NAME	"fastvhost"

#endif /* _UAPI_LINUX_FASTVHOST_H */
