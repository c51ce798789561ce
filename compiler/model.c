/*
 * model.c - loads a tc0c model from JSON (docs/model-format.md) and checks
 * everything the reference evaluator and the compiler rely on: shapes,
 * integer ranges, kinds.  Every error names the file and the JSON path
 * ("layers[1].attn.heads[0].wq: expected 4x8, got 4x7"); malformed JSON
 * names the line and column.  The bounds checked here are what makes int64
 * overflow impossible later (docs/numerics.md section 6).
 */
#include "tc0c.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *file;
    char path[512];
    size_t path_len;
    jmp_buf fail_jmp;
    Model *m;
    /* expanded tables, interned (intern_table): the distinct ones so far */
    struct {
        uint64_t hash;
        const int64_t *t;
    } * tables;
    int n_tables, cap_tables;
    int64_t *scratch; /* 2^p entries: a table being expanded */
} Loader;

/* Prints "FILE: PATH: message"; keys and values quoted from the model are
 * printed with control characters escaped (fputs_safe). */
__attribute__((format(printf, 2, 3))) static _Noreturn void fail(Loader *L, const char *fmt, ...) {
    va_list ap;
    char msg[1024];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: ", L->file);
    fputs_safe(L->path_len ? L->path : "(top level)", stderr);
    fputs(": ", stderr);
    fputs_safe(msg, stderr);
    fputc('\n', stderr);
    longjmp(L->fail_jmp, 1);
}

/* JSON path bookkeeping: push returns a mark that pop restores. */
static size_t push_key(Loader *L, const char *key) {
    size_t mark = L->path_len;
    int n = snprintf(L->path + mark, sizeof L->path - mark, "%s%s", mark ? "." : "", key);
    if (n > 0) L->path_len = mark + (size_t)n < sizeof L->path ? mark + (size_t)n : sizeof L->path - 1;
    return mark;
}

static size_t push_index(Loader *L, int i) {
    size_t mark = L->path_len;
    int n = snprintf(L->path + mark, sizeof L->path - mark, "[%d]", i);
    if (n > 0) L->path_len = mark + (size_t)n < sizeof L->path ? mark + (size_t)n : sizeof L->path - 1;
    return mark;
}

static void pop(Loader *L, size_t mark) {
    L->path_len = mark;
    L->path[mark] = '\0';
}

static const char *json_type(const cJSON *j) {
    if (cJSON_IsNumber(j)) return "a number";
    if (cJSON_IsString(j)) return "a string";
    if (cJSON_IsArray(j)) return "an array";
    if (cJSON_IsObject(j)) return "an object";
    if (cJSON_IsBool(j)) return "a boolean";
    if (cJSON_IsNull(j)) return "null";
    return "an invalid value";
}

static const char *unsupported_hint(const char *key);

/* Rejects keys not in the NULL-terminated list (at most 64), and duplicated
 * keys; linear in the number of keys. */
static void check_keys(Loader *L, const cJSON *obj, const char *const *allowed) {
    uint64_t seen = 0;
    for (const cJSON *c = obj->child; c; c = c->next) {
        int k = 0;
        while (allowed[k] && strcmp(allowed[k], c->string) != 0) k++;
        if (!allowed[k]) fail(L, "unknown key '%s'%s", c->string, unsupported_hint(c->string));
        if (seen >> k & 1) fail(L, "duplicate key '%s'", c->string);
        seen |= (uint64_t)1 << k;
    }
}

typedef struct {
    const char *key;
    int pos;
} KeyPos;

static int cmp_key(const void *a, const void *b) {
    const KeyPos *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* Rejects a key that appears twice in an object with free keys; sorts
 * (O(k log k)).  Reports the duplicated key that appears first. */
static void check_unique_keys(Loader *L, const cJSON *obj) {
    int n = cJSON_GetArraySize(obj), first = n;
    KeyPos *v = xmalloc(sizeof *v * (size_t)(n ? n : 1));
    int i = 0;
    for (const cJSON *c = obj->child; c; c = c->next, i++) v[i] = (KeyPos){c->string, i};
    qsort(v, (size_t)n, sizeof *v, cmp_key);
    const char *dup = NULL;
    for (i = 1; i < n; i++)
        if (strcmp(v[i - 1].key, v[i].key) == 0 && v[i - 1].pos < first) {
            first = v[i - 1].pos;
            dup = v[i].key;
        }
    free(v);
    if (dup) fail(L, "duplicate key '%s'", dup);
}

static const cJSON *field(Loader *L, const cJSON *obj, const char *key, bool required) {
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!f && required) fail(L, "missing key '%s'", key);
    return f;
}

static void expect_object(Loader *L, const cJSON *j) {
    if (!cJSON_IsObject(j)) fail(L, "expected an object, got %s", json_type(j));
}

static int64_t as_int(Loader *L, const cJSON *j, int64_t lo, int64_t hi) {
    if (!cJSON_IsNumber(j)) fail(L, "expected an integer, got %s", json_type(j));
    double d = j->valuedouble;
    if (!isfinite(d) || d != floor(d)) fail(L, "expected an integer, got %g", d);
    if (d < (double)lo || d > (double)hi) {
        if (fabs(d) >= 1e15) fail(L, "value %g out of range [%lld, %lld]", d, (long long)lo, (long long)hi);
        fail(L, "value %.0f out of range [%lld, %lld]", d, (long long)lo, (long long)hi);
    }
    return (int64_t)d;
}

static int64_t get_int(Loader *L, const cJSON *obj, const char *key, bool required, int64_t dflt, int64_t lo,
                       int64_t hi) {
    const cJSON *f = field(L, obj, key, required);
    if (!f) return dflt;
    size_t mark = push_key(L, key);
    int64_t v = as_int(L, f, lo, hi);
    pop(L, mark);
    return v;
}

