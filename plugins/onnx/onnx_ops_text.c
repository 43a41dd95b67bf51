/* SPDX-License-Identifier: MIT */
/* onnx_ops_text.c: the IR `text_vectorize` and `tfidf` steps (core/OPS.md) as com.microsoft Tokenizer, StringNormalizer and TfIdfVectorizer, and standard arithmetic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_writer.h"
/* The word characters of Python's re `\w` (the tables op_text.c uses). */
#include "../../core/src/op_text_unicode.h"

/* Never a token (not a word character), so never a pool item. */
#define TEXT_PAD "#"
#define TEXT_DEFAULT_PATTERN "(?u)\\b\\w\\w+\\b"

static int text_attr_ints(onnx_builder *b, Onnx__NodeProto *n, const char *key,
                          const int64_t *v, size_t count)
{
    Onnx__AttributeProto *at;
    int64_t *d = onnx_arena_memdup(b->arena, v, count ? count : 1, sizeof(*v));
    int rc;

    if (!d)
        return SKC_E_NOMEM;
    if ((rc = onnx_attr_new(b, n, key, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, &at)) < 0)
        return rc;
    at->n_ints = count;
    at->ints = d;
    return 0;
}

/* One character class of Python's `\w` as RE2 \x{...} ranges (so RE2's
 * own Unicode tables play no part), without code point @p skip. */
static size_t text_word_class(char *o, uint32_t skip)
{
    size_t m = 0, i;

    /* the other tables of the header are op_text.c's business */
    (void)text_cased;
    (void)text_ignorable;
    (void)text_lower;
    o[m++] = '[';
    for (i = 0; i < sizeof(text_word) / sizeof(text_word[0]); i++) {
        uint32_t a = text_word[i][0], z = text_word[i][1];
        if (skip >= a && skip <= z) {
            if (skip > a)
                m += (size_t)sprintf(o + m, "\\x{%X}-\\x{%X}", (unsigned)a, (unsigned)(skip - 1));
            a = skip + 1;
            if (a > z)
                continue;
        }
        m += (size_t)(a == z ? sprintf(o + m, "\\x{%X}", (unsigned)a)
                             : sprintf(o + m, "\\x{%X}-\\x{%X}", (unsigned)a, (unsigned)z));
    }
    o[m++] = ']';
    o[m] = '\0';
    return m;
}

/* The tokens of sklearn's default pattern (maximal runs of 2+ word
 * characters) in the text before lowercasing. With lowercase, Python's
 * str.lower() turns U+0130 into "i" + U+0307, and U+0307 is no word
 * character: a run ends after an U+0130, which lowercases to the "i" the
 * token keeps. Every other word character lowercases to one word character,
 * so lowercasing the tokens gives sklearn's tokens. mincharnum=2 drops
 * the one-character matches. */
static char *text_tokenexp(onnx_builder *b, int lower)
{
    size_t cap = sizeof(text_word) / sizeof(text_word[0]) * 28 + 64, m;
    char *o = onnx_arena_alloc(b->arena, cap * 2 + 32, 1);

    if (!o)
        return NULL;
    if (!lower) {
        m = text_word_class(o, 0x110000);
        strcpy(o + m, "+");
        return o;
    }
    m = text_word_class(o, 0x130);
    m += (size_t)sprintf(o + m, "*\\x{130}|");
    m += text_word_class(o + m, 0x130);
    strcpy(o + m, "+");
    return o;
}

typedef struct text_term {
    int64_t n, col;
    const char *s;
    size_t len;
} text_term;

static int text_term_cmp(const void *a, const void *c)
{
    const text_term *x = a, *y = c;
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    return x->col < y->col ? -1 : x->col > y->col;
}

static int text_in_list(const skc_tensor *t, const char *s, size_t len)
{
    int64_t i, n = t ? skc_tensor_numel(t) : 0;

    for (i = 0; i < n; i++) {
        size_t l;
        const char *v = skc_tensor_string(t, i, &l);
        if (l == len && memcmp(v, s, len) == 0)
            return 1;
    }
    return 0;
}

/* The pool of the vocabulary's n-grams grouped by length (TfIdfVectorizer's
 * layout), each mapped to its column. A term that no tokens can make (a
 * stop word, an empty or pad part, a length outside the range) is left out:
 * sklearn never counts it either. */
