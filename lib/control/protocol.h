/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket's protocol: one JSON object per line, each way; the
 * daemon answers every request line with one response line, in order.
 *
 *   {"cmd": "list"}                                   sandboxes and their addresses
 *   {"cmd": "show", "name": NAME}                     addresses, counters, rule hits, flows
 *   {"cmd": "policy", "name": NAME, "network": TEXT, "origin": FILE}
 *        replace the sandbox's network settings: TEXT is what goes between
 *        the braces of its "network = { ... };" in the configuration file
 *   {"cmd": "replace", "sandbox": TEXT, "origin": FILE}
 *        replace a sandbox by a whole definition (one "sandboxes" entry)
 *   {"cmd": "add", "sandbox": TEXT, "origin": FILE}
 *   {"cmd": "remove", "name": NAME}
 *   {"cmd": "reload"}                                 re-read the configuration file
 *   {"cmd": "relay-restart"}                          reset the TCP relay's connections, new listeners
 *
 * "origin" (optional) names the text in error messages (FILE:LINE: ...).
 * Responses: {"ok": true, ...} or {"ok": false, "error": MESSAGE,
 * "details": [LINE, ...]}. Unknown keys in a request are an error, like in
 * the configuration file. Used by the daemon (lib/control/server.c) and by
 * sbgwctl; nothing here touches DPDK.
 */
#ifndef SBGW_CONTROL_PROTOCOL_H
#define SBGW_CONTROL_PROTOCOL_H

#include <stddef.h>

#include "config.h"

/* Longest request or response line, newline included. */
#define SBGW_CTL_LINE_MAX (4u << 20)

enum sbgw_ctl_cmd {
	SBGW_CTL_LIST,
	SBGW_CTL_SHOW,
	SBGW_CTL_POLICY,
	SBGW_CTL_REPLACE,
	SBGW_CTL_ADD,
	SBGW_CTL_REMOVE,
	SBGW_CTL_RELOAD,
	SBGW_CTL_RELAY_RESTART,
};

struct sbgw_ctl_request {
	enum sbgw_ctl_cmd cmd;
	char name[SBGW_SANDBOX_NAME_MAX]; /* show, policy, remove */
	char *text;   /* policy: the network group's body; replace, add: a sandboxes entry */
	char *origin; /* for messages; "-" when the request named none */
};

/*
 * Parse one request line (without or with its newline). 0, or -EINVAL with
 * a message in err: not JSON, not an object, unknown or missing command,
 * missing, mistyped or unknown keys. req is cleared first; free it with
 * sbgw_ctl_request_clear() whatever the result.
 */
int sbgw_ctl_parse_request(const char *line, size_t len, struct sbgw_ctl_request *req, char *err,
                           size_t errlen);
void sbgw_ctl_request_clear(struct sbgw_ctl_request *req);

/* The request as one line (newline included), malloc'd; NULL on ENOMEM. */
char *sbgw_ctl_format_request(const struct sbgw_ctl_request *req);

const char *sbgw_ctl_cmd_name(enum sbgw_ctl_cmd cmd);

#endif