static bool get_bool(Loader *L, const cJSON *obj, const char *key, bool dflt) {
    const cJSON *f = field(L, obj, key, false);
    if (!f) return dflt;
    if (!cJSON_IsBool(f)) {
        push_key(L, key);
        fail(L, "expected true or false, got %s", json_type(f));
    }
    return cJSON_IsTrue(f);
}

static const char *get_string(Loader *L, const cJSON *obj, const char *key, bool required) {
    const cJSON *f = field(L, obj, key, required);
    if (!f) return NULL;
    if (!cJSON_IsString(f)) {
        push_key(L, key);
        fail(L, "expected a string, got %s", json_type(f));
    }
    return f->valuestring;
}

/* A token symbol: one printable, non-space ASCII character. */
static char as_symbol(Loader *L, const cJSON *j) {
    if (!cJSON_IsString(j)) fail(L, "expected a one-character string, got %s", json_type(j));
    const char *s = j->valuestring;
    if (strlen(s) != 1 || s[0] <= ' ' || s[0] > '~')
        fail(L, "a symbol must be one printable non-space ASCII character, got \"%s\"", s);
    return s[0];
}

/* Reads a vector of n integers in [lo, hi]; absent and optional: zeros. */
static int64_t *get_vec(Loader *L, const cJSON *obj, const char *key, bool required, int n, int64_t lo, int64_t hi) {
    int64_t *v = arena_alloc(&L->m->arena, sizeof *v * (size_t)(n ? n : 1));
    const cJSON *f = field(L, obj, key, required);
    if (!f) return v;
    size_t mark = push_key(L, key);
    if (!cJSON_IsArray(f)) fail(L, "expected an array of %d integers, got %s", n, json_type(f));
    int got = cJSON_GetArraySize(f);
    if (got != n) fail(L, "expected %d entries, got %d", n, got);
    int i = 0;
    for (const cJSON *c = f->child; c; c = c->next, i++) {
        size_t m2 = push_index(L, i);
        v[i] = as_int(L, c, lo, hi);
        pop(L, m2);
    }
    pop(L, mark);
    return v;
}

/* Reads a rows x cols matrix (an array of rows); absent and optional: 0. */
static Mat get_mat(Loader *L, const cJSON *obj, const char *key, bool required, int rows, int cols, int64_t lo,
                   int64_t hi) {
    Mat m = {rows, cols, arena_alloc(&L->m->arena, sizeof(int64_t) * (size_t)(rows * cols > 0 ? rows * cols : 1))};
    const cJSON *f = field(L, obj, key, required);
    if (!f) return m;
    size_t mark = push_key(L, key);
    if (!cJSON_IsArray(f)) fail(L, "expected a %dx%d matrix (array of rows), got %s", rows, cols, json_type(f));
    int got_rows = cJSON_GetArraySize(f);
    /* Report the shape as found: the row count and the first bad row's width. */
    int got_cols = cols;
    for (const cJSON *r = f->child; r; r = r->next) {
        int w = cJSON_IsArray(r) ? cJSON_GetArraySize(r) : -1;
        if (w != cols) {
            got_cols = w;
            break;
        }
    }
    if (got_rows != rows || got_cols != cols) {
        if (got_cols < 0) fail(L, "expected %dx%d, got a row that is not an array", rows, cols);
        fail(L, "expected %dx%d, got %dx%d", rows, cols, got_rows, got_cols);
    }
    int i = 0;
    for (const cJSON *r = f->child; r; r = r->next, i++) {
        int j = 0;
        for (const cJSON *c = r->child; c; c = c->next, j++) {
            size_t m2 = push_index(L, i);
            push_index(L, j);
            MAT(m, i, j) = as_int(L, c, lo, hi);
            pop(L, m2);
        }
    }
    pop(L, mark);
    return m;
}

/* Expanded tables are interned: a table equal to one loaded before (the
 * same step table in every head, relu in every layer) shares its copy, so
 * a small file cannot expand into gigabytes of identical tables (distinct
 * ones are at most 64 x 17 tables of 2^16 entries, 544 MiB, each written
 * out in the file).  Takes L->scratch (2^p entries) and returns the
 * model's copy. */
static const int64_t *intern_table(Loader *L) {
    size_t size = (size_t)1 << L->m->p, bytes = size * sizeof(int64_t);
    uint64_t h = 1469598103934665603u; /* FNV-1a over the entries */
    for (size_t i = 0; i < size; i++) h = (h ^ (uint64_t)L->scratch[i]) * 1099511628211u;
    for (int k = 0; k < L->n_tables; k++)
        if (L->tables[k].hash == h && memcmp(L->tables[k].t, L->scratch, bytes) == 0) return L->tables[k].t;
    int64_t *t = arena_alloc(&L->m->arena, bytes);
    memcpy(t, L->scratch, bytes);
    if (L->n_tables == L->cap_tables) {
        L->cap_tables = L->cap_tables ? 2 * L->cap_tables : 16;
        L->tables = xrealloc(L->tables, sizeof *L->tables * (size_t)L->cap_tables);
    }
    L->tables[L->n_tables].hash = h;
    L->tables[L->n_tables++].t = t;
    return t;
}

/* The buffer a table is expanded into before intern_table (2^p entries). */
static int64_t *table_scratch(Loader *L) {
    if (!L->scratch) L->scratch = xmalloc(sizeof *L->scratch * ((size_t)1 << L->m->p));
    return L->scratch;
}

/* A table over the 2^p values of a p-bit input: an array of 2^p integers,
 * or {"steps": [[x0, y0], [x1, y1], ...]} with x0 = -2^(p-1) and x
 * strictly increasing (f(h) = y_k for x_k <= h < x_(k+1)). */
