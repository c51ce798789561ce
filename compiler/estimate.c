/*
 * estimate.c - the size guard's estimate, made before any gate is built:
 * gates, wires (terms of the shared netlist, tc0c.h) and bytes.  It runs
 * the model's value ranges through interval arithmetic (one interval per
 * residual dimension, the union over positions) and charges each
 * operation what compile.c and lower.c build for that range
 * (docs/lowering.md): a thermometer of (hi - lo) gates per non-free
 * requantization and its sums, products per score pair, the bits of
 * exp[s] (counted from the table's transitions over the score's range),
 * bit x weight ANDs, division candidates.  It ignores structural hashing
 * and constant folding, so it is an upper bound in practice; `tc0c stats`
 * prints it next to the real count.  No loop here runs over 2^p entries
 * per position pair: tables are summarized once per head or layer.
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

/* A value's range; few = 1 + the number of gates it is a function of when
 * that is at most REACH_GATES (0: more, or unknown).  ir.c keeps the
 * reachable values of such sums, so a thermometer over one has at most
 * 2^(few-1) - 1 distinct gates. */
typedef struct {
    int64_t lo, hi;
    int few;
} Range;

enum { REACH_GATES = 10 };

static int few_join(int a, int b) { return a && b ? (a > b ? a : b) : 0; }

