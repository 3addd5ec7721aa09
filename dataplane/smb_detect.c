/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SMB rules: who logged on (NTLM), which shares (admin shares are remote
 * administration), which files and pipes, logon failures, SMB3 encryption;
 * DCE-RPC carried over named pipes goes on to rpc_detect.c.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "detect_priv.h"
#include "le.h"

/* NT status codes of a refused logon. */
static const struct {
	uint32_t code;
	const char *name;
} logon_failures[] = {
	{ 0xc000006d, "STATUS_LOGON_FAILURE" },     { 0xc000006a, "STATUS_WRONG_PASSWORD" },
	{ 0xc0000064, "STATUS_NO_SUCH_USER" },      { 0xc0000072, "STATUS_ACCOUNT_DISABLED" },
	{ 0xc0000234, "STATUS_ACCOUNT_LOCKED_OUT" }, { 0xc000006f, "STATUS_INVALID_LOGON_HOURS" },
	{ 0xc0000070, "STATUS_INVALID_WORKSTATION" }, { 0xc0000071, "STATUS_PASSWORD_EXPIRED" },
	{ 0xc0000193, "STATUS_ACCOUNT_EXPIRED" },   { 0xc0000224, "STATUS_PASSWORD_MUST_CHANGE" },
};

/* ADMIN$, C$, D$...: any hidden share but IPC$ and PRINT$. */
static int
admin_share(const char *share)
{
	size_t n = strlen(share);

	return n >= 2 && share[n - 1] == '$' && strcasecmp(share, "IPC$") != 0 && strcasecmp(share, "PRINT$") != 0;
}

static int
executable(const char *name)
{
	static const char *const ext[] = { ".exe", ".dll", ".bat", ".cmd", ".ps1", ".vbs", ".scr", ".sys" };
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (n > 4 && strcasecmp(name + n - strlen(ext[i]), ext[i]) == 0)
			return 1;
	return 0;
}

int
jg_smb_user_slot(const struct jg_session *s)
{
	for (int i = 0; i < JG_SMB_USERS; i++)
		if (s->users[i].used && s->users[i].sid == s->cur_sid)
			return i;
	return (int)s->last_user - 1;
}

void
jg_session_server(struct jg_session *s, const struct jg_ntlm_chal *c)
{
	if (s->server_from >= JG_NAME_CHALLENGE)
		return;
	/* the server's own NetBIOS name; its DNS name when it gives none */
	snprintf(s->server_name, sizeof(s->server_name), "%s", c->nb_computer[0] ? c->nb_computer : c->dns_computer);
	s->server_from = JG_NAME_CHALLENGE;
}

/* A user logged on with SessionId sid: a new id takes a free slot, or the oldest's. */
void
jg_session_user(struct jg_session *s, uint64_t sid, const struct jg_ntlm_auth *a)
{
	int slot = -1;

	for (int i = 0; i < JG_SMB_USERS && slot < 0; i++)
		if (s->users[i].used && s->users[i].sid == sid)
			slot = i;
	for (int i = 0; i < JG_SMB_USERS && slot < 0; i++)
		if (!s->users[i].used)
			slot = i;
	for (int i = 0; slot < 0 && i < JG_SMB_USERS; i++)
		if ((uint8_t)(s->user_age - s->users[i].age) >= JG_SMB_USERS - 1)
			slot = i;
	if (slot < 0)
		slot = 0;
	s->users[slot].used = 1;
	s->users[slot].sid = sid;
	s->users[slot].age = s->user_age++;
	memcpy(s->users[slot].user, a->user, sizeof(s->users[slot].user));
	memcpy(s->users[slot].domain, a->domain, sizeof(s->users[slot].domain));
	memcpy(s->users[slot].workstation, a->workstation, sizeof(s->users[slot].workstation));
	s->last_user = (uint8_t)(slot + 1);
}

/* The server a tree path names ("\\\\SRV30\\ADMIN$"): what the session calls it until the server names itself. */
static void
server_named(struct jg_session *s, const char *path)
{
	if (s->server_from < JG_NAME_PATH && jg_server_of_path(path, s->server_name, sizeof(s->server_name)))
		s->server_from = JG_NAME_PATH;
}

/* How much a share tells: admin shares, then IPC$ (pipes), then the rest; the least gives way first. */
static int
share_rank(const char *share)
{
	return admin_share(share) ? 2 : strcasecmp(share, "IPC$") == 0 ? 1 : 0;
}

