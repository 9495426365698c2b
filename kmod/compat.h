/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels fastvhost supports, keyed on features
 * that kmod/Kbuild probes in the kernel headers (FV_HAVE_*).
 */
#ifndef _FV_COMPAT_H
#define _FV_COMPAT_H

#include <linux/eventfd.h>
#include <target/target_core_fabric.h>

/* 6.8 dropped the counter argument of eventfd_signal(). */
#ifdef FV_HAVE_EVENTFD_SIGNAL_NOCOUNT
#define fv_eventfd_signal(ctx)	eventfd_signal(ctx)
#else
#define fv_eventfd_signal(ctx)	eventfd_signal(ctx, 1)
#endif

/*
 * 6.10 lets a fabric choose between submitting from the caller and from
 * LIO's submission workqueue; before that target_submit() always ran in
 * the caller.
 */
#ifdef FV_HAVE_FABRIC_SUBMIT_TYPE
#define FV_FABRIC_SUBMIT_OPS \
	.direct_submit_supp = 1, \
	.default_submit_type = TARGET_DIRECT_SUBMIT,
#else
#define FV_FABRIC_SUBMIT_OPS
#endif

#endif /* _FV_COMPAT_H */
