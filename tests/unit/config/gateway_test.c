/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/config/gateway.c: the gateway section (lcores, uplink, host port,
 * nameservers, CA defaults, control socket, flows, floor).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "helpers.h"

#define UPLINK "uplink = { device = \"up0\"; address = \"198.51.100.2/24\"; next_hop = \"198.51.100.1\"; };"

/* version on line 1, the gateway group with body on line 2. */
static char *gateway_text(const char *body)
{
	char *text;

	assert_true(asprintf(&text, "version = 1;\ngateway = { %s };\n", body) > 0);
	return text;
}

static struct sbgw_config *load_gateway(const char *body)
{
	char *text = gateway_text(body);
	struct sbgw_config *cfg = must_load(text);

	free(text);
	return cfg;
}

/* One problem on line 2. */
static void gateway_fails_with(const char *body, const char *expected)
{
	char *text = gateway_text(body), *want;

	assert_true(asprintf(&want, "t.conf:2: %s\n", expected) > 0);
	assert_load_fails_with(text, want);
	free(want);
	free(text);
}

static void gateway_defaults(void **state)
{
	struct sbgw_config *cfg = load_gateway(UPLINK);
	const struct sbgw_gateway *gw = &cfg->gw;
	char a[SBGW_ADDR_STRLEN];

	(void)state;
	assert_int_equal(gw->eal.n, 0);
	assert_int_equal(gw->n_workers, 0);
	assert_int_equal(gw->n_slow, 0);
	assert_string_equal(gw->uplink.device, "up0");
	assert_string_equal(sbgw_addr_format(&gw->uplink.address_ip, a, sizeof(a)), "198.51.100.2");
	assert_int_equal(gw->uplink.address.len, 24);
	assert_string_equal(sbgw_addr_format(&gw->uplink.address.addr, a, sizeof(a)),
			    "198.51.100.0");
	assert_string_equal(sbgw_addr_format(&gw->uplink.next_hop, a, sizeof(a)), "198.51.100.1");
	assert_false(gw->uplink.has_v6);
	assert_null(gw->host_device);
	assert_int_equal(gw->dns_nameservers.n, 0);
	assert_null(gw->tls.ca_cert);
	assert_string_equal(gw->tls.ca_cn, SBGW_DEFAULT_CA_CN);
	assert_string_equal(gw->tls.state_dir, "/var/lib/sbgw/tls");
	assert_null(gw->tls.upstream_ca_file);
	assert_string_equal(gw->control_socket, "/run/sbgw/control.sock");
	assert_int_equal(gw->flows, SBGW_FLOWS_DEFAULT);
	assert_false(gw->has_floor);
	sbgw_config_free(cfg);
}

static void gateway_every_field_is_read(void **state)
{
	struct sbgw_config *cfg = load_gateway(
		"eal = [ \"--in-memory\", \"--no-pci\" ]; workers = [ 1, 2 ]; slow = [ 0 ]; "
		"uplink = { device = \"up0\"; address = \"198.51.100.2/24\"; next_hop = "
		"\"198.51.100.1\"; address6 = \"2001:db8:1::2/64\"; next_hop6 = \"2001:db8:1::1\"; }; "
		"host = { device = \"net_tap0,iface=sbgw0\"; }; dns = { nameservers = [ "
		"\"203.0.113.53\" ]; }; tls = { ca_cn = \"sbgw CA\"; state_dir = \"/tmp/tls\"; }; "
		"control = { socket = \"/tmp/sbgw.sock\"; }; flows = 4096;");
	const struct sbgw_gateway *gw = &cfg->gw;

	(void)state;
	assert_int_equal(gw->eal.n, 2);
	assert_string_equal(gw->eal.v[1], "--no-pci");
	assert_int_equal(gw->n_workers, 2);
	assert_int_equal(gw->workers[1], 2);
	assert_int_equal(gw->n_slow, 1);
	assert_true(gw->uplink.has_v6);
	assert_int_equal(gw->uplink.address6.len, 64);
	assert_string_equal(gw->host_device, "net_tap0,iface=sbgw0");
	assert_int_equal(gw->dns_nameservers.n, 1);
	assert_string_equal(gw->tls.ca_cn, "sbgw CA");
	assert_string_equal(gw->tls.state_dir, "/tmp/tls");
	assert_string_equal(gw->control_socket, "/tmp/sbgw.sock");
	assert_int_equal(gw->flows, 4096);
	sbgw_config_free(cfg);
}

