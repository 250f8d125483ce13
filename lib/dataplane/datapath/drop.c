/* SPDX-License-Identifier: BSD-3-Clause */
#include "drop.h"

#define SBGW_DROP_NAME(e, s) [SBGW_DROP_##e] = s,
static const char *const drop_names[SBGW_DROP_COUNT] = {SBGW_DROP_REASONS(SBGW_DROP_NAME)};
#undef SBGW_DROP_NAME

const char *sbgw_drop_name(enum sbgw_drop d)
{
	return (unsigned int)d < SBGW_DROP_COUNT ? drop_names[d] : "unknown";
}
