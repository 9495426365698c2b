/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FVCTL_SETTINGS_H
#define _FVCTL_SETTINGS_H

#include "fvctl.h"
#include "nl.h"

/*
 * Send o's settings for wwn in one target-set; node_auto asks for the
 * automatic node when o names none.  Prints the error with the kernel's
 * extack and the option it blames; returns an exit status.
 */
int fv_apply(struct fv_nl *nl, const struct fv_opts *o, const char *wwn, bool node_auto);

#endif
