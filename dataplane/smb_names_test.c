/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Names and sealed sessions: the NTLM workstation and the server's own name
 * on every event of an SMB session (from the CHALLENGE's target info, or a
 * tree path), the parsers' bounds, and what the sizes of an SMB3-encrypted
 * session tell (a service install's shape; a file copy's is not one).
 */
#include "detect_test_kit.h"
#include "jg_test.h"

static uint32_t seq[2];
static uint8_t host = 1;

static void
open_flow(struct jg_detect *d, uint8_t h)
{
	host = h;
	seq[0] = 1000;
	seq[1] = 5000;
	tcp_packet(d, host, 445, 0, JG_TCP_SYN, 999, NULL, 0);
	tcp_packet(d, host, 445, 1, JG_TCP_SYN | JG_TCP_ACK, 4999, NULL, 0);
}

static void
send_msg(struct jg_detect *d, int dir, const uint8_t *m, size_t n)
{
	tcp_packet(d, host, 445, dir, JG_TCP_ACK | JG_TCP_PSH, seq[dir], m, (uint32_t)n);
	seq[dir] += (uint32_t)n;
}

/* One NetBIOS-framed SMB2 message of SessionId 7. */
static void
smb2_msg(struct jg_detect *d, int dir, uint16_t cmd, uint64_t mid, const uint8_t *body, size_t len)
{
	static uint8_t m[2048];

	kit_smb2_hdr(m, dir, cmd, mid, 0, 7, len);
	memcpy(m + 68, body, len);
	send_msg(d, dir, m, 68 + len);
}

static size_t
av_pair(uint8_t *p, uint16_t id, const char *v)
{
	w16(p, id);
	w16(p + 2, (uint16_t)(2 * strlen(v)));
	return 4 + u16s(p + 4, v);
}

/* The server's SESSION_SETUP response with an NTLMSSP CHALLENGE naming it nb (NetBIOS) and dns. */
static void
challenge(struct jg_detect *d, const char *nb, const char *dns)
{
	uint8_t b[512] = { 0 }, *a = b + 8;
	size_t n = 56, t = n;

	w16(b, 9);
	w16(b + 4, 72);
	memcpy(a, "NTLMSSP", 8);
	w32(a + 8, 2);
	n += av_pair(a + n, 2, "CORP");
	if (nb != NULL)
		n += av_pair(a + n, 1, nb);
	n += av_pair(a + n, 3, dns);
	n += 4; /* MsvAvEOL */
	w16(a + 40, (uint16_t)(n - t)), w16(a + 42, (uint16_t)(n - t)), w32(a + 44, (uint32_t)t);
	w16(b + 6, (uint16_t)n);
	smb2_msg(d, 1, 1, 1, b, 8 + n);
}

/* The client's SESSION_SETUP request with an NTLMSSP AUTHENTICATE for user@CORP from ws. */
static void
authenticate(struct jg_detect *d, const char *user, const char *ws)
{
	uint8_t b[256];

	smb2_msg(d, 0, 1, 2, b, kit_session_setup(b, user, ws));
}

static void
tree(struct jg_detect *d, uint64_t mid, const char *path)
{
	uint8_t b[160];

	smb2_msg(d, 0, 3, mid, b, kit_tree_connect(b, path));
}

/* One SMB3 transform frame sealing a message of `size` bytes (its content is noise). */
static void
sealed(struct jg_detect *d, int dir, uint32_t size)
{
	static uint8_t m[4 + 52 + 9000];
	uint64_t sid = 7;

	memset(m, 0x33, sizeof(m));
	m[0] = 0, m[1] = (uint8_t)((52 + size) >> 16), m[2] = (uint8_t)((52 + size) >> 8), m[3] = (uint8_t)(52 + size);
	memcpy(m + 4, "\xfdSMB", 4);
	w32(m + 4 + 36, size);
	w16(m + 4 + 40, 0), w16(m + 4 + 42, 1);
	memcpy(m + 4 + 44, &sid, 8);
	send_msg(d, dir, m, 4 + 52 + size);
}

