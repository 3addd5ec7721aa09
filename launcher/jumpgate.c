/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * jumpgate: starts and supervises the dataplane (DPDK primary) and the control
 * plane (secondary). `run` for live ports, `replay` for captures through the
 * very same processes (net_pcap), `demo` for the bundled capture, `setup` for
 * hugepages.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jg_config.h"
#include "jg_fmt.h"
#include "jg_proto.h"
#include "launcher.h"

#define HUGEPAGES_WANTED 1024 /* 2 GiB: room for several instances (tests run in parallel) */
#define HUGEPAGES_MIN_FREE 64
#define READY_WAIT_MS 60000
#define SUPERVISE_TICK_US 2000 /* how soon the end of a replay is noticed */
#define MAX_CONTROL_RESTARTS 5

static volatile sig_atomic_t stop_signal;

struct session {
	const char *config;
	const char *policy; /**< --policy: zones and policy (what-if) */
	const char *suggest; /**< jumpgate learn: the file name of the proposal in out_dir */
	const char *min_sessions;
	const char *out_dir;
	char prefix[64];
	char socket[108];
	char input[PATH_MAX];
	uint64_t packets;
	int replay;
	int temp_input; /**< input is a converted copy, removed at the end */
	pid_t dp;
	pid_t ctl;
	int dp_status;
};

static volatile sig_atomic_t hup_signal;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		hup_signal = 1;
	else
		stop_signal = sig;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: jumpgate COMMAND [options]\n\n"
		   "  run    [-c CONFIG]                          live: the configured ports\n"
		   "  replay [-c CONFIG] [--out DIR] [--policy DRAFT.yaml] FILE...\n"
		   "                                              captures (pcap, pcapng) through the dataplane;\n"
		   "                                              --policy: what a draft policy would have done,\n"
		   "                                              side by side with the config's\n"
		   "  learn  [-c CONFIG] [--out FILE] [--dir DIR] [--min-sessions N] FILE...\n"
		   "                                              propose zones and a policy from the remote\n"
		   "                                              administration the captures show (FILE defaults\n"
		   "                                              to policy.learnt.yaml, DIR to ./jumpgate-out)\n"
		   "  demo                                        replay the bundled capture, show what it found\n"
		   "  fleet  --redis HOST:PORT [--stream KEY] [--group G] [--dot | --json]\n"
		   "                                              the movement chain across appliances that publish\n"
		   "                                              their alerts to one Redis stream (output.redis)\n"
		   "  setup                                       reserve hugepages and mount hugetlbfs (root)\n\n"
		   "CONFIG defaults to $JUMPGATE_CONFIG, /etc/jumpgate/jumpgate.yaml, then the bundled default.\n"
		   "replay writes DIR/events.jsonl, DIR/flows.jsonl and DIR/summary.json (DIR defaults to ./jumpgate-out).\n");
}

static int
exists(const char *p)
{
	return access(p, R_OK) == 0;
}

/* Binaries and bundled files are found next to this executable first. */
static void
self_dir(char *out, size_t cap)
{
	ssize_t n = readlink("/proc/self/exe", out, cap - 1);
	char *slash;

	if (n <= 0) {
		snprintf(out, cap, ".");
		return;
	}
	out[n] = '\0';
	slash = strrchr(out, '/');
	if (slash != NULL)
		*slash = '\0';
}

static void
find_bin(const char *name, char *out, size_t cap)
{
	char dir[PATH_MAX];

	self_dir(dir, sizeof(dir));
	snprintf(out, cap, "%s/%s", dir, name);
	if (access(out, X_OK) != 0)
		snprintf(out, cap, "%s", name); /* from PATH */
}

static const char *
find_data(const char *rel, const char *installed, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", JG_SOURCE_DIR, rel);
	if (exists(out))
		return out;
	snprintf(out, cap, "%s/%s", JG_DATA_DIR, installed);
	return exists(out) ? out : NULL;
}