static const char *
tree_share(struct jg_session *s, uint32_t tid)
{
	const char *any = "";

	for (int i = 0; i < JG_TREES; i++)
		if (s->trees[i].id == tid && s->trees[i].share[0]) {
			if (s->trees[i].sid == s->cur_sid)
				return s->trees[i].share;
			any = s->trees[i].share; /* connected under another SessionId, or its setup not seen */
		}
	return any;
}

static void
tree_add(struct jg_session *s, uint32_t tid, const char *name)
{
	char share[sizeof(s->trees[0].share)];
	int slot = -1;

	snprintf(share, sizeof(share), "%s", name); /* name may live in the session itself */
	for (int i = 0; i < JG_TREES && slot < 0; i++)
		if ((s->trees[i].id == tid && s->trees[i].sid == s->cur_sid) || s->trees[i].share[0] == '\0')
			slot = i;
	/* all taken: a tree that tells no more than this one gives way (eight file shares cannot push ADMIN$ out) */
	for (int i = 0; i < JG_TREES && slot < 0; i++)
		if (share_rank(s->trees[i].share) <= share_rank(share) &&
		    (slot < 0 || share_rank(s->trees[i].share) < share_rank(s->trees[slot].share)))
			slot = i;
	if (slot < 0)
		return;
	s->trees[slot].id = tid;
	s->trees[slot].sid = s->cur_sid;
	memcpy(s->trees[slot].share, share, sizeof(share));
}

/* A request waiting for its response. @return its slot */
static int
pending_add(struct jg_session *s, uint16_t cmd, uint64_t msg_id, uint32_t tree, const char *name)
{
	int slot = (int)(msg_id % JG_PENDING);

	for (int i = 0; i < JG_PENDING; i++)
		if (!s->pending[i].used) {
			slot = i;
			break;
		}
	s->pending[slot].used = 1;
	s->pending[slot].cmd = cmd;
	s->pending[slot].msg_id = msg_id;
	s->pending[slot].tree = tree;
	snprintf(s->pending[slot].name, sizeof(s->pending[slot].name), "%s", name);
	return slot;
}

static int
pending_take(struct jg_session *s, uint16_t cmd, uint64_t msg_id)
{
	for (int i = 0; i < JG_PENDING; i++)
		if (s->pending[i].used && s->pending[i].cmd == cmd && s->pending[i].msg_id == msg_id) {
			s->pending[i].used = 0;
			return i;
		}
	return -1;
}

static int
file_find(struct jg_session *s, const uint8_t *id)
{
	for (int i = 0; i < JG_FILES; i++)
		if (s->files[i].used && memcmp(s->files[i].id, id, 16) == 0)
			return i;
	return -1;
}

static void
file_add(struct jg_session *s, const uint8_t *id, uint32_t tree, const char *src, int pipe)
{
	char name[JG_NAME_MAX];
	int slot = file_find(s, id);

	snprintf(name, sizeof(name), "%s", src); /* src may live in the session itself */
	for (int i = 0; slot < 0 && i < JG_FILES; i++)
		if (!s->files[i].used)
			slot = i;
	if (slot < 0)
		slot = id[0] % JG_FILES;
	s->files[slot].used = 1;
	s->files[slot].pipe = (uint8_t)pipe;
	s->files[slot].tree = tree;
	memcpy(s->files[slot].id, id, 16);
	memcpy(s->files[slot].name, name, sizeof(name));
}

static void
logon_failure(struct jg_detect *d, struct jg_session *s, uint32_t status)
{
	struct jg_event_rec ev;

	for (size_t i = 0; i < sizeof(logon_failures) / sizeof(logon_failures[0]); i++) {
		if (logon_failures[i].code != status)
			continue;
		jg_ev_begin(d, s, &ev, JG_EV_LOGON_FAILURE, JG_TOOL_UNKNOWN);
		jg_ev_session(s, &ev);
		jg_ev_str(&ev, JG_ATTR_DETAIL, logon_failures[i].name);
		/* Every attempt counts: the key includes the user and the message. */
		d->emit(d->emit_ctx, d->flow, &ev);
		return;
	}
}

static void
admin_session(struct jg_detect *d, struct jg_session *s, const char *share)
{
	struct jg_event_rec ev;

	jg_ev_begin(d, s, &ev, JG_EV_ADMIN_SESSION, s->tool);
	jg_ev_str(&ev, JG_ATTR_SHARE, share);
	jg_ev_session(s, &ev);
	jg_ev_emit(d, s, &ev, share);
}

