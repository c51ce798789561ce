/*
 * estimate.c - the size guard's gate estimate, made before any gate is
 * built.  It runs the model's value ranges through interval arithmetic
 * (one interval per residual dimension, the union over positions) and
 * charges each operation what compile.c would build for that range: a
 * thermometer of (hi - lo) gates per non-free requantization, products per
 * score pair, and so on.  It ignores structural hashing and constant
 * folding, so it is an upper bound in practice; `tc0c compile` prints it
 * next to the real count.
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t lo, hi;
} Range;

typedef struct {
    int64_t total, worst;
    char driver[160];
} Tally;

/* Saturating arithmetic: an estimate past 2^62 is "huge" anyway. */
static int64_t sadd(int64_t a, int64_t b) {
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? INT64_MAX / 2 : min64(r, INT64_MAX / 2);
}
static int64_t smul(int64_t a, int64_t b) {
    int64_t r;
    return __builtin_mul_overflow(a, b, &r) ? INT64_MAX / 2 : min64(r, INT64_MAX / 2);
}

static void charge(Tally *t, int64_t gates, const char *fmt, int layer, int head) {
    t->total = sadd(t->total, gates);
    if (gates > t->worst) {
        t->worst = gates;
        snprintf(t->driver, sizeof t->driver, fmt, layer, head);
    }
}

static Range affine_range(const Mat *w, int row, int64_t b, const Range *x) {
    Range r = {b, b};
    for (int c = 0; c < w->cols; c++) {
        int64_t k = MAT(*w, row, c);
        r.lo = sadd(r.lo, min64(smul(k, x[c].lo), smul(k, x[c].hi)));
        r.hi = sadd(r.hi, max64(smul(k, x[c].lo), smul(k, x[c].hi)));
    }
    return r;
}

/* requant of an interval, and the gates it costs (0 when free) */
static Range requant_range(int p, Range x, const Range *res, int shift, int64_t *gates) {
    int64_t r = round_off(shift), d = (int64_t)1 << shift;
    Range z = res ? *res : (Range){0, 0};
    Range y = {sat_p(p, z.lo + floor_div(x.lo + r, d)), sat_p(p, z.hi + floor_div(x.hi + r, d))};
    bool free_ = shift == 0 && z.lo + x.lo >= pmin(p) && z.hi + x.hi <= pmax(p);
    *gates = free_ ? 0 : y.hi - y.lo;
    return y;
}

static int bitlen(int64_t v) {
    int b = 0;
    while (v > 0) {
        b++;
        v >>= 1;
    }
    return b;
}