static const char *
default_config(char *buf, size_t cap)
{
	const char *env = getenv("JUMPGATE_CONFIG");

	if (env != NULL)
		return env;
	if (exists("/etc/jumpgate/jumpgate.yaml"))
		return "/etc/jumpgate/jumpgate.yaml";
	return find_data("config/jumpgate.yaml", "jumpgate.yaml", buf, cap);
}

static pid_t
spawn(char *const argv[], int keep_fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGINT, SIG_IGN); /* Ctrl-C reaches the launcher, which stops the children in order */
		if (keep_fd >= 0)
			fcntl(keep_fd, F_SETFD, 0);
		execvp(argv[0], argv);
		fprintf(stderr, "jumpgate: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static int
wait_ready(int fd, pid_t dp)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[16];
	int waited = 0;

	while (waited < READY_WAIT_MS) {
		if (poll(&p, 1, 100) > 0)
			return read(fd, buf, sizeof(buf)) > 0 ? 0 : -EPIPE;
		if (waitpid(dp, NULL, WNOHANG) == dp)
			return -ECHILD;
		waited += 100;
	}
	return -ETIMEDOUT;
}

static pid_t
start_dataplane(struct session *s)
{
	char bin[PATH_MAX], fd_s[16], n_s[32];
	char *argv[16];
	int pfd[2], argc = 0;

	find_bin("jg-dataplane", bin, sizeof(bin));
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -1;
	snprintf(fd_s, sizeof(fd_s), "%d", pfd[1]);
	snprintf(n_s, sizeof(n_s), "%llu", (unsigned long long)s->packets);
	argv[argc++] = bin;
	argv[argc++] = "-c";
	argv[argc++] = (char *)s->config;
	argv[argc++] = "--file-prefix";
	argv[argc++] = s->prefix;
	argv[argc++] = "--ready-fd";
	argv[argc++] = fd_s;
	if (s->replay) {
		argv[argc++] = "--pcap";
		argv[argc++] = s->input;
		argv[argc++] = "--replay-packets";
		argv[argc++] = n_s;
	}
	if (s->out_dir != NULL) {
		argv[argc++] = "--out";
		argv[argc++] = (char *)s->out_dir;
	}
	if (s->policy != NULL) {
		argv[argc++] = "--policy";
		argv[argc++] = (char *)s->policy;
	}
	argv[argc] = NULL;
	s->dp = spawn(argv, pfd[1]);
	close(pfd[1]);
	if (s->dp > 0 && wait_ready(pfd[0], s->dp) != 0) {
		fprintf(stderr, "jumpgate: the dataplane did not come up (see its messages above)\n");
		kill(s->dp, SIGKILL);
		waitpid(s->dp, &s->dp_status, 0);
		s->dp = -1;
	}
	close(pfd[0]);
	return s->dp;
}

static pid_t
start_control(struct session *s)
{
	char bin[PATH_MAX];
	char *argv[16];
	int argc = 0;

	find_bin("jg-control", bin, sizeof(bin));
	argv[argc++] = bin;
	argv[argc++] = "-c";
	argv[argc++] = (char *)s->config;
	argv[argc++] = "--file-prefix";
	argv[argc++] = s->prefix;
	argv[argc++] = "--socket";
	argv[argc++] = s->socket;
	if (s->out_dir != NULL) {
		argv[argc++] = "--out";
		argv[argc++] = (char *)s->out_dir;
	}
	if (s->replay)
		argv[argc++] = "--replay";
	if (s->suggest != NULL) {
		argv[argc++] = "--suggest";
		argv[argc++] = (char *)s->suggest;
	}
	if (s->min_sessions != NULL) {
		argv[argc++] = "--min-sessions";
		argv[argc++] = (char *)s->min_sessions;
	}
	argv[argc] = NULL;
	s->ctl = spawn(argv, -1);
	return s->ctl;
}

