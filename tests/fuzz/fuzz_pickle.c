/* SPDX-License-Identifier: MIT */
/* fuzz_pickle.c: libFuzzer target for the safe pickle/joblib reader (probe, strict load, scan-mode load, accessors). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "pk_internal.h"
#include "pk_load.h"

/* Read array elements through the accessors lifters use. Shared nodes
 * make the graph a DAG (10^60 paths for a billion-laughs memo), so the
 * walk has a node budget like every real traversal. */
static size_t fuzz_budget;

static void fuzz_touch(const pk_obj *o, int depth)
{
    if (!o || depth > 8 || fuzz_budget == 0)
        return;
    fuzz_budget--;
    pk_array_info ai;
    if (pk_array(o, &ai) == 0) {
        size_t n = pk_len(o);
        for (size_t i = 0; i < n && i < 64; i++) {
            double d;
            int64_t v;
            char buf[64];
            (void)pk_array_get_f64(o, i, &d);
            (void)pk_array_get_i64(o, i, &v);
            (void)pk_array_get_str(o, i, buf, sizeof buf);
            (void)pk_array_field_f64(o, i, "threshold", &d);
            fuzz_touch(pk_array_object(o, i), depth + 1);
        }
        return;
    }
    for (size_t i = 0; i < pk_len(o) && i < 64; i++)
        fuzz_touch(pk_item(o, i), depth + 1);
    for (size_t i = 0; i < pk_dict_len(o) && i < 64; i++)
        fuzz_touch(pk_dict_value(o, i), depth + 1);
    fuzz_touch(pk_instance_state(o), depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char err[512];
    skc_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.struct_size = sizeof lim;
    lim.max_bytes = 64u << 20;       /* keep decompression bombs cheap */
    lim.max_objects = 1u << 20;
    (void)pk_probe(data, size);
    for (int permissive = 0; permissive < 2; permissive++) {
        pk_seen_log log;
        memset(&log, 0, sizeof log);
        pk_vm_opts o;
        memset(&o, 0, sizeof o);
        o.limits = &lim;
        o.permissive = permissive;
        o.log = &log;
        pk_graph *g = NULL;
        if (pk_load_bytes(data, size, &o, &g, err, sizeof err) == 0) {
            fuzz_budget = 4096;
            fuzz_touch(pk_graph_root(g), 0);
            pk_graph_free(g);
        }
        pk_seen_log_clear(&log);
    }
    return 0;
}
