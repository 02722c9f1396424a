// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loading the datapath: every map is pinned by name under the pin dir, so a
 * restarted xgwd reuses the very maps the running program uses (hitless
 * restart). Pins from another layout version are refused, never touched.
 * Both families' FIB maps are mmapped and handed to common/fib.c, which
 * writes them in place.
 */
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "fib.h"
#include "json_print.h"
#include "loader.h"
#include "xgwd.h"
#include "xgw.skel.h"

static bool libbpf_quiet;

/* libxdp probes for its dispatcher by loading programs that may fail (they
 * do on some kernels, and it falls back to a single program); those
 * warnings are only noise unless -v. */
void loader__quiet(bool quiet)
{
	libbpf_quiet = quiet;
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && xgwd_verbose < 2)
		return 0;
	if ((level != LIBBPF_WARN || libbpf_quiet) && !xgwd_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int libxdp_log(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBXDP_DEBUG && xgwd_verbose < 2)
		return 0;
	if (!xgwd_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	char *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

/* The mount point of the bpffs holding path (longest bpf mount prefix). */
static int bpffs_mount_of(const char *path, char *out, size_t len)
{
	char line[4096], mnt[PATH_MAX], type[64];
	size_t best = 0;
	FILE *f = fopen("/proc/self/mounts", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		size_t n;

		if (sscanf(line, "%*s %4095s %63s", mnt, type) != 2 ||
		    strcmp(type, "bpf"))
			continue;
		n = strlen(mnt);
		if (strncmp(path, mnt, n) || (path[n] && path[n] != '/' && n > 1))
			continue;
		if (n >= best) {
			best = n;
			snprintf(out, len, "%s", mnt);
		}
	}
	fclose(f);
	return best ? 0 : -ENOENT;
}

static int bpffs_mount(const char *where)
{
	if (mount("bpf", where, "bpf", 0, "mode=0700")) {
		pr_warn("cannot mount a bpffs on %s: %s", where, strerror(errno));
		return -errno;
	}
	pr_warn("mounted a bpffs on %s; pins made inside a private mount "
		"namespace (ip netns exec) die with it", where);
	return 0;
}

/* The deepest existing ancestor of path (path itself included). */
static void existing_ancestor(const char *path, char *out, size_t len)
{
	struct stat st;
	char *slash;

	snprintf(out, len, "%s", path);
	while (stat(out, &st) && (slash = strrchr(out, '/')) && slash != out)
		*slash = '\0';
}

/*
 * The pin dir must be on a bpffs. Under `ip netns exec` /sys is a fresh
 * sysfs where /sys/fs/bpf is an empty mount point: mount a bpffs there (so
 * libxdp's default works too), otherwise on the pin dir itself.
 */
int loader__ensure_bpffs(const char *pin_dir)
{
	static const char sysbpf[] = "/sys/fs/bpf";
	char anc[PATH_MAX], mnt[PATH_MAX];
	int err = 0;

	existing_ancestor(pin_dir, anc, sizeof(anc));
	if (!is_bpffs(anc)) {
		if (!strncmp(pin_dir, sysbpf, sizeof(sysbpf) - 1) &&
		    pin_dir[sizeof(sysbpf) - 1] == '/' && !is_bpffs(sysbpf))
			err = bpffs_mount(sysbpf);
		else if (!(err = mkdir_p(pin_dir, 0700)))
			err = bpffs_mount(pin_dir);
		if (err)
			return err;
	}
	err = mkdir_p(pin_dir, 0700);
	if (err) {
		pr_warn("cannot create pin dir %s: %s", pin_dir, strerror(-err));
		return err;
	}
	/* libxdp pins its dispatchers under $LIBXDP_BPFFS (default /sys/fs/bpf) */
	if (!getenv(XDP_BPFFS_ENVVAR) && !is_bpffs(sysbpf) &&
	    !bpffs_mount_of(pin_dir, mnt, sizeof(mnt))) {
		setenv(XDP_BPFFS_ENVVAR, mnt, 1);
		pr_info("libxdp state under %s", mnt);
	}
	return 0;
}

/* Remove every pin in dir (maps and links), then with rm dir if empty. */
static int loader__unpin_all(const char *pin_dir, bool rm)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	dir = opendir(pin_dir);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, de->d_name);
		if (unlink(path))
			pr_warn("cannot remove %s: %s", path, strerror(errno));
	}
	closedir(dir);
	if (rm && rmdir(pin_dir) && errno != EBUSY)
		pr_debug("rmdir %s: %s", pin_dir, strerror(errno));
	return 0;
}

