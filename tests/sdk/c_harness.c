/* SPDX-License-Identifier: MIT */
/* c_harness.c: runs a model written by the example plugin's format "c" on rows of CSV from stdin. */
/* test_plugin_example.py compiles it with -I pointing at the directory of
 * the generated model.c, which is included whole, as m2cgen-style code is
 * used, so the SKC_* sizes are compile-time constants here. Each output
 * line is: label index, class name, class value, then the values, tab
 * separated, every double with "%.17g" so that it reads back exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.c"

static char harness_line[1 << 20];

/* Class names can hold any bytes: all but visible ASCII (and the
 * backslash) are written as \ooo, so that a row stays one line of
 * tab-separated fields. */
static void harness_name(const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c > 0x20 && c < 0x7f && c != '\\')
            putchar(c);
        else
            printf("\\%03o", c);
    }
}

int main(void)
{
    double x[SKC_N_FEATURES], v[SKC_N_OUTPUTS + 1];
    const char *name;
    char *p, *end;
    int f, k, label, row = 0;

    while (fgets(harness_line, sizeof(harness_line), stdin)) {
        p = harness_line;
        for (f = 0; f < SKC_N_FEATURES; f++) {
            x[f] = strtod(p, &end);
            if (end == p) {
                fprintf(stderr, "row %d: column %d is not a number\n", row, f);
                return 2;
            }
            p = end + (*end == ',');
        }
        label = -1;
        if (skc_predict(x, v, &label) != 0) {
            fprintf(stderr, "row %d: predict failed\n", row);
            return 1;
        }
        name = label >= 0 ? skc_class_name(label) : NULL;
        printf("%d\t", label);
        if (name)
            harness_name(name);
        else
            putchar('-');
        printf("\t%lld", label >= 0 ? skc_class_value(label) : 0LL);
        for (k = 0; k < SKC_N_OUTPUTS; k++)
            printf("\t%.17g", v[k]);
        printf("\n");
        row++;
    }
    /* The NULL contract of the API. */
    if (skc_predict(NULL, v, &label) != -1 || skc_predict(x, NULL, NULL) != 0 || skc_class_name(-1) != NULL ||
        skc_class_name(SKC_N_CLASSES) != NULL) {
        fprintf(stderr, "the NULL and range contract of the API is broken\n");
        return 1;
    }
    return 0;
}