static const struct jg_event_rec *
admin_event(const char *share)
{
	char v[64];

	for (unsigned int i = 0; i < n_events; i++)
		if (events[i].type == JG_EV_ADMIN_SESSION && !strcmp(attr(&events[i], JG_ATTR_SHARE, v, sizeof(v)), share))
			return &events[i];
	return NULL;
}

static int
has(const struct jg_event_rec *ev, enum jg_attr key, const char *want)
{
	char v[128];

	return ev != NULL && !strcmp(attr(ev, key, v, sizeof(v)), want);
}

/* Both ends named: the workstation from the AUTHENTICATE, the server from its CHALLENGE (over the tree path's address). */
static void
test_names(struct jg_hs_db *db)
{
	struct jg_detect *d = kit_fresh(db, NULL);
	const struct jg_event_rec *ev;

	open_flow(d, 1);
	challenge(d, "SRV30", "srv30.corp.example");
	authenticate(d, "alice", "WKSTN20");
	tree(d, 3, "\\\\10.0.0.2\\ADMIN$");
	ev = admin_event("ADMIN$");
	CHECK(has(ev, JG_ATTR_WORKSTATION, "WKSTN20") && has(ev, JG_ATTR_SRC_HOST, "") && /* jg-control makes it src_host */
	      has(ev, JG_ATTR_DST_HOST, "SRV30") && has(ev, JG_ATTR_USER, "alice"));
	/* no NetBIOS name in the challenge: its DNS name; a later tree path does not replace it */
	d = kit_fresh(db, NULL);
	open_flow(d, 2);
	challenge(d, NULL, "files.corp.example");
	authenticate(d, "bob", "JUMP10");
	tree(d, 3, "\\\\ALIAS\\C$");
	CHECK(has(admin_event("C$"), JG_ATTR_DST_HOST, "files.corp.example"));
	/* no challenge seen (the capture began later): the tree path's server; an address names nothing */
	d = kit_fresh(db, NULL);
	open_flow(d, 3);
	tree(d, 3, "\\\\FILESRV\\ADMIN$");
	CHECK(has(admin_event("ADMIN$"), JG_ATTR_DST_HOST, "FILESRV") && has(admin_event("ADMIN$"), JG_ATTR_WORKSTATION, ""));
	d = kit_fresh(db, NULL);
	open_flow(d, 4);
	tree(d, 3, "\\\\fe80--1.ipv6-literal.net\\ADMIN$");
	tree(d, 4, "\\\\192.168.1.5\\C$");
	CHECK(has(admin_event("ADMIN$"), JG_ATTR_DST_HOST, "") && has(admin_event("C$"), JG_ATTR_DST_HOST, ""));
}

static void
test_parsers(void)
{
	uint8_t b[256] = { 0 };
	struct jg_ntlm_chal c;
	char out[64];
	size_t n = 56;

	CHECK(jg_server_of_path("\\\\SRV30\\ADMIN$", out, sizeof(out)) == 1 && !strcmp(out, "SRV30"));
	CHECK(jg_server_of_path("\\\\srv30.corp.example\\IPC$", out, sizeof(out)) == 1 && !strcmp(out, "srv30.corp.example"));
	CHECK(jg_server_of_path("\\\\10.1.2.3\\IPC$", out, sizeof(out)) == 0 && out[0] == '\0');
	CHECK(jg_server_of_path("\\\\fe80::1\\IPC$", out, sizeof(out)) == 0);
	CHECK(jg_server_of_path("IPC$", out, sizeof(out)) == 0 && jg_server_of_path("\\\\\\IPC$", out, sizeof(out)) == 0);
	CHECK(jg_server_of_path("\\\\AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\\C$", out,
				sizeof(out)) == 0);
	/* a CHALLENGE whose target info runs past the message, or whose pair does: no name, no read past the end */
	memcpy(b, "NTLMSSP", 8);
	w32(b + 8, 2);
	n += av_pair(b + n, 1, "SRV");
	w16(b + 40, 200), w32(b + 44, 56);
	CHECK(jg_ntlm_find_challenge(b, n, &c) == -1);
	w16(b + 40, (uint16_t)(n - 56));
	w16(b + 58, 100); /* the pair says 100 bytes, 6 are there */
	CHECK(jg_ntlm_find_challenge(b, n, &c) == -1 && c.nb_computer[0] == '\0');
	w16(b + 58, 6);
	CHECK(jg_ntlm_find_challenge(b, n, &c) == 0 && !strcmp(c.nb_computer, "SRV"));
	CHECK(jg_ntlm_find_challenge(b, 40, &c) == -1);
}