/* Charges one head and writes its output ranges a[i * width + off + k]. */
static void head_estimate(const Model *m, int l, int h, const Head *hd, int N, Range *X, Range *A, int width, int off,
                          Tally *t) {
    int p = m->p, d = m->d_model, dh = hd->d_head;
    int64_t g, gates_qkv = 0, gates_mix = 0, gates_score = 0, gates_sel = 0, gates_div = 0;
    Range *V = xcalloc((size_t)N * (size_t)dh, sizeof *V), *Q = xcalloc((size_t)N * (size_t)dh, sizeof *Q),
          *K = xcalloc((size_t)N * (size_t)dh, sizeof *K);
    for (int j = 0; j < N; j++)
        for (int k = 0; k < dh; k++) {
            V[j * dh + k] =
                requant_range(p, affine_range(&hd->wv, k, hd->bv[k], X + (size_t)j * d), NULL, hd->v_shift, &g);
            gates_qkv = sadd(gates_qkv, g);
            if (hd->kind == ATTN_UNIFORM) continue;
            Q[j * dh + k] =
                requant_range(p, affine_range(&hd->wq, k, hd->bq[k], X + (size_t)j * d), NULL, hd->q_shift, &g);
            gates_qkv = sadd(gates_qkv, g);
            K[j * dh + k] =
                requant_range(p, affine_range(&hd->wk, k, hd->bk[k], X + (size_t)j * d), NULL, hd->k_shift, &g);
            gates_qkv = sadd(gates_qkv, g);
        }
    for (int i = 0; i < N; i++) {
        int cnt = hd->causal ? i + 1 : N;
        for (int k = 0; k < dh; k++) { /* the output lies in the hull of the visible values */
            Range r = {INT64_MAX, INT64_MIN};
            for (int j = 0; j < cnt; j++) {
                r.lo = min64(r.lo, V[j * dh + k].lo);
                r.hi = max64(r.hi, V[j * dh + k].hi);
            }
            if (hd->kind == ATTN_SOFTMAX) {
                r.lo = min64(r.lo, 0);
                r.hi = max64(r.hi, 0);
            }
            A[(size_t)i * width + off + k] = r;
            gates_div = sadd(gates_div, r.hi - r.lo);
        }
        if (hd->kind == ATTN_UNIFORM) continue;
        int64_t smax = 0;
        for (int j = 0; j < cnt; j++) {
            Range dot = {0, 0};
            for (int k = 0; k < dh; k++) {
                Range q = Q[i * dh + k], kk = K[j * dh + k];
                int64_t hq = q.hi - q.lo, hk = kk.hi - kk.lo;
                if (hq && hk)
                    gates_score = sadd(gates_score, smul(hq, hk) <= lower_opts.product_direct_max
                                                        ? smul(hq, hk)
                                                        : (int64_t)bitlen(hq) * bitlen(hk));
                int64_t c1 = smul(q.lo, kk.lo), c2 = smul(q.lo, kk.hi), c3 = smul(q.hi, kk.lo), c4 = smul(q.hi, kk.hi);
                dot.lo = sadd(dot.lo, min64(min64(c1, c2), min64(c3, c4)));
                dot.hi = sadd(dot.hi, max64(max64(c1, c2), max64(c3, c4)));
            }
            Range sc = requant_range(p, dot, NULL, hd->score_shift, &g);
            gates_score = sadd(gates_score, sc.hi - sc.lo);                               /* its thermometer */
            if (hd->subtract_max) gates_score = sadd(gates_score, ((int64_t)1 << p) - 1); /* s - max */
            smax = max64(smax, sc.hi - sc.lo);
            for (int k = 0; k < dh; k++) {
                int64_t hv = V[j * dh + k].hi - V[j * dh + k].lo;
                gates_mix = sadd(gates_mix, hd->kind == ATTN_SOFTMAX ? smul(bitlen(MAX_EXP), hv + 1) : hv);
            }
        }
        gates_sel = sadd(gates_sel, smax + 2 * (int64_t)cnt);
    }
    charge(t, gates_qkv, "the query/key/value requantization of layer %d head %d", l, h);
    charge(t, gates_score, "the n^2 score products and thermometers of layer %d head %d", l, h);
    charge(t, gates_sel, "the max and argmax over positions in layer %d head %d", l, h);
    charge(t, gates_mix, "the n^2 weight x value products of layer %d head %d", l, h);
    charge(t, gates_div, "the normalizing division of layer %d head %d", l, h);
    free(V);
    free(Q);
    free(K);
}

/* A layer norm at every position: charges its gates, writes the output
 * ranges into Y (may be X) and returns Y. */
static Range *ln_ranges(Tally *t, const LayerNorm *ln, const Model *m, int N, const Range *X, Range *Y, int l) {
    int d = m->d_model;
    int64_t gates = 0, lo[MAX_D_MODEL], hi[MAX_D_MODEL];
    for (int i = 0; i < N; i++) {
        for (int c = 0; c < d; c++) {
            lo[c] = X[(size_t)i * d + c].lo;
            hi[c] = X[(size_t)i * d + c].hi;
        }
        gates = sadd(gates, ln_estimate(ln, m->p, d, lo, hi));
        for (int c = 0; c < d; c++) Y[(size_t)i * d + c] = (Range){lo[c], hi[c]};
    }
    charge(t, gates, "a layer norm (layer %d)%.0d", l, 0);
    return Y;
}

