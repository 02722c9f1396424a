// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libxdp shares a device between XDP programs through its dispatcher, whose
 * slots the programs replace as freplace (BPF_PROG_TYPE_EXT) programs. A
 * program becomes one only at load time, so libxdp must load it itself,
 * from an unloaded bpf_object: the skeleton's program, already loaded as
 * XDP, can only ever be attached alone. So an attachment opens a second
 * copy of the embedded object, points its maps at the daemon's (the pinned
 * ones) and leaves only the wanted program to load; libxdp loads it into
 * the dispatcher at the daemon's run priority.
 *
 * Where the kernel refuses freplace programs (libxdp's compatibility check
 * fails: it does on the 6.18 kernel this was written on, see the README),
 * libxdp falls back to loading that copy as a plain XDP program, alone.
 * xgwd notices the fallback once and from then on attaches the skeleton's
 * own program, as before: no second load (seconds of verification) per
 * link where no dispatcher can be had.
 */
#include <string.h>
#include <bpf/libbpf.h>
#include "loader.h"
#include "xdpprog.h"
#include "xgwd.h"
#include "xgw.skel.h"

static bool no_dispatcher;	/* learnt from the first attachment */

/* Every map of obj shares the daemon's map of the same name. */
static int xdpprog__share_maps(struct xgwd *d, struct bpf_object *obj)
{
	struct bpf_map *m, *own;
	int err;

	bpf_object__for_each_map(m, obj) {
		own = bpf_object__find_map_by_name(d->skel->obj, bpf_map__name(m));
		err = own ? bpf_map__reuse_fd(m, bpf_map__fd(own)) : -ENOENT;
		if (err) {
			pr_warn("cannot share map %s: %s", bpf_map__name(m), strerror(-err));
			return err;
		}
	}
	return 0;
}

/* *xpp: prog_name, not loaded, over the daemon's maps, in *objp (caller
 * closes both). 0 or -errno. */
static int xdpprog__from_obj(struct xgwd *d, const char *prog_name,
			     struct xdp_program **xpp, struct bpf_object **objp)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = bpf_object__name(d->skel->obj));
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xo, .prog_name = prog_name);
	struct bpf_program *p;
	const void *elf;
	size_t sz;
	int err;

	elf = xgw_bpf__elf_bytes(&sz);
	xo.obj = bpf_object__open_mem(elf, sz, &oo);
	if (!xo.obj)
		return -errno;
	*objp = xo.obj;
	bpf_object__for_each_program(p, xo.obj)
		bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), prog_name));
	err = xdpprog__share_maps(d, xo.obj);
	if (err)
		return err;
	*xpp = xdp_program__create(&xo);
	err = libxdp_get_error(*xpp);
	if (err) {
		*xpp = NULL;
		return err;
	}
	return xdp_program__set_run_prio(*xpp, d->opts.run_prio);
}

/* Did libxdp fall back to attaching alone? */
static bool xdpprog__attached_alone(int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	bool alone = !mp || libxdp_get_error(mp) || xdp_multiprog__is_legacy(mp);

	if (mp && !libxdp_get_error(mp))
		xdp_multiprog__close(mp);
	return alone;
}

int xdpprog__attach(struct xgwd *d, const char *prog_name, int ifindex,
		    enum xdp_attach_mode mode)
{
	struct bpf_object *obj = NULL;
	struct xdp_program *xp = NULL;
	int err;

	if (no_dispatcher) {
		xp = xdp_program__from_fd(bpf_program__fd(
			bpf_object__find_program_by_name(d->skel->obj, prog_name)));
		err = libxdp_get_error(xp);
		if (err)
			xp = NULL;
	} else {
		err = xdpprog__from_obj(d, prog_name, &xp, &obj);
	}
	if (!err) {
		loader__quiet(true);
		err = xdp_program__attach(xp, ifindex, mode, 0);
		loader__quiet(false);
	}
	if (!err && obj && xdpprog__attached_alone(ifindex)) {
		no_dispatcher = true;
		pr_info("libxdp has no dispatcher on this kernel: xgw's programs "
			"attach alone and share no device");
	}
	xdp_program__close(xp);	/* the attachment holds the program */
	bpf_object__close(obj);	/* libxdp leaves an object it was given to us */
	return err;
}
