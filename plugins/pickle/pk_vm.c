/* SPDX-License-Identifier: MIT */
/* pk_vm.c: a pickle virtual machine (protocols 0-5) that builds an inert object graph and never imports, calls or executes anything. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_internal.h"

/* research/FORMATS.md §6.5: stack depth and nested-pickle depth. */
#define PK_MAX_STACK      (1u << 20)
#define PK_MAX_NESTED     4
#define PK_MAX_NAME       1024   /* GLOBAL module/name line            */
#define PK_MAX_NUMLINE    64     /* INT/LONG/FLOAT/PUT/GET text lines  */
#define PK_MAX_LONG_BYTES 64     /* LONG1/LONG4: sklearn needs <= 9    */
#define PK_SMALL_BYTES    4096   /* bytes payloads copied (NUL-ended); larger ones are views */
#define PK_LOG_MAX        10000

struct pk_vm {
    const uint8_t *buf;
    size_t size, pos;
    size_t frame_end;
    int    in_frame;
    int    frames;         /* FRAME opcodes seen: a cut after a whole frame is an unfinished dump */
    pk_graph *g;
    const pk_vm_opts *opts;
    pk_obj **stack;
    size_t sp, scap;
    size_t *marks;
    size_t nmarks, mcap;
    pk_obj **memo;
    size_t memo_cap;
    uint64_t memo_count;
    int proto;
    int seen_proto;
    int nested;
    uint64_t op_off;   /* offset of the opcode being run */
    char *err;
    size_t errlen;
    int failed;
};

/* ---------------------------------------------------------------- */
/* Errors and services                                               */
/* ---------------------------------------------------------------- */

int pk_vm_fail(pk_vm *vm, int code, uint64_t off, const char *fmt, ...)
{
    if (!vm->failed && vm->err && vm->errlen) {
        int n = snprintf(vm->err, vm->errlen, "offset %llu: ",
                         (unsigned long long)off);
        if (n >= 0 && (size_t)n < vm->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(vm->err + n, vm->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    vm->failed = 1;
    return code;
}

pk_graph *pk_vm_graph(pk_vm *vm) { return vm->g; }
const skc_limits *pk_vm_limits(pk_vm *vm) { return &vm->g->limits; }
int pk_vm_frame_open(pk_vm *vm) { return vm->in_frame; }
const char *pk_vm_main_basename(pk_vm *vm) { return vm->opts->main_basename; }

static int pk_vm_nomem(pk_vm *vm)
{
    if (vm->g->n_objects >= vm->g->limits.max_objects)
        return pk_vm_fail(vm, SKC_E_LIMIT, vm->op_off,
                          "more than %llu objects (limit)",
                          (unsigned long long)vm->g->limits.max_objects);
    if (vm->g->alloc_bytes >= vm->g->limits.max_bytes / 2)
        return pk_vm_fail(vm, SKC_E_LIMIT, vm->op_off,
                          "object graph exceeds %llu bytes (limit)",
                          (unsigned long long)vm->g->limits.max_bytes);
    return pk_vm_fail(vm, SKC_E_NOMEM, vm->op_off, "out of memory");
}

/* §1.5 rules 2-4: every read lies inside the open frame, or is unframed
 * when no frame is open; a frame closes exactly at its end. */
static int pk_vm_need(pk_vm *vm, size_t n, const uint8_t **p)
{
    size_t limit = vm->in_frame ? vm->frame_end : vm->size;
    if (n > limit - vm->pos) {
        if (vm->in_frame && n <= vm->size - vm->pos)
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->pos,
                              "read of %zu bytes at %zu straddles frame end %zu",
                              n, vm->pos, vm->frame_end);
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->pos,
                          "truncated: %zu bytes needed, %zu left",
                          n, vm->size - vm->pos);
    }
    *p = vm->buf + vm->pos;
    vm->pos += n;
    if (vm->in_frame && vm->pos == vm->frame_end)
        vm->in_frame = 0;
    return 0;
}

int pk_vm_take_raw(pk_vm *vm, size_t n, const uint8_t **p, uint64_t *off)
{
    *off = vm->pos;
    return pk_vm_need(vm, n, p);
}

int pk_vm_peek_raw(pk_vm *vm, const uint8_t **p, size_t *left, uint64_t *off)
{
    *p = vm->buf + vm->pos;
    *left = (vm->in_frame ? vm->frame_end : vm->size) - vm->pos;
    *off = vm->pos;
    return 0;
}

static int pk_vm_line(pk_vm *vm, size_t maxlen, const uint8_t **p, size_t *n)
{
    size_t limit = vm->in_frame ? vm->frame_end : vm->size;
    size_t avail = limit - vm->pos;
    size_t look = avail < maxlen + 1 ? avail : maxlen + 1;
    const uint8_t *s = vm->buf + vm->pos;
    const uint8_t *nl = memchr(s, '\n', look);
    if (!nl) {
        if (avail > maxlen)
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->pos, "line too long");
        if (vm->in_frame && memchr(s, '\n', vm->size - vm->pos))
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->pos,
                              "line straddles frame end %zu", vm->frame_end);
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->pos, "line without newline");
    }
    size_t len = (size_t)(nl - s);
    const uint8_t *dummy;
    int rc = pk_vm_need(vm, len + 1, &dummy);
    if (rc < 0)
        return rc;
    /* Files that went through a CRLF conversion end lines with \r\n;
     * protocol 0 escapes every control character, so a bare \r is one. */
    if (len && s[len - 1] == '\r')
        len--;
    *p = s;
    *n = len;
    return 0;
}

static uint64_t pk_rd_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* ---------------------------------------------------------------- */
/* Stack, marks, memo                                                */
/* ---------------------------------------------------------------- */

static size_t pk_vm_fence(const pk_vm *vm)
{
    return vm->nmarks ? vm->marks[vm->nmarks - 1] : 0;
}

static int pk_vm_push(pk_vm *vm, pk_obj *o)
{
    if (!o)
        return pk_vm_nomem(vm);
    if (vm->sp == vm->scap) {
        if (vm->scap >= PK_MAX_STACK)
            return pk_vm_fail(vm, SKC_E_LIMIT, vm->op_off,
                              "stack deeper than %u (limit)", PK_MAX_STACK);
        size_t nc = vm->scap ? vm->scap * 2 : 64;
        pk_obj **ns = realloc(vm->stack, nc * sizeof *ns);
        if (!ns)
            return pk_vm_fail(vm, SKC_E_NOMEM, vm->op_off, "out of memory");
        vm->stack = ns;
        vm->scap = nc;
    }
    vm->stack[vm->sp++] = o;
    return 0;
}

/* The fence rule of _pickle.c: an ordinary pop never crosses a MARK. */
static int pk_vm_pop(pk_vm *vm, pk_obj **o)
{
    if (vm->sp <= pk_vm_fence(vm))
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                          vm->nmarks ? "stack underflow (pop across MARK)"
                                     : "stack underflow");
    *o = vm->stack[--vm->sp];
    return 0;
}

static int pk_vm_top(pk_vm *vm, pk_obj **o)
{
    if (vm->sp <= pk_vm_fence(vm))
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                          vm->nmarks ? "stack underflow (pop across MARK)"
                                     : "stack underflow");
    *o = vm->stack[vm->sp - 1];
    return 0;
}

static int pk_vm_pop_mark(pk_vm *vm, size_t *base)
{
    if (!vm->nmarks)
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "no MARK on the stack");
    *base = vm->marks[--vm->nmarks];
    return 0;
}

static int pk_vm_memo_put(pk_vm *vm, uint64_t idx)
{
    if (vm->sp == 0)
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "memoize with an empty stack");
    pk_obj *top = vm->stack[vm->sp - 1];
    if (idx < vm->memo_cap && vm->memo[idx]) {
        vm->memo[idx] = top;
        return 0;
    }
    /* §1.3: writers number entries densely from 0 (Python 3) or 1 (cPickle).
     * A scan keeps reading hand-made streams with gaps, within a table no
     * larger than twice the entries (or 64 Ki slots). */
    if (idx > vm->memo_count + 1 &&
        !(vm->opts->permissive && (idx < 65536 || idx / 2 <= vm->memo_count)))
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                          "sparse memo index %llu (entries: %llu)",
                          (unsigned long long)idx,
                          (unsigned long long)vm->memo_count);
    if (vm->memo_count >= vm->g->limits.max_memo)
        return pk_vm_fail(vm, SKC_E_LIMIT, vm->op_off,
                          "more than %llu memo entries (limit)",
                          (unsigned long long)vm->g->limits.max_memo);
    if (idx >= vm->memo_cap) {
        size_t nc = vm->memo_cap ? vm->memo_cap * 2 : 64;
        while (nc <= idx)
            nc *= 2;
        pk_obj **nm = realloc(vm->memo, nc * sizeof *nm);
        if (!nm)
            return pk_vm_fail(vm, SKC_E_NOMEM, vm->op_off, "out of memory");
        memset(nm + vm->memo_cap, 0, (nc - vm->memo_cap) * sizeof *nm);
        vm->memo = nm;
        vm->memo_cap = nc;
    }
    vm->memo[idx] = top;
    vm->memo_count++;
    return 0;
}

