/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the configuration loader (lib/config) on any file
 * contents — libconfig syntax, key and type checks, validation,
 * normalisation, address allocation, the dump of what loaded. An input
 * that starts with '{' is instead one sandbox definition as the control
 * socket receives it (sbgw_config_parse_sandbox), against a running
 * configuration with two sandboxes.
 *
 * Input: the file's bytes, written to a private temporary directory
 * (the loader takes a path; @include and file references resolve there).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char RUNNING[] =
	"version = 1;\n"
	"gateway = { uplink = { device = \"net_null0\"; address = \"198.51.100.2/24\";\n"
	"                       next_hop = \"198.51.100.1\"; };\n"
	"            host = { device = \"net_tap0,iface=sbgwfz0\"; }; };\n"
	"sandboxes = (\n"
	"  { name = \"one\"; port = \"p0\"; },\n"
	"  { name = \"two\"; port = \"p1\"; network = { policy = \"allow-all\";\n"
	"                                          ports = ( [ 8080, 80 ] ); }; }\n"
	");\n";

static char dir[] = "/tmp/sbgw-config-fuzz.XXXXXX";
static char path[sizeof(dir) + 16];
static FILE *sink;
static struct sbgw_config *running;

static void cleanup(void)
{
	sbgw_config_free(running);
	unlink(path);
	rmdir(dir);
}

static void write_file(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
}

static void setup(void)
{
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/fuzz.conf", dir);
	sink = fopen("/dev/null", "w");
	if (sink == NULL)
		abort();
	write_file((const uint8_t *)RUNNING, sizeof(RUNNING) - 1);
	running = sbgw_config_load(path, stderr);
	if (running == NULL)
		abort(); /* the harness's own configuration must load */
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbgw_config *cfg;

	if (running == NULL)
		setup();
	if (size > 0 && data[0] == '{') {
		char *text = malloc(size + 1);
		struct sbgw_sandbox *sb;

		memcpy(text, data, size);
		text[size] = '\0';
		sb = sbgw_config_parse_sandbox(running, text, "fuzz", sink);
		sbgw_sandbox_free(sb);
		free(text);
		return 0;
	}
	write_file(data, size);
	cfg = sbgw_config_load(path, sink);
	if (cfg != NULL) {
		sbgw_config_dump(cfg, sink);
		sbgw_config_free(cfg);
	}
	return 0;
}