static void gateway_uplink_is_required(void **state)
{
	(void)state;
	gateway_fails_with("flows = 10;", "gateway.uplink: required setting is missing");
}

static void gateway_uplink_device_and_address_are_required(void **state)
{
	(void)state;
	assert_load_fails_with("version = 1;\ngateway = { uplink = { }; };\n",
			       "t.conf:2: gateway.uplink.device: required setting is missing\n"
			       "t.conf:2: gateway.uplink.address: required setting is missing\n"
			       "t.conf:2: gateway.uplink.next_hop: required setting is missing\n");
}

static void gateway_uplink_address_must_be_ipv4(void **state)
{
	(void)state;
	gateway_fails_with("uplink = { device = \"u\"; address = \"2001:db8::2/64\"; next_hop = "
			   "\"198.51.100.1\"; };",
			   "gateway.uplink.address: invalid address \"2001:db8::2/64\": expected an "
			   "IPv4 address with its prefix length");
}

static void gateway_uplink_address_without_prefix_is_host(void **state)
{
	struct sbgw_config *cfg = load_gateway(
		"uplink = { device = \"u\"; address = \"198.51.100.2\"; next_hop = \"198.51.100.1\"; };");

	(void)state;
	assert_int_equal(cfg->gw.uplink.address.len, 32);
	sbgw_config_free(cfg);
}

static void gateway_uplink_address_unspecified_is_rejected(void **state)
{
	(void)state;
	gateway_fails_with("uplink = { device = \"u\"; address = \"0.0.0.0/0\"; next_hop = "
			   "\"198.51.100.1\"; };",
			   "gateway.uplink.address: invalid address \"0.0.0.0/0\": expected an IPv4 "
			   "address with its prefix length");
}

static void gateway_uplink_next_hop_invalid_is_rejected(void **state)
{
	(void)state;
	gateway_fails_with("uplink = { device = \"u\"; address = \"198.51.100.2/24\"; next_hop = "
			   "\"gw.example\"; };",
			   "gateway.uplink.next_hop: invalid next_hop \"gw.example\": expected an "
			   "IPv4 address");
}

static void gateway_uplink_next_hop_wrong_family_is_rejected(void **state)
{
	(void)state;
	gateway_fails_with("uplink = { device = \"u\"; address = \"198.51.100.2/24\"; next_hop = "
			   "\"2001:db8::1\"; };",
			   "gateway.uplink.next_hop: invalid next_hop \"2001:db8::1\": expected an "
			   "IPv4 address");
}

static void gateway_uplink_address6_needs_next_hop6(void **state)
{
	(void)state;
	gateway_fails_with("uplink = { device = \"u\"; address = \"198.51.100.2/24\"; next_hop = "
			   "\"198.51.100.1\"; address6 = \"2001:db8::2/64\"; };",
			   "gateway.uplink: address6 is set but next_hop6 is missing");
}

static void gateway_uplink_next_hop6_needs_address6(void **state)
{
	(void)state;
	gateway_fails_with("uplink = { device = \"u\"; address = \"198.51.100.2/24\"; next_hop = "
			   "\"198.51.100.1\"; next_hop6 = \"2001:db8::1\"; };",
			   "gateway.uplink: next_hop6 is set but address6 is missing");
}

static void gateway_uplink_device_empty_is_rejected(void **state)
{
	(void)state;
	gateway_fails_with("uplink = { device = \"\"; address = \"198.51.100.2/24\"; next_hop = "
			   "\"198.51.100.1\"; };",
			   "gateway.uplink.device: device must not be empty");
}

static void gateway_host_device_is_required_in_group(void **state)
{
	(void)state;
	gateway_fails_with(UPLINK " host = { };", "gateway.host.device: required setting is missing");
}

static void gateway_host_device_same_as_uplink_is_rejected(void **state)
{
	(void)state;
	gateway_fails_with(UPLINK " host = { device = \"up0\"; };",
			   "gateway.host.device: the host device is the same device as "
			   "uplink.device");
}

