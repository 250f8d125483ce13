/* SPDX-License-Identifier: BSD-3-Clause */
/* Domain name grammar, canonical form and matching predicates (semantics §1.5.3, §2.7.1). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "name.h"

static void assert_canonical(const char *text, const char *want)
{
	char out[SBGW_NAME_MAX];
	const char *reason = NULL;

	assert_int_equal(sbgw_name_canonical(text, out, &reason), 0);
	assert_null(reason);
	assert_string_equal(out, want);
}

/* Rejected, with a reason that contains hint. */
static void assert_rejected(const char *text, const char *hint)
{
	char out[SBGW_NAME_MAX];
	const char *reason = NULL;

	assert_int_equal(sbgw_name_canonical(text, out, &reason), -EINVAL);
	assert_non_null(reason);
	if (strstr(reason, hint) == NULL)
		fail_msg("reason \"%s\" does not mention \"%s\"", reason, hint);
}

static void assert_suffix(const char *text, const char *want)
{
	char out[SBGW_NAME_MAX];
	const char *reason = NULL;

	assert_int_equal(sbgw_suffix_canonical(text, out, &reason), 0);
	assert_string_equal(out, want);
}

static void assert_suffix_rejected(const char *text, const char *hint)
{
	char out[SBGW_NAME_MAX];
	const char *reason = NULL;

	assert_int_equal(sbgw_suffix_canonical(text, out, &reason), -EINVAL);
	assert_non_null(reason);
	if (strstr(reason, hint) == NULL)
		fail_msg("reason \"%s\" does not mention \"%s\"", reason, hint);
}

static void name_mixed_case_lowercased(void **state)
{
	(void)state;
	assert_canonical("WWW.Example.COM", "www.example.com");
}

static void name_outer_dots_stripped(void **state)
{
	(void)state;
	assert_canonical("..example.com..", "example.com");
}

static void name_trailing_root_dot_stripped(void **state)
{
	(void)state;
	assert_canonical("example.com.", "example.com");
}

static void name_empty_string_rejected(void **state)
{
	(void)state;
	assert_rejected("", "domain name is empty");
}

static void name_only_dots_rejected(void **state)
{
	(void)state;
	assert_rejected("...", "domain name is empty");
}

static void name_null_rejected(void **state)
{
	char out[SBGW_NAME_MAX];
	const char *reason = NULL;

	(void)state;
	assert_int_equal(sbgw_name_canonical(NULL, out, &reason), -EINVAL);
	assert_non_null(reason);
}

static void name_underscore_labels_accepted(void **state)
{
	(void)state;
	assert_canonical("_http._tcp.Example.com", "_http._tcp.example.com");
}

static void name_digits_and_hyphens_accepted(void **state)
{
	(void)state;
	assert_canonical("a-1.9b.example", "a-1.9b.example");
}

static void name_single_label_accepted(void **state)
{
	(void)state;
	assert_canonical("localhost", "localhost");
}

static void name_label_63_accepted(void **state)
{
	char text[80];

	(void)state;
	memset(text, 'a', 63);
	strcpy(text + 63, ".com");
	assert_canonical(text, text);
}

static void name_label_64_rejected(void **state)
{
	char text[80];

	(void)state;
	memset(text, 'a', 64);
	strcpy(text + 64, ".com");
	assert_rejected(text, "63");
}

/* 253 characters of text is the 255-octet wire limit. */
static void name_253_chars_accepted(void **state)
{
	char text[300];

	(void)state;
	/* 4 x (62 + '.') + 1 = 253 */
	memset(text, 'a', sizeof(text));
	for (int i = 62; i < 252; i += 63)
		text[i] = '.';
	text[253] = '\0';
	assert_int_equal(strlen(text), 253);
	assert_canonical(text, text);
}

