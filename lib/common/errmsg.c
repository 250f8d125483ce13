/* SPDX-License-Identifier: BSD-3-Clause */
/* Error messages into a caller's buffer (errmsg.h). */
#include <stdarg.h>
#include <stdio.h>

#include "errmsg.h"

void sbgw_errmsg(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}