/* Ask jg-control for the dataplane's received packets (progress display). */
static long long
query_rx(const char *socket_path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[8192];
	ssize_t n, have = 0;
	long long rx = -1;
	char *p;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    write(fd, JG_PROTO_MAGIC " status --json\n", sizeof(JG_PROTO_MAGIC " status --json\n") - 1) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (have < (ssize_t)sizeof(buf) - 1 && (n = read(fd, buf + have, sizeof(buf) - 1 - (size_t)have)) > 0)
		have += n;
	buf[have] = '\0';
	close(fd);
	p = strstr(buf, "\"ipackets\":");
	if (p != NULL)
		rx = atoll(p + 11);
	return rx;
}

static void
progress(struct session *s, uint64_t t0)
{
	long long rx = query_rx(s->socket);
	double secs = (double)(jg_unix_ns() - t0) / 1e9;

	if (rx < 0 || !isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\r  %s: %lld/%llu packets (%3.0f%%), %.2f Mpps   ", s->replay ? "replaying" : "running", rx,
		(unsigned long long)s->packets, s->packets ? 100.0 * (double)rx / (double)s->packets : 0.0,
		secs > 0 ? (double)rx / secs / 1e6 : 0.0);
}

/* Remove the shared-memory files of this instance: the processes are gone. */
static void
cleanup_prefix(const char *prefix)
{
	const char *dirs[] = { "/dev/hugepages", "/mnt/huge" };
	char path[PATH_MAX];
	size_t plen = strlen(prefix);

	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *e;

		if (dir == NULL)
			continue;
		while ((e = readdir(dir)) != NULL)
			if (!strncmp(e->d_name, prefix, plen) && !strncmp(e->d_name + plen, "map_", 4)) {
				snprintf(path, sizeof(path), "%s/%s", dirs[d], e->d_name);
				unlink(path);
			}
		closedir(dir);
	}
	/* EAL's runtime directory (config, memseg arrays, mp socket) */
	snprintf(path, sizeof(path), "/var/run/dpdk/%s", prefix);
	{
		DIR *dir = opendir(path);
		struct dirent *e;
		char f[PATH_MAX + 256];

		if (dir == NULL)
			return;
		while ((e = readdir(dir)) != NULL)
			if (e->d_name[0] != '.') {
				snprintf(f, sizeof(f), "%s/%s", path, e->d_name);
				unlink(f);
			}
		closedir(dir);
		rmdir(path);
	}
}

/* Supervise both processes until the dataplane exits. @return the dataplane's exit status */
static int
supervise(struct session *s)
{
	uint64_t t0 = jg_unix_ns(), last = 0;
	int restarts = 0, forwarded = 0, st;

	for (;;) {
		pid_t pid = waitpid(-1, &st, WNOHANG);

		if (pid == s->dp) {
			s->dp_status = st;
			s->dp = -1;
			break;
		}
		if (pid == s->ctl) {
			s->ctl = -1;
			/* A clean exit means the dataplane stopped (or the replay is drained). */
			if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0) && !forwarded) {
				if (restarts++ >= MAX_CONTROL_RESTARTS && s->replay) {
					fprintf(stderr, "jumpgate: the control plane keeps dying; stopping\n");
					kill(s->dp, SIGTERM);
				} else {
					fprintf(stderr, "jumpgate: control plane exited (%s %d); restarting it\n",
						WIFSIGNALED(st) ? "signal" : "status",
						WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
					sleep(1);
					start_control(s);
				}
			}
		}
		/* logrotate: the control plane reopens its files */
		if (hup_signal) {
			hup_signal = 0;
			if (s->ctl > 0)
				kill(s->ctl, SIGHUP);
		}
		if (stop_signal && forwarded < 2 && s->dp > 0) {
			kill(s->dp, SIGTERM);
			forwarded++;
			stop_signal = 0;
		}
		if (jg_unix_ns() - last > 500000000u) {
			last = jg_unix_ns();
			if (s->replay)
				progress(s, t0);
		}
		usleep(SUPERVISE_TICK_US);
	}
	if (s->replay && isatty(STDERR_FILENO))
		fprintf(stderr, "\r%70s\r", "");
	/* The control plane exits by itself once the dataplane has stopped; give it 10 s. */
	for (int i = 0; s->ctl > 0 && i < 10000000 / SUPERVISE_TICK_US; i++) {
		if (waitpid(s->ctl, &st, WNOHANG) == s->ctl)
			s->ctl = -1;
		else
			usleep(SUPERVISE_TICK_US);
	}
	if (s->ctl > 0) {
		kill(s->ctl, SIGTERM);
		waitpid(s->ctl, &st, 0);
	}
	cleanup_prefix(s->prefix);
	return WIFEXITED(s->dp_status) ? WEXITSTATUS(s->dp_status) : 128 + WTERMSIG(s->dp_status);
}

