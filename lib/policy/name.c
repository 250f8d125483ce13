/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Domain name grammar and canonical form (semantics §1.5.3).
 *
 * The ASCII checks run before any IDNA conversion so that the common
 * mistakes (URLs, ports, e-mail addresses, wildcards) get a reason that
 * names the mistake rather than libidn2's generic "string contains a
 * disallowed character".
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "name.h"

/* Text form of a name whose wire form is at most 255 octets. */
#define NAME_TEXT_MAX 253
#define LABEL_MAX 63
/* Longest input we look at; anything longer cannot canonicalise. */
#define INPUT_MAX 1024

static const char *const reason_empty = "domain name is empty";
static const char *const reason_wildcard =
	"a \"*\" label never matches; write a suffix as \".example.com\"";

/* Why an ASCII character is not allowed, or NULL when it is. */
static const char *bad_char_reason(unsigned char c)
{
	if (isalnum(c) || c == '-' || c == '_' || c == '.' || c >= 0x80)
		return NULL;
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
		return "domain name contains whitespace";
	switch (c) {
	case '*':
		return reason_wildcard;
	case ':':
		return "domain name contains ':'; write the name without a URL scheme or port";
	case '@':
		return "domain name contains '@'; write the host name without user information";
	case '/':
		return "domain name contains '/'; write the host name without a URL path "
		       "(networks are written as CIDR destinations)";
	case '?':
		return "domain name contains '?'; write the host name without a URL query";
	case '#':
		return "domain name contains '#'; write the host name without a URL fragment";
	default:
		break;
	}
	return "domain name contains a character other than letters, digits, '-', '_' and '.'";
}

/*
 * Check labels and length of an ASCII name without leading or trailing
 * dots, lowercasing it in place.
 */
static int check_ascii(char *s, const char **reason)
{
	size_t len = strlen(s), label = 0;

	if (len > NAME_TEXT_MAX) {
		*reason = "domain name is longer than 253 characters";
		return -EINVAL;
	}
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.' || c == '\0') {
			if (label == 0) {
				*reason = "domain name has an empty label (two dots in a row)";
				return -EINVAL;
			}
			label = 0;
			continue;
		}
		if (c >= 0x80 || bad_char_reason(c) != NULL) {
			*reason = c >= 0x80 ? "domain name is not valid IDNA" : bad_char_reason(c);
			return -EINVAL;
		}
		if (++label > LABEL_MAX) {
			*reason = "a domain name label is longer than 63 characters";
			return -EINVAL;
		}
		s[i] = (char)tolower(c);
	}
	return 0;
}

/* Strip leading and trailing dots into buf (INPUT_MAX + 1 bytes). */
static int strip_dots(const char *text, char *buf, const char **reason)
{
	size_t len;

	while (*text == '.')
		text++;
	len = strnlen(text, INPUT_MAX + 1);
	if (len > INPUT_MAX) {
		*reason = "domain name is longer than 253 characters";
		return -EINVAL;
	}
	while (len > 0 && text[len - 1] == '.')
		len--;
	if (len == 0) {
		*reason = reason_empty;
		return -EINVAL;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	return 0;
}

int sbgw_name_canonical(const char *text, char *out, const char **reason)
{
	char buf[INPUT_MAX + 1];
	bool non_ascii = false;
	char *alabel = NULL;
	const char *why;
	int rc;

	*reason = NULL;
	if (text == NULL) {
		*reason = reason_empty;
		return -EINVAL;
	}
	rc = strip_dots(text, buf, reason);
	if (rc < 0)
		return rc;
	for (const char *p = buf; *p != '\0'; p++) {
		why = bad_char_reason((unsigned char)*p);
		if (why != NULL) {
			*reason = why;
			return -EINVAL;
		}
		non_ascii |= (unsigned char)*p >= 0x80;
	}
	if (non_ascii) {
		/*
		 * Wire names are A-labels, so a U-label rule stored as typed
		 * could never match anything (semantics §9 Q27). UTS#46
		 * non-transitional mapping also folds case and maps the
		 * ideographic full stop to '.'.
		 */
		rc = idn2_to_ascii_8z(buf, &alabel, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
		if (rc != IDN2_OK) {
			*reason = "domain name is not valid IDNA";
			return -EINVAL;
		}
		rc = strip_dots(alabel, buf, reason);
		idn2_free(alabel);
		if (rc < 0)
			return rc;
	}
	rc = check_ascii(buf, reason);
	if (rc < 0)
		return rc;
	memcpy(out, buf, strlen(buf) + 1);
	return 0;
}

int sbgw_suffix_canonical(const char *text, char *out, const char **reason)
{
	char buf[SBGW_NAME_MAX];
	int rc;

	rc = sbgw_name_canonical(text, buf, reason);
	if (rc < 0)
		return rc;
	/* Deviation D6: "com" would quietly open a whole TLD. */
	if (strchr(buf, '.') == NULL) {
		*reason = "suffix is a single DNS label and would match every domain under that "
			  "TLD; add at least one parent label";
		return -EINVAL;
	}
	memcpy(out, buf, strlen(buf) + 1);
	return 0;
}

bool sbgw_name_matches_domain(const char *name, const char *domain)
{
	return strcmp(name, domain) == 0;
}

bool sbgw_name_matches_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (n == s)
		return memcmp(name, suffix, n) == 0;
	/* Label aligned: "evilexample.com" is not under "example.com". */
	return n > s && name[n - s - 1] == '.' && memcmp(name + n - s, suffix, s) == 0;
}
