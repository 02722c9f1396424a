// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The one table of reason names: CLI, metrics and docs all print these. */
#include "xgw_shared.h"

const struct xgw_reason_desc xgw_reason_desc[XGW_REASON_MAX] = {
#define XGW_X_DESC(id, c, n, h) [XGW_##id] = { .name = n, .help = h, .cls = XGW_CLASS_##c },
	XGW_REASONS(XGW_X_DESC)
#undef XGW_X_DESC
};

const char *const xgw_class_name[XGW_CLASS_MAX] = {
	[XGW_CLASS_FWD] = "forwarded",
	[XGW_CLASS_PASS] = "passed",
	[XGW_CLASS_DROP] = "dropped",
	[XGW_CLASS_TX] = "replied",
	[XGW_CLASS_ERROR] = "errors",
};
