/* SPDX-License-Identifier: BSD-3-Clause */
/* Config loader: good files, every kind of bad file, all errors reported at once. */
#include <string.h>

#include "jg_config.h"
#include "jg_test.h"

static struct jg_config cfg;
static struct jg_cfg_errors errs;

static int
load(const char *text)
{
	memset(&errs, 0, sizeof(errs));
	return jg_config_load_mem("t.yaml", text, strlen(text), &cfg, &errs);
}

static int
has_error(const char *needle)
{
	for (uint32_t i = 0; i < errs.n; i++)
		if (strstr(errs.e[i].msg, needle) != NULL)
			return 1;
	return 0;
}

static const char *const good =
	"eal:\n"
	"  file_prefix: jg-test\n"
	"  args: [\"--log-level=pmd.*:info\"]\n"
	"lcores:\n"
	"  main: 0\n"
	"  workers: [1, 2]\n"
	"  cpus: [0, 1, 1]\n"
	"ports:\n"
	"  - name: mirror\n"
	"    device: 0000:3b:00.0\n"
	"    rx_queues: 2\n"
	"  - device: net_pcap0,rx_pcap=x.pcap\n"
	"flows:\n"
	"  table_size: 65536\n"
	"  tcp_idle_timeout: 120\n"
	"rings:\n"
	"  events: 1024\n"
	"control:\n"
	"  socket: /tmp/jg.sock\n"
	"  socket_mode: 0600\n"
	"output:\n"
	"  dir: /tmp/out\n"
	"  flows: false\n";

static void
test_good(void)
{
	CHECK(load(good) == 0);
	CHECK(errs.n == 0);
	CHECK(strcmp(cfg.file_prefix, "jg-test") == 0);
	CHECK(cfg.n_eal_args == 1 && strcmp(cfg.eal_args[0], "--log-level=pmd.*:info") == 0);
	CHECK(cfg.n_workers == 2 && cfg.workers[1] == 2 && cfg.n_cpus == 3 && cfg.cpus[2] == 1);
	CHECK(cfg.n_ports == 2);
	CHECK(strcmp(cfg.ports[0].name, "mirror") == 0 && !jg_config_port_is_vdev(&cfg.ports[0]));
	CHECK(cfg.ports[0].rx_queues == 2 && cfg.ports[0].rx_descriptors == 1024);
	CHECK(strcmp(cfg.ports[1].name, "port1") == 0 && jg_config_port_is_vdev(&cfg.ports[1]));
	CHECK(cfg.flow_table_size == 65536 && cfg.tcp_idle_s == 120 && cfg.udp_idle_s == 60);
	CHECK(cfg.ring_events == 1024 && cfg.ring_flows == 65536);
	CHECK(cfg.socket_mode == 0600 && strcmp(cfg.socket_path, "/tmp/jg.sock") == 0);
	CHECK(cfg.flows_output == 0);
}

static void
test_shipped_files(void)
{
	static const char *const files[] = {
		"config/jumpgate.yaml",        "config/examples/pcap.yaml",   "config/examples/af_packet.yaml",
		"config/examples/memif.yaml",  "config/examples/ring.yaml",   "config/examples/null.yaml",
		"config/examples/pci.yaml",    "tests/e2e/replay.yaml",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		memset(&errs, 0, sizeof(errs));
		CHECK(jg_config_load(files[i], &cfg, &errs) == 0);
		for (uint32_t e = 0; e < errs.n; e++)
			fprintf(stderr, "  %s\n", errs.e[e].msg);
	}
}