/*
 * Refuse pins of another layout before libbpf gets a chance to reuse them.
 * The version is the first word of xgw_config whatever its size, so pins of
 * a layout whose config was shorter or longer are still named correctly.
 */
static int loader__check_layout(struct xgwd *d, bool *pinned)
{
	char path[PATH_MAX];
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info), key = 0, version = 0;
	__u8 val[1024] = {};	/* any layout's xgw_config: its first word is the version */
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/xgw_config", d->opts.pin_dir);
	fd = bpf_obj_get(path);
	*pinned = fd >= 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!bpf_obj_get_info_by_fd(fd, &info, &ilen) && info.value_size >= sizeof(version) &&
	    info.value_size <= sizeof(val) && !bpf_map_lookup_elem(fd, &key, val)) {
		memcpy(&version, val, sizeof(version));
		if (!version && info.value_size == sizeof(struct xgw_config)) {
			/*
			 * Never written: an xgwd was killed between pinning the
			 * maps and writing xgw_config, before it served, so before
			 * any link could run a program over them. Start afresh
			 * instead of refusing them forever.
			 */
			close(fd);
			pr_warn("pinned maps in %s are from a start that did not finish: "
				"removed", d->opts.pin_dir);
			loader__unpin_all(d->opts.pin_dir, false);
			*pinned = false;
			return 0;
		}
	}
	if (version != XGW_LAYOUT_VERSION) {
		pr_warn("pinned maps in %s are from an incompatible xgw layout "
			"(version %u, expected %u); run xgwd --cleanup", d->opts.pin_dir,
			version, XGW_LAYOUT_VERSION);
		err = -EPROTO;
	} else if (info.value_size != sizeof(struct xgw_config)) {
		pr_warn("pinned maps in %s are from another build of layout %u (xgw_config "
			"of %u bytes, expected %zu); run xgwd --cleanup", d->opts.pin_dir,
			version, info.value_size, sizeof(struct xgw_config));
		err = -EPROTO;
	}
	close(fd);
	return err;
}

/* What became of each tracing program, for `xgwctl daemon show`. */
static struct {
	const char *prog;	/* e.g. xgw_trace_redirect_err */
	const char *tp;		/* its tracepoint */
	char state[96];		/* attached, kept, absent, or why it failed */
} tracing[4];
static int n_tracing;

static void tracing__note(const char *prog, const char *tp, const char *fmt, const char *arg)
{
	if (n_tracing >= (int)(sizeof(tracing) / sizeof(tracing[0])))
		return;
	tracing[n_tracing].prog = prog;
	tracing[n_tracing].tp = tp;
	snprintf(tracing[n_tracing].state, sizeof(tracing[n_tracing].state), fmt, arg);
	n_tracing++;
}

/* tp_btf programs need their tracepoint in the running kernel's BTF. */
static void loader__prune_tracing(struct xgw_bpf *skel)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj) {
		const char *sec = bpf_program__section_name(prog);
		char name[128];

		if (strncmp(sec, "tp_btf/", 7))
			continue;
		snprintf(name, sizeof(name), "btf_trace_%s", sec + 7);
		if (vmlinux && btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF) > 0)
			continue;
		pr_info("kernel lacks tracepoint %s: %s not loaded", sec + 7,
			bpf_program__name(prog));
		tracing__note(bpf_program__name(prog), sec + 7, "absent: the kernel lacks %s",
			      sec + 7);
		bpf_program__set_autoload(prog, false);
	}
	btf__free(vmlinux);
}

/*
 * Reuse a pinned map ourselves rather than through libbpf's pin_path: the
 * kernel adds BPF_F_RDONLY_PROG to every devmap it creates, which libbpf
 * 1.1's check takes for a mismatch. Anything else that differs means the
 * pins come from another layout.
 */