static int pk_vm_memo_get(pk_vm *vm, uint64_t idx)
{
    if (idx >= vm->memo_cap || !vm->memo[idx])
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                          "GET of missing memo key %llu", (unsigned long long)idx);
    pk_obj *o = vm->memo[idx];
    /* §3.2: joblib replaced the wrapper on the stack but not in the memo. */
    if (o->flags & PK_F_WRAPPER)
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                          "GET of a joblib array wrapper (memo %llu)",
                          (unsigned long long)idx);
    return pk_vm_push(vm, o);
}

/* ---------------------------------------------------------------- */
/* Scalars and text                                                  */
/* ---------------------------------------------------------------- */

static pk_obj *pk_vm_node(pk_vm *vm, int kind)
{
    return pk_graph_node(vm->g, kind, vm->op_off);
}

static int pk_vm_push_int(pk_vm *vm, int64_t v, int kind)
{
    pk_obj *o = pk_vm_node(vm, kind);
    if (o)
        o->u.i = v;
    return pk_vm_push(vm, o);
}

/* Little-endian two's complement → INT when it fits, else BIGINT. */
static int pk_vm_push_long(pk_vm *vm, const uint8_t *p, size_t n)
{
    if (n == 0)
        return pk_vm_push_int(vm, 0, PK_INT);
    int neg = (p[n - 1] & 0x80) != 0;
    size_t sig = n;
    while (sig > 1 && p[sig - 1] == (neg ? 0xff : 0x00) &&
           ((p[sig - 2] & 0x80) != 0) == neg)
        sig--;
    if (sig <= 8) {
        uint64_t v = neg ? ~UINT64_C(0) : 0;
        for (size_t i = 0; i < sig; i++) {
            v &= ~((uint64_t)0xff << (8 * i));
            v |= (uint64_t)p[i] << (8 * i);
        }
        return pk_vm_push_int(vm, (int64_t)v, PK_INT);
    }
    pk_obj *o = pk_vm_node(vm, PK_BIGINT);
    if (!o)
        return pk_vm_nomem(vm);
    o->u.s.p = pk_graph_strdup(vm->g, p, sig);
    o->u.s.n = sig;
    if (!o->u.s.p)
        return pk_vm_nomem(vm);
    return pk_vm_push(vm, o);
}

static int pk_vm_decimal(pk_vm *vm, const uint8_t *s, size_t n, int allow_l)
{
    if (allow_l && n && (s[n - 1] == 'L' || s[n - 1] == 'l'))
        n--;
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == n)
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "bad integer literal");
    /* Magnitude as little-endian bytes: 64 digits fit in 27 bytes. */
    uint8_t mag[32] = {0};
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "bad integer literal");
        unsigned carry = (unsigned)(s[i] - '0');
        for (size_t k = 0; k < sizeof mag; k++) {
            unsigned v = mag[k] * 10u + carry;
            mag[k] = (uint8_t)v;
            carry = v >> 8;
        }
    }
    if (neg) {
        unsigned carry = 1;
        for (size_t k = 0; k < sizeof mag; k++) {
            unsigned v = (uint8_t)~mag[k] + carry;
            mag[k] = (uint8_t)v;
            carry = v >> 8;
        }
    }
    return pk_vm_push_long(vm, mag, sizeof mag);
}

static int pk_vm_text_float(pk_vm *vm, const uint8_t *s, size_t n)
{
    char tmp[PK_MAX_NUMLINE + 1];
    if (n == 0 || n > PK_MAX_NUMLINE)
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "bad float literal");
    memcpy(tmp, s, n);
    tmp[n] = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strchr("0123456789+-.eEinfatyINFATY", tmp[i]))
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "bad float literal");
    }
    char *end = NULL;
    errno = 0;
    double d = strtod(tmp, &end);
    if (end != tmp + n)
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "bad float literal");
    pk_obj *o = pk_vm_node(vm, PK_FLOAT);
    if (o)
        o->u.f = d;
    return pk_vm_push(vm, o);
}

static int pk_vm_push_bytes(pk_vm *vm, const uint8_t *p, size_t n,
                            unsigned flags)
{
    pk_obj *o = pk_vm_node(vm, PK_BYTES);
    if (!o)
        return pk_vm_nomem(vm);
    o->flags = (uint8_t)flags;
    if (n <= PK_SMALL_BYTES || (flags & PK_F_PY2STR)) {
        if (n > PK_SMALL_BYTES && pk_graph_charge(vm->g, n) < 0)
            return pk_vm_nomem(vm);
        o->u.s.p = pk_graph_strdup(vm->g, p, n);
        if (!o->u.s.p)
            return pk_vm_nomem(vm);
    } else {
        /* Array payloads: borrow the input (mapped file or the graph's
         * decompressed buffer) instead of copying. */
        o->u.s.p = p;
        o->flags |= PK_F_VIEW;
    }
    o->u.s.n = n;
    return pk_vm_push(vm, o);
}

static int pk_vm_push_str(pk_vm *vm, const uint8_t *p, size_t n)
{
    pk_obj *o = pk_vm_node(vm, PK_STR);
    if (!o)
        return pk_vm_nomem(vm);
    if (n > PK_SMALL_BYTES && pk_graph_charge(vm->g, n) < 0)
        return pk_vm_nomem(vm);
    o->u.s.p = pk_graph_strdup(vm->g, p, n);
    o->u.s.n = n;
    if (!o->u.s.p)
        return pk_vm_nomem(vm);
    return pk_vm_push(vm, o);
}

static int pk_hex(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* STRING: a quoted Python 2 bytes literal with backslash escapes (§1.2). */
static int pk_vm_string(pk_vm *vm, const uint8_t *s, size_t n)
{
    if (n < 2 || (s[0] != '\'' && s[0] != '"') || s[n - 1] != s[0])
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                          "the STRING opcode argument must be quoted");
    s++;
    n -= 2;
    if (n > PK_SMALL_BYTES && pk_graph_charge(vm->g, n) < 0)
        return pk_vm_nomem(vm);
    uint8_t *out = pk_graph_alloc(vm->g, n + 1);
    if (!out)
        return pk_vm_nomem(vm);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\' || i + 1 == n) {
            out[o++] = s[i];
            continue;
        }
        uint8_t c = s[++i];
        switch (c) {
        case 'n': out[o++] = '\n'; break;
        case 't': out[o++] = '\t'; break;
        case 'r': out[o++] = '\r'; break;
        case 'a': out[o++] = '\a'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'v': out[o++] = '\v'; break;
        case '\\': case '\'': case '"': out[o++] = c; break;
        case 'x': {
            int h1 = i + 1 < n ? pk_hex(s[i + 1]) : -1;
            int h2 = i + 2 < n ? pk_hex(s[i + 2]) : -1;
            if (h1 < 0 || h2 < 0)
                return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                                  "bad \\x escape in STRING");
            out[o++] = (uint8_t)(h1 * 16 + h2);
            i += 2;
            break;
        }
        default:
            if (c >= '0' && c <= '7') {
                unsigned v = (unsigned)(c - '0');
                for (int k = 0; k < 2 && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7'; k++)
                    v = v * 8 + (unsigned)(s[++i] - '0');
                out[o++] = (uint8_t)v;
            } else {
                out[o++] = '\\';
                out[o++] = c;
            }
        }
    }
    out[o] = 0;
    pk_obj *ob = pk_vm_node(vm, PK_BYTES);
    if (!ob)
        return pk_vm_nomem(vm);
    ob->flags = PK_F_PY2STR;
    ob->u.s.p = out;
    ob->u.s.n = o;
    return pk_vm_push(vm, ob);
}