static void gateway_workers_out_of_range_is_rejected(void **state)
{
	(void)state;
	gateway_fails_with(UPLINK " workers = [ 128 ];",
			   "gateway.workers.[0]: 128 is out of range 0..127");
}

static void gateway_workers_twice_is_rejected(void **state)
{
	(void)state;
	gateway_fails_with(UPLINK " workers = [ 1, 1 ];", "gateway.workers.[1]: lcore 1 is listed twice");
}

static void gateway_workers_empty_is_rejected(void **state)
{
	(void)state;
	gateway_fails_with(UPLINK " workers = [ ];",
			   "gateway.workers: must list at least one lcore (omit it for the default)");
}

static void gateway_worker_and_slow_overlap_is_rejected(void **state)
{
	(void)state;
	gateway_fails_with(UPLINK " workers = [ 1, 2 ]; slow = [ 2 ];",
			   "gateway.slow: lcore 2 is both a worker and a slow core");
}

static void gateway_eal_entries_must_be_strings(void **state)
{
	(void)state;
	gateway_fails_with(UPLINK " eal = [ 1 ];", "gateway.eal.[0]: expected a string, got an integer");
}

static void gateway_flows_zero_is_rejected(void **state)
{
	(void)state;
	gateway_fails_with(UPLINK " flows = 0;", "gateway.flows: 0 is out of range 1..268435456");
}

static void gateway_mbufs_default_is_sized_at_start(void **state)
{
	struct sbgw_config *cfg = load_gateway(UPLINK);

	(void)state;
	assert_int_equal(cfg->gw.mbufs, 0);
	sbgw_config_free(cfg);
}

static void gateway_mbufs_is_read(void **state)
{
	struct sbgw_config *cfg = load_gateway(UPLINK " mbufs = 1048576;");

	(void)state;
	assert_int_equal(cfg->gw.mbufs, 1048576);
	sbgw_config_free(cfg);
}

static void gateway_mbufs_too_few_is_rejected(void **state)
{
	(void)state;
	gateway_fails_with(UPLINK " mbufs = 100;", "gateway.mbufs: 100 is out of range 1024..67108864");
}

static void gateway_uplink_next_hop_mac_is_read(void **state)
{
	struct sbgw_config *cfg = load_gateway(
		"uplink = { device = \"u\"; address = \"198.51.100.2/24\"; next_hop = "
		"\"198.51.100.1\"; next_hop_mac = \"02:00:5E:10:00:0a\"; };");
	static const uint8_t want[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x0a};

	(void)state;
	assert_true(cfg->gw.uplink.has_next_hop_mac);
	assert_memory_equal(cfg->gw.uplink.next_hop_mac.b, want, 6);
	sbgw_config_free(cfg);
}

static void gateway_uplink_next_hop_mac_absent_means_arp(void **state)
{
	struct sbgw_config *cfg = load_gateway(UPLINK);

	(void)state;
	assert_false(cfg->gw.uplink.has_next_hop_mac);
	sbgw_config_free(cfg);
}

static void gateway_uplink_next_hop_mac_invalid_is_rejected(void **state)
{
	(void)state;
	gateway_fails_with("uplink = { device = \"u\"; address = \"198.51.100.2/24\"; next_hop = "
			   "\"198.51.100.1\"; next_hop_mac = \"02:00:5e:10:00\"; };",
			   "gateway.uplink.next_hop_mac: invalid next_hop_mac \"02:00:5e:10:00\": "
			   "expected a unicast MAC such as 02:00:5e:10:00:01");
}

static void gateway_uplink_next_hop_mac_multicast_is_rejected(void **state)
{
	(void)state;
	gateway_fails_with("uplink = { device = \"u\"; address = \"198.51.100.2/24\"; next_hop = "
			   "\"198.51.100.1\"; next_hop_mac = \"01:00:5e:10:00:01\"; };",
			   "gateway.uplink.next_hop_mac: invalid next_hop_mac \"01:00:5e:10:00:01\": "
			   "expected a unicast MAC such as 02:00:5e:10:00:01");
}