static int text_pool(onnx_builder *b, Onnx__NodeProto *n, const skc_tensor *voc,
                     const skc_tensor *stop, int64_t lo, int64_t hi, int64_t *max_col)
{
    int64_t v = skc_tensor_numel(voc), i, k = 0, items = 0, g;
    text_term *terms = calloc((size_t)(v ? v : 1), sizeof(*terms));
    int64_t *counts = NULL, *idx = NULL;
    ProtobufCBinaryData *pool = NULL;
    Onnx__AttributeProto *at;
    int rc = 0;

    if (!terms)
        return SKC_E_NOMEM;
    for (i = 0; i < v; i++) {
        size_t len, j, start = 0;
        const char *s = skc_tensor_string(voc, i, &len);
        int64_t parts = 1, ok = len > 0;
        for (j = 0; j <= len && ok; j++) {
            if (j < len && s[j] != ' ')
                continue;
            if (j == start || (j - start == 1 && s[start] == TEXT_PAD[0]))
                ok = 0;
            if (j < len)
                parts++;
            start = j + 1;
        }
        if (!ok || parts < lo || parts > hi || (parts == 1 && text_in_list(stop, s, len)))
            continue;
        terms[k++] = (text_term){ .n = parts, .col = i, .s = s, .len = len };
        items += parts;
    }
    if (k == 0) {
        free(terms);
        return onnx_error(b, SKC_E_UNSUPPORTED, "no vocabulary term can be made of tokens");
    }
    qsort(terms, (size_t)k, sizeof(*terms), text_term_cmp);
    counts = onnx_arena_alloc(b->arena, (size_t)hi, sizeof(*counts));
    idx = onnx_arena_alloc(b->arena, (size_t)k, sizeof(*idx));
    pool = onnx_arena_alloc(b->arena, (size_t)items, sizeof(*pool));
    if (!counts || !idx || !pool) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    *max_col = -1;
    for (g = 1, i = 0, items = 0; g <= hi; g++) {
        counts[g - 1] = items;
        for (; i < k && terms[i].n == g; i++) {
            size_t j, start = 0;
            for (j = 0; j <= terms[i].len; j++) {
                if (j < terms[i].len && terms[i].s[j] != ' ')
                    continue;
                if (!(pool[items].data = onnx_arena_memdup(b->arena, terms[i].s + start,
                                                           j - start + 1, 1))) {
                    rc = SKC_E_NOMEM;
                    goto done;
                }
                pool[items++].len = j - start;
                start = j + 1;
            }
            idx[i] = terms[i].col;
            if (terms[i].col > *max_col)
                *max_col = terms[i].col;
        }
    }
    if ((rc = text_attr_ints(b, n, "ngram_counts", counts, (size_t)hi)) < 0 ||
        (rc = text_attr_ints(b, n, "ngram_indexes", idx, (size_t)k)) < 0 ||
        (rc = onnx_attr_new(b, n, "pool_strings", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS,
                            &at)) < 0)
        goto done;
    at->n_strings = (size_t)items;
    at->strings = pool;
done:
    free(terms);
    return rc;
}

/* Greek sigma in a term: Python lowercases a capital sigma to U+03C2 at
 * the end of a word (Final_Sigma) and U+03C3 elsewhere; StringNormalizer
 * always gives U+03C3. */
static const char *text_sigma_term(const skc_tensor *voc)
{
    int64_t i, v = skc_tensor_numel(voc);

    for (i = 0; i < v; i++) {
        size_t len, j;
        const char *s = skc_tensor_string(voc, i, &len);
        for (j = 0; j + 1 < len; j++)
            if ((unsigned char)s[j] == 0xCF &&
                ((unsigned char)s[j + 1] == 0x82 || (unsigned char)s[j + 1] == 0x83))
                return s;
    }
    return NULL;
}

/* StringNormalizer takes a [C] tensor, and ONNX Runtime refuses an empty
 * one, which the Tokenizer gives when no row has a token ([N, 0]): a
 * column of pads is added ([N, T+1], never empty when N > 0; a pad is in no
 * n-gram of the pool), the tokens flattened, lowercased and shaped back. */