static size_t pk_utf8_put(uint8_t *d, uint32_t c)
{
    if (c < 0x80) { d[0] = (uint8_t)c; return 1; }
    if (c < 0x800) { d[0] = (uint8_t)(0xc0 | (c >> 6)); d[1] = (uint8_t)(0x80 | (c & 0x3f)); return 2; }
    if (c < 0x10000) {
        d[0] = (uint8_t)(0xe0 | (c >> 12)); d[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
        d[2] = (uint8_t)(0x80 | (c & 0x3f)); return 3;
    }
    d[0] = (uint8_t)(0xf0 | (c >> 18)); d[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
    d[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f)); d[3] = (uint8_t)(0x80 | (c & 0x3f));
    return 4;
}

/* UNICODE: raw-unicode-escape (latin-1 bytes, \uXXXX, \UXXXXXXXX) → UTF-8. */
static int pk_vm_unicode(pk_vm *vm, const uint8_t *s, size_t n)
{
    if (n > (SIZE_MAX - 1) / 2)
        return pk_vm_nomem(vm);
    if (n > PK_SMALL_BYTES && pk_graph_charge(vm->g, 2 * n) < 0)
        return pk_vm_nomem(vm);
    uint8_t *out = pk_graph_alloc(vm->g, 2 * n + 1);
    if (!out)
        return pk_vm_nomem(vm);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == 'u' || s[i + 1] == 'U')) {
            int w = s[i + 1] == 'u' ? 4 : 8;
            if (i + 2 + (size_t)w > n)
                return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "truncated \\u escape");
            uint32_t c = 0;
            for (int k = 0; k < w; k++) {
                int h = pk_hex(s[i + 2 + (size_t)k]);
                if (h < 0)
                    return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "bad \\u escape");
                c = c * 16 + (uint32_t)h;
            }
            if (c > 0x10ffff)
                return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "bad \\U escape");
            o += pk_utf8_put(out + o, c);
            i += 1 + (size_t)w;
        } else {
            o += pk_utf8_put(out + o, s[i]);
        }
    }
    out[o] = 0;
    pk_obj *ob = pk_vm_node(vm, PK_STR);
    if (!ob)
        return pk_vm_nomem(vm);
    ob->u.s.p = out;
    ob->u.s.n = o;
    return pk_vm_push(vm, ob);
}

/* ---------------------------------------------------------------- */
/* Globals                                                           */
/* ---------------------------------------------------------------- */

static void pk_vm_log(pk_vm *vm, const char *module, const char *name,
                      uint64_t off, int category)
{
    pk_seen_log *log = vm->opts->log;
    if (!log)
        return;
    if (category == PK_CAT_SAFE) {
        for (size_t i = 0; i < log->n; i++)
            if (log->items[i].category == PK_CAT_SAFE &&
                strcmp(log->items[i].module, module) == 0 &&
                strcmp(log->items[i].name, name) == 0)
                return;
    }
    if (log->n >= PK_LOG_MAX) {
        log->truncated = 1;
        return;
    }
    if (log->n == log->cap) {
        size_t nc = log->cap ? log->cap * 2 : 32;
        pk_seen_global *ni = realloc(log->items, nc * sizeof *ni);
        if (!ni)
            return;
        log->items = ni;
        log->cap = nc;
    }
    pk_seen_global *e = &log->items[log->n];
    e->module = strdup(module);
    e->name = strdup(name);
    if (!e->module || !e->name) {
        free(e->module);
        free(e->name);
        return;
    }
    e->offset = off;
    e->category = category;
    e->nested = vm->nested;
    log->n++;
}

void pk_seen_log_clear(pk_seen_log *log)
{
    for (size_t i = 0; i < log->n; i++) {
        free(log->items[i].module);
        free(log->items[i].name);
    }
    free(log->items);
    memset(log, 0, sizeof *log);
}

static int pk_vm_name_ok(const uint8_t *s, size_t n)
{
    if (n == 0 || n > PK_MAX_NAME)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

static int pk_vm_global(pk_vm *vm, const uint8_t *m, size_t mn,
                        const uint8_t *nm, size_t nn, uint64_t off,
                        int push)
{
    char mod[PK_MAX_NAME + 1], name[PK_MAX_NAME + 1];
    if (!pk_vm_name_ok(m, mn) || !pk_vm_name_ok(nm, nn))
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "bad global name");
    memcpy(mod, m, mn);
    mod[mn] = 0;
    memcpy(name, nm, nn);
    name[nn] = 0;
    pk_class_info ci;
    pk_allow_classify(mod, name, vm->proto < 3, &ci);
    pk_vm_log(vm, ci.module, ci.name, off, ci.category);
    if (ci.category == PK_CAT_MALICIOUS && !vm->opts->permissive)
        return pk_vm_fail(vm, SKC_E_MALICIOUS, off,
                          "global %s.%s refused: %s", ci.module, ci.name,
                          ci.reason);
    if (ci.category == PK_CAT_UNKNOWN && !vm->opts->permissive) {
        if (strcmp(ci.module, mod) != 0 || strcmp(ci.name, name) != 0)
            return pk_vm_fail(vm, SKC_E_UNSAFE, off,
                              "global not allowed: %s.%s (written as %s.%s)",
                              ci.module, ci.name, mod, name);
        return pk_vm_fail(vm, SKC_E_UNSAFE, off, "global not allowed: %s.%s",
                          mod, name);
    }
    if (strncmp(ci.module, "numpy.core", 10) == 0)
        vm->g->numpy_era |= 1;
    else if (strncmp(ci.module, "numpy._core", 11) == 0)
        vm->g->numpy_era |= 2;
    if (strcmp(ci.module, "numpy.core._internal") == 0)
        vm->g->numpy_pre1 = 1;
    if (!push)
        return 0;
    pk_obj *o = pk_graph_node(vm->g, PK_GLOBAL, off);
    if (!o)
        return pk_vm_nomem(vm);
    o->role = (uint16_t)ci.role;
    o->u.g.category = ci.category;
    o->u.g.canonical = ci.canonical;
    if (ci.category == PK_CAT_SAFE && ci.role != PK_ROLE_PYX_UNPICKLE) {
        o->u.g.module = ci.module;   /* static allowlist strings */
        o->u.g.name = ci.name;
    } else {
        o->u.g.module = (const char *)pk_graph_strdup(vm->g, ci.module, strlen(ci.module));
        o->u.g.name = (const char *)pk_graph_strdup(vm->g, ci.name, strlen(ci.name));
        if (!o->u.g.module || !o->u.g.name)
            return pk_vm_nomem(vm);
    }
    return pk_vm_push(vm, o);
}

/* ---------------------------------------------------------------- */
/* Containers                                                        */
/* ---------------------------------------------------------------- */

static int pk_hashable(const pk_obj *o)
{
    switch (o->kind) {
    case PK_LIST: case PK_DICT: case PK_ARRAY:
        return 0;
    case PK_SET:
        return (o->flags & PK_F_FROZEN) != 0;
    case PK_TUPLE:
        return !(o->flags & PK_F_UNHASH);
    case PK_BYTES:
        return !(o->flags & PK_F_BYTEARRAY);
    default:
        return 1;
    }
}

static int pk_vm_depth_ok(pk_vm *vm, const pk_obj *c)
{
    if (c->depth > vm->g->limits.max_depth)
        return pk_vm_fail(vm, SKC_E_LIMIT, vm->op_off,
                          "nesting too deep (more than %u levels)",
                          vm->g->limits.max_depth);
    return 0;
}

static int pk_vm_add(pk_vm *vm, pk_obj *c, pk_obj *item)
{
    int rc = pk_seq_push(vm->g, c, item);
    if (rc < 0)
        return rc == SKC_E_LIMIT ? pk_vm_nomem(vm)
                                 : pk_vm_fail(vm, rc, vm->op_off, "out of memory");
    return pk_vm_depth_ok(vm, c);
}

static int pk_vm_seq_from(pk_vm *vm, int kind, size_t base, pk_obj **out)
{
    pk_obj *c = pk_vm_node(vm, kind);
    if (!c)
        return pk_vm_nomem(vm);
    for (size_t i = base; i < vm->sp; i++) {
        pk_obj *it = vm->stack[i];
        if (kind == PK_TUPLE && !pk_hashable(it))
            c->flags |= PK_F_UNHASH;
        if (kind == PK_SET && !pk_hashable(it))
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "unhashable set item");
        int rc = pk_vm_add(vm, c, it);
        if (rc < 0)
            return rc;
    }
    vm->sp = base;
    *out = c;
    return 0;
}

static int pk_vm_dict_put(pk_vm *vm, pk_obj *d, pk_obj *k, pk_obj *v)
{
    if (!pk_hashable(k))
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                          "unhashable dict key (%s)", pk_kind_name(k->kind));
    int rc = pk_vm_add(vm, d, k);
    return rc < 0 ? rc : pk_vm_add(vm, d, v);
}

