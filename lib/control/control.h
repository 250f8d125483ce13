/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket (gateway.control.socket): a unix stream socket,
 * mode 0660, speaking the JSON-lines protocol of protocol.h, served from
 * the main lcore's loop without ever blocking it; and the reload of the
 * whole configuration file (SIGHUP or the "reload" request).
 *
 * Usage (main lcore):
 *   ctl = sbgw_ctl_create(gw, config_path, err, len);   socket bound and listening
 *   sbgw_dataplane_set_idle(gw, sbgw_ctl_poll, ctl);     served once per loop
 *   signal handler: sbgw_ctl_request_reload(ctl);        async-signal-safe
 *   sbgw_ctl_free(ctl);                                   after the loop: socket removed
 *
 * A socket file left by a gateway that died is replaced; one a running
 * gateway answers on is not (create fails: two gateways, one socket).
 */
#ifndef SBGW_CONTROL_CONTROL_H
#define SBGW_CONTROL_CONTROL_H

#include <stddef.h>

#include <jansson.h>

#include "protocol.h"

struct sbgw_dataplane;
struct sbgw_ctl;

struct sbgw_ctl *sbgw_ctl_create(struct sbgw_dataplane *gw, const char *config_path, char *err,
                                 size_t errlen);
void sbgw_ctl_poll(void *ctl);
void sbgw_ctl_request_reload(struct sbgw_ctl *ctl);
void sbgw_ctl_free(struct sbgw_ctl *ctl);

/* Internal to lib/control: one request's answer (commands.c, reload.c). */
json_t *sbgw_ctl_execute(struct sbgw_dataplane *gw, const char *config_path,
                         const struct sbgw_ctl_request *req);
json_t *sbgw_ctl_reload(struct sbgw_dataplane *gw, const char *config_path);
json_t *sbgw_ctl_error(const char *details, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

#endif
