/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * File references that hold PEM: the interception CA (certificate and key
 * must load and match, semantics §1.10) and the upstream trust bundle.
 * Checked at load time so that `sbgw -t` catches what start-up would
 * otherwise fail on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "internal.h"

#define SSL_REASON_MAX 256

/*
 * Drain OpenSSL's error queue into buf as "what (reason)": OpenSSL's own
 * reasons ("no start line", "unsupported") only make sense next to what
 * was attempted. The last queued reason is the most specific one.
 */
static const char *ssl_reason(char *buf, size_t len, const char *what)
{
	unsigned long e, last = 0;

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last == 0 || ERR_reason_error_string(last) == NULL)
		snprintf(buf, len, "%s", what);
	else
		snprintf(buf, len, "%s (%s)", what, ERR_reason_error_string(last));
	return buf;
}

/* Never prompt on the terminal for an encrypted key: the daemon has no one to ask. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

static FILE *open_reported(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
			   const char *what)
{
	FILE *f = fopen(path, "r");

	if (f == NULL)
		cfg_error(ctx, s, "failed to read intercept CA %s `%s`: %s", what, CFG_Q(path),
			  strerror(errno));
	return f;
}

/* Both files exist; check they load as a CA certificate and its key. */
static void check_pair(struct cfg_ctx *ctx, const config_setting_t *group,
		       const config_setting_t *cs, const config_setting_t *ks, const char *cert,
		       const char *key)
{
	char why[SSL_REASON_MAX];
	EVP_PKEY *pkey = NULL;
	X509 *x509 = NULL;
	FILE *cf, *kf;

	cf = open_reported(ctx, cs, cert, "certificate");
	kf = open_reported(ctx, ks, key, "key");
	if (cf == NULL || kf == NULL)
		goto fail;
	ERR_clear_error();
	x509 = PEM_read_X509(cf, NULL, no_passphrase, NULL);
	if (x509 == NULL) {
		cfg_error(ctx, cs, "failed to load intercept CA `%s` / `%s`: %s", CFG_Q(cert),
			  CFG_Q(key), ssl_reason(why, sizeof(why), "the certificate file holds no PEM certificate"));
		goto fail;
	}
	pkey = PEM_read_PrivateKey(kf, NULL, no_passphrase, NULL);
	if (pkey == NULL) {
		cfg_error(ctx, ks, "failed to load intercept CA `%s` / `%s`: %s", CFG_Q(cert),
			  CFG_Q(key),
			  ssl_reason(why, sizeof(why),
				     "the key file holds no unencrypted PEM private key"));
		goto fail;
	}
	if (X509_check_private_key(x509, pkey) != 1) {
		ERR_clear_error();
		cfg_error(ctx, group, "failed to load intercept CA `%s` / `%s`: the key does not "
				      "match the certificate",
			  CFG_Q(cert), CFG_Q(key));
		goto fail;
	}
	/* Leaves signed by a non-CA certificate would fail in every client. */
	if (X509_check_ca(x509) == 0)
		cfg_error(ctx, cs, "failed to load intercept CA `%s` / `%s`: the certificate is "
				   "not a CA certificate",
			  CFG_Q(cert), CFG_Q(key));
fail:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	X509_free(x509);
	if (cf != NULL)
		fclose(cf);
	if (kf != NULL)
		fclose(kf);
}

int cfg_parse_ca_pair(struct cfg_ctx *ctx, const config_setting_t *s, char **cert, char **key)
{
	const config_setting_t *cs = cfg_member(s, "ca_cert", CFG_T_STRING);
	const config_setting_t *ks = cfg_member(s, "ca_key", CFG_T_STRING);

	if (cs == NULL && ks == NULL)
		return 0;
	if (ks == NULL) {
		if (config_setting_get_member(s, "ca_key") == NULL)
			cfg_error(ctx, s, "ca_cert is set but ca_key is missing");
		return 0;
	}
	if (cs == NULL) {
		if (config_setting_get_member(s, "ca_cert") == NULL)
			cfg_error(ctx, s, "ca_key is set but ca_cert is missing");
		return 0;
	}
	*cert = cfg_resolve_path(ctx, cs);
	*key = cfg_resolve_path(ctx, ks);
	if (ctx->oom)
		return -ENOMEM;
	if (*cert != NULL && *key != NULL)
		check_pair(ctx, s, cs, ks, *cert, *key);
	return 0;
}

int cfg_check_ca_bundle(struct cfg_ctx *ctx, const config_setting_t *s, const char *path)
{
	char why[SSL_REASON_MAX];
	X509_STORE *store;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		cfg_error(ctx, s, "cannot read upstream_ca_file `%s`: %s", CFG_Q(path),
			  strerror(errno));
		return 0;
	}
	fclose(f);
	store = X509_STORE_new();
	if (store == NULL)
		return cfg_oom(ctx, s);
	ERR_clear_error();
	if (X509_STORE_load_file(store, path) != 1)
		cfg_error(ctx, s, "cannot load upstream_ca_file `%s`: %s", CFG_Q(path),
			  ssl_reason(why, sizeof(why), "no PEM certificate could be loaded"));
	ERR_clear_error();
	X509_STORE_free(store);
	return 0;
}