/* Lists and dicts a class instance holds (list/dict subclasses). */
static int pk_vm_items_of(pk_vm *vm, pk_obj *target, int kind, pk_obj **out)
{
    if (target->kind == kind) {
        *out = target;
        return 0;
    }
    if (target->kind == PK_INSTANCE && (target->u.red.callable->role == PK_ROLE_CLASS ||
                                        target->u.red.callable->role == PK_ROLE_NONE)) {
        if (!target->u.red.items) {
            target->u.red.items = pk_vm_node(vm, kind);
            if (!target->u.red.items)
                return pk_vm_nomem(vm);
        }
        if (target->u.red.items->kind == kind) {
            *out = target->u.red.items;
            return 0;
        }
    }
    return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "%s on a %s",
                      kind == PK_LIST ? "APPEND" : "SETITEM",
                      pk_kind_name(target->kind));
}

/* ---------------------------------------------------------------- */
/* REDUCE / NEWOBJ / BUILD                                           */
/* ---------------------------------------------------------------- */

static pk_obj *pk_vm_item(const pk_obj *t, size_t i)
{
    return t && (t->kind == PK_TUPLE || t->kind == PK_LIST) && i < t->u.seq.n
           ? t->u.seq.items[i] : NULL;
}

static int pk_vm_generic(pk_vm *vm, int kind, pk_obj *callable, pk_obj *args,
                         pk_obj **out)
{
    pk_obj *o = pk_vm_node(vm, kind);
    if (!o)
        return pk_vm_nomem(vm);
    o->u.red.callable = callable;
    o->u.red.args = args;
    o->depth = args ? args->depth + 1 : 1;
    *out = o;
    return pk_vm_depth_ok(vm, o);
}

/* UTF-8 text whose code points are all < 256 → bytes (latin-1). */
static int pk_vm_latin1(pk_vm *vm, const pk_obj *s, pk_obj **out)
{
    const uint8_t *p = s->u.s.p;
    size_t n = s->u.s.n, o = 0;
    if (s->kind == PK_BYTES) {
        /* py2 str already is bytes */
        pk_obj *b = pk_vm_node(vm, PK_BYTES);
        if (!b)
            return pk_vm_nomem(vm);
        *b = *s;
        b->offset = vm->op_off;
        b->flags &= (uint8_t)~PK_F_PY2STR;
        *out = b;
        return 0;
    }
    if (n > PK_SMALL_BYTES && pk_graph_charge(vm->g, n) < 0)
        return pk_vm_nomem(vm);
    uint8_t *d = pk_graph_alloc(vm->g, n + 1);
    if (!d)
        return pk_vm_nomem(vm);
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            d[o++] = p[i++];
        } else if ((p[i] & 0xe0) == 0xc0 && i + 1 < n && p[i] <= 0xc3 &&
                   (p[i + 1] & 0xc0) == 0x80) {
            d[o++] = (uint8_t)(((p[i] & 0x1f) << 6) | (p[i + 1] & 0x3f));
            i += 2;
        } else {
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                              "latin-1 text holds a character above U+00FF");
        }
    }
    d[o] = 0;
    pk_obj *b = pk_vm_node(vm, PK_BYTES);
    if (!b)
        return pk_vm_nomem(vm);
    b->u.s.p = d;
    b->u.s.n = o;
    *out = b;
    return 0;
}

static int pk_vm_is_latin1_name(const pk_obj *o)
{
    return pk_text_eq(o, "latin1") || pk_text_eq(o, "latin-1") ||
           pk_text_eq(o, "iso-8859-1") || pk_text_eq(o, "ISO-8859-1");
}

/* bytes()/bytearray(): (), (bytes,), or (latin-1 str, 'latin-1') at proto < 3. */
static int pk_vm_bytes_ctor(pk_vm *vm, pk_obj *args, int bytearray, pk_obj **out)
{
    pk_obj *a0 = pk_vm_item(args, 0);
    int rc;
    if (!a0) {
        rc = pk_vm_push_bytes(vm, (const uint8_t *)"", 0, 0);
        if (rc < 0)
            return rc;
        *out = vm->stack[--vm->sp];
    } else if (a0->kind == PK_BYTES && args->u.seq.n == 1) {
        pk_obj *b = pk_vm_node(vm, PK_BYTES);
        if (!b)
            return pk_vm_nomem(vm);
        *b = *a0;
        b->offset = vm->op_off;
        b->flags &= (uint8_t)~PK_F_PY2STR;
        *out = b;
    } else if (a0->kind == PK_STR && args->u.seq.n == 2 &&
               pk_vm_is_latin1_name(pk_vm_item(args, 1))) {
        rc = pk_vm_latin1(vm, a0, out);
        if (rc < 0)
            return rc;
    } else if (a0->kind == PK_LIST && args->u.seq.n == 1) {
        size_t n = a0->u.seq.n;
        uint8_t *d = pk_graph_alloc(vm->g, n + 1);
        if (!d)
            return pk_vm_nomem(vm);
        for (size_t i = 0; i < n; i++) {
            const pk_obj *it = a0->u.seq.items[i];
            if (it->kind != PK_INT || it->u.i < 0 || it->u.i > 255)
                return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                                  "bytes() item is not a byte");
            d[i] = (uint8_t)it->u.i;
        }
        pk_obj *b = pk_vm_node(vm, PK_BYTES);
        if (!b)
            return pk_vm_nomem(vm);
        b->u.s.p = d;
        b->u.s.n = n;
        *out = b;
    } else {
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                          "unexpected arguments to %s()",
                          bytearray ? "bytearray" : "bytes");
    }
    if (bytearray)
        (*out)->flags |= PK_F_BYTEARRAY;
    return 0;
}

static int pk_vm_set_ctor(pk_vm *vm, pk_obj *args, int frozen, pk_obj **out)
{
    pk_obj *s = pk_vm_node(vm, PK_SET);
    if (!s)
        return pk_vm_nomem(vm);
    if (frozen)
        s->flags |= PK_F_FROZEN;
    pk_obj *a0 = pk_vm_item(args, 0);
    if (a0) {
        if ((a0->kind != PK_LIST && a0->kind != PK_TUPLE && a0->kind != PK_SET) ||
            args->u.seq.n != 1)
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                              "set() argument is not a sequence");
        for (size_t i = 0; i < a0->u.seq.n; i++) {
            if (!pk_hashable(a0->u.seq.items[i]))
                return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "unhashable set item");
            int rc = pk_vm_add(vm, s, a0->u.seq.items[i]);
            if (rc < 0)
                return rc;
        }
    }
    *out = s;
    return 0;
}

static int pk_vm_is_class_token(const pk_obj *o, int permissive)
{
    if (!o || o->kind != PK_GLOBAL)
        return 0;
    switch (o->role) {
    case PK_ROLE_CLASS: case PK_ROLE_WRAPPER: case PK_ROLE_NDWRAPPER:
    case PK_ROLE_ZNDWRAPPER:
        return 1;
    case PK_ROLE_NONE:
        return permissive;
    default:
        return 0;
    }
}

static int pk_vm_instance(pk_vm *vm, pk_obj *cls, pk_obj *args, pk_obj **out)
{
    int rc = pk_vm_generic(vm, PK_INSTANCE, cls, args, out);
    if (rc < 0)
        return rc;
    if (cls->role == PK_ROLE_WRAPPER || cls->role == PK_ROLE_NDWRAPPER ||
        cls->role == PK_ROLE_ZNDWRAPPER)
        (*out)->flags |= PK_F_WRAPPER;
    return 0;
}

static int pk_vm_literal_base(const char *base, const pk_obj *st)
{
    static const struct { const char *name; int kind; } ok[] = {
        { "tuple", PK_TUPLE }, { "list", PK_LIST }, { "dict", PK_DICT },
        { "int", PK_INT }, { "float", PK_FLOAT }, { "str", PK_STR },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(base, ok[i].name) == 0)
            return st->kind == ok[i].kind;
    return 0;
}

static const char *pk_vm_callable_name(const pk_obj *o)
{
    if ((o->kind == PK_INSTANCE || o->kind == PK_REDUCE) && o->u.red.callable &&
        o->u.red.callable->kind == PK_GLOBAL)
        return o->u.red.callable->u.g.name;
    return "";
}

static int pk_vm_refuse_call(pk_vm *vm, const pk_obj *c, const char *how)
{
    return pk_vm_fail(vm, SKC_E_UNSAFE, vm->op_off,
                      "%s of %s.%s is not allowed", how, c->u.g.module,
                      c->u.g.name);
}