static const int64_t *read_table(Loader *L, const cJSON *j, int64_t lo, int64_t hi) {
    int p = L->m->p;
    size_t size = (size_t)1 << p;
    int64_t *t = table_scratch(L);
    if (cJSON_IsArray(j)) {
        int got = cJSON_GetArraySize(j);
        if ((size_t)got != size) fail(L, "expected 2^p = %zu entries, got %d", size, got);
        int i = 0;
        for (const cJSON *c = j->child; c; c = c->next, i++) {
            size_t mark = push_index(L, i);
            t[i] = as_int(L, c, lo, hi);
            pop(L, mark);
        }
        return intern_table(L);
    }
    if (!cJSON_IsObject(j)) fail(L, "expected an array of 2^p integers or {\"steps\": ...}, got %s", json_type(j));
    static const char *const keys[] = {"steps", NULL};
    check_keys(L, j, keys);
    const cJSON *steps = field(L, j, "steps", true);
    size_t mark = push_key(L, "steps");
    if (!cJSON_IsArray(steps) || cJSON_GetArraySize(steps) < 1) fail(L, "expected a non-empty array of [x, y] pairs");
    int64_t prev_x = 0, prev_y = 0;
    int i = 0;
    for (const cJSON *s = steps->child; s; s = s->next, i++) {
        size_t m2 = push_index(L, i);
        if (!cJSON_IsArray(s) || cJSON_GetArraySize(s) != 2) fail(L, "expected an [x, y] pair");
        int64_t x = as_int(L, s->child, pmin(p), pmax(p));
        int64_t y = as_int(L, s->child->next, lo, hi);
        if (i == 0 && x != pmin(p)) fail(L, "the first step must start at x = %lld", (long long)pmin(p));
        if (i > 0) {
            if (x <= prev_x)
                fail(L, "x = %lld does not increase (the previous step starts at x = %lld)", (long long)x,
                     (long long)prev_x);
            for (int64_t h = prev_x; h < x; h++) t[h - pmin(p)] = prev_y;
        }
        prev_x = x;
        prev_y = y;
        pop(L, m2);
    }
    for (int64_t h = prev_x; h <= pmax(p); h++) t[h - pmin(p)] = prev_y;
    pop(L, mark);
    return intern_table(L);
}

static int get_shift(Loader *L, const cJSON *obj, const char *key) {
    return (int)get_int(L, obj, key, false, 0, 0, MAX_SHIFT);
}

static AttnKind parse_kind(Loader *L, const char *s) {
    if (strcmp(s, "softmax") == 0) return ATTN_SOFTMAX;
    if (strcmp(s, "hard") == 0) return ATTN_HARD;
    if (strcmp(s, "saturated") == 0) return ATTN_SATURATED;
    if (strcmp(s, "uniform") == 0) return ATTN_UNIFORM;
    fail(L, "unknown attention kind '%s' (expected softmax, hard, saturated or uniform)", s);
}

const char *attn_kind_name(AttnKind k) {
    static const char *const names[] = {"softmax", "hard", "saturated", "uniform"};
    return names[k];
}

/* ---- layer norm, position terms, unsupported operations (numerics 2.1, 7) */

/* An optional layer norm object {"gamma", "beta", "shift", "eps"}. */
static void get_ln(Loader *L, const cJSON *obj, const char *key, LayerNorm *ln) {
    static const char *const keys[] = {"gamma", "beta", "shift", "eps", NULL};
    const cJSON *j = field(L, obj, key, false);
    if (!j) return;
    size_t mark = push_key(L, key);
    expect_object(L, j);
    check_keys(L, j, keys);
    int d = L->m->d_model;
    ln->present = true;
    ln->gamma = get_vec(L, j, "gamma", true, d, -MAX_LN_PARAM, MAX_LN_PARAM);
    ln->beta = get_vec(L, j, "beta", false, d, -MAX_LN_PARAM, MAX_LN_PARAM);
    ln->shift = (int)get_int(L, j, "shift", false, 0, 0, MAX_LN_SHIFT);
    ln->eps = get_int(L, j, "eps", false, 1, 1, MAX_LN_EPS);
    pop(L, mark);
}

/* embed.position_terms: [{"channel", "kind", "scale"}, ...]. */
static void load_pos_terms(Loader *L, const cJSON *embed) {
    static const char *const keys[] = {"channel", "kind", "scale", NULL};
    Model *m = L->m;
    const cJSON *a = field(L, embed, "position_terms", false);
    if (!a) return;
    size_t mark = push_key(L, "position_terms");
    if (!cJSON_IsArray(a)) fail(L, "expected an array of position terms, got %s", json_type(a));
    m->n_pos_terms = cJSON_GetArraySize(a);
    if (m->n_pos_terms < 1 || m->n_pos_terms > MAX_POS_TERMS)
        fail(L, "expected 1 to %d position terms, got %d", MAX_POS_TERMS, m->n_pos_terms);
    m->pos_terms = arena_alloc(&m->arena, sizeof *m->pos_terms * (size_t)m->n_pos_terms);
    int i = 0;
    for (const cJSON *t = a->child; t; t = t->next, i++) {
        size_t m2 = push_index(L, i);
        PosTerm *pt = &m->pos_terms[i];
        expect_object(L, t);
        check_keys(L, t, keys);
        pt->channel = (int)get_int(L, t, "channel", true, 0, 0, m->d_model - 1);
        const char *kind = get_string(L, t, "kind", true);
        if (strcmp(kind, "frac") == 0) pt->kind = POS_FRAC;
        else if (strcmp(kind, "alt") == 0) pt->kind = POS_ALT;
        else {
            push_key(L, "kind");
            fail(L, "unknown position term kind '%s' (expected frac or alt)", kind);
        }
        pt->scale = get_int(L, t, "scale", true, 0, -MAX_POS_SCALE, MAX_POS_SCALE);
        pop(L, m2);
    }
    pop(L, mark);
}