static int text_lower_tokens(onnx_builder *b, const char *tok, const char *minus1,
                             const char **out)
{
    static const int64_t zero[1] = { 0 }, one[1] = { 1 }, dims11[2] = { 1, 1 };
    const char *padc, *c0, *c1, *ts, *n1, *pshape, *pcol, *tokp, *tps, *flat, *low, *res;
    const char *in[3];
    skc_tensor *pad = NULL;
    Onnx__NodeProto *n;
    int elem, rc;

    if ((rc = skc_tensor_new(SKC_DT_STRING, 2, dims11, &pad)) < 0 ||
        (rc = skc_tensor_set_string(pad, 0, TEXT_PAD, 1)) < 0 ||
        (rc = onnx_const_exact(b, "pad", pad, &padc, &elem)) < 0) {
        skc_tensor_free(pad);
        return rc;
    }
    skc_tensor_free(pad);
    if ((rc = onnx_const_i64(b, "zero", zero, 1, one, &c0)) < 0 ||
        (rc = onnx_const_i64(b, "one", one, 1, one, &c1)) < 0 ||
        (rc = onnx_name_fresh(b, "token_shape", &ts)) < 0 ||
        (rc = onnx_name_fresh(b, "rows", &n1)) < 0 ||
        (rc = onnx_name_fresh(b, "pad_shape", &pshape)) < 0 ||
        (rc = onnx_name_fresh(b, "pad_column", &pcol)) < 0 ||
        (rc = onnx_name_fresh(b, "tokens_padded", &tokp)) < 0 ||
        (rc = onnx_name_fresh(b, "padded_shape", &tps)) < 0 ||
        (rc = onnx_name_fresh(b, "token_list", &flat)) < 0 ||
        (rc = onnx_name_fresh(b, "token_list_lower", &low)) < 0 ||
        (rc = onnx_name_fresh(b, "tokens_lower", &res)) < 0 ||
        (rc = onnx_node(b, "Shape", NULL, &tok, 1, &ts, 1, NULL)) < 0)
        return rc;
    in[0] = ts, in[1] = c0, in[2] = c1;
    if ((rc = onnx_node(b, "Slice", NULL, in, 3, &n1, 1, NULL)) < 0)
        return rc;
    in[0] = n1, in[1] = c1;
    if ((rc = onnx_node(b, "Concat", NULL, in, 2, &pshape, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "axis", 0)) < 0)
        return rc;
    in[0] = padc, in[1] = pshape;
    if ((rc = onnx_node(b, "Expand", NULL, in, 2, &pcol, 1, NULL)) < 0)
        return rc;
    in[0] = tok, in[1] = pcol;
    if ((rc = onnx_node(b, "Concat", NULL, in, 2, &tokp, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "axis", 1)) < 0 ||
        (rc = onnx_node(b, "Shape", NULL, &tokp, 1, &tps, 1, NULL)) < 0)
        return rc;
    in[0] = tokp, in[1] = minus1;
    if ((rc = onnx_node(b, "Reshape", NULL, in, 2, &flat, 1, NULL)) < 0 ||
        (rc = onnx_node(b, "StringNormalizer", NULL, &flat, 1, &low, 1, &n)) < 0 ||
        (rc = onnx_attr_string(b, n, "case_change_action", "LOWER")) < 0 ||
        (rc = onnx_attr_int(b, n, "is_case_sensitive", 1)) < 0 ||
        /* glibc's C.UTF-8 is there wherever glibc is (2.35 on) */
        (rc = onnx_attr_string(b, n, "locale", "C.UTF-8")) < 0)
        return rc;
    in[0] = low, in[1] = tps;
    if ((rc = onnx_node(b, "Reshape", NULL, in, 2, &res, 1, NULL)) < 0)
        return rc;
    *out = res;
    return 0;
}