static int pk_vm_reduce(pk_vm *vm)
{
    pk_obj *args, *c, *res = NULL;
    int rc = pk_vm_pop(vm, &args);
    if (rc < 0 || (rc = pk_vm_pop(vm, &c)) < 0)
        return rc;
    if (c->kind != PK_GLOBAL) {
        if (vm->opts->permissive && args->kind == PK_TUPLE) {
            pk_vm_log(vm, "<computed>", "<call of a computed value>", vm->op_off,
                      PK_CAT_UNKNOWN);
            rc = pk_vm_generic(vm, PK_REDUCE, c, args, &res);
            return rc < 0 ? rc : pk_vm_push(vm, res);
        }
        return pk_vm_fail(vm, SKC_E_UNSAFE, vm->op_off,
                          "REDUCE on a %s (only named globals may be called)",
                          pk_kind_name(c->kind));
    }
    if (args->kind != PK_TUPLE)
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                          "REDUCE arguments are a %s, not a tuple",
                          pk_kind_name(args->kind));
    int permissive = vm->opts->permissive;
    switch (c->role) {
    case PK_ROLE_NONE:
        rc = pk_vm_generic(vm, PK_REDUCE, c, args, &res);
        break;
    case PK_ROLE_CLASS:
        rc = pk_vm_instance(vm, c, args, &res);
        break;
    case PK_ROLE_FUNC:
        rc = pk_vm_generic(vm, PK_REDUCE, c, args, &res);
        break;
    case PK_ROLE_DICT: {
        res = pk_vm_node(vm, PK_DICT);
        if (!res)
            return pk_vm_nomem(vm);
        pk_obj *a0 = pk_vm_item(args, 0);
        /* defaultdict(factory): the factory is only a name. Counter/OrderedDict(dict). */
        if (a0 && a0->kind == PK_DICT) {
            for (size_t i = 0; i + 1 < a0->u.seq.n && rc == 0; i += 2)
                rc = pk_vm_dict_put(vm, res, a0->u.seq.items[i], a0->u.seq.items[i + 1]);
        } else if (a0 && a0->kind != PK_GLOBAL && a0->kind != PK_NONE &&
                   a0->kind != PK_LIST) {
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                              "unexpected argument to %s", c->u.g.name);
        }
        break;
    }
    case PK_ROLE_PARTIAL: {
        pk_obj *f = pk_vm_item(args, 0);
        if (!f || f->kind != PK_GLOBAL ||
            (!permissive && f->role != PK_ROLE_VALUE && f->role != PK_ROLE_FUNC &&
             f->role != PK_ROLE_CLASS))
            return pk_vm_fail(vm, SKC_E_UNSAFE, vm->op_off,
                              "functools.partial of something other than a known function");
        rc = pk_vm_generic(vm, PK_REDUCE, c, args, &res);
        break;
    }
    case PK_ROLE_RECONSTRUCT:
        rc = pk_np_reconstruct(vm, args, vm->op_off, &res);
        break;
    case PK_ROLE_DTYPE:
        rc = pk_np_dtype_new(vm, args, vm->op_off, &res);
        break;
    case PK_ROLE_SCALAR:
        rc = pk_np_scalar(vm, args, vm->op_off, &res);
        break;
    case PK_ROLE_FROMBUFFER:
        rc = pk_np_frombuffer(vm, args, vm->op_off, &res);
        break;
    case PK_ROLE_CODECS: {
        pk_obj *s = pk_vm_item(args, 0);
        if (args->u.seq.n != 2 || !s || s->kind != PK_STR ||
            !pk_vm_is_latin1_name(pk_vm_item(args, 1)))
            return pk_vm_fail(vm, SKC_E_UNSAFE, vm->op_off,
                              "_codecs.encode is only allowed as encode(str, 'latin1')");
        rc = pk_vm_latin1(vm, s, &res);
        break;
    }
    case PK_ROLE_RECONSTRUCTOR: {
        pk_obj *cls = pk_vm_item(args, 0), *base = pk_vm_item(args, 1);
        pk_obj *st = pk_vm_item(args, 2);
        /* §5.5: the base's __new__/__init__ run on the state, so only
         * object (state None) or a builtin container/number with literal
         * state (namedtuple-like subclasses) is accepted. */
        int base_ok = base && base->kind == PK_GLOBAL && st &&
                      ((base->role == PK_ROLE_OBJECT && st->kind == PK_NONE) ||
                       (base->role == PK_ROLE_VALUE &&
                        strcmp(base->u.g.module, "builtins") == 0 &&
                        pk_vm_literal_base(base->u.g.name, st)));
        if (args->u.seq.n != 3 || !base_ok || !pk_vm_is_class_token(cls, permissive)) {
            if (permissive) {
                rc = pk_vm_generic(vm, PK_REDUCE, c, args, &res);
                break;
            }
            return pk_vm_fail(vm, SKC_E_UNSAFE, vm->op_off,
                              "copyreg._reconstructor is only allowed as "
                              "(known class, object, None), not (%s%s%s, %s%s%s, %s)",
                              pk_kind_name(pk_kind_of(cls)),
                              cls && cls->kind == PK_GLOBAL ? " " : "",
                              cls && cls->kind == PK_GLOBAL ? cls->u.g.name : "",
                              pk_kind_name(pk_kind_of(base)),
                              base && base->kind == PK_GLOBAL ? " " : "",
                              base && base->kind == PK_GLOBAL ? base->u.g.name : "",
                              pk_kind_name(pk_kind_of(st)));
        }
        rc = pk_vm_instance(vm, cls, st->kind == PK_NONE ? NULL : st, &res);
        break;
    }
    case PK_ROLE_SET:
    case PK_ROLE_FROZENSET:
        rc = pk_vm_set_ctor(vm, args, c->role == PK_ROLE_FROZENSET, &res);
        break;
    case PK_ROLE_BYTEARRAY:
    case PK_ROLE_BYTES:
        rc = pk_vm_bytes_ctor(vm, args, c->role == PK_ROLE_BYTEARRAY, &res);
        break;
    case PK_ROLE_COMPLEX:
    case PK_ROLE_SLICE:
        for (size_t i = 0; i < args->u.seq.n; i++) {
            int k = args->u.seq.items[i]->kind;
            if (k != PK_INT && k != PK_FLOAT && k != PK_NONE && k != PK_BOOL &&
                k != PK_BIGINT && k != PK_STR && k != PK_SCALAR)
                return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                                  "%s() takes literal arguments", c->u.g.name);
        }
        rc = pk_vm_generic(vm, PK_REDUCE, c, args, &res);
        break;
    case PK_ROLE_NEWOBJ_FN: {
        pk_obj *cls = pk_vm_item(args, 0);
        if (args->u.seq.n != 1 || !cls || cls->kind != PK_GLOBAL ||
            (cls->role != PK_ROLE_CLASS && !(permissive && cls->role == PK_ROLE_NONE)))
            return pk_vm_fail(vm, SKC_E_UNSAFE, vm->op_off,
                              "%s.newObj is only allowed on a known class",
                              c->u.g.module);
        rc = pk_vm_instance(vm, cls, NULL, &res);
        break;
    }
    case PK_ROLE_RNG_CTOR:
        /* §2.6: the ctors call what they are given; allow only names of
         * bit generators and the bit-generator ctor itself. */
        for (size_t i = 0; i < args->u.seq.n; i++) {
            const pk_obj *a = args->u.seq.items[i];
            const char *s;
            size_t n;
            if (pk_text(a, &s, &n) == 0 && n < 32)
                continue;
            /* numpy >= 1.25 passes the bit generator itself, built by
             * __bit_generator_ctor(name) + BUILD. */
            if (a->kind == PK_REDUCE && a->u.red.callable->kind == PK_GLOBAL &&
                a->u.red.callable->role == PK_ROLE_RNG_CTOR)
                continue;
            if (a->kind == PK_GLOBAL &&
                (a->role == PK_ROLE_RNG_CTOR ||
                 (a->role == PK_ROLE_CLASS && strncmp(a->u.g.module, "numpy.random.", 13) == 0)))
                continue;
            if (permissive && a->kind == PK_GLOBAL && a->role == PK_ROLE_NONE)
                continue;
            return pk_vm_fail(vm, SKC_E_UNSAFE, vm->op_off,
                              "%s argument %zu is a %s%s%s, not a bit generator name",
                              c->u.g.name, i, pk_kind_name(a->kind),
                              pk_vm_callable_name(a)[0] ? " of " : "",
                              pk_vm_callable_name(a));
        }
        rc = pk_vm_generic(vm, PK_REDUCE, c, args, &res);
        break;
    case PK_ROLE_PYX_UNPICKLE: {
        /* (cls, checksum, state): the checksum is a layout hash that
         * changes between versions; kept as data, never checked. */
        pk_obj *cls = pk_vm_item(args, 0), *sum = pk_vm_item(args, 1);
        if (args->u.seq.n != 3 || !cls || cls->kind != PK_GLOBAL ||
            cls->role != PK_ROLE_CLASS || !sum ||
            (sum->kind != PK_INT && sum->kind != PK_BIGINT))
            return pk_vm_fail(vm, SKC_E_UNSAFE, vm->op_off,
                              "%s is only allowed on its own class", c->u.g.name);
        rc = pk_vm_instance(vm, cls, args, &res);
        if (rc == 0 && pk_vm_item(args, 2)->kind != PK_NONE)
            res->u.red.state = pk_vm_item(args, 2);
        break;
    }
    default:
        if (permissive) {
            rc = pk_vm_generic(vm, PK_REDUCE, c, args, &res);
            break;
        }
        return pk_vm_refuse_call(vm, c, "a call");
    }
    if (rc < 0)
        return rc;
    return pk_vm_push(vm, res);
}