/* A note for keys that name operations tc0c does not have (or has under
 * another name), appended to "unknown key". */
static const char *unsupported_hint(const char *key) {
    static const struct {
        const char *key, *hint;
    } hints[] = {
        {"ln", "layer norm"},    {"ln1", "layer norm"},        {"ln2", "layer norm"},
        {"ln_f", "layer norm"},  {"layer_norm", "layer norm"}, {"layernorm", "layer norm"},
        {"norm", "layer norm"},  {"norm1", "layer norm"},      {"norm2", "layer norm"},
        {"rmsnorm", "RMS norm"}, {"rms_norm", "RMS norm"},     {"batchnorm", "batch norm"},
        {"rope", "rotary"},      {"rotary", "rotary"},         {"alibi", "ALiBi"},
        {"dropout", "dropout"},  {"gelu", "activation"},       {"activation", "activation"},
        {"mask", "mask"},        {"temperature", "softmax"},
    };
    for (size_t k = 0; k < sizeof hints / sizeof hints[0]; k++) {
        if (strcmp(key, hints[k].key) != 0) continue;
        const char *h = hints[k].hint;
        if (strcmp(h, "layer norm") == 0)
            return " (layer norm is written 'ln_pre' or 'ln_post' inside 'attn' or 'ffn', or 'ln_final' at the "
                   "top level; docs/model-format.md)";
        if (strcmp(h, "RMS norm") == 0 || strcmp(h, "batch norm") == 0)
            return " (unsupported operation: tc0c has only the integer layer norm 'ln_pre'/'ln_post'/'ln_final')";
        if (strcmp(h, "rotary") == 0 || strcmp(h, "ALiBi") == 0)
            return " (unsupported operation: rotary and ALiBi positions are not supported; use embed.position or "
                   "embed.position_terms)";
        if (strcmp(h, "dropout") == 0)
            return " (unsupported operation: dropout does nothing at inference; drop the key)";
        if (strcmp(h, "activation") == 0)
            return " (the activation is the ffn key 'act': \"relu\", \"identity\" or a table)";
        if (strcmp(h, "mask") == 0) return " (unsupported operation: the only mask is the head key 'causal')";
        return " (unsupported operation: scale the scores with score_shift or the exp table; subtract_max is the "
               "stable softmax)";
    }
    return "";
}

static void load_head(Loader *L, const cJSON *j, Head *h) {
    Model *m = L->m;
    expect_object(L, j);
    const char *kind = get_string(L, j, "kind", true);
    {
        size_t mark = push_key(L, "kind");
        h->kind = parse_kind(L, kind);
        pop(L, mark);
    }
    static const char *const keys_qk[] = {"kind",        "causal", "d_head",       "wq", "bq", "q_shift",
                                          "wk",          "bk",     "k_shift",      "wv", "bv", "v_shift",
                                          "score_shift", "exp",    "subtract_max", NULL};
    static const char *const keys_uniform[] = {"kind", "causal", "d_head", "wv", "bv", "v_shift", NULL};
    static const char *const keys_noexp[] = {"kind", "causal",  "d_head", "wq", "bq",      "q_shift",     "wk",
                                             "bk",   "k_shift", "wv",     "bv", "v_shift", "score_shift", NULL};
    if (h->kind == ATTN_UNIFORM) {
        for (const char *const *k = keys_qk; *k; k++) {
            bool in_uniform = false;
            for (const char *const *u = keys_uniform; *u; u++)
                if (strcmp(*u, *k) == 0) in_uniform = true;
            if (!in_uniform && cJSON_GetObjectItemCaseSensitive(j, *k))
                fail(L, "key '%s' is not used by a uniform head", *k);
        }
        check_keys(L, j, keys_uniform);
    } else if (h->kind == ATTN_SOFTMAX) {
        check_keys(L, j, keys_qk);
    } else {
        if (cJSON_GetObjectItemCaseSensitive(j, "exp")) fail(L, "key 'exp' is only used by a softmax head");
        if (cJSON_GetObjectItemCaseSensitive(j, "subtract_max"))
            fail(L, "key 'subtract_max' is only used by a softmax head");
        check_keys(L, j, keys_noexp);
    }
    h->causal = get_bool(L, j, "causal", false);
    h->d_head = (int)get_int(L, j, "d_head", true, 0, 1, MAX_D_HEAD);
    int d = m->d_model, dh = h->d_head;
    h->wv = get_mat(L, j, "wv", true, dh, d, -MAX_WEIGHT, MAX_WEIGHT);
    h->bv = get_vec(L, j, "bv", false, dh, -MAX_BIAS, MAX_BIAS);
    h->v_shift = get_shift(L, j, "v_shift");
    if (h->kind == ATTN_UNIFORM) return;
    h->wq = get_mat(L, j, "wq", true, dh, d, -MAX_WEIGHT, MAX_WEIGHT);
    h->bq = get_vec(L, j, "bq", false, dh, -MAX_BIAS, MAX_BIAS);
    h->q_shift = get_shift(L, j, "q_shift");
    h->wk = get_mat(L, j, "wk", true, dh, d, -MAX_WEIGHT, MAX_WEIGHT);
    h->bk = get_vec(L, j, "bk", false, dh, -MAX_BIAS, MAX_BIAS);
    h->k_shift = get_shift(L, j, "k_shift");
    h->score_shift = get_shift(L, j, "score_shift");
    if (h->kind == ATTN_SOFTMAX) {
        h->subtract_max = get_bool(L, j, "subtract_max", false);
        const cJSON *e = field(L, j, "exp", true);
        size_t mark = push_key(L, "exp");
        if (h->subtract_max && !cJSON_IsArray(e))
            fail(L, "with subtract_max the table is indexed by s - max + 2^p - 1: give it as an array of 2^p "
                    "entries, not {\"steps\": ...}");
        h->exp = read_table(L, e, 0, MAX_EXP);
        pop(L, mark);
    }
}