static void name_254_chars_rejected(void **state)
{
	char text[300];

	(void)state;
	memset(text, 'a', sizeof(text));
	for (int i = 62; i < 252; i += 63)
		text[i] = '.';
	text[254] = '\0';
	assert_rejected(text, "253");
}

static void name_huge_input_rejected(void **state)
{
	static char text[5000];

	(void)state;
	memset(text, 'a', sizeof(text) - 1);
	assert_rejected(text, "253");
}

static void name_empty_label_rejected(void **state)
{
	(void)state;
	assert_rejected("a..example.com", "empty label");
}

static void name_space_rejected(void **state)
{
	(void)state;
	assert_rejected("exa mple.com", "whitespace");
}

static void name_tab_rejected(void **state)
{
	(void)state;
	assert_rejected("example.com\t", "whitespace");
}

static void name_url_scheme_rejected(void **state)
{
	(void)state;
	assert_rejected("https://example.com", "':'");
}

static void name_port_rejected(void **state)
{
	(void)state;
	assert_rejected("example.com:443", "port");
}

static void name_userinfo_rejected(void **state)
{
	(void)state;
	assert_rejected("user@example.com", "'@'");
}

static void name_path_rejected(void **state)
{
	(void)state;
	assert_rejected("example.com/login", "'/'");
}

static void name_query_rejected(void **state)
{
	(void)state;
	assert_rejected("example.com?q=1", "'?'");
}

static void name_fragment_rejected(void **state)
{
	(void)state;
	assert_rejected("example.com#top", "'#'");
}

static void name_other_punctuation_rejected(void **state)
{
	(void)state;
	assert_rejected("exa!mple.com", "letters, digits");
}

/* Deviation D5: "*.example.com" would be an exact name that never matches. */
static void name_wildcard_label_rejected_with_hint(void **state)
{
	(void)state;
	assert_rejected("*.example.com", "\".example.com\"");
}

static void name_inner_wildcard_rejected(void **state)
{
	(void)state;
	assert_rejected("www.*.example.com", "\"*\"");
}

static void name_unicode_becomes_alabel(void **state)
{
	(void)state;
	assert_canonical("bücher.de", "xn--bcher-kva.de");
}

static void name_unicode_uppercase_folded(void **state)
{
	(void)state;
	assert_canonical("BÜCHER.DE", "xn--bcher-kva.de");
}

static void name_ideographic_full_stop_is_dot(void **state)
{
	(void)state;
	assert_canonical("münchen\xe3\x80\x82" "de", "xn--mnchen-3ya.de");
}

static void name_alabel_kept(void **state)
{
	(void)state;
	assert_canonical("XN--BCHER-KVA.de", "xn--bcher-kva.de");
}

static void name_disallowed_unicode_rejected(void **state)
{
	(void)state;
	/* U+2603 SNOWMAN is not a valid IDNA2008 code point. */
	assert_rejected("\xe2\x98\x83.net", "IDNA");
}

static void name_invalid_utf8_rejected(void **state)
{
	(void)state;
	assert_rejected("\xff\xfe.example", "IDNA");
}

static void suffix_leading_dot_stripped(void **state)
{
	(void)state;
	assert_suffix(".Example.com", "example.com");
}

static void suffix_two_labels_accepted(void **state)
{
	(void)state;
	assert_suffix("co.uk", "co.uk");
}

/* Deviation D6. */
static void suffix_single_label_rejected(void **state)
{
	(void)state;
	assert_suffix_rejected(".com", "single DNS label");
}

static void suffix_single_label_hint_parent_label(void **state)
{
	(void)state;
	assert_suffix_rejected("internal", "add at least one parent label");
}

static void suffix_wildcard_rejected(void **state)
{
	(void)state;
	assert_suffix_rejected("*.example.com", "\"*\"");
}

static void suffix_empty_rejected(void **state)
{
	(void)state;
	assert_suffix_rejected(".", "domain name is empty");
}