static int loader__reuse(struct xgwd *d, struct bpf_map *map, int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	__u32 want = bpf_map__map_flags(map) & ~BPF_F_RDONLY_PROG;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != bpf_map__type(map) ||
	    info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) ||
	    info.max_entries != bpf_map__max_entries(map) ||
	    (info.map_flags & ~BPF_F_RDONLY_PROG) != want) {
		pr_warn("pinned maps in %s are from an incompatible xgw layout "
			"(map %s differs: type %u/%u key %u/%u value %u/%u entries "
			"%u/%u; expected version %u); run xgwd --cleanup",
			d->opts.pin_dir, bpf_map__name(map), info.type,
			bpf_map__type(map), info.key_size, bpf_map__key_size(map),
			info.value_size, bpf_map__value_size(map), info.max_entries,
			bpf_map__max_entries(map), XGW_LAYOUT_VERSION);
		return -EPROTO;
	}
	return bpf_map__reuse_fd(map, fd);
}

/* Pinned maps are reused; the others get a pin path, pinned at load. */
static int loader__set_pins(struct xgwd *d, int *n_reused)
{
	struct bpf_map *map;
	char path[PATH_MAX];
	int err, fd;

	*n_reused = 0;
	bpf_object__for_each_map(map, d->skel->obj) {
		if (bpf_map__is_internal(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", d->opts.pin_dir,
			 bpf_map__name(map));
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			err = loader__reuse(d, map, fd);
			close(fd);
			if (err)
				return err;
			(*n_reused)++;
			continue;
		}
		if (errno != ENOENT)
			return -errno;
		err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return 0;
}

static int loader__init_config(struct xgwd *d)
{
	int fd = bpf_map__fd(d->skel->maps.xgw_config);
	__u32 key = 0;

	if (d->adopted && !bpf_map_lookup_elem(fd, &key, &d->config) &&
	    d->config.layout_version == XGW_LAYOUT_VERSION)
		return 0;
	memset(&d->config, 0, sizeof(d->config));
	d->config.layout_version = XGW_LAYOUT_VERSION;
	d->config.latency_sample = XGW_LATENCY_SAMPLE_DEFAULT;
	d->config.ct_udp_timeout_s = XGW_CT_UDP_TIMEOUT_DEFAULT;
	d->config.ct_flood_limit = XGW_CT_FLOOD_DEFAULT;
	d->config.icmp_rate = XGW_ICMP_RATE_DEFAULT;
	d->config.icmp_burst = XGW_ICMP_BURST_DEFAULT;
	if (bpf_map_update_elem(fd, &key, &d->config, BPF_ANY))
		return -errno;
	return 0;
}

/* One daemon per pin dir: a second one would fight over the maps. The
 * lock lives as long as the process (its fd is never closed). */
static int loader__lock(struct xgwd *d)
{
	int fd = open(d->opts.pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = -errno;

		pr_warn("another xgwd manages %s", d->opts.pin_dir);
		close(fd);
		return err == -EWOULDBLOCK ? -EBUSY : err;
	}
	return 0;
}

static void loader__fib_close(struct xgwd *d)
{
	int i;

	for (i = 0; i < 2; i++) {
		xgw_fib_close(d->fib[i]);
		d->fib[i] = NULL;
		xgw_fib_unmap(&d->fibm[i]);
	}
}

/*
 * Map both families' FIB maps and take charge of them. Over adopted maps
 * each FIB keeps what the datapath uses until entry__commit() writes the
 * restored route set.
 */
static int loader__fib_open(struct xgwd *d)
{
	int i, err = 0;

	for (i = 0; !err && i < 2; i++) {
		const char *fam = i ? "IPv6" : "IPv4";

		err = xgw_fib_map_object(d->skel->obj, i ? AF_INET6 : AF_INET,
					 PROT_READ | PROT_WRITE, &d->fibm[i]);
		if (err) {
			pr_warn("cannot map the %s FIB: %s", fam, strerror(-err));
			break;
		}
		err = xgw_fib_open(&d->fib[i], &d->fibm[i], d->adopted);
		if (err == -EINVAL && d->adopted)
			pr_warn("the pinned %s FIB is not one this xgwd wrote; run xgwd --cleanup",
				fam);
		else if (err)
			pr_warn("cannot set up the %s FIB: %s", fam, strerror(-err));
	}
	if (err)
		loader__fib_close(d);
	return err;
}

/*
 * Attach the tracing programs (redirect_error, xmit_drop) once per pin dir:
 * their links are pinned beside the maps (link_<prog>), so they keep
 * counting while no xgwd runs, and a restarted xgwd keeps them rather than
 * attaching a second copy that would count every event twice. --cleanup
 * removes the pins, which detaches them.
 */
static void loader__attach_tracing(struct xgwd *d)
{
	struct bpf_program *prog;
	struct bpf_link *link;
	char path[PATH_MAX];
	int fd, err;

	bpf_object__for_each_program(prog, d->skel->obj) {
		const char *sec = bpf_program__section_name(prog), *name;

		if (strncmp(sec, "tp_btf/", 7) || !bpf_program__autoload(prog))
			continue;
		name = bpf_program__name(prog);
		snprintf(path, sizeof(path), "%s/link_%s", d->opts.pin_dir, name);
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			close(fd);
			tracing__note(name, sec + 7, "attached (%s, kept)", "pinned");
			continue;
		}
		link = bpf_program__attach(prog);
		err = libbpf_get_error(link);
		if (!err && bpf_link__pin(link, path))
			err = -errno;
		if (err) {
			pr_warn("cannot attach %s to %s: %s; its events are not counted",
				name, sec + 7, strerror(-err));
			tracing__note(name, sec + 7, "failed: %s", strerror(-err));
			if (!libbpf_get_error(link))
				bpf_link__destroy(link);
			continue;
		}
		bpf_link__disconnect(link);	/* the pin holds it now */
		bpf_link__destroy(link);
		tracing__note(name, sec + 7, "attached (%s)", "new");
	}
}