static void load_attn(Loader *L, const cJSON *j, Attn *a) {
    static const char *const keys[] = {"heads", "wo", "bo", "shift", "residual", "ln_pre", "ln_post", NULL};
    Model *m = L->m;
    expect_object(L, j);
    check_keys(L, j, keys);
    a->present = true;
    const cJSON *heads = field(L, j, "heads", true);
    size_t mark = push_key(L, "heads");
    if (!cJSON_IsArray(heads)) fail(L, "expected an array of heads, got %s", json_type(heads));
    a->n_heads = cJSON_GetArraySize(heads);
    if (a->n_heads < 1 || a->n_heads > MAX_HEADS) fail(L, "expected 1 to %d heads, got %d", MAX_HEADS, a->n_heads);
    a->heads = arena_alloc(&m->arena, sizeof *a->heads * (size_t)a->n_heads);
    int i = 0, width = 0;
    for (const cJSON *h = heads->child; h; h = h->next, i++) {
        size_t m2 = push_index(L, i);
        load_head(L, h, &a->heads[i]);
        width += a->heads[i].d_head;
        pop(L, m2);
    }
    pop(L, mark);
    a->wo = get_mat(L, j, "wo", true, m->d_model, width, -MAX_WEIGHT, MAX_WEIGHT);
    a->bo = get_vec(L, j, "bo", false, m->d_model, -MAX_BIAS, MAX_BIAS);
    a->shift = get_shift(L, j, "shift");
    a->residual = get_bool(L, j, "residual", true);
    get_ln(L, j, "ln_pre", &a->ln_pre);
    get_ln(L, j, "ln_post", &a->ln_post);
}

static void load_ffn(Loader *L, const cJSON *j, Ffn *f) {
    static const char *const keys[] = {"d_ff", "w1",     "b1",       "shift1", "act",     "w2",
                                       "b2",   "shift2", "residual", "ln_pre", "ln_post", NULL};
    Model *m = L->m;
    expect_object(L, j);
    check_keys(L, j, keys);
    f->present = true;
    f->d_ff = (int)get_int(L, j, "d_ff", true, 0, 1, MAX_D_FF);
    f->w1 = get_mat(L, j, "w1", true, f->d_ff, m->d_model, -MAX_WEIGHT, MAX_WEIGHT);
    f->b1 = get_vec(L, j, "b1", false, f->d_ff, -MAX_BIAS, MAX_BIAS);
    f->shift1 = get_shift(L, j, "shift1");
    const cJSON *act = field(L, j, "act", true);
    size_t mark = push_key(L, "act");
    size_t size = (size_t)1 << m->p;
    if (cJSON_IsString(act)) {
        const char *s = act->valuestring;
        int64_t *t = table_scratch(L);
        if (strcmp(s, "relu") == 0) {
            f->act.name = "relu";
            for (size_t i = 0; i < size; i++) t[i] = (int64_t)i + pmin(m->p) > 0 ? (int64_t)i + pmin(m->p) : 0;
        } else if (strcmp(s, "identity") == 0) {
            f->act.name = "identity";
            for (size_t i = 0; i < size; i++) t[i] = (int64_t)i + pmin(m->p);
        } else {
            fail(L, "unknown activation '%s' (expected relu, identity, a table or {\"steps\": ...})", s);
        }
        f->act.table = intern_table(L);
    } else {
        f->act.name = "table";
        f->act.table = read_table(L, act, pmin(m->p), pmax(m->p));
    }
    pop(L, mark);
    f->w2 = get_mat(L, j, "w2", true, m->d_model, f->d_ff, -MAX_WEIGHT, MAX_WEIGHT);
    f->b2 = get_vec(L, j, "b2", false, m->d_model, -MAX_BIAS, MAX_BIAS);
    f->shift2 = get_shift(L, j, "shift2");
    f->residual = get_bool(L, j, "residual", true);
    get_ln(L, j, "ln_pre", &f->ln_pre);
    get_ln(L, j, "ln_post", &f->ln_post);
}

static void load_output(Loader *L, const cJSON *j) {
    Model *m = L->m;
    Output *o = &m->out;
    expect_object(L, j);
    const char *kind = get_string(L, j, "kind", true);
    if (strcmp(kind, "accept") == 0) {
        static const char *const keys[] = {"kind", "position", "w", "b", NULL};
        check_keys(L, j, keys);
        o->kind = OUT_ACCEPT;
        const char *pos = get_string(L, j, "position", false);
        if (pos && strcmp(pos, "last") != 0 && strcmp(pos, "first") != 0) {
            push_key(L, "position");
            fail(L, "expected \"first\" or \"last\", got \"%s\"", pos);
        }
        o->at_first = pos && strcmp(pos, "first") == 0;
        o->w.rows = 1;
        o->w.cols = m->d_model;
        o->w.v = get_vec(L, j, "w", true, m->d_model, -MAX_WEIGHT, MAX_WEIGHT);
        o->b = arena_alloc(&m->arena, sizeof(int64_t));
        o->b[0] = get_int(L, j, "b", false, 0, -MAX_BIAS, MAX_BIAS);
    } else if (strcmp(kind, "label") == 0) {
        static const char *const keys[] = {"kind", "labels", "w", "b", NULL};
        check_keys(L, j, keys);
        o->kind = OUT_LABEL;
        const cJSON *labels = field(L, j, "labels", true);
        size_t mark = push_key(L, "labels");
        if (!cJSON_IsArray(labels)) fail(L, "expected an array of strings, got %s", json_type(labels));
        o->n_labels = cJSON_GetArraySize(labels);
        if (o->n_labels < 2 || o->n_labels > MAX_LABELS)
            fail(L, "expected 2 to %d labels, got %d", MAX_LABELS, o->n_labels);
        o->labels = arena_alloc(&m->arena, sizeof(char *) * (size_t)o->n_labels);
        int i = 0;
        for (const cJSON *c = labels->child; c; c = c->next, i++) {
            size_t m2 = push_index(L, i);
            if (!cJSON_IsString(c) || !c->valuestring[0] || strlen(c->valuestring) > 32)
                fail(L, "expected a label of 1 to 32 characters");
            for (const char *s = c->valuestring; *s; s++)
                if (*s <= ' ' || *s > '~') fail(L, "a label must be printable ASCII without spaces");
            for (int k = 0; k < i; k++)
                if (strcmp(o->labels[k], c->valuestring) == 0) fail(L, "label '%s' appears twice", c->valuestring);
            o->labels[i] = arena_strdup(&m->arena, c->valuestring);
            pop(L, m2);
        }
        pop(L, mark);
        o->w = get_mat(L, j, "w", true, o->n_labels, m->d_model, -MAX_WEIGHT, MAX_WEIGHT);
        o->b = get_vec(L, j, "b", false, o->n_labels, -MAX_BIAS, MAX_BIAS);
    } else {
        push_key(L, "kind");
        fail(L, "unknown output kind '%s' (expected accept or label)", kind);
    }
}

