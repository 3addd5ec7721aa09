/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host names by address: learnt from events, given to events that lack them,
 * contradictions flagged (against the table and within one event), an
 * address that changed hands after a day, a name from the wire made
 * printable, the table bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hosts.h"
#include "jg_records.h"
#include "jg_test.h"

#define SEC 1000000000ull

static struct jg_event_rec
event(uint8_t src, uint8_t dst, uint64_t ts, const char *src_host, const char *dst_host, const char *origin)
{
	struct jg_event_rec ev;

	memset(&ev, 0, sizeof(ev));
	ev.src_ip[0] = ev.dst_ip[0] = 10;
	ev.src_ip[3] = src;
	ev.dst_ip[3] = dst;
	ev.ip_version = 4;
	ev.type = JG_EV_ADMIN_SESSION;
	ev.ts_ns = ts;
	jg_ev_str(&ev, JG_ATTR_SRC_HOST, src_host);
	jg_ev_str(&ev, JG_ATTR_DST_HOST, dst_host);
	jg_ev_str(&ev, JG_ATTR_ORIGIN_HOST, origin);
	return ev;
}

static const char *
get(const struct jg_event_rec *ev, enum jg_attr k)
{
	static char v[4][256];
	static int i;

	i = (i + 1) & 3;
	return jg_ev_get(ev, k, v[i], sizeof(v[i]));
}

int
main(void)
{
	struct jg_hosts *t = calloc(1, sizeof(*t));
	struct jg_event_rec ev;
	static char body[1 << 16];
	struct jg_buf b;

	/* learnt from one event, given to another (an RDP session names nobody) */
	ev = event(20, 30, 1 * SEC, "WKSTN20", "SRV30", "");
	jg_hosts_event(t, &ev);
	CHECK(t->n == 2 && !get(&ev, JG_ATTR_HOST_CONFLICT)[0]);
	ev = event(20, 30, 2 * SEC, "", "", "");
	jg_hosts_event(t, &ev);
	CHECK(!strcmp(get(&ev, JG_ATTR_SRC_HOST), "WKSTN20") && !strcmp(get(&ev, JG_ATTR_DST_HOST), "SRV30"));
	/* a DNS name and its NetBIOS name are one host; case does not matter */
	ev = event(20, 30, 3 * SEC, "wkstn20", "srv30.corp.example", "WKSTN20");
	jg_hosts_event(t, &ev);
	CHECK(!get(&ev, JG_ATTR_HOST_CONFLICT)[0]);
	/* another name for a known address, and an origin that is not the workstation */
	ev = event(20, 30, 4 * SEC, "JUMP10", "", "HELPDESK7");
	jg_hosts_event(t, &ev);
	CHECK(strstr(get(&ev, JG_ATTR_HOST_CONFLICT), "origin_host HELPDESK7 is not the workstation JUMP10") != NULL &&
	      strstr(get(&ev, JG_ATTR_HOST_CONFLICT), "10.0.0.20 is WKSTN20 (workstation), this workstation says JUMP10") != NULL);
	CHECK(!strcmp(jg_hosts_name(t, ev.src_ip, 4), "WKSTN20") && t->conflicts == 1);
	/* the NTLM workstation alone names the source (the dataplane sends it once) */
	ev = event(23, 30, 5 * SEC, "", "", "");
	jg_ev_str(&ev, JG_ATTR_WORKSTATION, "WS23");
	jg_hosts_event(t, &ev);
	CHECK(!strcmp(get(&ev, JG_ATTR_SRC_HOST), "WS23") && !strcmp(jg_hosts_name(t, ev.src_ip, 4), "WS23"));
	/* an origin alone names the source */
	ev = event(21, 30, 5 * SEC, "", "", "PAXHOST");
	jg_hosts_event(t, &ev);
	CHECK(!strcmp(jg_hosts_name(t, ev.src_ip, 4), "PAXHOST") && !strcmp(get(&ev, JG_ATTR_SRC_HOST), "PAXHOST"));
	/* a day unseen: the address changed hands, no contradiction */
	ev = event(20, 30, 4 * SEC + JG_HOST_TTL_NS + SEC, "LAPTOP3", "", "");
	jg_hosts_event(t, &ev);
	CHECK(!get(&ev, JG_ATTR_HOST_CONFLICT)[0] && !strcmp(jg_hosts_name(t, ev.src_ip, 4), "LAPTOP3"));
	/* a hostile name is printable in the table */
	ev = event(22, 30, 6 * SEC, "EVIL\x1b[2J", "", "");
	jg_hosts_event(t, &ev);
	CHECK(!strcmp(jg_hosts_name(t, ev.src_ip, 4), "EVIL?[2J"));
	jg_buf_init(&b, body, sizeof(body));
	jg_hosts_render(t, 0, &b);
	CHECK(strstr(body, "10.0.0.20") && strstr(body, "LAPTOP3") && !strchr(body, '\x1b'));
	jg_buf_init(&b, body, sizeof(body));
	jg_hosts_render(t, 1, &b);
	CHECK(body[0] == '[' && strstr(body, "\"name\":\"SRV30\"") && strstr(body, "\"from\":\"server\""));
	/* bounded: twice the table's worth of addresses, the table never grows past it */
	memset(t, 0, sizeof(*t));
	for (uint32_t i = 0; i < 2 * JG_HOSTS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "H%u", i);
		memset(&ev, 0, sizeof(ev));
		ev.type = JG_EV_ADMIN_SESSION;
		ev.ip_version = 6;
		memcpy(ev.src_ip + 12, &i, 4);
		ev.ts_ns = i;
		jg_ev_str(&ev, JG_ATTR_SRC_HOST, name);
		jg_hosts_event(t, &ev);
	}
	CHECK(t->n <= JG_HOSTS && t->n > JG_HOSTS / 2 && t->evicted == 2ull * JG_HOSTS - t->n);
	free(t);
	return jg_test_done();
}