static int
hugepages(void)
{
	char msg[512];

	if (jg_hugepages_ensure(HUGEPAGES_WANTED, HUGEPAGES_MIN_FREE, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "jumpgate: hugepages: %s\n", msg);
		return -1;
	}
	return 0;
}

static int
start_both(struct session *s)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (hugepages() != 0)
		return 1;
	if (start_dataplane(s) <= 0) {
		cleanup_prefix(s->prefix);
		return 1;
	}
	if (start_control(s) <= 0) {
		kill(s->dp, SIGKILL);
		cleanup_prefix(s->prefix);
		return 1;
	}
	return supervise(s);
}

static int
access_ok(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, R_OK) == 0;
}

static void
print_file(const char *dir, const char *name)
{
	char path[PATH_MAX], buf[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	fflush(stdout);
}

static int
copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "r"), *out = in != NULL ? fopen(to, "w") : NULL;
	char buf[4096];
	size_t n;
	int ok = out != NULL;

	while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		ok = fwrite(buf, 1, n, out) == n;
	if (in != NULL)
		fclose(in);
	if (out != NULL)
		ok &= fclose(out) == 0;
	if (!ok)
		fprintf(stderr, "jumpgate: %s: %s\n", to, strerror(errno));
	return ok ? 0 : -1;
}

static int
truncate_out(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "jumpgate: %s: %s\n", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * A replay's store starts empty, as its events.jsonl and flows.jsonl do: alerts, flows and
 * learn mode's graph of an earlier replay into the same directory would otherwise mix with
 * this one's (in the what-if too), and every replay there would be slower than the last.
 * Only a store inside the output directory goes; an absolute store.path is the operator's.
 */
static void
fresh_store(const char *config, const char *out)
{
	static const char *const ext[] = { "", "-wal", "-shm", "-journal" };
	struct jg_cfg_errors *errs = calloc(1, sizeof(*errs));
	struct jg_config *cfg = calloc(1, sizeof(*cfg));
	char db[PATH_MAX], path[PATH_MAX + 16];

	/* a config that does not load is reported by the dataplane, which refuses it */
	if (errs != NULL && cfg != NULL && jg_config_load(config, cfg, errs) == 0 && cfg->store_on &&
	    jg_config_store_path(cfg, out, db, sizeof(db)))
		for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
			snprintf(path, sizeof(path), "%s%s", db, ext[i]);
			unlink(path);
		}
	free(errs);
	free(cfg);
}