static void match_domain_equal_matches(void **state)
{
	(void)state;
	assert_true(sbgw_name_matches_domain("example.com", "example.com"));
}

static void match_domain_subdomain_no_match(void **state)
{
	(void)state;
	assert_false(sbgw_name_matches_domain("www.example.com", "example.com"));
}

static void match_suffix_apex_matches(void **state)
{
	(void)state;
	assert_true(sbgw_name_matches_suffix("example.com", "example.com"));
}

static void match_suffix_subdomain_matches(void **state)
{
	(void)state;
	assert_true(sbgw_name_matches_suffix("a.b.example.com", "example.com"));
}

static void match_suffix_unaligned_no_match(void **state)
{
	(void)state;
	assert_false(sbgw_name_matches_suffix("evilexample.com", "example.com"));
}

static void match_suffix_parent_no_match(void **state)
{
	(void)state;
	assert_false(sbgw_name_matches_suffix("com", "example.com"));
}

static void match_suffix_other_tld_no_match(void **state)
{
	(void)state;
	assert_false(sbgw_name_matches_suffix("example.com.evil.net", "example.com"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(name_mixed_case_lowercased),
		cmocka_unit_test(name_outer_dots_stripped),
		cmocka_unit_test(name_trailing_root_dot_stripped),
		cmocka_unit_test(name_empty_string_rejected),
		cmocka_unit_test(name_only_dots_rejected),
		cmocka_unit_test(name_null_rejected),
		cmocka_unit_test(name_underscore_labels_accepted),
		cmocka_unit_test(name_digits_and_hyphens_accepted),
		cmocka_unit_test(name_single_label_accepted),
		cmocka_unit_test(name_label_63_accepted),
		cmocka_unit_test(name_label_64_rejected),
		cmocka_unit_test(name_253_chars_accepted),
		cmocka_unit_test(name_254_chars_rejected),
		cmocka_unit_test(name_huge_input_rejected),
		cmocka_unit_test(name_empty_label_rejected),
		cmocka_unit_test(name_space_rejected),
		cmocka_unit_test(name_tab_rejected),
		cmocka_unit_test(name_url_scheme_rejected),
		cmocka_unit_test(name_port_rejected),
		cmocka_unit_test(name_userinfo_rejected),
		cmocka_unit_test(name_path_rejected),
		cmocka_unit_test(name_query_rejected),
		cmocka_unit_test(name_fragment_rejected),
		cmocka_unit_test(name_other_punctuation_rejected),
		cmocka_unit_test(name_wildcard_label_rejected_with_hint),
		cmocka_unit_test(name_inner_wildcard_rejected),
		cmocka_unit_test(name_unicode_becomes_alabel),
		cmocka_unit_test(name_unicode_uppercase_folded),
		cmocka_unit_test(name_ideographic_full_stop_is_dot),
		cmocka_unit_test(name_alabel_kept),
		cmocka_unit_test(name_disallowed_unicode_rejected),
		cmocka_unit_test(name_invalid_utf8_rejected),
		cmocka_unit_test(suffix_leading_dot_stripped),
		cmocka_unit_test(suffix_two_labels_accepted),
		cmocka_unit_test(suffix_single_label_rejected),
		cmocka_unit_test(suffix_single_label_hint_parent_label),
		cmocka_unit_test(suffix_wildcard_rejected),
		cmocka_unit_test(suffix_empty_rejected),
		cmocka_unit_test(match_domain_equal_matches),
		cmocka_unit_test(match_domain_subdomain_no_match),
		cmocka_unit_test(match_suffix_apex_matches),
		cmocka_unit_test(match_suffix_subdomain_matches),
		cmocka_unit_test(match_suffix_unaligned_no_match),
		cmocka_unit_test(match_suffix_parent_no_match),
		cmocka_unit_test(match_suffix_other_tld_no_match),
	};

	return cmocka_run_group_tests_name("name", tests, NULL, NULL);
}
