// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* build/version.h is regenerated only when the version changes. */
#include "version.h"
#include "build_version.h"

const char xgw_version[] = XGW_BUILD_VERSION;