static void load_root(Loader *L, const cJSON *root) {
    static const char *const keys[] = {"format",  "name",   "description", "vocab",  "bos",    "max_len",  "p",
                                       "d_model", "scales", "embed",       "layers", "output", "ln_final", NULL};
    Model *m = L->m;
    expect_object(L, root);
    const char *format = get_string(L, root, "format", true);
    if (strcmp(format, MODEL_FORMAT) != 0) {
        push_key(L, "format");
        fail(L, "unsupported format \"%s\" (this tc0c reads \"%s\")", format, MODEL_FORMAT);
    }
    check_keys(L, root, keys);
    m->name = arena_strdup(&m->arena, get_string(L, root, "name", true));
    {
        size_t mark = push_key(L, "name");
        if (!m->name[0] || strlen(m->name) > 64) fail(L, "expected 1 to 64 characters");
        for (const char *s = m->name; *s; s++)
            if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
                fail(L, "a name may hold only letters, digits and '_' (it names files and Verilog modules)");
        if (m->name[0] >= '0' && m->name[0] <= '9') fail(L, "a name must not start with a digit");
        pop(L, mark);
    }
    const char *desc = get_string(L, root, "description", false);
    m->description = arena_strdup(&m->arena, desc ? desc : "");

    m->p = (int)get_int(L, root, "p", true, 0, 2, MAX_P);
    m->max_len = (int)get_int(L, root, "max_len", true, 0, 1, MAX_LEN);
    m->d_model = (int)get_int(L, root, "d_model", true, 0, 1, MAX_D_MODEL);

    const cJSON *vocab = field(L, root, "vocab", true);
    size_t mark = push_key(L, "vocab");
    if (!cJSON_IsArray(vocab)) fail(L, "expected an array of symbols, got %s", json_type(vocab));
    m->n_vocab = cJSON_GetArraySize(vocab);
    if (m->n_vocab < 1 || m->n_vocab > MAX_VOCAB - 1)
        fail(L, "expected 1 to %d symbols, got %d", MAX_VOCAB - 1, m->n_vocab);
    int i = 0;
    for (const cJSON *c = vocab->child; c; c = c->next, i++) {
        size_t m2 = push_index(L, i);
        m->vocab[i] = as_symbol(L, c);
        for (int k = 0; k < i; k++)
            if (m->vocab[k] == m->vocab[i]) fail(L, "symbol '%c' appears twice", m->vocab[i]);
        pop(L, m2);
    }
    pop(L, mark);
    const cJSON *bos = field(L, root, "bos", false);
    if (bos) {
        mark = push_key(L, "bos");
        m->has_bos = true;
        m->bos = as_symbol(L, bos);
        for (int k = 0; k < m->n_vocab; k++)
            if (m->vocab[k] == m->bos) fail(L, "the BOS symbol '%c' is also in the vocabulary", m->bos);
        pop(L, mark);
    }

    const cJSON *scales = field(L, root, "scales", false);
    if (scales) {
        mark = push_key(L, "scales");
        expect_object(L, scales);
        check_unique_keys(L, scales);
        for (const cJSON *c = scales->child; c; c = c->next) {
            size_t m2 = push_key(L, c->string);
            as_int(L, c, -64, 64);
            pop(L, m2);
        }
        pop(L, mark);
    }

    const cJSON *embed = field(L, root, "embed", true);
    mark = push_key(L, "embed");
    expect_object(L, embed);
    static const char *const ekeys[] = {"token", "position", "position_terms", NULL};
    check_keys(L, embed, ekeys);
    m->tok_emb = get_mat(L, embed, "token", true, m->n_vocab + m->has_bos, m->d_model, pmin(m->p), pmax(m->p));
    m->pos_emb = get_mat(L, embed, "position", false, m->max_len + m->has_bos, m->d_model, pmin(m->p), pmax(m->p));
    load_pos_terms(L, embed);
    pop(L, mark);

    const cJSON *layers = field(L, root, "layers", true);
    mark = push_key(L, "layers");
    if (!cJSON_IsArray(layers)) fail(L, "expected an array of layers, got %s", json_type(layers));
    m->n_layers = cJSON_GetArraySize(layers);
    if (m->n_layers > MAX_LAYERS) fail(L, "at most %d layers, got %d", MAX_LAYERS, m->n_layers);
    m->layers = arena_alloc(&m->arena, sizeof *m->layers * (size_t)(m->n_layers ? m->n_layers : 1));
    i = 0;
    for (const cJSON *l = layers->child; l; l = l->next, i++) {
        static const char *const lkeys[] = {"attn", "ffn", NULL};
        size_t m2 = push_index(L, i);
        expect_object(L, l);
        check_keys(L, l, lkeys);
        const cJSON *attn = field(L, l, "attn", false), *ffn = field(L, l, "ffn", false);
        if (!attn && !ffn) fail(L, "a layer needs 'attn', 'ffn' or both");
        if (attn) {
            size_t m3 = push_key(L, "attn");
            load_attn(L, attn, &m->layers[i].attn);
            pop(L, m3);
        }
        if (ffn) {
            size_t m3 = push_key(L, "ffn");
            load_ffn(L, ffn, &m->layers[i].ffn);
            pop(L, m3);
        }
        pop(L, m2);
    }
    pop(L, mark);

    get_ln(L, root, "ln_final", &m->ln_final);

    const cJSON *out = field(L, root, "output", true);
    mark = push_key(L, "output");
    load_output(L, out);
    pop(L, mark);
}

