/* SPDX-License-Identifier: MIT */
/* c_text.c: the text sink of the "c" writer: buffered output, exact number literals, safe strings and comments. */
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "c_writer.h"

/* Large forests make files of tens of megabytes: hand the stream big
 * blocks rather than one call per line. */
#define CW_FLUSH_AT (64u * 1024u)

static int cw_text_flush(cw_writer *w)
{
    int rc;

    if (w->status || w->len == 0)
        return w->status;
    rc = skc_stream_write(w->out, w->buf, w->len);
    if (rc)
        return cw_fail(w, rc, "writing the C source failed: %s", skc_strerror(rc));
    w->len = 0;
    return SKC_OK;
}

static int cw_text_reserve(cw_writer *w, size_t extra)
{
    size_t ncap;
    char *p;

    if (w->len + extra + 1 <= w->cap)
        return SKC_OK;
    ncap = w->cap ? w->cap : 2 * CW_FLUSH_AT;
    while (ncap < w->len + extra + 1)
        ncap *= 2;
    p = realloc(w->buf, ncap);
    if (!p)
        return cw_fail(w, SKC_E_NOMEM, "out of memory building the C source");
    w->buf = p;
    w->cap = ncap;
    return SKC_OK;
}

static void cw_text_append(cw_writer *w, const char *text, size_t n)
{
    if (w->status || cw_text_reserve(w, n))
        return;
    memcpy(w->buf + w->len, text, n);
    w->len += n;
    if (w->len >= CW_FLUSH_AT)
        cw_text_flush(w);
}

void cw_puts(cw_writer *w, const char *text)
{
    cw_text_append(w, text, strlen(text));
}

void cw_printf(cw_writer *w, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (w->status)
        return;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        cw_fail(w, SKC_E_INTERNAL, "formatting the C source failed");
        return;
    }
    if (cw_text_reserve(w, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(w->buf + w->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    w->len += (size_t)n;
    if (w->len >= CW_FLUSH_AT)
        cw_text_flush(w);
}

/* "%.17g" gives every double back exactly when the literal is read. An
 * embedding application may have set a locale whose decimal point is not
 * '.', which C source cannot use, so the locale's point is replaced. A
 * literal without '.' or an exponent gets ".0" so that it is a double
 * constant, not an integer one that merely converts. */
void cw_double(cw_writer *w, double v)
{
    const char *dp = localeconv()->decimal_point;
    char num[64], out[80];
    size_t dl = dp && *dp ? strlen(dp) : 0, i = 0, o = 0;
    int plain = 1;

    if (isnan(v)) {
        cw_puts(w, "NAN");
        return;
    }
    if (isinf(v)) {
        cw_puts(w, v > 0 ? "INFINITY" : "-INFINITY");
        return;
    }
    snprintf(num, sizeof(num), "%.17g", v);
    while (num[i] && o + 3 < sizeof(out)) {
        if (dl && strncmp(num + i, dp, dl) == 0) {
            out[o++] = '.';
            i += dl;
            plain = 0;
            continue;
        }
        if (num[i] == 'e' || num[i] == 'E')
            plain = 0;
        out[o++] = num[i++];
    }
    if (plain) {
        out[o++] = '.';
        out[o++] = '0';
    }
    out[o] = '\0';
    cw_puts(w, out);
}

/* Printable ASCII stays as it is; quotes and backslashes are escaped; '?'
 * is escaped so that no trigraph ("??/" and friends, live in C99) can
 * form; every other byte, UTF-8 included, becomes a three-digit octal
 * escape, which (unlike \x) cannot swallow the characters after it. */
void cw_string_body(cw_writer *w, const char *s, size_t len)
{
    char esc[8];
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c == '?') {
            esc[0] = '\\';
            esc[1] = (char)c;
            cw_text_append(w, esc, 2);
        } else if (c >= 0x20 && c < 0x7f) {
            cw_text_append(w, (const char *)&s[i], 1);
        } else {
            snprintf(esc, sizeof(esc), "\\%03o", c);
            cw_text_append(w, esc, 4);
        }
    }
}

/* Model metadata (file names, class names) is arbitrary text. Inside a
 * comment it must not close the comment, open a nested one (-Wcomment),
 * form a trigraph or carry control bytes; such characters become '_'. */
void cw_comment_text(cw_writer *w, const char *s, size_t max)
{
    size_t i;
    char c;

    for (i = 0; s[i] && i < max; i++) {
        c = s[i];
        if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f ||
            (c == '*' && s[i + 1] == '/') || (c == '/' && s[i + 1] == '*') ||
            (c == '?' && i > 0 && s[i - 1] == '?') || c == '\\')
            c = '_';
        cw_text_append(w, &c, 1);
    }
    if (s[i])
        cw_puts(w, "...");
}

/* Helper functions are written once as text with '$' where the prefix
 * goes, which keeps them readable here as the C they become. */
void cw_template(cw_writer *w, const char *text)
{
    const char *d;

    while ((d = strchr(text, '$')) != NULL) {
        cw_text_append(w, text, (size_t)(d - text));
        cw_puts(w, w->prefix);
        text = d + 1;
    }
    cw_puts(w, text);
}

void cw_f64_list(cw_writer *w, const skc_tensor *t)
{
    int64_t i, n = skc_tensor_numel(t);

    cw_puts(w, "{");
    for (i = 0; i < n && !w->status; i++) {
        cw_puts(w, i % 4 ? " " : "\n    ");
        cw_double(w, skc_tensor_get_f64(t, i));
        cw_puts(w, ",");
    }
    cw_puts(w, "\n}");
}

int cw_fail(cw_writer *w, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!w->status)
        w->status = skc_set_error(w->s, code, "%s", msg);
    return w->status;
}

int cw_finish(cw_writer *w)
{
    return cw_text_flush(w);
}

void cw_text_free(cw_writer *w)
{
    free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}