static void gateway_nameserver_invalid_is_rejected(void **state)
{
	(void)state;
	gateway_fails_with(UPLINK " dns = { nameservers = [ \"1.1.1.1:x\" ]; };",
			   "gateway.dns.nameservers.[0]: invalid nameserver \"1.1.1.1:x\"; expected "
			   "IP, IP:PORT, HOST, or HOST:PORT");
}

static void gateway_control_socket_too_long_is_rejected(void **state)
{
	char body[512], want[512];

	(void)state;
	snprintf(body, sizeof(body), UPLINK " control = { socket = \"/%0110d\"; };", 0);
	snprintf(want, sizeof(want),
		 "gateway.control.socket: socket path `/%0110d` is longer than 107 bytes", 0);
	gateway_fails_with(body, want);
}

static void gateway_control_socket_relative_follows_config_dir(void **state)
{
	struct sbgw_config *cfg;
	char *err = NULL;
	size_t len;
	FILE *f;

	(void)state;
	assert_int_equal(mkdir("sub", 0700), 0);
	write_file("sub/gw.conf", "version = 1;\ngateway = { " UPLINK
				  " control = { socket = \"run/ctl.sock\"; }; };\n");
	f = open_memstream(&err, &len);
	cfg = sbgw_config_load("sub/gw.conf", f);
	fclose(f);
	assert_string_equal(err, "");
	assert_string_equal(cfg->gw.control_socket, "sub/run/ctl.sock");
	sbgw_config_free(cfg);
	free(err);
}

static void gateway_control_socket_empty_is_rejected(void **state)
{
	(void)state;
	gateway_fails_with(UPLINK " control = { socket = \"\"; };",
			   "gateway.control.socket: path must not be empty");
}

static void gateway_tls_ca_pair_is_checked(void **state)
{
	(void)state;
	gateway_fails_with(UPLINK " tls = { ca_key = \"k.pem\"; };",
			   "gateway.tls: ca_key is set but ca_cert is missing");
}

static void gateway_tls_ca_pair_loads(void **state)
{
	struct sbgw_config *cfg;

	(void)state;
	write_ca_pair("gw.pem", "gw.key", true, true);
	cfg = load_gateway(UPLINK " tls = { ca_cert = \"gw.pem\"; ca_key = \"gw.key\"; };");
	assert_string_equal(cfg->gw.tls.ca_cert, "gw.pem");
	assert_string_equal(cfg->gw.tls.ca_key, "gw.key");
	sbgw_config_free(cfg);
}

static void gateway_upstream_ca_file_loads(void **state)
{
	struct sbgw_config *cfg;

	(void)state;
	write_ca_pair("roots.pem", "roots.key", true, true);
	cfg = load_gateway(UPLINK " tls = { upstream_ca_file = \"roots.pem\"; };");
	assert_string_equal(cfg->gw.tls.upstream_ca_file, "roots.pem");
	sbgw_config_free(cfg);
}

static void gateway_upstream_ca_file_missing_is_rejected(void **state)
{
	(void)state;
	gateway_fails_with(UPLINK " tls = { upstream_ca_file = \"none.pem\"; };",
			   "gateway.tls.upstream_ca_file: cannot read upstream_ca_file `none.pem`: "
			   "No such file or directory");
}

static void gateway_upstream_ca_file_without_certificates_is_rejected(void **state)
{
	char *text = gateway_text(UPLINK " tls = { upstream_ca_file = \"empty.pem\"; };");
	char *err = NULL;

	(void)state;
	write_file("empty.pem", "nothing here\n");
	assert_null(load_text(text, &err));
	assert_non_null(strstr(err, "t.conf:2: gateway.tls.upstream_ca_file: cannot load "
				    "upstream_ca_file `empty.pem`: no PEM certificate could be "
				    "loaded"));
	free(err);
	free(text);
}

static void gateway_floor_preset(void **state)
{
	struct sbgw_config *cfg = load_gateway(UPLINK " floor = \"public_only\";");

	(void)state;
	assert_true(cfg->gw.has_floor);
	assert_int_equal(cfg->gw.floor.n_rules, 3);
	assert_int_equal(cfg->gw.floor.rules[2].group, SBGW_GROUP_PUBLIC);
	sbgw_config_free(cfg);
}

