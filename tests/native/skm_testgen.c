/* SPDX-License-Identifier: MIT */
/* skm_testgen.c: writes the test models as .skm files and, beside each, the C reader's view of it as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include "skm_models.h"

/* Usage: skm_testgen OUTDIR. For each model NAME: OUTDIR/NAME.skm and
 * OUTDIR/NAME.json (the model read back by the C reader). */
int main(int argc, char **argv)
{
    skc_context *ctx = NULL;
    const skc_format *fmt;
    skc_model *m = NULL, *r = NULL;
    const char *name;
    uint8_t *buf = NULL;
    size_t size;
    char path[4096], err[1024];
    FILE *f;
    int i, rc = 1;

    if (argc != 2) {
        fprintf(stderr, "usage: skm_testgen OUTDIR\n");
        return 2;
    }
    if (skmt_open(&ctx, &fmt))
        return 1;
    for (i = 0; skmt_model(i, &name, &m) == SKC_OK; i++) {
        if (skmt_write(ctx, fmt, m, &buf, &size) ||
            skmt_read(ctx, fmt, buf, size, &r, err, sizeof(err))) {
            fprintf(stderr, "%s: %s\n", name, err);
            goto done;
        }
        snprintf(path, sizeof(path), "%s/%s.skm", argv[1], name);
        if (!(f = fopen(path, "wb")) || fwrite(buf, 1, size, f) != size || fclose(f)) {
            perror(path);
            goto done;
        }
        snprintf(path, sizeof(path), "%s/%s.json", argv[1], name);
        if (!(f = fopen(path, "w")) || skmt_dump_json(r, f) || fclose(f)) {
            perror(path);
            goto done;
        }
        free(buf);
        buf = NULL;
        skc_model_free(r);
        r = NULL;
        skc_model_free(m);
        m = NULL;
    }
    rc = 0;
done:
    free(buf);
    skc_model_free(r);
    skc_model_free(m);
    skc_context_free(ctx);
    return rc;
}