/* A file written to an admin share: the executable a remote-execution tool drops. */
static void
file_written(struct jg_detect *d, struct jg_session *s, const char *share, const char *name)
{
	struct jg_event_rec ev;
	char key[JG_NAME_MAX + 8];

	if (!admin_share(share) || !executable(name))
		return;
	jg_ev_begin(d, s, &ev, JG_EV_TOOL_ARTIFACT, s->tool);
	jg_ev_str(&ev, JG_ATTR_SHARE, share);
	jg_ev_str(&ev, JG_ATTR_FILE, name);
	jg_ev_str(&ev, JG_ATTR_DETAIL, "executable written to an admin share");
	jg_ev_session(s, &ev);
	snprintf(key, sizeof(key), "w|%s", name);
	jg_ev_emit(d, s, &ev, key);
}

static void
pipe_data(struct jg_detect *d, struct jg_session *s, int dir, const struct jg_smb_msg *m, const char *pipe)
{
	struct jg_rpc_chan *ch = jg_rpc_chan_of(s, m->file_id);

	snprintf(s->cur.pipe, sizeof(s->cur.pipe), "%s", pipe);
	if (ch != NULL && m->data != NULL && m->data_len > 0)
		jg_rpc_pipe_data(d, s, dir, ch, m->data, m->data_len);
}

static void
on_request(struct jg_detect *d, struct jg_session *s, int dir, struct jg_smb_msg *m)
{
	struct jg_ntlm_auth a;
	const char *share = tree_share(s, m->tree_id);
	int f;

	if (!s->client_known) {
		s->client_dir = (uint8_t)dir;
		s->client_known = 1;
	}
	switch (m->cmd) {
	case JG_SMB_SESSION_SETUP:
		if (m->blob != NULL && jg_ntlm_find_auth(m->blob, m->blob_len, &a) == 0 && a.user[0])
			jg_session_user(s, m->session_id, &a);
		/* SMB1 may chain the tree connect to the session setup */
		if (m->version == 1 && m->name[0]) {
			server_named(s, m->name);
			jg_share_of_path(m->name, s->cur.share, sizeof(s->cur.share));
			pending_add(s, JG_SMB_TREE_CONNECT, m->msg_id, 0, s->cur.share);
			if (admin_share(s->cur.share))
				admin_session(d, s, s->cur.share);
		}
		break;
	case JG_SMB_TREE_CONNECT:
		server_named(s, m->name);
		jg_share_of_path(m->name, s->cur.share, sizeof(s->cur.share));
		pending_add(s, JG_SMB_TREE_CONNECT, m->msg_id, 0, s->cur.share);
		if (admin_share(s->cur.share))
			admin_session(d, s, s->cur.share);
		break;
	case JG_SMB_CREATE: {
		const char *name = m->name[0] == '\\' ? m->name + 1 : m->name;
		/* Tree not seen (capture began later): a bare name without extension is a pipe. */
		int pipe = strcasecmp(share, "IPC$") == 0 ||
			   (share[0] == '\0' && name[0] && strpbrk(name, ".\\") == NULL);

		snprintf(s->cur.share, sizeof(s->cur.share), "%s", share);
		snprintf(pipe ? s->cur.pipe : s->cur.file, sizeof(s->cur.file), "%s", name);
		pending_add(s, JG_SMB_CREATE, m->msg_id, m->tree_id, name);
		break;
	}
	case JG_SMB_READ:
		/* a pipe's answer (a bind_ack: which contexts the server took) comes in the response */
		f = m->has_file_id ? file_find(s, m->file_id) : -1;
		if (f >= 0 && s->files[f].pipe)
			memcpy(s->pending[pending_add(s, JG_SMB_READ, m->msg_id, 0, "")].fid, m->file_id, 16);
		break;
	case JG_SMB_WRITE:
	case JG_SMB_IOCTL:
	case JG_SMB_TRANS:
		f = m->has_file_id ? file_find(s, m->file_id) : -1;
		/* A pipe whose open was not seen (mid-stream, unknown tree): the data says what it is. */
		if ((f >= 0 && s->files[f].pipe) || (m->data != NULL && jg_rpc_looks_like(m->data, m->data_len))) {
			pipe_data(d, s, dir, m, f >= 0 ? s->files[f].name : "");
		} else if (f >= 0) {
			snprintf(s->cur.share, sizeof(s->cur.share), "%s", tree_share(s, s->files[f].tree));
			snprintf(s->cur.file, sizeof(s->cur.file), "%s", s->files[f].name);
			file_written(d, s, s->cur.share, s->files[f].name);
		}
		break;
	default:
		break;
	}
}