static int
replay(struct session *sp, char *const *files, int n)
{
	struct session s = *sp;
	const char *out = s.out_dir;
	char err[512], warn[512];
	uint64_t t_conv;
	int rc;

	if (mkdir(out, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "jumpgate: %s: %s\n", out, strerror(errno));
		return 1;
	}
	if (truncate_out(out, "events.jsonl") || truncate_out(out, "flows.jsonl"))
		return 1;
	fresh_store(s.config, out);
	{
		char stale[PATH_MAX];

		static const char *const names[] = { "lateral.dot", "whatif.txt", "whatif.json", "proposal.yaml" };

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(stale, sizeof(stale), "%s/%s", out, names[i]);
			unlink(stale);
		}
	}
	/* an Ethernet pcap is read where it is; anything else is converted into one first */
	t_conv = jg_unix_ns();
	if (n == 1 && jg_capture_direct(files[0], &s.packets)) {
		snprintf(s.input, sizeof(s.input), "%s", files[0]);
	} else {
		s.temp_input = 1;
		snprintf(s.input, sizeof(s.input), "%s/.jg-input-%d.pcap", out, getpid());
		rc = jg_capture_normalize(files, n, s.input, &s.packets, err, sizeof(err), warn, sizeof(warn));
		if (rc != 0) {
			fprintf(stderr, "jumpgate: %s\n", err);
			unlink(s.input);
			return 1;
		}
		if (warn[0])
			fprintf(stderr, "jumpgate: warning: %s\n", warn);
	}
	if (s.packets == 0) {
		fprintf(stderr, "jumpgate: no packets in the input\n");
		if (s.temp_input)
			unlink(s.input);
		return 1;
	}
	snprintf(s.prefix, sizeof(s.prefix), "jg-%d-%lx", getpid(), (unsigned long)time(NULL));
	if ((size_t)snprintf(s.socket, sizeof(s.socket), "%s/jgctl.sock", out) >= sizeof(s.socket))
		snprintf(s.socket, sizeof(s.socket), "/tmp/jgctl-%d.sock", getpid());
	t_conv = jg_unix_ns() - t_conv;
	rc = start_both(&s);
	if (s.temp_input)
		unlink(s.input);
	if (rc == 0 && s.temp_input)
		printf("  input    converted to one Ethernet pcap first (%.2f s)\n", (double)t_conv / 1e9);
	else if (rc == 0)
		printf("  input    read in place (%.2f s to check it)\n", (double)t_conv / 1e9);
	if (rc == 0)
		printf("  output   %s/events.jsonl, %s/flows.jsonl, %s/summary.json%s\n", out, out, out,
		       access_ok(out, "lateral.dot") ? ", lateral.dot (the movement, for Graphviz)" : "");
	if (rc == 0 && s.policy != NULL && access_ok(out, "whatif.txt")) {
		printf("\n");
		print_file(out, "whatif.txt");
	}
	return rc;
}

/*
 * jumpgate learn: replay the captures, have the control plane propose a policy
 * from the remote administration they show, print its what-if against the
 * policy that ran, and leave the proposal in `dest`.
 */
static int
learn(struct session *s, const char *dest, char *const *files, int n)
{
	char from[PATH_MAX];
	int rc;

	s->suggest = "proposal.yaml";
	rc = replay(s, files, n);
	if (rc != 0)
		return rc;
	snprintf(from, sizeof(from), "%s/proposal.yaml", s->out_dir);
	{
		char a[PATH_MAX], b[PATH_MAX];

		/* --out DIR/proposal.yaml: it is there already (a copy onto itself would empty it) */
		if (realpath(from, a) != NULL && realpath(dest, b) != NULL && !strcmp(a, b))
			dest = from;
	}
	if (!access_ok(s->out_dir, "proposal.yaml") || (dest != from && copy_file(from, dest) != 0)) {
		fprintf(stderr, "jumpgate learn: no proposal was written (see the messages above)\n");
		return 1;
	}
	printf("\n");
	print_file(s->out_dir, "whatif.txt");
	printf("\nproposal: %s (a policy file: review it, try it with jumpgate replay --policy %s CAPTURE,\n"
	       "then point detect.policy at it and run jgctl reload)\n", dest, dest);
	return 0;
}

