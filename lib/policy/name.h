/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Domain names in policy (semantics §1.5.3): the grammar user input must
 * follow and the canonical form every later comparison uses (lowercase
 * ASCII, A-labels for non-ASCII input, no leading or trailing dots).
 *
 * Pure functions, any thread.
 */
#ifndef SBGW_POLICY_NAME_H
#define SBGW_POLICY_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define SBGW_NAME_MAX 256 /* canonical name plus NUL */

/*
 * Canonicalise text into out (SBGW_NAME_MAX bytes). Returns 0, or -EINVAL
 * with *reason set to a static message ("domain name is empty", ...).
 * A "*" label is rejected (deviation D5) with a hint towards suffixes.
 */
int sbgw_name_canonical(const char *text, char *out, const char **reason);

/* As above, and also reject single-label suffixes (deviation D6). */
int sbgw_suffix_canonical(const char *text, char *out, const char **reason);

/* Matching predicates of semantics §2.7.1 on canonical names. */
bool sbgw_name_matches_domain(const char *name, const char *domain);
bool sbgw_name_matches_suffix(const char *name, const char *suffix);

#endif
