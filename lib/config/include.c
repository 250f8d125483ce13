/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * @include directives checked before libconfig follows them. libconfig
 * 1.5 opens whatever an @include names: a directory makes its scanner
 * call exit() ("input in flex scanner failed"), /dev/zero or a FIFO never
 * ends. So every file an @include names, at any depth, must be a regular
 * file, and a sandbox definition from the control socket may not include
 * files at all. A missing file is left to libconfig's own message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

#define INCLUDE_DEPTH_MAX 10 /* libconfig's own limit */
#define INCLUDE_NAME_MAX 4096

/*
 * If line starts an @include the way libconfig's scanner reads one
 * (^[ \t]*@include[ \t]+"), copy its file name (with \\ and \" unescaped)
 * into name and return true.
 */
static bool include_name(const char *line, size_t len, char *name, size_t cap)
{
	static const char directive[] = "@include";
	size_t i = 0, n = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (len - i < sizeof(directive) - 1 || memcmp(line + i, directive, sizeof(directive) - 1))
		return false;
	i += sizeof(directive) - 1;
	if (i == len || (line[i] != ' ' && line[i] != '\t'))
		return false;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i++] != '"')
		return false;
	while (i < len && line[i] != '"' && n + 1 < cap) {
		if (line[i] == '\\' && i + 1 < len && (line[i + 1] == '\\' || line[i + 1] == '"'))
			i++;
		name[n++] = line[i++];
	}
	name[n] = '\0';
	return true;
}

static int check_text(struct cfg_ctx *ctx, const char *origin, const char *text, size_t len,
		      const char *dir, unsigned int depth);

int cfg_read_whole(const char *path, char **text, size_t *len)
{
	char buf[4096];
	size_t n;
	FILE *f, *mem;

	*text = NULL;
	*len = 0;
	f = fopen(path, "r");
	if (f == NULL)
		return -errno;
	mem = open_memstream(text, len);
	if (mem == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, mem);
	fclose(f);
	if (fclose(mem) != 0 || *text == NULL) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* One included file: it must be a regular file; then its own includes. */
static int check_file(struct cfg_ctx *ctx, const char *origin, unsigned int line, const char *name,
		      const char *dir, unsigned int depth)
{
	char path[INCLUDE_NAME_MAX + 256];
	struct stat st;
	char *text;
	size_t len;
	int rc;

	/* As libconfig 1.5 opens it: joined to dir even when absolute. */
	if (dir == NULL)
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st) < 0)
		return 0; /* libconfig says "cannot open include file" */
	if (!S_ISREG(st.st_mode)) {
		ctx->errors++;
		if (ctx->err != NULL)
			fprintf(ctx->err, "%s:%u: @include \"%s\": not a regular file\n", origin, line,
				name);
		return -EINVAL;
	}
	if (depth + 1 >= INCLUDE_DEPTH_MAX || cfg_read_whole(path, &text, &len) < 0)
		return 0; /* libconfig refuses deeper includes and reports unreadable files */
	rc = check_text(ctx, path, text, len, dir, depth + 1);
	free(text);
	return rc;
}

static int check_text(struct cfg_ctx *ctx, const char *origin, const char *text, size_t len,
		      const char *dir, unsigned int depth)
{
	char name[INCLUDE_NAME_MAX];
	unsigned int line = 1;
	int rc = 0;

	for (size_t i = 0; i < len; line++) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - (text + i)) : len - i;
		int r;

		if (include_name(text + i, n, name, sizeof(name))) {
			r = check_file(ctx, origin, line, name, dir, depth);
			if (r < 0 && rc == 0)
				rc = r;
		}
		i += n + 1;
	}
	return rc;
}

int cfg_check_includes(struct cfg_ctx *ctx, const char *origin, const char *text, size_t len,
		       const char *dir)
{
	return check_text(ctx, origin, text, len, dir, 0);
}

int cfg_refuse_includes(struct cfg_ctx *ctx, const char *origin, const char *text)
{
	char name[INCLUDE_NAME_MAX];
	size_t len = strlen(text);
	unsigned int line = 1;
	int rc = 0;

	for (size_t i = 0; i < len; line++) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - (text + i)) : len - i;

		if (include_name(text + i, n, name, sizeof(name))) {
			ctx->errors++;
			if (ctx->err != NULL)
				fprintf(ctx->err, "%s:%u: @include is not allowed in a sandbox definition\n",
					origin, line);
			rc = -EINVAL;
		}
		i += n + 1;
	}
	return rc;
}