/* A sealed session: smb-encrypted with its workstation; an upload then RPC-sized calls is a service install's shape. */
static void
test_sealed(struct jg_hs_db *db)
{
	struct jg_detect *d = kit_fresh(db, NULL);
	unsigned int admin = 0, shaped = 0;

	open_flow(d, 5);
	challenge(d, "SRV30", "srv30");
	authenticate(d, "eve", "WKSTN20");
	sealed(d, 0, 100), sealed(d, 1, 80); /* tree connect */
	sealed(d, 0, 250), sealed(d, 1, 240); /* create */
	for (int i = 0; i < 3; i++)
		sealed(d, 0, 8112), sealed(d, 1, 80); /* the service binary, written */
	sealed(d, 0, 88), sealed(d, 1, 124); /* close */
	sealed(d, 0, 132), sealed(d, 1, 240); /* open svcctl */
	for (int i = 0; i < 3; i++) /* bind, OpenSCManagerW, CreateServiceW: pipe write, then read (once pending first) */
		sealed(d, 0, 184 + 40 * i), sealed(d, 1, 80), sealed(d, 0, 113), i == 1 ? sealed(d, 1, 73) : (void)0,
			sealed(d, 1, 148);
	CHECK(n_events == 1 && events[0].type == JG_EV_ADMIN_SESSION && has(&events[0], JG_ATTR_WORKSTATION, "WKSTN20") &&
	      has(&events[0], JG_ATTR_DST_HOST, "SRV30") && has(&events[0], JG_ATTR_SHAPE, ""));
	sealed(d, 0, 220), sealed(d, 1, 152); /* StartServiceW, by transceive */
	for (unsigned int i = 0; i < n_events; i++) {
		admin += events[i].type == JG_EV_ADMIN_SESSION;
		shaped += has(&events[i], JG_ATTR_SHAPE, "service-install") && has(&events[i], JG_ATTR_WORKSTATION, "WKSTN20");
	}
	CHECK(admin == 2 && shaped == 1);
	sealed(d, 0, 220), sealed(d, 1, 152); /* said once */
	CHECK(n_events == 2);

	/* a copy of a file: create, writes, close, query, the next file... no run of calls */
	d = kit_fresh(db, NULL);
	open_flow(d, 6);
	authenticate(d, "eve", "WKSTN20");
	for (int f = 0; f < 6; f++) {
		sealed(d, 0, 300), sealed(d, 1, 344);
		for (int i = 0; i < 3; i++)
			sealed(d, 0, 8112), sealed(d, 1, 80);
		sealed(d, 0, 104), sealed(d, 1, 150);
		sealed(d, 0, 152), sealed(d, 1, 130);
		sealed(d, 0, 88), sealed(d, 1, 124);
	}
	CHECK(n_events == 1 && has(&events[0], JG_ATTR_SHAPE, ""));
	/* the same calls without an upload before them: an ordinary pipe (a share list), no shape */
	d = kit_fresh(db, NULL);
	open_flow(d, 7);
	for (int i = 0; i < 8; i++)
		sealed(d, 0, 184), sealed(d, 1, 80), sealed(d, 0, 113), sealed(d, 1, 148);
	CHECK(n_events == 1 && has(&events[0], JG_ATTR_SHAPE, ""));
}

int
main(void)
{
	struct jg_hs_db *db;

	test_parsers();
	if ((db = kit_db()) == NULL) {
		CHECK(!"patterns compile");
		return jg_test_done();
	}
	test_names(db);
	test_sealed(db);
	kit_done();
	jg_hs_free(db);
	return jg_test_done();
}
