/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Error messages into a caller's buffer: the start-up, run-time change
 * and control-socket paths all report failures as "char *err, size_t
 * errlen" and format them the same way.
 */
#ifndef SBGW_COMMON_ERRMSG_H
#define SBGW_COMMON_ERRMSG_H

#include <stddef.h>

/* printf into err (at most len bytes, always terminated when len > 0). */
__attribute__((format(printf, 3, 4)))
void sbgw_errmsg(char *err, size_t len, const char *fmt, ...);

#endif