/* What the server answers on a pipe: whole DCE-RPC PDUs only (its byte stream is not the client's). */
static void
pipe_answer(struct jg_detect *d, struct jg_session *s, int dir, const uint8_t *fid, const struct jg_smb_msg *m)
{
	if (m->data == NULL || m->status != 0 || !jg_rpc_looks_like(m->data, m->data_len) ||
	    jg_rpc_frag_len(m->data, m->data_len) > (int32_t)m->data_len)
		return;
	jg_rpc_message(d, s, dir, jg_rpc_chan_of(s, fid), m->data, m->data_len);
}

static void
on_response(struct jg_detect *d, struct jg_session *s, int dir, struct jg_smb_msg *m)
{
	struct jg_ntlm_chal c;
	int i;

	switch (m->cmd) {
	case JG_SMB_READ:
		if ((i = pending_take(s, JG_SMB_READ, m->msg_id)) >= 0)
			pipe_answer(d, s, dir, s->pending[i].fid, m);
		break;
	case JG_SMB_IOCTL:
		if (m->has_file_id && file_find(s, m->file_id) >= 0 && s->files[file_find(s, m->file_id)].pipe)
			pipe_answer(d, s, dir, m->file_id, m);
		break;
	case JG_SMB_NEGOTIATE:
		if (m->dialect)
			s->dialect = m->dialect;
		break;
	case JG_SMB_SESSION_SETUP:
		if (m->blob != NULL && jg_ntlm_find_challenge(m->blob, m->blob_len, &c) == 0)
			jg_session_server(s, &c);
		logon_failure(d, s, m->status);
		/* SMB1 session setup + tree connect in one chain */
		if (m->version == 1 && (i = pending_take(s, JG_SMB_TREE_CONNECT, m->msg_id)) >= 0 && m->status == 0)
			tree_add(s, m->tree_id, s->pending[i].name);
		break;
	case JG_SMB_TREE_CONNECT:
		if ((i = pending_take(s, JG_SMB_TREE_CONNECT, m->msg_id)) >= 0 && m->status == 0)
			tree_add(s, m->tree_id, s->pending[i].name);
		break;
	case JG_SMB_CREATE:
		if ((i = pending_take(s, JG_SMB_CREATE, m->msg_id)) >= 0 && m->status == 0 && m->has_file_id) {
			const char *share = tree_share(s, s->pending[i].tree);

			/* SMB1 creates carry their tree in the header of the response too */
			if (share[0] == '\0')
				share = tree_share(s, m->tree_id);
			file_add(s, m->file_id, s->pending[i].tree, s->pending[i].name, strcasecmp(share, "IPC$") == 0);
		}
		break;
	default:
		break;
	}
	(void)dir;
}

/*
 * The shape of a sealed session. Encryption hides every byte but keeps each
 * message's size (the transform header's OriginalMessageSize: AES-CCM/GCM
 * does not pad), its direction and its order. Remote service installation is
 * an upload (the service binary) followed by DCE-RPC calls on a pipe, whose
 * SMB2 messages have sizes of their own: a transceive (IOCTL) request of 120
 * bytes plus the PDU answered by 112 plus a PDU, or a pipe write (112 plus
 * the PDU) answered by 80, then a 113-byte READ answered by 80 plus a PDU.
 * Browsing and copying files interleave CLOSE (88), QUERY_INFO (104) and
 * READ/WRITE of data, which break such a run; an interim response
 * (STATUS_PENDING, 72 or 73 bytes) waits for the final one. Measured on the
 * shared captures read as if sealed (docs/detection.md): the rule below marks
 * 6 of the 22 service-install captures (those whose upload and svcctl share
 * a connection) and none of the 25 benign and encrypted SMB ones; in the lab,
 * Impacket's psexec against an encrypting Samba.
 */
#define SHAPE_UPLOAD_MSG 1024   /* a message this big is file data */
#define SHAPE_UPLOAD_MIN 16384  /* a service binary is at least this */
#define SHAPE_CALLS 4           /* bind, open, create, start */
#define SHAPE_REQ_MIN 136       /* a request PDU: 24 bytes of header and some stub */
#define SHAPE_REQ_MAX 1124
#define SHAPE_RSP_MIN 128
#define SHAPE_RSP_MAX 1124
#define SHAPE_WRITE_ACK 80      /* WRITE response */
#define SHAPE_READ_REQ 113      /* READ request */
#define SHAPE_READ_RSP_MIN 104  /* READ response: 80 and a PDU */
#define SHAPE_READ_RSP_MAX 1104
#define SHAPE_INTERIM_MIN 72    /* an interim response (STATUS_PENDING): the final one follows */
#define SHAPE_INTERIM_MAX 73