/* Corrects cJSON's failure position and names the reason where it can.  cJSON
 * reports one character too late when an object key does not start with '"'
 * (a trailing comma: `{"a": 1,}`), and inside the string when a string is
 * never closed; it stops at the backslash of an invalid escape.  The text
 * before the failure is a valid JSON prefix, so a scan that tracks strings
 * and brackets tells those cases apart. */
static const char *locate_parse_error(const char *text, const char *at, const char **why) {
    *why = NULL;
    if (at <= text || !*at) return at;
    const char *q = at - 1;
    char open[1100]; /* deeper than cJSON's nesting limit of 1000 */
    int depth = 0;
    bool in_string = false;
    char prev = 0; /* last non-space character outside strings */
    for (const char *s = text; s < q; s++) {
        if (in_string) {
            if (*s == '\\' && s + 1 < q) s++;
            else if (*s == '"') in_string = false;
            continue;
        }
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') continue;
        if (*s == '"') in_string = true;
        else if ((*s == '{' || *s == '[') && depth < (int)sizeof open) open[depth++] = *s;
        else if ((*s == '}' || *s == ']') && depth > 0) depth--;
        prev = *s;
    }
    if (*at == '\\' && (in_string || *q == '"')) {
        *why = "invalid escape sequence";
        return at;
    }
    if (in_string) return at;
    if (*q == '"') {
        *why = "unterminated string";
        return q;
    }
    if ((*at == '{' || *at == '[') && depth + (*q == '{' || *q == '[') >= 1000) {
        *why = "nested more than 1000 levels deep";
        return at;
    }
    bool space = *q == ' ' || *q == '\t' || *q == '\n' || *q == '\r';
    if (!space && depth > 0 && open[depth - 1] == '{' && (prev == '{' || prev == ',')) {
        *why = "expected a key in double quotes";
        return q;
    }
    return at;
}

/* Prints "FILE:LINE:COL: malformed JSON ..." at `at`; why == NULL: a cJSON
 * parse failure, located and explained by locate_parse_error. */
