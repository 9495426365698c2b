/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FVCTL_SHOW_H
#define _FVCTL_SHOW_H

#include "nl.h"

/* Get one target (wwn) or dump all, for cmd; prints errors, returns a status. */
int fv_get(struct fv_nl *nl, uint8_t cmd, const char *wwn, fv_nl_cb cb, void *arg);
int fv_get_list(struct fv_nl *nl, uint8_t cmd, const char *wwns, fv_nl_cb cb, void *arg);
/* The fabric of a target-get reply's target when it is not fastvhost's
 * (drop-in mode's "vhost"), else NULL.
 */
const char *fv_other_fabric(struct nlattr **tb);

#endif