void loader__tracing_show(void)
{
	int i;

	open_json_array(PRINT_JSON, "tracing");
	for (i = 0; i < n_tracing; i++) {
		open_json_object(NULL);
		print_string(PRINT_ANY, "tracepoint", "tracing %s", tracing[i].tp);
		print_string(PRINT_ANY, "program", " %s", tracing[i].prog);
		print_string(PRINT_ANY, "state", ": %s", tracing[i].state);
		print_nl();
		close_json_object();
	}
	close_json_array(PRINT_JSON, NULL);
}

int loader__open(struct xgwd *d)
{
	bool pinned;
	int err, reused = 0;

	libbpf_set_print(libbpf_log);
	libxdp_set_print(libxdp_log);
	err = loader__ensure_bpffs(d->opts.pin_dir);
	if (!err)
		err = loader__lock(d);
	if (err)
		return err;
	err = loader__check_layout(d, &pinned);
	if (err)
		return err;
	d->skel = xgw_bpf__open();
	if (!d->skel) {
		err = -errno;
		pr_warn("cannot open the BPF object: %s", strerror(errno));
		return err;
	}
	loader__prune_tracing(d->skel);
	err = loader__set_pins(d, &reused);
	if (err)
		goto out;
	err = xgw_bpf__load(d->skel);
	if (err) {
		pr_warn("loading the BPF object failed: %s", strerror(-err));
		goto out;
	}
	if (reused)
		pr_info("reused %d pinned map(s)", reused);
	d->adopted = pinned;
	err = loader__fib_open(d);
	if (!err)
		err = xgw_nh_table_open(&d->nh_table, bpf_map__fd(d->skel->maps.xgw_nexthops),
					bpf_map__fd(d->skel->maps.xgw_nh_groups));
	if (err)
		goto out;
	err = loader__init_config(d);
	if (err)
		pr_warn("cannot write xgw_config: %s", strerror(-err));
	else
		pr_info("datapath %s (pins in %s)", pinned ? "adopted" : "loaded",
			d->opts.pin_dir);
	if (!err)
		loader__attach_tracing(d);
out:
	if (err) {
		loader__fib_close(d);
		xgw_nh_table_close(&d->nh_table);
		xgw_bpf__destroy(d->skel);
		d->skel = NULL;
	}
	return err;
}

