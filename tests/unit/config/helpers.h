/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the config unit tests: every test group runs in a fresh
 * temporary directory (its setup/teardown below), writes its fixture as
 * t.conf there and loads it by that relative name, so messages read
 * "t.conf:LINE: path: message".
 */
#ifndef SBGW_TESTS_CONFIG_HELPERS_H
#define SBGW_TESTS_CONFIG_HELPERS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"

/*
 * A minimal valid gateway section on lines 1 and 2, with the host port
 * and IPv6 that published ports need.
 */
#define GW_TEXT                                                                                    \
	"version = 1;\n"                                                                           \
	"gateway = { uplink = { device = \"up0\"; address = \"198.51.100.2/24\"; "                \
	"next_hop = \"198.51.100.1\"; address6 = \"2001:db8:1::2/64\"; "                         \
	"next_hop6 = \"2001:db8:1::1\"; }; host = { device = \"tap0\"; }; };\n"

/* The line sandbox_text() puts its sandbox on. */
#define SB_LINE 3

/* Group setup and teardown: a private temporary working directory. */
int tmpdir_setup(void **state);
int tmpdir_teardown(void **state);

void write_file(const char *name, const char *text);

/* Load text written as t.conf; *err gets everything reported (caller frees). */
struct sbgw_config *load_text(const char *text, char **err);
/*
 * GW_TEXT then, on line 3, one sandbox "sb" with port "p0" whose other
 * settings are body ("network = { ... };").
 */
char *sandbox_text(const char *body);
struct sbgw_config *load_sandbox(const char *body, char **err);

/* The load succeeds without a word. */
struct sbgw_config *must_load(const char *text);
struct sbgw_config *must_load_sandbox(const char *body);

/* The load fails and reports exactly expected (lines ending in "\n"). */
void assert_load_fails_with(const char *text, const char *expected);
/* The same for one sandbox; expected is one message without "t.conf:3: " and "\n". */
void assert_sandbox_fails_with(const char *body, const char *expected);

/* A PEM certificate and key (a CA when ca is set, matching when same_key). */
void write_ca_pair(const char *cert, const char *key, bool ca, bool same_key);

/* The dump of cfg as a string (caller frees). */
char *dump_text(const struct sbgw_config *cfg);

#endif