enum { SH_IDLE = 0, SH_REQ, SH_WRITTEN, SH_READ };

static void
shape_break(struct jg_session *s)
{
	s->enc.calls = 0;
	s->enc.state = SH_IDLE;
}

static void
shape_call(struct jg_session *s)
{
	s->enc.state = SH_IDLE;
	if (s->enc.up >= SHAPE_UPLOAD_MIN && s->enc.calls < 255)
		s->enc.calls++;
}

/* One sealed message: @return 1 when the session has just taken the shape of a service install */
static int
encrypted_shape(struct jg_session *s, int from_client, uint32_t size)
{
	if (from_client) {
		if (s->enc.state == SH_WRITTEN && size == SHAPE_READ_REQ) {
			s->enc.state = SH_READ;
			return 0;
		}
		if (size >= SHAPE_UPLOAD_MSG) {
			s->enc.up = s->enc.up + size < s->enc.up ? UINT32_MAX : s->enc.up + size;
			shape_break(s);
		} else if (size >= SHAPE_REQ_MIN && size <= SHAPE_REQ_MAX) {
			s->enc.state = SH_REQ;
		} else {
			shape_break(s);
		}
		return 0;
	}
	if ((s->enc.state == SH_REQ || s->enc.state == SH_READ) && size >= SHAPE_INTERIM_MIN && size <= SHAPE_INTERIM_MAX)
		return 0;
	switch (s->enc.state) {
	case SH_REQ:
		if (size == SHAPE_WRITE_ACK)
			s->enc.state = SH_WRITTEN;
		else if (size >= SHAPE_RSP_MIN && size <= SHAPE_RSP_MAX)
			shape_call(s);
		else
			shape_break(s);
		break;
	case SH_READ:
		if (size >= SHAPE_READ_RSP_MIN && size <= SHAPE_READ_RSP_MAX)
			shape_call(s);
		else
			shape_break(s);
		break;
	default:
		break;
	}
	if (s->enc.calls < SHAPE_CALLS || s->enc.shaped)
		return 0;
	s->enc.shaped = 1;
	return 1;
}

static void
encrypted(struct jg_detect *d, struct jg_session *s, int dir, const uint8_t *p, size_t len)
{
	struct jg_event_rec ev;
	char detail[128];

	if (!s->encrypted) {
		s->encrypted = 1;
		/* All that shows is an SMB3 session whose content is sealed: judged as smb-encrypted. */
		jg_ev_begin(d, s, &ev, JG_EV_ADMIN_SESSION, s->tool);
		jg_ev_session(s, &ev);
		jg_ev_str(&ev, JG_ATTR_DETAIL, "SMB3 encrypted session");
		jg_ev_emit(d, s, &ev, "encrypted");
	}
	if (len < 52 || !encrypted_shape(s, dir == s->client_dir, jg_le32(p + 36)))
		return;
	/* ...unless it behaves like a tool: then it is remote administration, judged as smb-admin */
	jg_ev_begin(d, s, &ev, JG_EV_ADMIN_SESSION, s->tool);
	jg_ev_session(s, &ev);
	jg_ev_str(&ev, JG_ATTR_SHAPE, "service-install");
	snprintf(detail, sizeof(detail), "SMB3 encrypted session shaped like a remote service install: %u KiB uploaded, then %u RPC-sized calls",
		 s->enc.up / 1024, s->enc.calls);
	jg_ev_str(&ev, JG_ATTR_DETAIL, detail);
	jg_ev_emit(d, s, &ev, "encrypted-shape");
}

void
jg_smb_message(struct jg_detect *d, struct jg_session *s, int dir, const uint8_t *p, size_t len)
{
	struct jg_smb_msg m;
	size_t off = 0, next;

	switch (jg_smb_kind(p, len)) {
	case JG_SMB3_TRANSFORM:
		if (!s->client_known) {
			s->client_dir = (uint8_t)dir;
			s->client_known = 1;
		}
		encrypted(d, s, dir, p, len);
		return;
	case JG_SMB1:
		if (jg_smb1_parse(p, len, &m) == 0) {
			s->cur_sid = m.session_id;
			(m.response ? on_response : on_request)(d, s, dir, &m);
		}
		return;
	case JG_SMB2:
		/* a compound: each command in turn */
		for (int n = 0; n < 16 && off < len; n++) {
			if (jg_smb2_parse(p + off, len - off, &m, &next) != 0)
				return;
			s->cur_sid = m.session_id;
			(m.response ? on_response : on_request)(d, s, dir, &m);
			if (next == 0)
				return;
			off += next;
		}
		return;
	default:
		return;
	}
}