static void
test_all_errors_at_once(void)
{
	const char *bad =
		"eal:\n"
		"  file_prefix: \"bad prefix\"\n"     /* 2: cross-key: characters */
		"  colour: blue\n"                     /* 3: unknown key */
		"lcores:\n"
		"  main: 1\n"
		"  workers: [1, 3, 3]\n"               /* 6: main among workers, duplicate */
		"ports:\n"
		"  - name: a\n"
		"    rx_queues: 9\n"                   /* 8: no device; more queues than workers */
		"flows:\n"
		"  table_size: 3000\n"                 /* 11: not a power of two */
		"  tcp_idle_timeout: -5\n"             /* 12: not a number */
		"  udp_idle_timeout: 0\n"              /* 13: out of range */
		"  udp_idle_timeout: 10\n"             /* 14: twice */
		"rings:\n"
		"  flows: [1]\n"                       /* 16: not a scalar */
		"control:\n"
		"  socket_mode: 999\n"                 /* 18: not octal */
		"bogus: {}\n";                         /* 19: unknown section */

	CHECK(load(bad) != 0);
	CHECK(has_error("t.yaml:3: eal.colour: unknown key"));
	CHECK(has_error("t.yaml:11: flows.table_size: 3000: not a power of two"));
	CHECK(has_error("t.yaml:12: flows.tcp_idle_timeout: -5: not a non-negative integer"));
	CHECK(has_error("t.yaml:13: flows.udp_idle_timeout: 0: out of range"));
	CHECK(has_error("t.yaml:14: flows.udp_idle_timeout: given twice"));
	CHECK(has_error("t.yaml:16: rings.flows: (not a scalar)"));
	CHECK(has_error("t.yaml:18: control.socket_mode: 999: expected an octal mode"));
	CHECK(has_error("t.yaml:19: bogus: unknown section"));
	CHECK(has_error("t.yaml:8: ports[0]: device: missing"));
	CHECK(errs.n >= 9);
}

static void
test_cross_key(void)
{
	const char *bad =
		"eal:\n"
		"  file_prefix: \"bad prefix\"\n"
		"  args: [\"-d\", \"/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0\", \"--log-level=*:info\"]\n"
		"lcores:\n"
		"  main: 1\n"
		"  workers: [1, 3, 3]\n"
		"  cpus: [0]\n"
		"ports:\n"
		"  - device: net_null0\n"
		"    rx_queues: 9\n"
		"  - device: net_null1\n"
		"mempool:\n"
		"  mbufs: 2048\n"
		"flows:\n"
		"  tcp_idle_timeout: 10\n"
		"  tcp_closed_timeout: 20\n"
		"control:\n"
		"  socket: relative.sock\n";

	CHECK(load(bad) != 0);
	CHECK(has_error("t.yaml:6: lcores.workers: 1: is also lcores.main"));
	CHECK(has_error("t.yaml:6: lcores.workers: 3: listed twice"));
	CHECK(has_error("t.yaml:7: lcores.cpus: 1 entries"));
	CHECK(has_error("t.yaml:9: port0: rx_queues: 9: more queues than workers"));
	CHECK(has_error("t.yaml:13: mempool.mbufs: 2048: fewer than"));
	CHECK(has_error("t.yaml:16: flows.tcp_closed_timeout: 20: longer than"));
	CHECK(has_error("t.yaml:18: control.socket: relative.sock: must be an absolute path"));
	CHECK(has_error("t.yaml:2: eal.file_prefix: bad prefix: only letters"));
	CHECK(has_error("t.yaml:3: eal.args: -d: jg-dataplane has every DPDK network driver built in"));
	CHECK(!has_error("eal.args: --log-level"));
}

static void
test_syntax_and_missing(void)
{
	CHECK(load("ports:\n  - device: [unclosed\n") != 0);
	CHECK(has_error("t.yaml:") && errs.n == 1);
	CHECK(load("") != 0 && has_error("ports: (empty)")); /* defaults have no port */
	CHECK(load("- just\n- a list\n") != 0 && has_error("expected a mapping of sections"));
	memset(&errs, 0, sizeof(errs));
	CHECK(jg_config_load("/nonexistent/jg.yaml", &cfg, &errs) < 0);
	CHECK(has_error("/nonexistent/jg.yaml:0: (file): cannot open"));
}

