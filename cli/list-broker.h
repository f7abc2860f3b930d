/*
 * list-broker.h: `qshmctl list broker`: the broker's counters and each
 * uid's usage against its cap, as rows of the list command's table.
 */

#ifndef QSHMCTL_LIST_BROKER_H
#define QSHMCTL_LIST_BROKER_H

#include "cmd.h"

extern const struct out_col	list_broker_cols[];

/* Fill the table: one row per counter, then per uid (only uid if has_uid). */
enum cmd_ret	list_broker(struct cmd_ctx *, int has_uid, uid_t uid);

#endif /* QSHMCTL_LIST_BROKER_H */
