/* SPDX-License-Identifier: MIT */
/* sk_text.c: sklearn's text vectorizers (CountVectorizer, TfidfVectorizer, TfidfTransformer) into text_vectorize, tfidf and normalize steps.
 *
 * | attribute            | 0.19 - 1.4                       | later                 |
 * |----------------------|----------------------------------|-----------------------|
 * | vocabulary_          | dict term -> column (Python 2: unicode or bytes keys) | = |
 * | stop_words           | None, 'english', list            | =                     |
 * | stop_words_          | terms cut by min_df/max_df/max_features; not used by transform | may be absent |
 * | TfidfTransformer idf | _idf_diag: scipy csr diagonal    | idf_ array            |
 * | TfidfVectorizer      | its own norm/use_idf/sublinear_tf and the fitted _tfidf | = |
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_load.h"
#include "sk_lift.h"

/* sklearn.feature_extraction._stop_words.ENGLISH_STOP_WORDS (unchanged
 * since 0.19). */
static const char *const text_english[] = {
    "a", "about", "above", "across", "after", "afterwards", "again", "against", "all",
    "almost", "alone", "along", "already", "also", "although", "always", "am", "among",
    "amongst", "amoungst", "amount", "an", "and", "another", "any", "anyhow", "anyone",
    "anything", "anyway", "anywhere", "are", "around", "as", "at", "back", "be",
    "became", "because", "become", "becomes", "becoming", "been", "before",
    "beforehand", "behind", "being", "below", "beside", "besides", "between", "beyond",
    "bill", "both", "bottom", "but", "by", "call", "can", "cannot", "cant", "co", "con",
    "could", "couldnt", "cry", "de", "describe", "detail", "do", "done", "down", "due",
    "during", "each", "eg", "eight", "either", "eleven", "else", "elsewhere", "empty",
    "enough", "etc", "even", "ever", "every", "everyone", "everything", "everywhere",
    "except", "few", "fifteen", "fifty", "fill", "find", "fire", "first", "five", "for",
    "former", "formerly", "forty", "found", "four", "from", "front", "full", "further",
    "get", "give", "go", "had", "has", "hasnt", "have", "he", "hence", "her", "here",
    "hereafter", "hereby", "herein", "hereupon", "hers", "herself", "him", "himself",
    "his", "how", "however", "hundred", "i", "ie", "if", "in", "inc", "indeed",
    "interest", "into", "is", "it", "its", "itself", "keep", "last", "latter",
    "latterly", "least", "less", "ltd", "made", "many", "may", "me", "meanwhile",
    "might", "mill", "mine", "more", "moreover", "most", "mostly", "move", "much",
    "must", "my", "myself", "name", "namely", "neither", "never", "nevertheless",
    "next", "nine", "no", "nobody", "none", "noone", "nor", "not", "nothing", "now",
    "nowhere", "of", "off", "often", "on", "once", "one", "only", "onto", "or", "other",
    "others", "otherwise", "our", "ours", "ourselves", "out", "over", "own", "part",
    "per", "perhaps", "please", "put", "rather", "re", "same", "see", "seem", "seemed",
    "seeming", "seems", "serious", "several", "she", "should", "show", "side", "since",
    "sincere", "six", "sixty", "so", "some", "somehow", "someone", "something",
    "sometime", "sometimes", "somewhere", "still", "such", "system", "take", "ten",
    "than", "that", "the", "their", "them", "themselves", "then", "thence", "there",
    "thereafter", "thereby", "therefore", "therein", "thereupon", "these", "they",
    "thick", "thin", "third", "this", "those", "though", "three", "through",
    "throughout", "thru", "thus", "to", "together", "too", "top", "toward", "towards",
    "twelve", "twenty", "two", "un", "under", "until", "up", "upon", "us", "very",
    "via", "was", "we", "well", "were", "what", "whatever", "when", "whence",
    "whenever", "where", "whereafter", "whereas", "whereby", "wherein", "whereupon",
    "wherever", "whether", "which", "while", "whither", "who", "whoever", "whole",
    "whom", "whose", "why", "will", "with", "within", "without", "would", "yet", "you",
    "your", "yours", "yourself", "yourselves",
};

#define TEXT_MAX_VOCAB 50000000
#define TEXT_DEFAULT_PATTERN "(?u)\\b\\w\\w+\\b"

static int text_bool(const pk_obj *est, const char *key, int dflt)
{
    const pk_obj *o = pk_attr(est, key);
    int v;

    return o && pk_bool(o, &v) == SKC_OK ? v : dflt;
}

static int text_is_none(const pk_obj *est, const char *key)
{
    const pk_obj *o = pk_attr(est, key);

    return !o || pk_kind_of(o) == PK_NONE;
}