static void
test_outputs(void)
{
	const char *good_out =
		"ports:\n"
		"  - device: net_null0\n"
		"output:\n"
		"  dir: /tmp/out\n"
		"  syslog: { enabled: true, server: \"[::1]:6514\", transport: tcp, facility: auth, queue: 100 }\n"
		"  redis:\n"
		"    enabled: true\n"
		"    server: redis.example:6380\n"
		"    stream: alerts\n"
		"    flows_stream: flows\n"
		"    maxlen: 5000\n"
		"    password: s3cret\n"
		"  ipfix: { enabled: true, collector: 10.0.0.9:2055, domain_id: 7, template_refresh: 30, biflow: false }\n";
	const char *bad_out =
		"ports:\n"
		"  - device: net_null0\n"
		"output:\n"
		"  syslog:\n"
		"    server: localhost\n"        /* 5: no port */
		"    transport: sctp\n"          /* 6 */
		"    facility: local9\n"         /* 7 */
		"    colour: red\n"              /* 8: unknown key */
		"  redis:\n"
		"    server: \"::1:6379\"\n"   /* 10: IPv6 without brackets */
		"    stream: a\n"
		"    flows_stream: a\n"          /* 12: same key */
		"    queue: 2\n"                 /* 13: out of range */
		"  ipfix: [1]\n"                 /* 14: not a mapping */
		"  kafka: {}\n";                 /* 15: unknown */
	char host[64];
	uint16_t port;

	CHECK(load(good_out) == 0);
	for (uint32_t e = 0; e < errs.n; e++)
		fprintf(stderr, "  %s\n", errs.e[e].msg);
	CHECK(cfg.out_syslog.enabled && cfg.out_syslog.tcp && cfg.out_syslog.facility_code == 4 &&
	      cfg.out_syslog.queue == 100 && !strcmp(cfg.out_syslog.server, "[::1]:6514"));
	CHECK(cfg.out_redis.enabled && cfg.out_redis.maxlen == 5000 && !strcmp(cfg.out_redis.flows_stream, "flows") &&
	      !strcmp(cfg.out_redis.password, "s3cret") && cfg.out_redis.queue == 4096);
	CHECK(cfg.out_ipfix.enabled && cfg.out_ipfix.domain_id == 7 && cfg.out_ipfix.template_refresh == 30 &&
	      !cfg.out_ipfix.biflow);
	CHECK(load(bad_out) != 0);
	CHECK(has_error("t.yaml:5: output.syslog.server: localhost: expected host:port"));
	CHECK(has_error("t.yaml:6: output.syslog.transport: sctp: expected udp or tcp"));
	CHECK(has_error("t.yaml:7: output.syslog.facility: local9: expected"));
	CHECK(has_error("t.yaml:8: output.syslog.colour: unknown key"));
	CHECK(has_error("t.yaml:10: output.redis.server: ::1:6379: expected host:port"));
	CHECK(has_error("t.yaml:12: output.redis.flows_stream: a: the same key as output.redis.stream"));
	CHECK(has_error("t.yaml:13: output.redis.queue: 2: out of range"));
	CHECK(has_error("t.yaml:14: output.ipfix: expected a mapping"));
	CHECK(has_error("t.yaml:15: output.kafka: unknown key"));
	/* the defaults: every output off, addresses valid */
	CHECK(load("ports:\n  - device: net_null0\n") == 0);
	CHECK(!cfg.out_syslog.enabled && !cfg.out_redis.enabled && !cfg.out_ipfix.enabled);
	CHECK(cfg.out_syslog.facility_code == 16 && !cfg.out_syslog.tcp && cfg.out_ipfix.biflow);
	CHECK(jg_hostport_split("[fe80::1]:514", host, sizeof(host), &port) == 0 && !strcmp(host, "fe80::1") &&
	      port == 514);
	CHECK(jg_hostport_split("h:0", host, sizeof(host), &port) != 0);
	CHECK(jg_hostport_split(":514", host, sizeof(host), &port) != 0);
	CHECK(jg_hostport_split("h:65536", host, sizeof(host), &port) != 0);
	CHECK(jg_hostport_split("h:5x", host, sizeof(host), &port) != 0);
	CHECK(jg_hostport_split("[::1]514", host, sizeof(host), &port) != 0);
	CHECK(jg_syslog_facility_code("local7") == 23 && jg_syslog_facility_code("23") == 23 &&
	      jg_syslog_facility_code("24") == -1 && jg_syslog_facility_code("") == -1);
}

int
main(void)
{
	test_good();
	test_shipped_files();
	test_all_errors_at_once();
	test_cross_key();
	test_syntax_and_missing();
	test_outputs();
	return jg_test_done();
}