static int pk_vm_newobj(pk_vm *vm)
{
    pk_obj *args, *cls, *res;
    int rc = pk_vm_pop(vm, &args);
    if (rc < 0 || (rc = pk_vm_pop(vm, &cls)) < 0)
        return rc;
    if (cls->kind != PK_GLOBAL && !vm->opts->permissive)
        return pk_vm_fail(vm, SKC_E_UNSAFE, vm->op_off,
                          "NEWOBJ on a %s", pk_kind_name(cls->kind));
    if (args->kind != PK_TUPLE)
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                          "NEWOBJ arguments are a %s, not a tuple",
                          pk_kind_name(args->kind));
    if (cls->role == PK_ROLE_DICT) {
        res = pk_vm_node(vm, PK_DICT);
        if (!res)
            return pk_vm_nomem(vm);
        return pk_vm_push(vm, res);
    }
    if (cls->kind == PK_GLOBAL && cls->role != PK_ROLE_OBJECT &&
        !pk_vm_is_class_token(cls, vm->opts->permissive) && !vm->opts->permissive)
        return pk_vm_refuse_call(vm, cls, "NEWOBJ");
    rc = pk_vm_instance(vm, cls, args, &res);
    return rc < 0 ? rc : pk_vm_push(vm, res);
}

static int pk_vm_build(pk_vm *vm)
{
    pk_obj *state, *target;
    int rc = pk_vm_pop(vm, &state);
    if (rc < 0 || (rc = pk_vm_top(vm, &target)) < 0)
        return rc;
    if (target->flags & PK_F_BUILT)
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                          "second BUILD on the same %s", pk_kind_name(target->kind));
    switch (target->kind) {
    case PK_DTYPE:
        rc = pk_np_dtype_build(vm, target, state);
        break;
    case PK_ARRAY:
        rc = pk_np_array_build(vm, target, state);
        break;
    case PK_INSTANCE:
    case PK_REDUCE: {
        if (target->u.red.state && target->kind == PK_REDUCE)
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "second BUILD");
        target->u.red.state = state;
        if (state->depth + 1 > target->depth)
            target->depth = state->depth + 1;
        rc = pk_vm_depth_ok(vm, target);
        if (rc < 0)
            return rc;
        int role = target->u.red.callable ? target->u.red.callable->role : 0;
        pk_obj *arr = NULL;
        if (target->kind == PK_INSTANCE && role == PK_ROLE_WRAPPER)
            rc = pk_jl_wrapper_build(vm, target, &arr);
        else if (target->kind == PK_INSTANCE && role == PK_ROLE_NDWRAPPER)
            rc = pk_jl_ndwrapper_build(vm, target, &arr);
        else if (target->kind == PK_INSTANCE && role == PK_ROLE_ZNDWRAPPER)
            rc = pk_jl_zndwrapper_build(vm, target, &arr);
        if (rc < 0)
            return rc;
        if (arr)
            vm->stack[vm->sp - 1] = arr;
        break;
    }
    default:
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                          "BUILD on a %s", pk_kind_name(target->kind));
    }
    if (rc < 0)
        return rc;
    target->flags |= PK_F_BUILT;
    return 0;
}

/* ---------------------------------------------------------------- */
/* The loop                                                          */
/* ---------------------------------------------------------------- */

static int pk_vm_num_line(pk_vm *vm, uint64_t *v)
{
    const uint8_t *s;
    size_t n;
    int rc = pk_vm_line(vm, PK_MAX_NUMLINE, &s, &n);
    if (rc < 0)
        return rc;
    if (n == 0 || n > 19)
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "bad memo index");
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "bad memo index");
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    *v = x;
    return 0;
}