int64_t compile_estimate(const Model *m, int n, const char **driver) {
    static Tally t;
    memset(&t, 0, sizeof t);
    int p = m->p, d = m->d_model, N = n + m->has_bos;
    int64_t g;
    Range *X = xcalloc((size_t)N * (size_t)d, sizeof *X), *Y = xcalloc((size_t)N * (size_t)d, sizeof *Y);
    for (int i = 0; i < N; i++)
        for (int c = 0; c < d; c++) {
            Range r = {INT64_MAX, INT64_MIN};
            for (int tk = 0; tk < m->n_vocab + m->has_bos; tk++) {
                if (m->has_bos && ((i == 0) != (tk == m->n_vocab))) continue;
                int64_t v = sat_p(p, MAT(m->tok_emb, tk, c) + MAT(m->pos_emb, i, c) + pos_terms_value(m, i, N, c));
                r.lo = min64(r.lo, v);
                r.hi = max64(r.hi, v);
            }
            X[(size_t)i * d + c] = r;
        }
    if (m->n_vocab > 2) charge(&t, (int64_t)n * m->n_vocab, "the token decoders%.0d%.0d", 0, 0);
    for (int l = 0; l < m->n_layers; l++) {
        const Attn *at = &m->layers[l].attn;
        const Ffn *f = &m->layers[l].ffn;
        Range *Xin = X; /* a pre-LN sublayer reads LN(X) (norm.c) */
        if (at->present && at->ln_pre.present) Xin = ln_ranges(&t, &at->ln_pre, m, N, X, Y, l);
        if (at->present) {
            int width = at->wo.cols;
            Range *A = xcalloc((size_t)N * (size_t)width, sizeof *A);
            for (int h = 0, off = 0; h < at->n_heads; off += at->heads[h].d_head, h++)
                head_estimate(m, l, h, &at->heads[h], N, Xin, A, width, off, &t);
            int64_t gates = 0;
            for (int i = 0; i < N; i++)
                for (int r = 0; r < d; r++) {
                    Range *x = &X[(size_t)i * d + r];
                    *x = requant_range(p, affine_range(&at->wo, r, at->bo[r], A + (size_t)i * width),
                                       at->residual ? x : NULL, at->shift, &g);
                    gates = sadd(gates, g);
                }
            charge(&t, gates, "the attention output requantization of layer %d%.0d", l, 0);
            free(A);
            if (at->ln_post.present) ln_ranges(&t, &at->ln_post, m, N, X, X, l);
        }
        if (f->present) {
            Range hcode[MAX_D_FF];
            int64_t hidden = 0, out = 0;
            Range *Lin = f->ln_pre.present ? xcalloc((size_t)N * (size_t)d, sizeof *Lin) : X;
            if (f->ln_pre.present) ln_ranges(&t, &f->ln_pre, m, N, X, Lin, l);
            for (int i = 0; i < N; i++) {
                Range *x = X + (size_t)i * d;
                for (int k = 0; k < f->d_ff; k++) {
                    Range h =
                        requant_range(p, affine_range(&f->w1, k, f->b1[k], Lin + (size_t)i * d), NULL, f->shift1, &g);
                    hidden = sadd(hidden, g ? g : h.hi - h.lo); /* the table's thermometer */
                    hcode[k] = (Range){INT64_MAX, INT64_MIN};
                    for (int64_t v = h.lo; v <= h.hi; v++) {
                        int64_t y = f->act.table[v - pmin(p)];
                        hcode[k].lo = min64(hcode[k].lo, y);
                        hcode[k].hi = max64(hcode[k].hi, y);
                    }
                }
                for (int r = 0; r < d; r++) {
                    Y[r] = requant_range(p, affine_range(&f->w2, r, f->b2[r], hcode), f->residual ? &x[r] : NULL,
                                         f->shift2, &g);
                    out = sadd(out, g);
                }
                memcpy(x, Y, sizeof *Y * (size_t)d);
            }
            charge(&t, hidden, "the feed-forward hidden thermometers of layer %d%.0d", l, 0);
            charge(&t, out, "the feed-forward output requantization of layer %d%.0d", l, 0);
            if (Lin != X) free(Lin);
            if (f->ln_post.present) ln_ranges(&t, &f->ln_post, m, N, X, X, l);
        }
    }
    if (m->ln_final.present) ln_ranges(&t, &m->ln_final, m, N, X, X, -1);
    charge(&t, m->out.kind == OUT_ACCEPT ? 1 : (int64_t)n * m->out.n_labels * 2, "the output head%.0d%.0d", 0, 0);
    free(X);
    free(Y);
    *driver = t.driver;
    return t.total;
}