int onnx_emit_text_vectorize(onnx_builder *b, const skc_step *st)
{
    const skc_tensor *voc, *stop = NULL;
    int64_t lo = 1, hi = 1, lower = 1, binary = 0, max_col = -1, v;
    const char *pat = NULL, *x, *flat, *tok, *cnt, *out, *sig, *exp;
    static const int64_t minus1[1] = { -1 };
    static const int64_t one_dim[1] = { 1 };
    Onnx__NodeProto *n;
    int elem, rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0)
        return rc;
    if (skc_step_get_tensor(st, "vocabulary", &voc) != SKC_OK ||
        skc_tensor_dtype(voc) != SKC_DT_STRING || skc_tensor_ndim(voc) != 1)
        return onnx_error(b, SKC_E_FORMAT, "attribute 'vocabulary' must be a 1-D string tensor");
    if (skc_step_get_tensor(st, "stop_words", &stop) != SKC_OK)
        stop = NULL;
    skc_step_get_int(st, "ngram_min", &lo);
    skc_step_get_int(st, "ngram_max", &hi);
    skc_step_get_int(st, "lowercase", &lower);
    skc_step_get_int(st, "binary", &binary);
    v = skc_tensor_numel(voc);
    if (skc_step_get_string(st, "token_pattern", &pat) == SKC_OK &&
        strcmp(pat, TEXT_DEFAULT_PATTERN) != 0)
        return onnx_error(b, SKC_E_UNSUPPORTED, "token_pattern '%s' is not supported (only "
                          "sklearn's default %s)", pat, TEXT_DEFAULT_PATTERN);
    if (lo < 1 || hi < lo || hi > 32 || v < 1)
        return onnx_error(b, SKC_E_FORMAT, "ngram range (%lld, %lld) or an empty vocabulary",
                          (long long)lo, (long long)hi);
    if (stop && skc_tensor_numel(stop) > 0 && hi > 1)
        return onnx_error(b, SKC_E_UNSUPPORTED, "stop_words with ngram_range (%lld, %lld) "
                          "cannot be written to ONNX: sklearn drops stop words before it makes "
                          "n-grams, and ONNX has no per-row token filter (StringNormalizer's "
                          "stopwords take one row)", (long long)lo, (long long)hi);
    if (lower && (sig = text_sigma_term(voc)))
        return onnx_error(b, SKC_E_UNSUPPORTED, "lowercase=True with Greek sigma in the "
                          "vocabulary (term '%.60s') cannot be written to ONNX: Python's "
                          "str.lower() turns a capital sigma at the end of a word into final "
                          "sigma U+03C2, ONNX StringNormalizer always into U+03C3", sig);
    if ((rc = onnx_step_input(b, st, 0, &x, &elem)) < 0)
        return rc;
    if (elem != ONNX_ELEM_STRING)
        return onnx_error(b, SKC_E_UNSUPPORTED, "the input is not a string tensor");
    if (!(exp = text_tokenexp(b, (int)lower)))
        return SKC_E_NOMEM;
    {
        const char *shape, *in[2];
        if ((rc = onnx_const_i64(b, "flat_shape", minus1, 1, one_dim, &shape)) < 0 ||
            (rc = onnx_name_fresh(b, "texts", &flat)) < 0 ||
            (rc = onnx_name_fresh(b, "tokens", &tok)) < 0)
            return rc;
        in[0] = x;
        in[1] = shape;
        if ((rc = onnx_node(b, "Reshape", NULL, in, 2, &flat, 1, NULL)) < 0 ||
            (rc = onnx_node(b, "Tokenizer", ONNX_DOMAIN_MS, &flat, 1, &tok, 1, &n)) < 0 ||
            (rc = onnx_attr_int(b, n, "mark", 0)) < 0 ||
            (rc = onnx_attr_int(b, n, "mincharnum", 2)) < 0 ||
            (rc = onnx_attr_string(b, n, "pad_value", TEXT_PAD)) < 0 ||
            (rc = onnx_attr_string(b, n, "tokenexp", exp)) < 0)
            return rc;
        if (lower && (rc = text_lower_tokens(b, tok, shape, &tok)) < 0)
            return rc;
    }
    if ((rc = onnx_name_fresh(b, "counts", &cnt)) < 0 ||
        (rc = onnx_node(b, "TfIdfVectorizer", NULL, &tok, 1, &cnt, 1, &n)) < 0 ||
        (rc = onnx_attr_string(b, n, "mode", "TF")) < 0 ||
        (rc = onnx_attr_int(b, n, "min_gram_length", lo)) < 0 ||
        (rc = onnx_attr_int(b, n, "max_gram_length", hi)) < 0 ||
        (rc = onnx_attr_int(b, n, "max_skip_count", 0)) < 0 ||
        (rc = text_pool(b, n, voc, stop, lo, hi, &max_col)) < 0)
        return rc;
    if (max_col + 1 < v) {
        /* TfIdfVectorizer is as wide as its highest column */
        const int64_t pads[4] = { 0, 0, 0, v - max_col - 1 };
        const int64_t four[1] = { 4 };
        const char *pc, *in[2], *wide;
        if ((rc = onnx_const_i64(b, "pads", pads, 1, four, &pc)) < 0 ||
            (rc = onnx_name_fresh(b, "counts_wide", &wide)) < 0)
            return rc;
        in[0] = cnt;
        in[1] = pc;
        if ((rc = onnx_node(b, "Pad", NULL, in, 2, &wide, 1, NULL)) < 0)
            return rc;
        cnt = wide;
    }
    if ((rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0)
        return rc;
    if (binary) {
        const char *one, *in[2], *real;
        if ((rc = onnx_cast_to(b, cnt, ONNX_ELEM_FLOAT, b->real_elem, &real)) < 0 ||
            (rc = onnx_const_scalar(b, "one", 1.0, &one)) < 0)
            return rc;
        in[0] = real;
        in[1] = one;
        return onnx_node(b, "Min", NULL, in, 2, &out, 1, NULL);
    }
    if (b->real_elem == ONNX_ELEM_FLOAT)
        return onnx_node(b, "Identity", NULL, &cnt, 1, &out, 1, NULL);
    if ((rc = onnx_node(b, "Cast", NULL, &cnt, 1, &out, 1, &n)) < 0)
        return rc;
    return onnx_attr_int(b, n, "to", b->real_elem);
}