static int pk_vm_step(pk_vm *vm, int *stop)
{
    const uint8_t *p;
    size_t n;
    pk_obj *a, *b, *c;
    size_t base = 0;
    int rc;
    vm->op_off = vm->pos;
    if (vm->pos == 0 && vm->size == 0)
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->pos, "empty input");
    if (vm->pos >= vm->size)
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->pos,
                          "truncated: pickle ends without STOP, with %zu values and %zu "
                          "MARKs still open%s", vm->sp, vm->nmarks,
                          vm->frames ? " (the last frame is whole: the file holds only the "
                                       "first part of a dump that never finished)" : "");
    rc = pk_vm_need(vm, 1, &p);
    if (rc < 0)
        return rc;
    uint8_t op = p[0];
    switch (op) {
    case 0x80: /* PROTO */
        if ((rc = pk_vm_need(vm, 1, &p)) < 0)
            return rc;
        if (p[0] > 5)
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                              "bad protocol %u (at most 5)", p[0]);
        if (vm->seen_proto)
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "duplicate PROTO");
        vm->seen_proto = 1;
        vm->proto = p[0];
        if (p[0] > vm->g->protocol && !vm->nested)
            vm->g->protocol = p[0];
        if (vm->nested && p[0] > vm->g->nested_protocol)
            vm->g->nested_protocol = p[0];
        return 0;
    case 0x95: { /* FRAME */
        if ((rc = pk_vm_need(vm, 8, &p)) < 0)
            return rc;
        uint64_t len = pk_rd_le(p, 8);
        if (vm->in_frame)
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                              "FRAME inside unfinished frame");
        if (len > vm->size - vm->pos)
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                              "frame length %llu beyond end of input",
                              (unsigned long long)len);
        if (len) {
            vm->in_frame = 1;
            vm->frame_end = vm->pos + (size_t)len;
            vm->frames++;
        }
        return 0;
    }
    case '.': /* STOP */
        if (vm->sp != 1 || vm->nmarks)
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                              "STOP with %zu stack items and %zu open MARKs "
                              "(need exactly 1 and 0)", vm->sp, vm->nmarks);
        if (vm->in_frame)
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "STOP inside a frame "
                              "that continues to %zu", vm->frame_end);
        *stop = 1;
        return 0;
    case 'N':
        return pk_vm_push(vm, pk_vm_node(vm, PK_NONE));
    case 0x88:
    case 0x89:
        return pk_vm_push_int(vm, op == 0x88, PK_BOOL);
    case 'I': {
        if ((rc = pk_vm_line(vm, PK_MAX_NUMLINE, &p, &n)) < 0)
            return rc;
        if (n == 2 && p[0] == '0' && (p[1] == '0' || p[1] == '1'))
            return pk_vm_push_int(vm, p[1] == '1', PK_BOOL);
        return pk_vm_decimal(vm, p, n, 0);
    }
    case 'J':
        if ((rc = pk_vm_need(vm, 4, &p)) < 0)
            return rc;
        return pk_vm_push_int(vm, (int32_t)(uint32_t)pk_rd_le(p, 4), PK_INT);
    case 'K':
        if ((rc = pk_vm_need(vm, 1, &p)) < 0)
            return rc;
        return pk_vm_push_int(vm, p[0], PK_INT);
    case 'M':
        if ((rc = pk_vm_need(vm, 2, &p)) < 0)
            return rc;
        return pk_vm_push_int(vm, (int64_t)pk_rd_le(p, 2), PK_INT);
    case 'L':
        if ((rc = pk_vm_line(vm, PK_MAX_NUMLINE, &p, &n)) < 0)
            return rc;
        return pk_vm_decimal(vm, p, n, 1);
    case 0x8a: /* LONG1 */
    case 0x8b: { /* LONG4 */
        size_t len;
        if (op == 0x8a) {
            if ((rc = pk_vm_need(vm, 1, &p)) < 0)
                return rc;
            len = p[0];
        } else {
            if ((rc = pk_vm_need(vm, 4, &p)) < 0)
                return rc;
            int32_t l = (int32_t)(uint32_t)pk_rd_le(p, 4);
            if (l < 0)
                return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                                  "LONG4 with negative length");
            len = (size_t)l;
        }
        if (len > PK_MAX_LONG_BYTES)
            return pk_vm_fail(vm, SKC_E_LIMIT, vm->op_off,
                              "LONG of %zu bytes: too long for any sklearn use", len);
        if ((rc = pk_vm_need(vm, len, &p)) < 0)
            return rc;
        return pk_vm_push_long(vm, p, len);
    }
    case 'F':
        if ((rc = pk_vm_line(vm, PK_MAX_NUMLINE, &p, &n)) < 0)
            return rc;
        return pk_vm_text_float(vm, p, n);
    case 'G': {
        if ((rc = pk_vm_need(vm, 8, &p)) < 0)
            return rc;
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++)
            bits = (bits << 8) | p[i];
        double d;
        memcpy(&d, &bits, sizeof d);
        pk_obj *o = pk_vm_node(vm, PK_FLOAT);
        if (o)
            o->u.f = d;
        return pk_vm_push(vm, o);
    }
    case 'S':
        if ((rc = pk_vm_line(vm, vm->size, &p, &n)) < 0)
            return rc;
        return pk_vm_string(vm, p, n);
    case 'V':
        if ((rc = pk_vm_line(vm, vm->size, &p, &n)) < 0)
            return rc;
        return pk_vm_unicode(vm, p, n);
    case 'T': case 'U': case 'X': case 0x8c: case 0x8d:
    case 'B': case 'C': case 0x8e: case 0x96: {
        uint64_t len;
        int w = (op == 'U' || op == 0x8c || op == 'C') ? 1
              : (op == 0x8d || op == 0x8e || op == 0x96) ? 8 : 4;
        if ((rc = pk_vm_need(vm, (size_t)w, &p)) < 0)
            return rc;
        len = pk_rd_le(p, w);
        if (op == 'T' && (len & 0x80000000u))
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                              "BINSTRING with negative length");
        size_t left = (vm->in_frame ? vm->frame_end : vm->size) - vm->pos;
        if (len > left)
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                              "length %llu exceeds remaining input (%zu)%s",
                              (unsigned long long)len, left,
                              vm->in_frame ? " in frame" : "");
        if ((rc = pk_vm_need(vm, (size_t)len, &p)) < 0)
            return rc;
        if (op == 'X' || op == 0x8c || op == 0x8d)
            return pk_vm_push_str(vm, p, (size_t)len);
        if (op == 'T' || op == 'U')
            return pk_vm_push_bytes(vm, p, (size_t)len, PK_F_PY2STR);
        return pk_vm_push_bytes(vm, p, (size_t)len, op == 0x96 ? PK_F_BYTEARRAY : 0);
    }
    case ']':
        return pk_vm_push(vm, pk_vm_node(vm, PK_LIST));
    case ')':
        return pk_vm_push(vm, pk_vm_node(vm, PK_TUPLE));
    case '}':
        return pk_vm_push(vm, pk_vm_node(vm, PK_DICT));
    case 0x8f:
        return pk_vm_push(vm, pk_vm_node(vm, PK_SET));
    case '(':
        if (vm->nmarks >= vm->g->limits.max_depth)
            return pk_vm_fail(vm, SKC_E_LIMIT, vm->op_off,
                              "nesting too deep (more than %u open MARKs)",
                              vm->g->limits.max_depth);
        if (vm->nmarks == vm->mcap) {
            size_t nc = vm->mcap ? vm->mcap * 2 : 32;
            size_t *nm = realloc(vm->marks, nc * sizeof *nm);
            if (!nm)
                return pk_vm_fail(vm, SKC_E_NOMEM, vm->op_off, "out of memory");
            vm->marks = nm;
            vm->mcap = nc;
        }
        vm->marks[vm->nmarks++] = vm->sp;
        return 0;
    case 'l': case 't': case 0x91: {
        if ((rc = pk_vm_pop_mark(vm, &base)) < 0)
            return rc;
        int kind = op == 'l' ? PK_LIST : op == 't' ? PK_TUPLE : PK_SET;
        if ((rc = pk_vm_seq_from(vm, kind, base, &c)) < 0)
            return rc;
        if (op == 0x91)
            c->flags |= PK_F_FROZEN;
        return pk_vm_push(vm, c);
    }
    case 'd': {
        if ((rc = pk_vm_pop_mark(vm, &base)) < 0)
            return rc;
        if ((vm->sp - base) % 2)
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "odd number of items for DICT");
        c = pk_vm_node(vm, PK_DICT);
        if (!c)
            return pk_vm_nomem(vm);
        for (size_t i = base; i < vm->sp; i += 2)
            if ((rc = pk_vm_dict_put(vm, c, vm->stack[i], vm->stack[i + 1])) < 0)
                return rc;
        vm->sp = base;
        return pk_vm_push(vm, c);
    }
    case 0x85: case 0x86: case 0x87: {
        size_t k = (size_t)(op - 0x84);
        if (vm->sp < pk_vm_fence(vm) + k)
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                              vm->nmarks ? "stack underflow (pop across MARK)"
                                         : "stack underflow");
        if ((rc = pk_vm_seq_from(vm, PK_TUPLE, vm->sp - k, &c)) < 0)
            return rc;
        return pk_vm_push(vm, c);
    }
    case 'a':
        if ((rc = pk_vm_pop(vm, &a)) < 0 || (rc = pk_vm_top(vm, &b)) < 0)
            return rc;
        if ((rc = pk_vm_items_of(vm, b, PK_LIST, &c)) < 0)
            return rc;
        return pk_vm_add(vm, c, a);
    case 'e':
        if ((rc = pk_vm_pop_mark(vm, &base)) < 0)
            return rc;
        if (base == 0 || base <= pk_vm_fence(vm))
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "APPENDS without a list");
        if ((rc = pk_vm_items_of(vm, vm->stack[base - 1], PK_LIST, &c)) < 0)
            return rc;
        for (size_t i = base; i < vm->sp; i++)
            if ((rc = pk_vm_add(vm, c, vm->stack[i])) < 0)
                return rc;
        vm->sp = base;
        return 0;
    case 's':
        if ((rc = pk_vm_pop(vm, &b)) < 0 || (rc = pk_vm_pop(vm, &a)) < 0 ||
            (rc = pk_vm_top(vm, &c)) < 0)
            return rc;
        if ((rc = pk_vm_items_of(vm, c, PK_DICT, &c)) < 0)
            return rc;
        return pk_vm_dict_put(vm, c, a, b);
    case 'u':
        if ((rc = pk_vm_pop_mark(vm, &base)) < 0)
            return rc;
        if (base == 0 || base <= pk_vm_fence(vm))
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "SETITEMS without a dict");
        if ((vm->sp - base) % 2)
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off,
                              "bad SETITEMS: odd number of items");
        if ((rc = pk_vm_items_of(vm, vm->stack[base - 1], PK_DICT, &c)) < 0)
            return rc;
        for (size_t i = base; i < vm->sp; i += 2)
            if ((rc = pk_vm_dict_put(vm, c, vm->stack[i], vm->stack[i + 1])) < 0)
                return rc;
        vm->sp = base;
        return 0;
    case 0x90: /* ADDITEMS */
        if ((rc = pk_vm_pop_mark(vm, &base)) < 0)
            return rc;
        if (base == 0 || base <= pk_vm_fence(vm) ||
            vm->stack[base - 1]->kind != PK_SET ||
            (vm->stack[base - 1]->flags & PK_F_FROZEN))
            return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "ADDITEMS without a set");
        c = vm->stack[base - 1];
        for (size_t i = base; i < vm->sp; i++) {
            if (!pk_hashable(vm->stack[i]))
                return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "unhashable set item");
            if ((rc = pk_vm_add(vm, c, vm->stack[i])) < 0)
                return rc;
        }
        vm->sp = base;
        return 0;
    case '0': /* POP: pops the MARK when it is on top (_pickle.c load_pop) */
        if (vm->nmarks && vm->marks[vm->nmarks - 1] == vm->sp) {
            vm->nmarks--;
            return 0;
        }
        return pk_vm_pop(vm, &a);
    case '2':
        if ((rc = pk_vm_top(vm, &a)) < 0)
            return rc;
        return pk_vm_push(vm, a);
    case '1':
        if ((rc = pk_vm_pop_mark(vm, &base)) < 0)
            return rc;
        vm->sp = base;
        return 0;
    case 'p': {
        uint64_t idx;
        if ((rc = pk_vm_num_line(vm, &idx)) < 0)
            return rc;
        return pk_vm_memo_put(vm, idx);
    }
    case 'q':
        if ((rc = pk_vm_need(vm, 1, &p)) < 0)
            return rc;
        return pk_vm_memo_put(vm, p[0]);
    case 'r':
        if ((rc = pk_vm_need(vm, 4, &p)) < 0)
            return rc;
        return pk_vm_memo_put(vm, pk_rd_le(p, 4));
    case 0x94:
        return pk_vm_memo_put(vm, vm->memo_count);
    case 'g': {
        uint64_t idx;
        if ((rc = pk_vm_num_line(vm, &idx)) < 0)
            return rc;
        return pk_vm_memo_get(vm, idx);
    }
    case 'h':
        if ((rc = pk_vm_need(vm, 1, &p)) < 0)
            return rc;
        return pk_vm_memo_get(vm, p[0]);
    case 'j':
        if ((rc = pk_vm_need(vm, 4, &p)) < 0)
            return rc;
        return pk_vm_memo_get(vm, pk_rd_le(p, 4));
    case 'c':
    case 'i': {
        const uint8_t *m, *nm;
        size_t mn, nn;
        if ((rc = pk_vm_line(vm, PK_MAX_NAME, &m, &mn)) < 0 ||
            (rc = pk_vm_line(vm, PK_MAX_NAME, &nm, &nn)) < 0)
            return rc;
        rc = pk_vm_global(vm, m, mn, nm, nn, vm->op_off, op == 'c');
        if (rc < 0 || op == 'c')
            return rc;
        return pk_vm_fail(vm, SKC_E_UNSAFE, vm->op_off,
                          "rejected opcode INST ('i'): it calls the class it names");
    }
    case 0x93: { /* STACK_GLOBAL */
        const char *ms, *ns;
        size_t mn, nn;
        if ((rc = pk_vm_pop(vm, &b)) < 0 || (rc = pk_vm_pop(vm, &a)) < 0)
            return rc;
        if (pk_text(a, &ms, &mn) < 0 || pk_text(b, &ns, &nn) < 0)
            return pk_vm_fail(vm, SKC_E_UNSAFE, vm->op_off,
                              "STACK_GLOBAL operands are %s and %s, not strings",
                              pk_kind_name(a->kind), pk_kind_name(b->kind));
        return pk_vm_global(vm, (const uint8_t *)ms, mn, (const uint8_t *)ns, nn,
                            vm->op_off, 1);
    }
    case 'R':
        return pk_vm_reduce(vm);
    case 0x81:
        return pk_vm_newobj(vm);
    case 'b':
        return pk_vm_build(vm);
    case 'o':
        return pk_vm_fail(vm, SKC_E_UNSAFE, vm->op_off,
                          "rejected opcode OBJ ('o'): it calls a class");
    case 0x92:
        /* Accepted only as the degenerate NEWOBJ it is for classes with
         * __getnewargs_ex__: no keyword arguments (seen in the wild). */
        if (vm->sp > pk_vm_fence(vm) && vm->stack[vm->sp - 1]->kind == PK_DICT &&
            vm->stack[vm->sp - 1]->u.seq.n == 0) {
            vm->sp--;
            return pk_vm_newobj(vm);
        }
        if (vm->opts->permissive) {
            /* scan/inspect: keep reading; the instance is only data */
            if ((rc = pk_vm_pop(vm, &a)) < 0)
                return rc;
            return pk_vm_newobj(vm);
        }
        return pk_vm_fail(vm, SKC_E_UNSAFE, vm->op_off,
                          "rejected opcode NEWOBJ_EX (0x92): never written for sklearn objects");
    case 0x82: case 0x83: case 0x84:
        return pk_vm_fail(vm, SKC_E_UNSAFE, vm->op_off,
                          "rejected opcode EXT%d (0x%02x): extension registry lookups",
                          op == 0x82 ? 1 : op == 0x83 ? 2 : 4, op);
    case 'P': case 'Q':
        return pk_vm_fail(vm, SKC_E_UNSUPPORTED, vm->op_off,
                          "rejected opcode %s: persistent ids need the writer's loader",
                          op == 'P' ? "PERSID ('P')" : "BINPERSID ('Q')");
    case 0x97: case 0x98:
        return pk_vm_fail(vm, SKC_E_UNSUPPORTED, vm->op_off,
                          "rejected opcode %s: out-of-band buffers are not in the file",
                          op == 0x97 ? "NEXT_BUFFER (0x97)" : "READONLY_BUFFER (0x98)");
    default:
        return pk_vm_fail(vm, SKC_E_FORMAT, vm->op_off, "unknown opcode 0x%02x", op);
    }
}