typedef struct {
    int64_t gates, wires, worst;
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

/* What one operation costs. */
typedef struct {
    int64_t gates, wires;
} Cost;

static void cost_add(Cost *c, int64_t gates, int64_t wires) {
    c->gates = sadd(c->gates, gates);
    c->wires = sadd(c->wires, wires);
}

static void charge(Tally *t, Cost c, const char *fmt, int layer, int head) {
    t->gates = sadd(t->gates, c.gates);
    t->wires = sadd(t->wires, c.wires);
    if (getenv("TC0C_ESTIMATE_TRACE")) { /* each charge on stderr (docs/lowering.md) */
        fprintf(stderr, "estimate: %12lld gates %12lld wires  ", (long long)c.gates, (long long)c.wires);
        fprintf(stderr, fmt, layer, head);
        fputc('\n', stderr);
    }
    if (c.wires > t->worst) {
        t->worst = c.wires;
        snprintf(t->driver, sizeof t->driver, fmt, layer, head);
    }
}

/* A form's terms once shared: a sum node holds them when there are at
 * least IR_SUM_MIN_TERMS; readers then hold one term. */
static int64_t sum_terms(int64_t n) { return n >= IR_SUM_MIN_TERMS ? n : 0; }

static int nnz_row(const Mat *w, int row) {
    int k = 0;
    for (int c = 0; c < w->cols; c++) k += MAT(*w, row, c) != 0;
    return k;
}

/* W x + b for one row; the inputs of one position read the same gates. */
static Range affine_range(const Mat *w, int row, int64_t b, const Range *x) {
    Range r = {b, b, 1};
    for (int c = 0; c < w->cols; c++) {
        int64_t k = MAT(*w, row, c);
        if (k) r.few = few_join(r.few, x[c].few);
        r.lo = sadd(r.lo, min64(smul(k, x[c].lo), smul(k, x[c].hi)));
        r.hi = sadd(r.hi, max64(smul(k, x[c].lo), smul(k, x[c].hi)));
    }
    return r;
}

/* requant of an interval over a sum of nterms terms: a thermometer of
 * (yhi - ylo) gates [S >= v], one wire each, the sum itself, and the
 * result's form (the thermometer gates) shared; free (only the sum) when
 * s = 0 and nothing saturates.  *therm receives the thermometer's gates
 * (0 when free: a reader that needs one builds it). */
static Range requant_cost(int p, Range x, const Range *res, int shift, int64_t nterms, Cost *c, int64_t *therm) {
    int64_t r = round_off(shift), d = (int64_t)1 << shift;
    Range z = res ? *res : (Range){0, 0, 0};
    Range y = {sat_p(p, z.lo + floor_div(x.lo + r, d)), sat_p(p, z.hi + floor_div(x.hi + r, d)), 0};
    bool free_ = shift == 0 && z.lo + x.lo >= pmin(p) && z.hi + x.hi <= pmax(p);
    int64_t h = free_ ? 0 : y.hi - y.lo;
    int few = res ? few_join(x.few, res->few) : x.few;
    if (few) h = min64(h, ((int64_t)1 << (few - 1)) - 1); /* distinct thresholds */
    y.few = free_ ? few : h <= REACH_GATES ? (int)h + 1 : 0;
    cost_add(c, h, sadd(sum_terms(nterms + (res != NULL)), sadd(h, sum_terms(h))));
    *therm = h;
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

/* The cheaper of a value's thermometer (h gates) and its bits, as the
 * flag x value products of lower.c choose them. */
static int64_t code_gates(int64_t h) { return min64(h, bitlen(h)); }

/* A table summarized once: prefix counts of its changes, so the terms a
 * table form over a range holds cost O(1) per lookup. */
typedef struct {
    int p;
    int32_t *changes; /* changes[v - pmin]: entries v' in (pmin, v] with t[v'] != t[v' - 1] */
} TableSum;

static void table_sum(TableSum *s, int p, const int64_t *t, int bit) {
    size_t n = (size_t)1 << p;
    s->p = p;
    s->changes = xmalloc(sizeof *s->changes * n);
    int32_t k = 0;
    s->changes[0] = 0;
    for (size_t v = 1; v < n; v++) {
        int64_t a = t[v], b = t[v - 1];
        if (bit >= 0) {
            a = (a >> bit) & 1;
            b = (b >> bit) & 1;
        }
        k += a != b;
        s->changes[v] = k;
    }
}

static int64_t table_terms(const TableSum *s, Range x) {
    int64_t lo = max64(x.lo, pmin(s->p)), hi = min64(x.hi, pmax(s->p));
    if (hi <= lo) return 0;
    return s->changes[hi - pmin(s->p)] - s->changes[lo - pmin(s->p)];
}

/* Charges one head and writes its output ranges a[i * width + off + k]. */
static void head_estimate(const Model *m, int l, int h, const Head *hd, int N, Range *X, Range *A, int width, int off,
                          Tally *t) {
    int p = m->p, d = m->d_model, dh = hd->d_head;
    int64_t g;
    Cost qkv = {0}, score = {0}, sel = {0}, mix = {0}, div = {0};
    Range *V = xcalloc((size_t)N * (size_t)dh, sizeof *V), *Q = xcalloc((size_t)N * (size_t)dh, sizeof *Q),
          *K = xcalloc((size_t)N * (size_t)dh, sizeof *K);
    for (int j = 0; j < N; j++)
        for (int k = 0; k < dh; k++) {
            const Range *x = X + (size_t)j * d;
            V[j * dh + k] = requant_cost(p, affine_range(&hd->wv, k, hd->bv[k], x), NULL, hd->v_shift,
                                         nnz_row(&hd->wv, k), &qkv, &g);
            int64_t hv = V[j * dh + k].hi - V[j * dh + k].lo;
            if (hd->kind != ATTN_UNIFORM && hv > 3) cost_add(&mix, bitlen(hv), 2 * hv); /* its bits */
            if (hd->kind == ATTN_UNIFORM) continue;
            Q[j * dh + k] = requant_cost(p, affine_range(&hd->wq, k, hd->bq[k], x), NULL, hd->q_shift,
                                         nnz_row(&hd->wq, k), &qkv, &g);
            if (!g) cost_add(&qkv, Q[j * dh + k].hi - Q[j * dh + k].lo, Q[j * dh + k].hi - Q[j * dh + k].lo);
            K[j * dh + k] = requant_cost(p, affine_range(&hd->wk, k, hd->bk[k], x), NULL, hd->k_shift,
                                         nnz_row(&hd->wk, k), &qkv, &g);
            if (!g) cost_add(&qkv, K[j * dh + k].hi - K[j * dh + k].lo, K[j * dh + k].hi - K[j * dh + k].lo);
        }
    int bits = 0;
    TableSum zsum = {0}, bsum[64];
    if (hd->kind == ATTN_SOFTMAX) {
        int64_t emax = 0;
        for (int64_t v = 0; v < ((int64_t)1 << p); v++) emax = max64(emax, hd->exp[v]);
        bits = bitlen(emax);
        table_sum(&zsum, p, hd->exp, -1);
        for (int b = 0; b < bits; b++) table_sum(&bsum[b], p, hd->exp, b);
    }
    for (int i = 0; i < N; i++) {
        int cnt = hd->causal ? i + 1 : N;
        for (int k = 0; k < dh; k++) { /* the output lies in the hull of the visible values */
            Range r = {INT64_MAX, INT64_MIN, 0};
            for (int j = 0; j < cnt; j++) {
                r.lo = min64(r.lo, V[j * dh + k].lo);
                r.hi = max64(r.hi, V[j * dh + k].hi);
            }
            if (hd->kind == ATTN_SOFTMAX) {
                r.lo = min64(r.lo, 0);
                r.hi = max64(r.hi, 0);
            }
            A[(size_t)i * width + off + k] = r;
            int64_t q = r.hi - r.lo; /* candidates over shared N and Z, the result's form shared */
            cost_add(&div, q, sadd(smul(3, q), sadd(sum_terms(q), hd->kind == ATTN_UNIFORM ? sum_terms(cnt) : 0)));
        }
        if (hd->kind == ATTN_UNIFORM) continue;
        int64_t smax = 0;
        for (int j = 0; j < cnt; j++) {
            Range dot = {0, 0, 0};
            for (int k = 0; k < dh; k++) {
                Range q = Q[i * dh + k], kk = K[j * dh + k];
                int64_t hq = q.hi - q.lo, hk = kk.hi - kk.lo;
                if (hq && hk) {
                    int64_t pg =
                        smul(hq, hk) <= lower_opts.product_direct_max ? smul(hq, hk) : (int64_t)bitlen(hq) * bitlen(hk);
                    cost_add(&score, pg, sadd(smul(2, pg), sum_terms(pg + 2)));
                }
                int64_t c1 = smul(q.lo, kk.lo), c2 = smul(q.lo, kk.hi), c3 = smul(q.hi, kk.lo), c4 = smul(q.hi, kk.hi);
                dot.lo = sadd(dot.lo, min64(min64(c1, c2), min64(c3, c4)));
                dot.hi = sadd(dot.hi, max64(max64(c1, c2), max64(c3, c4)));
            }
            int64_t th;
            Range sc = requant_cost(p, dot, NULL, hd->score_shift, dh, &score, &th);
            if (!th) cost_add(&score, sc.hi - sc.lo, sc.hi - sc.lo); /* its thermometer */
            if (hd->subtract_max) cost_add(&score, ((int64_t)1 << p) - 1, smul(3, ((int64_t)1 << p) - 1)); /* s - max */
            smax = max64(smax, sc.hi - sc.lo);
            if (hd->kind == ATTN_SOFTMAX) {
                /* the bits of exp[s]: one gate over the bit's changes each;
                 * Z's part: the table form; then bit x value ANDs */
                int active = 0;
                for (int b = 0; b < bits; b++) {
                    int64_t tr = table_terms(&bsum[b], sc);
                    if (tr) active++;
                    cost_add(&mix, tr ? 1 : 0, tr ? sadd(tr, 1) : 0);
                }
                cost_add(&mix, 0, sum_terms(table_terms(&zsum, sc)) + 1);
                for (int k = 0; k < dh; k++) {
                    int64_t cg = smul(active, code_gates(V[j * dh + k].hi - V[j * dh + k].lo));
                    cost_add(&mix, cg, sadd(smul(3, cg), active));
                }
            } else {
                for (int k = 0; k < dh; k++) {
                    int64_t cg = code_gates(V[j * dh + k].hi - V[j * dh + k].lo);
                    cost_add(&mix, cg, sadd(smul(3, cg), 1));
                }
            }
        }
        if (hd->kind != ATTN_SOFTMAX) /* max: an OR of cnt thermometer gates per level; ties, flags */
            cost_add(&sel, sadd(smax, 2 * (int64_t)cnt), sadd(smul(smax, cnt + 1), (int64_t)cnt * (cnt + 7) / 2));
    }
    if (hd->kind == ATTN_SOFTMAX) {
        free(zsum.changes);
        for (int b = 0; b < bits; b++) free(bsum[b].changes);
    }
    charge(t, qkv, "the query/key/value requantization of layer %d head %d", l, h);
    charge(t, score, "the n^2 score products and thermometers of layer %d head %d", l, h);
    charge(t, sel, "the max and argmax over positions in layer %d head %d", l, h);
    charge(t, mix, "the n^2 weight x value products of layer %d head %d", l, h);
    charge(t, div, "the normalizing division of layer %d head %d", l, h);
    free(V);
    free(Q);
    free(K);
}

/* The embedding's ranges (numerics 2), the union over tokens. */
static void embed_ranges(const Model *m, int N, Range *X) {
    int p = m->p, d = m->d_model;
    int tok_gates = m->n_vocab > 2 ? m->n_vocab : m->n_vocab == 2 ? 1 : 0; /* decoders or the input bit */
    for (int i = 0; i < N; i++)
        for (int c = 0; c < d; c++) {
            Range r = {INT64_MAX, INT64_MIN, m->has_bos && i == 0 ? 1 : 1 + tok_gates};
            if (r.few > REACH_GATES + 1) r.few = 0;
            for (int tk = 0; tk < m->n_vocab + m->has_bos; tk++) {
                if (m->has_bos && ((i == 0) != (tk == m->n_vocab))) continue;
                int64_t v = sat_p(p, MAT(m->tok_emb, tk, c) + MAT(m->pos_emb, i, c) + pos_terms_value(m, i, N, c));
                r.lo = min64(r.lo, v);
                r.hi = max64(r.hi, v);
            }
            X[(size_t)i * d + c] = r;
        }
}

/* Min and max of a table over [lo, hi] in blocks of 256 summarized once,
 * so a lookup costs O(256 + 2^p / 256), not O(2^p). */
typedef struct {
    int p;
    const int64_t *t;
    int64_t *bmin, *bmax;
} TableHull;

static void hull_init(TableHull *h, int p, const int64_t *t) {
    size_t n = (size_t)1 << p, nb = (n + 255) / 256;
    h->p = p;
    h->t = t;
    h->bmin = xmalloc(sizeof *h->bmin * nb);
    h->bmax = xmalloc(sizeof *h->bmax * nb);
    for (size_t b = 0; b < nb; b++) {
        h->bmin[b] = INT64_MAX;
        h->bmax[b] = INT64_MIN;
        for (size_t v = b * 256; v < n && v < (b + 1) * 256; v++) {
            h->bmin[b] = min64(h->bmin[b], t[v]);
            h->bmax[b] = max64(h->bmax[b], t[v]);
        }
    }
}

static Range hull_of(const TableHull *h, Range x) {
    Range r = {INT64_MAX, INT64_MIN, 0};
    size_t lo = (size_t)(x.lo - pmin(h->p)), hi = (size_t)(x.hi - pmin(h->p));
    for (size_t v = lo; v <= hi;) {
        if (v % 256 == 0 && v + 255 <= hi) {
            r.lo = min64(r.lo, h->bmin[v / 256]);
            r.hi = max64(r.hi, h->bmax[v / 256]);
            v += 256;
        } else {
            r.lo = min64(r.lo, h->t[v]);
            r.hi = max64(r.hi, h->t[v]);
            v++;
        }
    }
    return r;
}

static void ffn_estimate(const Model *m, int l, int N, Range *X, const Range *Xin, Range *Y, Tally *t) {
    const Ffn *f = &m->layers[l].ffn;
    int p = m->p, d = m->d_model;
    Range hcode[MAX_D_FF];
    Cost hidden = {0}, out = {0};
    TableHull hull;
    TableSum ts;
    hull_init(&hull, p, f->act.table);
    table_sum(&ts, p, f->act.table, -1);
    int64_t g;
    for (int i = 0; i < N; i++) {
        Range *x = X + (size_t)i * d;
        for (int k = 0; k < f->d_ff; k++) {
            Range h = requant_cost(p, affine_range(&f->w1, k, f->b1[k], Xin + (size_t)i * d), NULL, f->shift1,
                                   nnz_row(&f->w1, k), &hidden, &g);
            if (!g) cost_add(&hidden, h.hi - h.lo, h.hi - h.lo); /* the table's thermometer */
            cost_add(&hidden, 0, sum_terms(table_terms(&ts, h)));
            hcode[k] = hull_of(&hull, h);
        }
        for (int r = 0; r < d; r++)
            Y[r] = requant_cost(p, affine_range(&f->w2, r, f->b2[r], hcode), f->residual ? &x[r] : NULL, f->shift2,
                                nnz_row(&f->w2, r), &out, &g);
        memcpy(x, Y, sizeof *Y * (size_t)d);
    }
    free(hull.bmin);
    free(hull.bmax);
    free(ts.changes);
    charge(t, hidden, "the feed-forward hidden thermometers of layer %d%.0d", l, 0);
    charge(t, out, "the feed-forward output requantization of layer %d%.0d", l, 0);
}

/* A layer norm at every position (norm.c): charges its gates (each reads a
 * few shared forms: about 3 wires a gate), writes the output ranges into Y
 * (may be X) and returns Y. */
static Range *ln_ranges(Tally *t, const LayerNorm *ln, const Model *m, int N, const Range *X, Range *Y, int l) {
    int d = m->d_model;
    int64_t gates = 0, lo[MAX_D_MODEL], hi[MAX_D_MODEL];
    for (int i = 0; i < N; i++) {
        for (int c = 0; c < d; c++) {
            lo[c] = X[(size_t)i * d + c].lo;
            hi[c] = X[(size_t)i * d + c].hi;
        }
        gates = sadd(gates, ln_estimate(ln, m->p, d, lo, hi));
        for (int c = 0; c < d; c++) Y[(size_t)i * d + c] = (Range){lo[c], hi[c], 0};
    }
    charge(t, (Cost){gates, smul(3, gates)}, "a layer norm (layer %d)%.0d", l, 0);
    return Y;
}

/* Bytes the built netlist and the compiler's working data take per wire
 * and per gate (a Term is 16 bytes, arrays grow by doubling; a node with
 * its hash slots about 90 bytes; plus the Vals' forms while building). */
enum { BYTES_PER_WIRE = 40, BYTES_PER_GATE = 160 };

void compile_estimate_full(const Model *m, int n, Estimate *e) {
    static Tally t;
    memset(&t, 0, sizeof t);
    int p = m->p, d = m->d_model, N = n + m->has_bos;
    int64_t g;
    Range *X = xcalloc((size_t)N * (size_t)d, sizeof *X), *Y = xcalloc((size_t)N * (size_t)d, sizeof *Y);
    embed_ranges(m, N, X);
    if (m->n_vocab > 2) {
        int64_t dec = (int64_t)n * m->n_vocab;
        charge(&t, (Cost){dec, smul(dec, model_token_bits(m))}, "the token decoders%.0d%.0d", 0, 0);
    }
    for (int l = 0; l < m->n_layers; l++) {
        const Attn *at = &m->layers[l].attn;
        const Ffn *f = &m->layers[l].ffn;
        if (at->present) {
            int width = at->wo.cols;
            Range *Xin = at->ln_pre.present ? ln_ranges(&t, &at->ln_pre, m, N, X, Y, l) : X; /* reads LN(X) */
            Range *A = xcalloc((size_t)N * (size_t)width, sizeof *A);
            for (int h = 0, off = 0; h < at->n_heads; off += at->heads[h].d_head, h++)
                head_estimate(m, l, h, &at->heads[h], N, Xin, A, width, off, &t);
            Cost c = {0};
            for (int i = 0; i < N; i++)
                for (int r = 0; r < d; r++) {
                    Range *x = &X[(size_t)i * d + r];
                    *x = requant_cost(p, affine_range(&at->wo, r, at->bo[r], A + (size_t)i * width),
                                      at->residual ? x : NULL, at->shift, nnz_row(&at->wo, r), &c, &g);
                }
            charge(&t, c, "the attention output requantization of layer %d%.0d", l, 0);
            free(A);
            if (at->ln_post.present) ln_ranges(&t, &at->ln_post, m, N, X, X, l);
        }
        if (f->present) {
            Range *Lin = f->ln_pre.present
                             ? ln_ranges(&t, &f->ln_pre, m, N, X, xcalloc((size_t)N * (size_t)d, sizeof *Lin), l)
                             : X;
            ffn_estimate(m, l, N, X, Lin, Y, &t);
            if (Lin != X) free(Lin);
            if (f->ln_post.present) ln_ranges(&t, &f->ln_post, m, N, X, X, l);
        }
    }
    if (m->ln_final.present) ln_ranges(&t, &m->ln_final, m, N, X, X, -1);
    int64_t out = m->out.kind == OUT_ACCEPT ? 1 : (int64_t)n * m->out.n_labels * m->out.n_labels;
    charge(&t, (Cost){out, smul(out, d)}, "the output head%.0d%.0d", 0, 0);
    free(X);
    free(Y);
    e->gates = t.gates;
    e->wires = t.wires;
    e->bytes = sadd(smul(t.wires, BYTES_PER_WIRE), smul(t.gates, BYTES_PER_GATE));
    e->driver = t.driver;
}

int64_t compile_estimate(const Model *m, int n, const char **driver) {
    Estimate e;
    compile_estimate_full(m, n, &e);
    *driver = e.driver;
    return e.gates;
}