static void report_parse_error(const char *file, const char *text, const char *at, const char *why) {
    if (!at) at = text;
    if (!why) at = locate_parse_error(text, at, &why);
    int line = 1, col = 1;
    bool blank = true;
    for (const char *s = text; *s && s < at; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') blank = false;
        if (*s == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    char near[24] = {0};
    size_t k = 0;
    for (const char *s = at; *s && *s != '\n' && *s != '\r' && k < sizeof near - 1; s++) near[k++] = *s;
    fprintf(stderr, "%s:%d:%d: malformed JSON", file, line, col);
    if (!*at) fprintf(stderr, ": %s\n", blank ? "the file is empty" : "unexpected end of file");
    else {
        fprintf(stderr, why ? ": %s near '" : "%s near '", why ? why : "");
        fputs_safe(near, stderr);
        fputs("'\n", stderr);
    }
}

static char *read_file(const char *path, size_t *len_out) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
        return NULL;
    }
    errno = 0;
    size_t cap = 65536, len = 0;
    char *buf = xmalloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            if (cap >= ((size_t)256 << 20)) {
                fprintf(stderr, "%s: larger than 256 MiB, not a tc0c model\n", path);
                fclose(f);
                free(buf);
                return NULL;
            }
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    bool err = ferror(f);
    int why = errno;
    fclose(f);
    if (err) {
        fprintf(stderr, "%s: cannot read: %s\n", path, why ? strerror(why) : "read error");
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    if (strlen(buf) != len) {
        fprintf(stderr, "%s: contains a NUL byte, not a JSON text\n", path);
        free(buf);
        return NULL;
    }
    *len_out = len;
    return buf;
}

/* The one setjmp: a loader error longjmps back here. */
static bool load_guarded(Loader *L, const cJSON *root) {
    if (setjmp(L->fail_jmp) != 0) return false;
    load_root(L, root);
    return true;
}

Model *model_load(const char *path) {
    size_t len;
    char *text = read_file(path, &len);
    if (!text) return NULL;
    JsonError je;
    if (!json_strict_scan(text, len, &je)) {
        if (je.path[0]) {
            fprintf(stderr, "%s: ", path);
            fputs_safe(je.path, stderr);
            fprintf(stderr, ": %s\n", je.why);
        } else {
            report_parse_error(path, text, text + je.offset, je.why);
        }
        free(text);
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, true);
    if (!root) {
        report_parse_error(path, text, end ? end : cJSON_GetErrorPtr(), NULL);
        free(text);
        return NULL;
    }
    Model *m = xcalloc(1, sizeof *m);
    Loader *L = xcalloc(1, sizeof *L);
    L->file = path;
    L->m = m;
    m->path = arena_strdup(&m->arena, path);
    bool ok = load_guarded(L, root);
    free(L->tables);
    free(L->scratch);
    free(L);
    cJSON_Delete(root);
    free(text);
    if (!ok) {
        model_free(m);
        return NULL;
    }
    return m;
}

void model_free(Model *m) {
    if (!m) return;
    arena_free(&m->arena);
    free(m);
}

long model_param_count(const Model *m) {
    long n = (long)m->tok_emb.rows * m->tok_emb.cols + (long)m->pos_emb.rows * m->pos_emb.cols;
    for (int l = 0; l < m->n_layers; l++) {
        const Attn *a = &m->layers[l].attn;
        const Ffn *f = &m->layers[l].ffn;
        if (a->present) {
            for (int h = 0; h < a->n_heads; h++) {
                const Head *hd = &a->heads[h];
                long per = (long)hd->d_head * (m->d_model + 1);
                n += hd->kind == ATTN_UNIFORM ? per : 3 * per;
                if (hd->exp) n += 1L << m->p;
            }
            n += (long)a->wo.rows * a->wo.cols + m->d_model;
        }
        if (f->present) {
            n += (long)f->d_ff * (m->d_model + 1) + (long)m->d_model * (f->d_ff + 1);
            if (strcmp(f->act.name, "table") == 0) n += 1L << m->p;
        }
    }
    n += (long)m->out.w.rows * m->out.w.cols + m->out.w.rows;
    /* layer norms: gamma and beta per channel, shift and eps; position terms */
    long ln = 2L * m->d_model + 2;
    for (int l = 0; l < m->n_layers; l++) {
        const Attn *a = &m->layers[l].attn;
        const Ffn *f = &m->layers[l].ffn;
        n += ln * (a->ln_pre.present + a->ln_post.present + f->ln_pre.present + f->ln_post.present);
    }
    n += ln * m->ln_final.present + 3L * m->n_pos_terms;
    return n;
}

void model_summary(const Model *m, FILE *f) {
    fprintf(f, "model %s (%s)\n", m->name, m->path);
    if (m->description[0]) {
        fputs("  ", f);
        fputs_safe(m->description, f);
        fputc('\n', f);
    }
    fprintf(f, "  vocab {");
    for (int i = 0; i < m->n_vocab; i++) fprintf(f, "%s%c", i ? "," : "", m->vocab[i]);
    fprintf(f, "}");
    if (m->has_bos) fprintf(f, ", BOS '%c'", m->bos);
    fprintf(f, ", max_len %d, p = %d bits [%lld, %lld], d_model %d\n", m->max_len, m->p, (long long)pmin(m->p),
            (long long)pmax(m->p), m->d_model);
    for (int l = 0; l < m->n_layers; l++) {
        const Attn *a = &m->layers[l].attn;
        const Ffn *ff = &m->layers[l].ffn;
        fprintf(f, "  layer %d:", l);
        if (a->present) {
            fprintf(f, " attn %d head%s (", a->n_heads, a->n_heads > 1 ? "s" : "");
            for (int h = 0; h < a->n_heads; h++)
                fprintf(f, "%s%s%s%s d_head %d", h ? ", " : "", a->heads[h].causal ? "causal " : "",
                        attn_kind_name(a->heads[h].kind), a->heads[h].subtract_max ? " (max subtracted)" : "",
                        a->heads[h].d_head);
            fprintf(f, ")%s%s%s", a->residual ? " +res" : "", a->ln_pre.present ? " pre-LN" : "",
                    a->ln_post.present ? " post-LN" : "");
        }
        if (ff->present)
            fprintf(f, "%s ffn d_ff %d %s%s%s%s", a->present ? ";" : "", ff->d_ff, ff->act.name,
                    ff->residual ? " +res" : "", ff->ln_pre.present ? " pre-LN" : "",
                    ff->ln_post.present ? " post-LN" : "");
        fputc('\n', f);
    }
    if (m->n_pos_terms) fprintf(f, "  position terms: %d (length-relative)\n", m->n_pos_terms);
    if (m->ln_final.present) fprintf(f, "  final layer norm\n");
    if (m->out.kind == OUT_ACCEPT)
        fprintf(f, "  output: accept/reject at the %s position\n", m->out.at_first ? "first" : "last");
    else fprintf(f, "  output: one of %d labels per position\n", m->out.n_labels);
    fprintf(f, "  parameters: %ld\n", model_param_count(m));
}

int model_tokenize(const Model *m, const char *s, int *tokens) {
    int n = 0;
    for (const char *c = s; *c; c++, n++) {
        if (n >= m->max_len) {
            fprintf(stderr, "%s: input string has %zu tokens, the model's max_len is %d\n", m->path, strlen(s),
                    m->max_len);
            return -1;
        }
        int t = -1;
        for (int k = 0; k < m->n_vocab; k++)
            if (m->vocab[k] == *c) t = k;
        if (t < 0) {
            fprintf(stderr, "%s: input position %d: ", m->path, n);
            if (*c > ' ' && *c <= '~') fprintf(stderr, "'%c'", *c);
            else fprintf(stderr, "byte 0x%02x", (unsigned char)*c);
            fprintf(stderr, " is not in the vocabulary {");
            for (int k = 0; k < m->n_vocab; k++) fprintf(stderr, "%s%c", k ? "," : "", m->vocab[k]);
            fprintf(stderr, "}\n");
            return -1;
        }
        tokens[n] = t;
    }
    if (n == 0 && !m->has_bos) {
        fprintf(stderr, "%s: the empty string needs a model with a BOS symbol\n", m->path);
        return -1;
    }
    return n;
}