static void gateway_floor_group(void **state)
{
	struct sbgw_config *cfg = load_gateway(
		UPLINK " floor = { rules = ( \"allow_dns\", { action = \"allow\"; destination = "
		       "\"public\"; } ); };");

	(void)state;
	assert_true(cfg->gw.has_floor);
	assert_int_equal(cfg->gw.floor.default_egress, SBGW_ACTION_DENY);
	assert_int_equal(cfg->gw.floor.n_rules, 3);
	sbgw_config_free(cfg);
}

static void gateway_floor_invalid_rule_is_rejected(void **state)
{
	(void)state;
	gateway_fails_with(UPLINK " floor = { rules = ( { action = \"allow\"; destination = "
				  "\".com\"; } ); };",
			   "gateway.floor.rules.[0].destination: invalid domain suffix \".com\": "
			   "suffix is a single DNS label and would match every domain under that "
			   "TLD; add at least one parent label");
}

static void gateway_unknown_key_suggests(void **state)
{
	(void)state;
	gateway_fails_with(UPLINK " worker = [ 1 ];",
			   "gateway.worker: unknown setting (did you mean \"workers\"?)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gateway_defaults),
		cmocka_unit_test(gateway_every_field_is_read),
		cmocka_unit_test(gateway_uplink_is_required),
		cmocka_unit_test(gateway_uplink_device_and_address_are_required),
		cmocka_unit_test(gateway_uplink_address_must_be_ipv4),
		cmocka_unit_test(gateway_uplink_address_without_prefix_is_host),
		cmocka_unit_test(gateway_uplink_address_unspecified_is_rejected),
		cmocka_unit_test(gateway_uplink_next_hop_invalid_is_rejected),
		cmocka_unit_test(gateway_uplink_next_hop_wrong_family_is_rejected),
		cmocka_unit_test(gateway_uplink_address6_needs_next_hop6),
		cmocka_unit_test(gateway_uplink_next_hop6_needs_address6),
		cmocka_unit_test(gateway_uplink_device_empty_is_rejected),
		cmocka_unit_test(gateway_host_device_is_required_in_group),
		cmocka_unit_test(gateway_host_device_same_as_uplink_is_rejected),
		cmocka_unit_test(gateway_workers_out_of_range_is_rejected),
		cmocka_unit_test(gateway_workers_twice_is_rejected),
		cmocka_unit_test(gateway_workers_empty_is_rejected),
		cmocka_unit_test(gateway_worker_and_slow_overlap_is_rejected),
		cmocka_unit_test(gateway_eal_entries_must_be_strings),
		cmocka_unit_test(gateway_flows_zero_is_rejected),
		cmocka_unit_test(gateway_mbufs_default_is_sized_at_start),
		cmocka_unit_test(gateway_mbufs_is_read),
		cmocka_unit_test(gateway_mbufs_too_few_is_rejected),
		cmocka_unit_test(gateway_uplink_next_hop_mac_is_read),
		cmocka_unit_test(gateway_uplink_next_hop_mac_absent_means_arp),
		cmocka_unit_test(gateway_uplink_next_hop_mac_invalid_is_rejected),
		cmocka_unit_test(gateway_uplink_next_hop_mac_multicast_is_rejected),
		cmocka_unit_test(gateway_nameserver_invalid_is_rejected),
		cmocka_unit_test(gateway_control_socket_too_long_is_rejected),
		cmocka_unit_test(gateway_control_socket_relative_follows_config_dir),
		cmocka_unit_test(gateway_control_socket_empty_is_rejected),
		cmocka_unit_test(gateway_tls_ca_pair_is_checked),
		cmocka_unit_test(gateway_tls_ca_pair_loads),
		cmocka_unit_test(gateway_upstream_ca_file_loads),
		cmocka_unit_test(gateway_upstream_ca_file_missing_is_rejected),
		cmocka_unit_test(gateway_upstream_ca_file_without_certificates_is_rejected),
		cmocka_unit_test(gateway_floor_preset),
		cmocka_unit_test(gateway_floor_group),
		cmocka_unit_test(gateway_floor_invalid_rule_is_rejected),
		cmocka_unit_test(gateway_unknown_key_suggests),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