/* vocabulary_ as a string tensor whose element i is the term of column i. */
static int text_vocabulary(sk_ctx *c, const pk_obj *est, skc_tensor **out)
{
    const pk_obj *voc = pk_attr(est, "vocabulary_");
    int64_t shape[1], i, n;
    uint8_t *seen = NULL;
    skc_tensor *t = NULL;
    int rc;

    if (!voc || pk_kind_of(voc) != PK_DICT)
        return sk_fail(c, SKC_E_FORMAT, "fitted attribute vocabulary_ is missing or not a dict");
    n = (int64_t)pk_dict_len(voc);
    if (n > TEXT_MAX_VOCAB)
        return sk_fail(c, SKC_E_UNSUPPORTED, "vocabulary_ has %lld terms (limit %d)",
                       (long long)n, TEXT_MAX_VOCAB);
    shape[0] = n;
    if ((rc = skc_tensor_new(SKC_DT_STRING, 1, shape, &t)))
        return rc;
    if (!(seen = calloc((size_t)n + 1, 1))) {
        rc = SKC_E_NOMEM;
        goto fail;
    }
    for (i = 0; i < n; i++) {
        const char *s;
        size_t len;
        int64_t col;
        /* Python 2 pickles hold unicode or byte-string keys: pk_str reads both */
        if (pk_str(pk_dict_key(voc, (size_t)i), &s, &len) != SKC_OK ||
            pk_int(pk_dict_value(voc, (size_t)i), &col) != SKC_OK || col < 0 || col >= n ||
            seen[col]) {
            rc = sk_fail(c, SKC_E_FORMAT, "vocabulary_ entry %lld is not a term with a "
                         "column of its own in [0, %lld)", (long long)i, (long long)n);
            goto fail;
        }
        seen[col] = 1;
        if ((rc = skc_tensor_set_string(t, col, s, len)))
            goto fail;
    }
    free(seen);
    *out = t;
    return SKC_OK;
fail:
    free(seen);
    skc_tensor_free(t);
    return rc;
}

/* stop_words: None, 'english' or a list of terms; NULL *out for none. */
static int text_stop_words(sk_ctx *c, const pk_obj *est, skc_tensor **out)
{
    const pk_obj *sw = pk_attr(est, "stop_words");
    const char *s;
    size_t len, i, n;
    int64_t shape[1];
    int rc, english;

    *out = NULL;
    if (!sw || pk_kind_of(sw) == PK_NONE)
        return SKC_OK;
    english = pk_str(sw, &s, &len) == SKC_OK;
    if (english && strcmp(s, "english") != 0)
        return sk_fail(c, SKC_E_UNSUPPORTED, "stop_words '%s' (only 'english' or a list)", s);
    if (!english && pk_kind_of(sw) != PK_LIST && pk_kind_of(sw) != PK_TUPLE &&
        pk_kind_of(sw) != PK_SET)
        return sk_fail(c, SKC_E_UNSUPPORTED, "stop_words of kind %s",
                       pk_kind_name(pk_kind_of(sw)));
    n = english ? sizeof(text_english) / sizeof(text_english[0]) : pk_len(sw);
    shape[0] = (int64_t)n;
    if ((rc = skc_tensor_new(SKC_DT_STRING, 1, shape, out)))
        return rc;
    for (i = 0; i < n && rc == SKC_OK; i++) {
        if (english) {
            s = text_english[i];
            len = strlen(s);
        } else if (pk_str(pk_item(sw, i), &s, &len) != SKC_OK) {
            rc = sk_fail(c, SKC_E_UNSUPPORTED, "stop word %zu is not a string", i);
            break;
        }
        rc = skc_tensor_set_string(*out, (int64_t)i, s, len);
    }
    if (rc) {
        skc_tensor_free(*out);
        *out = NULL;
    }
    return rc;
}

/* CountVectorizer's analyzer='word' settings that text_vectorize runs
 * exactly; anything else is refused by name. */
