/*
 * norm.c - the three operations of docs/numerics.md that make tc0c read
 * the transformers users quantize: the integer layer norm (section 7),
 * the softmax with the row maximum subtracted (4.5) and the length-relative
 * position terms (2.1).  The reference side (plain integers, used by
 * ref.c, refrtl.c and estimate.c) comes first, the threshold-logic side
 * over Vals (lower.c) second.
 */
#include "tc0c.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- reference side ---------------------------------------------------- */

int64_t isqrt64(int64_t v) {
    if (v <= 0) return 0;
    uint64_t u = (uint64_t)v, r = (uint64_t)sqrt((double)u);
    while (r > 0 && r * r > u) r--;
    while ((r + 1) * (r + 1) <= u) r++; /* r < 2^32: no wrap */
    return (int64_t)r;
}

int64_t pos_terms_value(const Model *m, int i, int N, int c) {
    int64_t v = 0;
    for (int k = 0; k < m->n_pos_terms; k++) {
        const PosTerm *t = &m->pos_terms[k];
        if (t->channel != c) continue;
        if (t->kind == POS_FRAC) v += floor_div(t->scale * i, N);
        else v += i % 2 ? -t->scale : t->scale;
    }
    return v;
}

void ln_ref(const LayerNorm *ln, int p, int d, int64_t *x) {
    int64_t S = 0, Q = 0, u[MAX_D_MODEL];
    for (int c = 0; c < d; c++) S += x[c];
    for (int c = 0; c < d; c++) {
        u[c] = (int64_t)d * x[c] - S;
        Q += u[c] * u[c];
    }
    int64_t r = isqrt64((int64_t)d * Q + ln->eps); /* >= 1: eps >= 1 */
    for (int c = 0; c < d; c++) {
        int64_t q = floor_div(floor_div(ln->gamma[c] * d * u[c], r), (int64_t)1 << ln->shift);
        x[c] = sat_p(p, ln->beta[c] + q);
    }
}

/* |gamma d u| <= |gamma| sqrt(d) sqrt(d Q) < |gamma| sqrt(d) (r + 1)
 * <= 2 |gamma| sqrt(d) r, so |quotient| < 2 |gamma| sqrt(d) / 2^s. */
int64_t ln_quot_bound(const LayerNorm *ln, int d, int c) {
    int64_t g = ln->gamma[c] < 0 ? -ln->gamma[c] : ln->gamma[c];
    int64_t t = isqrt64(4 * g * g * d) + 1;
    return (t + ((int64_t)1 << ln->shift) - 1) >> ln->shift;
}

/* The output range of channel c: sat_p(beta + q), |q| <= B. */
static void ln_out_range(const LayerNorm *ln, int p, int d, int c, int64_t *ylo, int64_t *yhi) {
    int64_t B = ln_quot_bound(ln, d, c);
    *ylo = sat_p(p, ln->beta[c] - B);
    *yhi = sat_p(p, ln->beta[c] + B);
    if (ln->gamma[c] == 0) *ylo = *yhi = sat_p(p, ln->beta[c]);
}

/* r ranges over [isqrt(eps), rhi]: Q <= d^3 W^2 / 4 for entries spread
 * over a width W, so sqrt(D) <= d^2 W / 2 + sqrt(eps). */
static int64_t ln_r_hi(const LayerNorm *ln, int d, const int64_t *lo, const int64_t *hi) {
    int64_t mn = lo[0], mx = hi[0];
    for (int c = 1; c < d; c++) {
        mn = min64(mn, lo[c]);
        mx = max64(mx, hi[c]);
    }
    return (int64_t)d * d * (mx - mn) / 2 + isqrt64(ln->eps) + 1;
}

/* An upper bound on D = d Q + eps (Q <= d^2 sum x^2 - d S^2 spelled out as
 * in ln_lower's form), in doubles: the form's bound is what ir.c folds at. */
static int64_t ln_d_hi(const LayerNorm *ln, int d, const int64_t *lo, const int64_t *hi) {
    double sq = 0, slo = 0, shi = 0;
    for (int c = 0; c < d; c++) {
        double a = (double)lo[c], b = (double)hi[c];
        sq += a * a > b * b ? a * a : b * b;
        slo += a;
        shi += b;
    }
    double s2 = slo > 0 ? slo * slo : shi < 0 ? shi * shi : 0;
    double dd = (double)d, v = (double)ln->eps + dd * dd * dd * sq - dd * dd * s2;
    return v > 4e18 ? (int64_t)4e18 : (int64_t)v;
}