void loader__close(struct xgwd *d)
{
	/* Maps stay pinned and attached programs keep running. */
	loader__fib_close(d);
	xgw_nh_table_close(&d->nh_table);
	xgw_bpf__destroy(d->skel);
	d->skel = NULL;
}

static bool prog_is_xgw(const char *name)
{
	return !strcmp(name, "xgw_xdp") || !strcmp(name, "xgw_decap");
}

/* Ids of the maps pinned in dir (link pins left aside). Count or -errno. */
static int pinned_map_ids(const char *dir, __u32 *ids, int max)
{
	struct bpf_map_info info;
	char path[PATH_MAX];
	struct dirent *de;
	__u32 len;
	int n = 0, fd;
	DIR *dp = opendir(dir);

	if (!dp)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dp)) && n < max) {
		if (de->d_name[0] == '.' || !strncmp(de->d_name, "link_", 5))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.id)
			ids[n++] = info.id;
		close(fd);
	}
	closedir(dp);
	return n;
}

/* Does the program use one of the maps ids[]? Then it is this pin dir's. */
static bool prog_uses_maps(struct xdp_program *p, const __u32 *ids, int n)
{
	struct bpf_prog_info info = {};
	__u32 map_ids[64], len = sizeof(info);
	int i, j, fd = xdp_program__fd(p);

	if (fd < 0 || !prog_is_xgw(xdp_program__name(p)))
		return false;
	info.nr_map_ids = 64;
	info.map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	for (i = 0; i < (int)info.nr_map_ids && i < 64; i++)
		for (j = 0; j < n; j++)
			if (map_ids[i] == ids[j])
				return true;
	return false;
}

/* Is p ours to detach? An xgw program of another pin dir (or of pins that
 * are gone: a private bpffs that died with its mount namespace) is left
 * attached, and said so. */
static bool prog_is_ours(struct xdp_program *p, const __u32 *ids, int n, const char *dev)
{
	if (prog_uses_maps(p, ids, n))
		return true;
	if (prog_is_xgw(xdp_program__name(p)))
		pr_warn("%s: %s uses no map pinned here: left attached (another xgwd's, or its "
			"pins are gone: ip link set dev %s xdp off)", dev, xdp_program__name(p),
			dev);
	return false;
}

/* Detach from ifindex the xgw programs that use maps ids[]; count them. */
static int loader__detach_dev(int ifindex, const char *name, const __u32 *ids, int n_ids)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p, *next;
	int n = 0;

	if (!mp || libxdp_get_error(mp))
		return 0;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && prog_is_ours(p, ids, n_ids, name) && !xdp_multiprog__detach(mp))
			n++;
		goto out;
	}
	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = next) {
		next = xdp_multiprog__next_prog(p, mp);
		if (!prog_is_ours(p, ids, n_ids, name))
			continue;
		if (!xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0))
			n++;
		else
			pr_warn("cannot detach %s from %s", xdp_program__name(p), name);
	}
out:
	xdp_multiprog__close(mp);
	return n;
}

int loader__cleanup(struct xgwd *d)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	__u32 ids[64];
	int n = 0, n_ids;

	libbpf_set_print(libbpf_log);
	libxdp_set_print(libxdp_log);
	/*
	 * Only the programs of this pin dir: those using its maps. Another
	 * xgwd's programs (other pins) and stale pins' absent programs are
	 * never touched.
	 */
	n_ids = pinned_map_ids(d->opts.pin_dir, ids, 64);
	for (i = ifs; i && i->if_index; i++)
		n += loader__detach_dev(i->if_index, i->if_name, ids, n_ids);
	if (ifs)
		if_freenameindex(ifs);
	pr_info("detached xgw from %d device(s)%s", n,
		n_ids > 0 ? "" : " (no maps pinned here: no program is this pin dir's)");
	return loader__unpin_all(d->opts.pin_dir, true);
}