static void pk_vm_release(pk_vm *vm)
{
    free(vm->stack);
    free(vm->marks);
    free(vm->memo);
}

static int pk_vm_loop(pk_vm *vm, pk_obj **result)
{
    int stop = 0, rc = 0;
    while (!stop) {
        rc = pk_vm_step(vm, &stop);
        if (rc < 0)
            return rc;
    }
    *result = vm->stack[0];
    return 0;
}

int pk_vm_nested(pk_vm *outer, pk_obj **out)
{
    if (outer->nested >= PK_MAX_NESTED)
        return pk_vm_fail(outer, SKC_E_LIMIT, outer->pos,
                          "nested pickles deeper than %d", PK_MAX_NESTED);
    pk_vm vm;
    memset(&vm, 0, sizeof vm);
    vm.buf = outer->buf;
    vm.size = outer->size;
    vm.pos = outer->pos;
    vm.g = outer->g;
    vm.opts = outer->opts;
    vm.nested = outer->nested + 1;
    vm.err = outer->err;
    vm.errlen = outer->errlen;
    pk_obj *res = NULL;
    int rc = pk_vm_loop(&vm, &res);
    pk_vm_release(&vm);
    if (rc < 0) {
        outer->failed = 1;
        return rc;
    }
    outer->pos = vm.pos;
    *out = res;
    return 0;
}

int pk_vm_companion(pk_vm *vm, const char *name, uint64_t off,
                    const uint8_t **data, size_t *size)
{
    if (!vm->opts->companion)
        return pk_vm_fail(vm, SKC_E_UNSUPPORTED, off,
                          "array stored in companion file '%s', and no "
                          "directory to read it from", name);
    int rc = vm->opts->companion(vm->opts->companion_user, name, data, size);
    if (rc < 0)
        return pk_vm_fail(vm, rc, off, "companion file '%s': %s", name,
                          rc == SKC_E_NOT_FOUND ? "not found" :
                          rc == SKC_E_UNSAFE ? "not a plain file name" :
                          skc_strerror(rc));
    return 0;
}

int pk_vm_run_ex(const uint8_t *buf, size_t size, const pk_vm_opts *opts,
                 pk_graph *g, char *err, size_t errlen)
{
    pk_vm vm;
    memset(&vm, 0, sizeof vm);
    vm.buf = buf;
    vm.size = size;
    vm.g = g;
    vm.opts = opts;
    vm.err = err;
    vm.errlen = errlen;
    if (err && errlen)
        err[0] = 0;
    pk_obj *res = NULL;
    int rc = pk_vm_loop(&vm, &res);
    if (rc == 0 && vm.pos != size) {
        /* numpy's own test pickles end with one stray newline. */
        size_t extra = size - vm.pos;
        if (!(extra == 1 && buf[vm.pos] == '\n'))
            rc = pk_vm_fail(&vm, SKC_E_FORMAT, vm.pos,
                            "%zu trailing bytes after STOP", extra);
    }
    pk_vm_release(&vm);
    if (rc < 0)
        return rc;
    g->root = res;
    if (!g->input_bytes)
        g->input_bytes = size;
    return 0;
}

int pk_vm_run(const uint8_t *buf, size_t size, const skc_limits *lim,
              pk_graph **out, char *err, size_t errlen)
{
    pk_graph *g = NULL;
    pk_vm_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.limits = lim;
    int rc = pk_graph_new(lim, &g);
    if (rc < 0)
        return rc;
    rc = pk_vm_run_ex(buf, size, &opts, g, err, errlen);
    if (rc < 0) {
        pk_graph_free(g);
        return rc;
    }
    *out = g;
    return 0;
}