static int text_check_analyzer(sk_ctx *c, const pk_obj *est)
{
    const char *a = sk_attr_str(est, "analyzer"), *p = sk_attr_str(est, "token_pattern");
    const char *in = sk_attr_str(est, "input");

    if (!a || strcmp(a, "word") != 0)
        return sk_fail(c, SKC_E_UNSUPPORTED, "analyzer %s%s%s (only 'word')", a ? "'" : "",
                       a ? a : "that is not a string", a ? "'" : "");
    if (in && strcmp(in, "content") != 0)
        return sk_fail(c, SKC_E_UNSUPPORTED, "input '%s' (only 'content')", in);
    if (!text_is_none(est, "preprocessor") || !text_is_none(est, "tokenizer"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "a custom preprocessor or tokenizer (Python "
                       "code, not data)");
    if (!text_is_none(est, "strip_accents"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "strip_accents '%s' (only None)",
                       sk_attr_str(est, "strip_accents") ? sk_attr_str(est, "strip_accents")
                                                         : "?");
    if (!p || strcmp(p, TEXT_DEFAULT_PATTERN) != 0)
        return sk_fail(c, SKC_E_UNSUPPORTED, "token_pattern '%s' (only sklearn's default %s)",
                       p ? p : "None", TEXT_DEFAULT_PATTERN);
    return SKC_OK;
}

/* numpy dtype a vectorizer's `dtype` names (a global such as numpy.float32). */
static const char *text_dtype(const pk_obj *est)
{
    const pk_obj *d = pk_attr(est, "dtype");
    const char *mod, *name;

    if (d && pk_kind_of(d) == PK_GLOBAL && pk_global(d, &mod, &name) == SKC_OK)
        return name;
    return NULL;
}

static int text_counts(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                       char *out, int64_t *out_width)
{
    const pk_obj *ng = pk_attr(est, "ngram_range");
    skc_tensor *voc = NULL, *stop = NULL;
    int64_t lo = 1, hi = 1;
    skc_step *st;
    int rc;

    if ((rc = text_check_analyzer(c, est)))
        return rc;
    if (ng && (pk_len(ng) != 2 || pk_int(pk_item(ng, 0), &lo) != SKC_OK ||
               pk_int(pk_item(ng, 1), &hi) != SKC_OK))
        return sk_fail(c, SKC_E_FORMAT, "ngram_range is not a pair of integers");
    if ((rc = sk_check_width(c, in, in_width, 1)))
        return rc;
    if (strcmp(in, "X") == 0)
        c->x_dtype = SKC_DT_STRING;
    if ((rc = text_vocabulary(c, est, &voc)) || (rc = text_stop_words(c, est, &stop)))
        goto done;
    sk_new_name(c, "counts", out);
    if ((rc = sk_step(c, "text_vectorize", in, out, &st)) ||
        (rc = skc_step_set_tensor(st, "vocabulary", voc)) ||
        (stop && (rc = skc_step_set_tensor(st, "stop_words", stop))) ||
        (rc = skc_step_set_int(st, "lowercase", text_bool(est, "lowercase", 1))) ||
        (rc = skc_step_set_int(st, "ngram_min", lo)) ||
        (rc = skc_step_set_int(st, "ngram_max", hi)) ||
        (rc = skc_step_set_int(st, "binary", text_bool(est, "binary", 0))) ||
        (rc = skc_step_set_string(st, "token_pattern", TEXT_DEFAULT_PATTERN)))
        goto done;
    *out_width = skc_tensor_numel(voc);
done:
    skc_tensor_free(voc);
    skc_tensor_free(stop);
    return rc;
}

/* The fitted idf of a TfidfTransformer: idf_ (sklearn >= 1.5 stores the
 * array), else the diagonal of _idf_diag, a scipy csr_matrix whose state
 * holds data, indices, indptr and _shape. */
static int text_idf(sk_ctx *c, const pk_obj *tf, int64_t v, skc_tensor **out)
{
    const pk_obj *diag = pk_attr(tf, "_idf_diag"), *data, *ind, *ptr;
    pk_array_info ai, ii, pi;
    double *w;
    int64_t r, k, shape[1];
    int rc;

    if (pk_attr(tf, "idf_") && pk_kind_of(pk_attr(tf, "idf_")) == PK_ARRAY)
        rc = sk_attr_f64(c, tf, "idf_", out);
    else if (!diag)
        return sk_fail(c, SKC_E_FORMAT, "use_idf is set but neither idf_ nor _idf_diag is there");
    else {
        data = pk_attr(diag, "data");
        ind = pk_attr(diag, "indices");
        ptr = pk_attr(diag, "indptr");
        if (!data || !ind || !ptr || pk_array(data, &ai) || pk_array(ind, &ii) ||
            pk_array(ptr, &pi) || ai.ndim != 1 || ii.ndim != 1 || pi.ndim != 1 ||
            ai.shape[0] != ii.shape[0] || pi.shape[0] != v + 1)
            return sk_fail(c, SKC_E_FORMAT, "_idf_diag is not a %lld x %lld csr_matrix",
                           (long long)v, (long long)v);
        shape[0] = v;
        if ((rc = skc_tensor_new(SKC_DT_F64, 1, shape, out)))
            return rc;
        w = skc_tensor_data_mut(*out);
        for (r = 0; r < v; r++) {
            int64_t a, b;
            if (pk_array_get_i64(ptr, (size_t)r, &a) || pk_array_get_i64(ptr, (size_t)r + 1, &b) ||
                a < 0 || b < a || b > ai.shape[0]) {
                skc_tensor_free(*out);
                *out = NULL;
                return sk_fail(c, SKC_E_FORMAT, "_idf_diag indptr is damaged at row %lld",
                               (long long)r);
            }
            w[r] = 0.0;
            for (k = a; k < b; k++) {
                int64_t col;
                double d;
                if (!pk_array_get_i64(ind, (size_t)k, &col) && col == r &&
                    !pk_array_get_f64(data, (size_t)k, &d))
                    w[r] = d;
            }
        }
        return SKC_OK;
    }
    if (rc == SKC_OK && skc_tensor_numel(*out) != v) {
        int64_t got = skc_tensor_numel(*out);
        skc_tensor_free(*out);
        *out = NULL;
        return sk_fail(c, SKC_E_FORMAT, "idf_ has %lld entries for %lld columns",
                       (long long)got, (long long)v);
    }
    return rc;
}

/* TfidfTransformer's transform: settings from @p est (the vectorizer or
 * the transformer), idf from the fitted @p tf. */
static int text_tfidf_steps(sk_ctx *c, const pk_obj *est, const pk_obj *tf, const char *in,
                            int64_t v, char *out)
{
    const char *norm = sk_attr_str(est, "norm");
    skc_tensor *idf = NULL;
    char mid[64];
    skc_step *st;
    int rc, use_idf = text_bool(est, "use_idf", 1);

    if (norm && strcmp(norm, "l1") && strcmp(norm, "l2"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "norm '%s' (only 'l1', 'l2' or None)", norm);
    if (!norm && !text_is_none(est, "norm"))
        return sk_fail(c, SKC_E_FORMAT, "norm is neither a string nor None");
    if (use_idf && (rc = text_idf(c, tf, v, &idf)))
        return rc;
    sk_new_name(c, "tfidf", mid);
    if ((rc = sk_step(c, "tfidf", in, mid, &st)) ||
        (idf && (rc = skc_step_set_tensor(st, "idf", idf))) ||
        (rc = skc_step_set_int(st, "sublinear_tf", text_bool(est, "sublinear_tf", 0))))
        goto done;
    if (!norm) {
        snprintf(out, 64, "%s", mid);
        goto done;
    }
    /* sklearn's sparse row normalisation skips rows whose norm is 0: no
     * min_norm */
    sk_new_name(c, "normalized", out);
    if ((rc = sk_step(c, "normalize", mid, out, &st)))
        goto done;
    rc = skc_step_set_string(st, "norm", norm);
done:
    skc_tensor_free(idf);
    return rc;
}

static int text_count_vectorizer(sk_ctx *c, const pk_obj *est, const char *in,
                                 int64_t in_width, char *out, int64_t *out_width)
{
    return text_counts(c, est, in, in_width, out, out_width);
}

static int text_tfidf_vectorizer(sk_ctx *c, const pk_obj *est, const char *in,
                                 int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *tf = pk_attr(est, "_tfidf");
    const char *dt = text_dtype(est);
    char counts[64];
    int rc;

    if (dt && strcmp(dt, "float64") != 0)
        return sk_fail(c, SKC_E_UNSUPPORTED, "dtype %s (tf-idf is computed in that type; "
                       "only float64)", dt);
    if (!tf || pk_kind_of(tf) != PK_INSTANCE)
        return sk_fail(c, SKC_E_FORMAT, "fitted attribute _tfidf is missing");
    if ((rc = text_counts(c, est, in, in_width, counts, out_width)))
        return rc;
    return text_tfidf_steps(c, est, tf, counts, *out_width, out);
}

static int text_tfidf_transformer(sk_ctx *c, const pk_obj *est, const char *in,
                                  int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *idf = pk_attr(est, "idf_"), *diag = pk_attr(est, "_idf_diag");
    pk_array_info ai;
    int64_t v = in_width;
    int rc;

    if (idf && pk_array(idf, &ai) == SKC_OK && ai.ndim == 1)
        v = ai.shape[0];
    else if (diag && pk_attr(diag, "indptr") && pk_array(pk_attr(diag, "indptr"), &ai) == SKC_OK &&
             ai.ndim == 1)
        v = ai.shape[0] - 1;
    if (v < 0)
        return sk_fail(c, SKC_E_FORMAT, "the number of terms is unknown (no idf_)");
    if ((rc = sk_check_width(c, in, in_width, v)))
        return rc;
    *out_width = v;
    return text_tfidf_steps(c, est, est, in, v, out);
}

const sk_family sk_text_families[] = {
    { "sklearn.feature_extraction.CountVectorizer", SK_TRANSFORMER, text_count_vectorizer },
    { "sklearn.feature_extraction.TfidfVectorizer", SK_TRANSFORMER, text_tfidf_vectorizer },
    { "sklearn.feature_extraction.TfidfTransformer", SK_TRANSFORMER, text_tfidf_transformer },
    { NULL, 0, NULL }
};