/* t = log(x) + 1 where x != 0 (sublinear_tf), then t * idf. */
int onnx_emit_tfidf(onnx_builder *b, const skc_step *st)
{
    int64_t sub = 0, dims[1] = { 0 };
    double *idf = NULL;
    const char *x, *out, *cur;
    int rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 ||
        (rc = onnx_step_real_input(b, st, 0, &x)) < 0)
        return rc;
    skc_step_get_int(st, "sublinear_tf", &sub);
    rc = onnx_step_reals(b, st, "idf", 0, 1, dims, &idf);
    if (rc < 0 && rc != SKC_E_NOT_FOUND)
        return rc;
    if ((rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0)
        return rc;
    cur = x;
    if (sub) {
        const char *zero, *one, *isz, *lg, *l1, *t, *in[3];
        if ((rc = onnx_const_scalar(b, "zero", 0.0, &zero)) < 0 ||
            (rc = onnx_const_scalar(b, "one", 1.0, &one)) < 0 ||
            (rc = onnx_name_fresh(b, "is_zero", &isz)) < 0 ||
            (rc = onnx_name_fresh(b, "log_tf", &lg)) < 0 ||
            (rc = onnx_name_fresh(b, "log_tf1", &l1)) < 0)
            return rc;
        t = out;
        if (idf && (rc = onnx_name_fresh(b, "tf", &t)) < 0)
            return rc;
        in[0] = x;
        in[1] = zero;
        if ((rc = onnx_node(b, "Equal", NULL, in, 2, &isz, 1, NULL)) < 0 ||
            (rc = onnx_node(b, "Log", NULL, &x, 1, &lg, 1, NULL)) < 0)
            return rc;
        in[0] = lg;
        in[1] = one;
        if ((rc = onnx_node(b, "Add", NULL, in, 2, &l1, 1, NULL)) < 0)
            return rc;
        in[0] = isz;
        in[1] = x;
        in[2] = l1;
        if ((rc = onnx_node(b, "Where", NULL, in, 3, &t, 1, NULL)) < 0)
            return rc;
        cur = t;
    }
    if (idf) {
        const char *w, *in[2];
        if ((rc = onnx_const_real(b, "idf", idf, 1, dims, &w)) < 0)
            return rc;
        in[0] = cur;
        in[1] = w;
        return onnx_node(b, "Mul", NULL, in, 2, &out, 1, NULL);
    }
    if (!sub)
        return onnx_node(b, "Identity", NULL, &x, 1, &out, 1, NULL);
    return 0;
}