static int
run_live(const char *config)
{
	struct session s = { .config = config, .dp = -1, .ctl = -1 };
	struct jg_cfg_errors *errs = calloc(1, sizeof(*errs));
	struct jg_config *cfg = calloc(1, sizeof(*cfg));
	int rc;

	if (errs == NULL || cfg == NULL)
		return 1;
	if (jg_config_load(config, cfg, errs) != 0) {
		for (uint32_t i = 0; i < errs->n; i++)
			fprintf(stderr, "%s\n", errs->e[i].msg);
		return 2;
	}
	snprintf(s.prefix, sizeof(s.prefix), "%s", cfg->file_prefix);
	snprintf(s.socket, sizeof(s.socket), "%s", cfg->socket_path);
	s.out_dir = cfg->out_dir; /* summary.json at the stop, beside the outputs */
	mkdir(cfg->out_dir, 0755);
	printf("jumpgate: live on %u port(s); jgctl -s %s status\n", cfg->n_ports, s.socket);
	rc = start_both(&s);
	free(errs);
	free(cfg);
	return rc;
}

int jg_demo_show(const char *out_dir);
int jg_fleet_main(int argc, char **argv);

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "policy", required_argument, NULL, 'p' },
		{ "dir", required_argument, NULL, 'd' },
		{ "min-sessions", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char cfg_buf[PATH_MAX], demo_buf[PATH_MAX];
	const char *config = NULL, *out = NULL, *policy = NULL, *dir = NULL, *min_sessions = NULL, *cmd;
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "fleet"))
		return jg_fleet_main(argc, argv);
	optind = 2;
	while ((c = getopt_long(argc, argv, "c:o:p:d:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'o': out = optarg; break;
		case 'p': policy = optarg; break;
		case 'd': dir = optarg; break;
		case 'm': min_sessions = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (config == NULL && (config = default_config(cfg_buf, sizeof(cfg_buf))) == NULL) {
		fprintf(stderr, "jumpgate: no configuration found; pass -c CONFIG\n");
		return 2;
	}
	if (!strcmp(cmd, "setup"))
		return hugepages() == 0 ? 0 : 1;
	if (!strcmp(cmd, "run"))
		return run_live(config);
	if (!strcmp(cmd, "replay")) {
		if (optind >= argc) {
			fprintf(stderr, "jumpgate replay: no capture given\n");
			return 2;
		}
		struct session s = { .config = config, .policy = policy, .out_dir = out ? out : "jumpgate-out",
				     .replay = 1, .dp = -1, .ctl = -1 };

		return replay(&s, argv + optind, argc - optind);
	}
	if (!strcmp(cmd, "learn")) {
		struct session s = { .config = config, .out_dir = dir ? dir : "jumpgate-out", .min_sessions = min_sessions,
				     .replay = 1, .dp = -1, .ctl = -1 };

		if (optind >= argc) {
			fprintf(stderr, "jumpgate learn: no capture given\n");
			return 2;
		}
		if (min_sessions != NULL && atoi(min_sessions) <= 0) {
			fprintf(stderr, "jumpgate learn: --min-sessions %s: not a positive number\n", min_sessions);
			return 2;
		}
		return learn(&s, out ? out : "policy.learnt.yaml", argv + optind, argc - optind);
	}
	if (!strcmp(cmd, "demo")) {
		char tmpl[] = "/tmp/jumpgate-demo-XXXXXX";
		char *files[1];
		int rc;

		files[0] = (char *)find_data("demo/demo.pcap", "demo.pcap", demo_buf, sizeof(demo_buf));
		if (files[0] == NULL || mkdtemp(tmpl) == NULL) {
			fprintf(stderr, "jumpgate demo: bundled capture not found\n");
			return 1;
		}
		printf("jumpgate demo: replaying %s with %s\n", files[0], config);
		struct session s = { .config = config, .out_dir = tmpl, .replay = 1, .dp = -1, .ctl = -1 };

		rc = replay(&s, files, 1);
		return rc != 0 ? rc : jg_demo_show(tmpl);
	}
	fprintf(stderr, "jumpgate: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