int64_t ln_estimate(const LayerNorm *ln, int p, int d, LnEstimate *e) {
    int64_t gates = e->newgates, slo = 0, shi = 0, dterms = e->sgates, *lo = e->lo, *hi = e->hi;
    for (int c = 0; c < d; c++) {
        dterms += e->xgates[c];
        slo += lo[c];
        shi += hi[c];
    }
    /* r: [D >= k^2] while k^2 can be reached, each reading D's sum */
    int64_t rlo = isqrt64(ln->eps), rhi = min64(ln_r_hi(ln, d, lo, hi), isqrt64(ln_d_hi(ln, d, lo, hi)));
    rhi = max64(rhi, rlo);
    int64_t rg = rhi - rlo;
    if (e->card) rg = min64(rg, e->card - 1); /* folded to D's reachable values */
    gates += rg;
    e->wires = gates + dterms;
    int64_t zlo = max64(rlo, 1) << ln->shift, zhi = rhi << ln->shift;
    for (int c = 0; c < d; c++) {
        int64_t ulo = (int64_t)d * lo[c] - shi, uhi = (int64_t)d * hi[c] - slo, g = ln->gamma[c] * d;
        int64_t nlo = min64(g * ulo, g * uhi), nhi = max64(g * ulo, g * uhi);
        ln_out_range(ln, p, d, c, &lo[c], &hi[c]);
        if (e->live && !e->live[c]) continue;
        /* the quotient candidates that are not constant: [num - v z >= 0] */
        int64_t qlo = max64(lo[c] - ln->beta[c], min64(floor_div(nlo, zlo), floor_div(nlo, zhi)));
        int64_t qhi = min64(hi[c] - ln->beta[c], max64(floor_div(nhi, zlo), floor_div(nhi, zhi)));
        int64_t q = qhi - qlo;
        if (e->card && e->xgates[c] + e->sgates + rg <= 10) q = min64(q, e->card - 1);
        if (q > 0) {
            gates += q;
            e->wires += 3 * q + 2;
        }
    }
    return gates;
}

/* ---- threshold-logic side ---------------------------------------------- */

/* x^2 as a form over x's thermometer: no gates beyond the thermometer. */
static void add_square(Circuit *c, Val *x, int64_t scale, Form *f) {
    val_thermo(c, x);
    f->c += scale * x->lo * x->lo;
    for (int64_t k = 1; k <= x->hi - x->lo; k++) {
        int64_t v = x->lo + k;
        form_add_term(f, x->thermo[k - 1], scale * (v * v - (v - 1) * (v - 1)));
    }
}

void ln_lower(Circuit *c, const LayerNorm *ln, int p, int d, Val *x) {
    int64_t lo[MAX_D_MODEL] = {0}, hi[MAX_D_MODEL] = {0};
    for (int k = 0; k < d; k++) {
        lo[k] = x[k].lo;
        hi[k] = x[k].hi;
    }
    /* S = sum x, and D = d Q + eps = d^3 sum x^2 - d^2 S^2 + eps */
    Val S = val_const(0);
    for (int k = 0; k < d; k++) {
        Val t = val_lin(&S, 1, &x[k], 1, 0);
        val_free(&S);
        S = t;
    }
    int64_t d2 = (int64_t)d * d, d3 = d2 * d;
    Form D;
    form_init(&D, ln->eps);
    for (int k = 0; k < d; k++) add_square(c, &x[k], d3, &D);
    add_square(c, &S, -d2, &D);
    ir_form_prepare(c, &D);
    /* r = isqrt(D) in thermometer code: [D >= k^2] */
    int64_t rlo = isqrt64(ln->eps), rhi = ln_r_hi(ln, d, lo, hi);
    Form r;
    form_init(&r, rlo);
    for (int64_t k = rlo + 1; k <= rhi; k++) {
        GateId g = ir_thr(c, &D, k * k);
        if (g == GATE_CONST0) break; /* monotone: every later one is 0 too */
        form_add_term(&r, g, 1);
    }
    form_free(&D);
    Val rv = val_form(&r, rlo, rhi);
    Val z = val_lin(&rv, (int64_t)1 << ln->shift, NULL, 0, 0);
    /* y_c = sat_p(beta + floor(gamma d u / (2^s r))), u = d x_c - S */
    Val *y = xcalloc((size_t)d, sizeof *y);
    for (int k = 0; k < d; k++) {
        int64_t ylo, yhi;
        ln_out_range(ln, p, d, k, &ylo, &yhi);
        if (ylo == yhi) {
            y[k] = val_const(ylo);
            continue;
        }
        Val u = val_lin(&x[k], d, &S, -1, 0);
        Val num = val_lin(&u, ln->gamma[k] * d, NULL, 0, 0);
        Val q = val_div(c, &num, &z, ylo - ln->beta[k], yhi - ln->beta[k]);
        y[k] = val_lin(&q, 1, NULL, 0, ln->beta[k]);
        val_free(&u);
        val_free(&num);
        val_free(&q);
    }
    for (int k = 0; k < d; k++) {
        val_free(&x[k]);
        x[k] = y[k];
    }
    free(y);
    val_free(&S);
    val_free(&rv);
    val_free(&z);
}

void softmax_center(Circuit *c, Val *S, int cnt, int p) {
    Val m = val_max(c, S, cnt);
    for (int j = 0; j < cnt; j++) {
        Form f;
        form_init(&f, pmax(p));
        form_add(&f, &S[j].form, 1);
        form_add(&f, &m.form, -1);
        int64_t lo = max64(pmin(p), S[j].lo - m.hi + pmax(p)), hi = min64(pmax(p), S[j].hi - m.lo + pmax(p));
        Val t = val_form(&f, lo, max64(lo, hi));
        val_free(&S[j]);
        S[j] = t;
    }
    val_free(&m);
}
