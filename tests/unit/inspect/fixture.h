/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * First-flight test inputs: fixtures from data/ and byte strings, each
 * copied into a heap buffer of exactly its length so that AddressSanitizer
 * sees any read past the end.
 */
#ifndef SBGW_TEST_INSPECT_FIXTURE_H
#define SBGW_TEST_INSPECT_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

struct bytes {
	uint8_t *data;
	size_t len;
};

/* data/NAME, read whole; fails the test if it cannot be read. */
struct bytes fixture(const char *name);

/* A copy of len bytes. */
struct bytes bytes_of(const void *data, size_t len);

/* A copy of a C string, without its NUL. */
struct bytes bytes_of_str(const char *text);

void bytes_free(struct bytes *b);

#endif
