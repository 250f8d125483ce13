/* SPDX-License-Identifier: BSD-3-Clause */
/* First-flight test inputs in exact-length heap buffers (fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

struct bytes fixture(const char *name)
{
	char path[512];
	struct bytes b = {0};
	FILE *f;
	long size;

	snprintf(path, sizeof(path), "%s/tests/unit/inspect/data/%s", SBGW_SOURCE_ROOT, name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size > 0);
	rewind(f);
	b.len = (size_t)size;
	b.data = malloc(b.len);
	assert_non_null(b.data);
	assert_int_equal(fread(b.data, 1, b.len, f), b.len);
	fclose(f);
	return b;
}

struct bytes bytes_of(const void *data, size_t len)
{
	struct bytes b = {.data = malloc(len ? len : 1), .len = len};

	assert_non_null(b.data);
	if (len)
		memcpy(b.data, data, len);
	return b;
}

struct bytes bytes_of_str(const char *text)
{
	return bytes_of(text, strlen(text));
}

void bytes_free(struct bytes *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}
