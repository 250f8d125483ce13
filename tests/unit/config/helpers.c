/* SPDX-License-Identifier: BSD-3-Clause */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "helpers.h"

#define FIXTURE "t.conf"
#define CA_DAYS 1
#define FD_LIMIT 16

static char tmpdir[64];
static char *olddir;

int tmpdir_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sbgw-config-test-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	olddir = getcwd(NULL, 0);
	return chdir(tmpdir);
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int tmpdir_teardown(void **state)
{
	(void)state;
	if (olddir != NULL && chdir(olddir) < 0)
		return -1;
	free(olddir);
	olddir = NULL;
	return nftw(tmpdir, remove_one, FD_LIMIT, FTW_DEPTH | FTW_PHYS);
}

void write_file(const char *name, const char *text)
{
	FILE *f = fopen(name, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

struct sbgw_config *load_text(const char *text, char **err)
{
	struct sbgw_config *cfg;
	size_t len;
	FILE *f;

	write_file(FIXTURE, text);
	f = open_memstream(err, &len);
	assert_non_null(f);
	cfg = sbgw_config_load(FIXTURE, f);
	fclose(f);
	return cfg;
}

char *sandbox_text(const char *body)
{
	char *text;

	assert_true(asprintf(&text, GW_TEXT "sandboxes = ( { name = \"sb\"; port = \"p0\"; %s } );\n",
			     body) > 0);
	return text;
}

struct sbgw_config *load_sandbox(const char *body, char **err)
{
	char *text = sandbox_text(body);
	struct sbgw_config *cfg = load_text(text, err);

	free(text);
	return cfg;
}

struct sbgw_config *must_load(const char *text)
{
	struct sbgw_config *cfg;
	char *err = NULL;

	cfg = load_text(text, &err);
	if (cfg == NULL || err[0] != '\0')
		print_error("unexpected problems:\n%s", err);
	assert_non_null(cfg);
	assert_string_equal(err, "");
	free(err);
	return cfg;
}

struct sbgw_config *must_load_sandbox(const char *body)
{
	char *text = sandbox_text(body);
	struct sbgw_config *cfg = must_load(text);

	free(text);
	return cfg;
}

void assert_load_fails_with(const char *text, const char *expected)
{
	struct sbgw_config *cfg;
	char *err = NULL;

	cfg = load_text(text, &err);
	assert_null(cfg);
	assert_string_equal(err, expected);
	free(err);
}

void assert_sandbox_fails_with(const char *body, const char *expected)
{
	char *text = sandbox_text(body), *want;

	assert_true(asprintf(&want, FIXTURE ":%d: %s\n", SB_LINE, expected) > 0);
	assert_load_fails_with(text, want);
	free(want);
	free(text);
}

static EVP_PKEY *new_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

static void write_pem(const char *name, X509 *x, EVP_PKEY *k)
{
	FILE *f = fopen(name, "w");

	assert_non_null(f);
	if (x != NULL)
		assert_int_equal(PEM_write_X509(f, x), 1);
	else
		assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(fclose(f), 0);
}

void write_ca_pair(const char *cert, const char *key, bool ca, bool same_key)
{
	EVP_PKEY *k = new_key(), *other = same_key ? NULL : new_key();
	X509 *x = X509_new();
	X509_NAME *name;
	X509_EXTENSION *ext;
	X509V3_CTX v3;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 60L * 60 * 24 * CA_DAYS);
	X509_set_pubkey(x, k);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"test CA", -1,
				   -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
				  ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	write_pem(cert, x, NULL);
	write_pem(key, NULL, same_key ? k : other);
	X509_free(x);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

char *dump_text(const struct sbgw_config *cfg)
{
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	sbgw_config_dump(cfg, f);
	fclose(f);
	return out;
}
