/*
 * lower.c - the arithmetic primitives of DESIGN.md section 3, exact as
 * docs/numerics.md defines them, over Vals (tc0c.h).  Each primitive states
 * its gate count and depth; tests/test_lower.c checks both and checks the
 * values exhaustively for p <= 6.
 *
 * Depth rule used throughout: a gate's level is 1 + the highest level it
 * reads, so a primitive adds one level over the forms it consumes.  Forms
 * (affine maps, tables on a thermometer) add none.
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

LowerOpts lower_opts = {.product_direct_max = 256,
                        .bits_adder_min_range = INT64_MAX,
                        .requant_bits_min_range = INT64_MAX,
                        .bits_split_terms = 16};

void lower_opts_binary(LowerOpts *lo, BitsAdder how) {
    lo->bits_adder = how;
    lo->bits_adder_min_range = lo->requant_bits_min_range = 0;
}

void val_free(Val *v) {
    form_free(&v->form);
    free(v->thermo);
    free(v->bits);
    memset(v, 0, sizeof *v);
}

Val val_const(int64_t v) {
    Val x = {.lo = v, .hi = v};
    form_init(&x.form, v);
    return x;
}

/* The Val of form f (taken) in [lo, hi]; with a circuit, [lo, hi] is
 * clipped to what the form can reach and a long form is shared as one sum
 * node (ir_form_share), so every later reader holds one term for it. */
static Val make_val(Circuit *c, Form *f, int64_t lo, int64_t hi) {
    Val x = {0};
    x.form = *f;
    form_init(f, 0);
    if (c) {
        int64_t flo, fhi;
        ir_form_share(c, &x.form);
        ir_form_bounds(c, &x.form, &flo, &fhi);
        lo = max64(lo, flo);
        hi = min64(hi, fhi);
    } else {
        form_canon(&x.form);
    }
    x.lo = lo;
    x.hi = hi;
    if (x.lo > x.hi) BUG("empty range [%lld, %lld]", (long long)x.lo, (long long)x.hi);
    if (x.lo == x.hi) { /* a constant: drop the gates */
        form_free(&x.form);
        form_init(&x.form, x.lo);
    }
    return x;
}

Val val_form(Form *f, int64_t lo, int64_t hi) { return make_val(NULL, f, lo, hi); }

Val val_form_in(Circuit *c, Form *f, int64_t lo, int64_t hi) { return make_val(c, f, lo, hi); }

Val val_copy(const Val *v) {
    Val x = {.lo = v->lo, .hi = v->hi, .nbits = v->nbits};
    form_copy(&x.form, &v->form);
    if (v->thermo) {
        x.thermo = xmalloc(sizeof *x.thermo * (size_t)(v->hi - v->lo));
        memcpy(x.thermo, v->thermo, sizeof *x.thermo * (size_t)(v->hi - v->lo));
    }
    if (v->bits) {
        x.bits = xmalloc(sizeof *x.bits * (size_t)v->nbits);
        memcpy(x.bits, v->bits, sizeof *x.bits * (size_t)v->nbits);
    }
    return x;
}

Val val_from_twos(const GateId *bits, int p) {
    Form f;
    form_init(&f, 0);
    for (int k = 0; k < p; k++) form_add_term(&f, bits[k], k == p - 1 ? -((int64_t)1 << k) : (int64_t)1 << k);
    return val_form(&f, pmin(p), pmax(p));
}

/* [a*lo, a*hi] in order */
static void scale_range(int64_t a, int64_t lo, int64_t hi, int64_t *rlo, int64_t *rhi) {
    *rlo = min64(a * lo, a * hi);
    *rhi = max64(a * lo, a * hi);
}

Val val_lin(const Val *x, int64_t a, const Val *y, int64_t b, int64_t c) {
    if (y && y->lo == y->hi) { /* fold constants into c */
        c += b * y->lo;
        y = NULL;
    }
    if (x && x->lo == x->hi) {
        c += a * x->lo;
        x = NULL;
    }
    if (!x || a == 0) { /* put the one Val first */
        const Val *t = x;
        x = y;
        y = t;
        int64_t s = a;
        a = b;
        b = s;
    }
    if (x && a == 1 && (!y || b == 0)) { /* x + c: x's codes serve unchanged */
        Val r = val_copy(x);
        r.lo += c;
        r.hi += c;
        r.form.c += c;
        return r;
    }
    Form f;
    form_init(&f, c);
    int64_t lo = c, hi = c, l, h;
    if (x) {
        form_add(&f, &x->form, a);
        scale_range(a, x->lo, x->hi, &l, &h);
        lo += l;
        hi += h;
    }
    if (y) {
        form_add(&f, &y->form, b);
        scale_range(b, y->lo, y->hi, &l, &h);
        lo += l;
        hi += h;
    }
    return val_form(&f, lo, hi);
}

/* Thermometer: hi - lo gates [form >= lo + k], depth + 1 over the form. */
void val_thermo(Circuit *c, Val *x) {
    if (x->thermo || x->hi == x->lo) return;
    int64_t n = x->hi - x->lo;
    ir_form_share_min(c, &x->form, n > 2 ? 2 : IR_SUM_MIN_TERMS); /* n gates compare it */
    x->thermo = xmalloc(sizeof *x->thermo * (size_t)n);
    for (int64_t k = 1; k <= n; k++) x->thermo[k - 1] = ir_thr(c, &x->form, x->lo + k);
}

GateId val_ge(Circuit *c, Val *x, int64_t t) {
    if (t <= x->lo) return GATE_CONST1;
    if (t > x->hi) return GATE_CONST0;
    if (x->thermo) return x->thermo[t - x->lo - 1];
    return ir_thr(c, &x->form, t);
}

/* Offset binary from the thermometer (DESIGN.md 3.4): bit k of u = x - lo is
 * [sum_(m>=1) (-1)^(m+1) T_(m*2^k) >= 1].  bitlen(hi - lo) gates, depth + 1
 * over the thermometer. */
void val_bits(Circuit *c, Val *x) {
    if (x->bits) return;
    int64_t n = x->hi - x->lo;
    int nb = 0;
    while (((int64_t)1 << nb) <= n) nb++;
    x->nbits = nb;
    x->bits = xmalloc(sizeof *x->bits * (size_t)(nb ? nb : 1));
    if (nb == 0) return;
    if (!x->thermo && n > lower_opts.bits_adder_min_range && val_bits_adder(c, x, x->bits)) return; /* binary.c */
    val_thermo(c, x);
    for (int k = 0; k < nb; k++) {
        Form f;
        form_init(&f, 0);
        int64_t step = (int64_t)1 << k;
        for (int64_t m = 1; m * step <= n; m++) form_add_term(&f, x->thermo[m * step - 1], m % 2 ? 1 : -1);
        x->bits[k] = ir_thr(c, &f, 1);
        form_free(&f);
    }
}

/* Turns a list of thermometer gates over [lo, hi] into a Val (its form
 * lo + sum_k t_k shared as one sum node when long). */
static Val val_from_thermo(Circuit *c, GateId *t, int64_t lo, int64_t hi) {
    Form f;
    form_init(&f, lo);
    for (int64_t k = 0; k < hi - lo; k++) form_add_term(&f, t[k], 1);
    Val x = {.lo = lo, .hi = hi, .form = f, .thermo = t};
    ir_form_share(c, &x.form);
    return x;
}

bool requant_range(const Val *x, const Val *res, int shift, int p, int64_t *lo, int64_t *hi) {
    int64_t r = round_off(shift), d = (int64_t)1 << shift;
    int64_t rlo = res ? res->lo : 0, rhi = res ? res->hi : 0;
    *lo = sat_p(p, rlo + floor_div(x->lo + r, d));
    *hi = sat_p(p, rhi + floor_div(x->hi + r, d));
    return !(shift == 0 && rlo + x->lo >= pmin(p) && rhi + x->hi <= pmax(p));
}

Val val_requant(Circuit *c, const Val *x, const Val *res, int shift, int p) {
    int64_t r = round_off(shift), d = (int64_t)1 << shift, ylo, yhi;
    if (!requant_range(x, res, shift, p, &ylo, &yhi)) return val_lin(x, 1, res, 1, 0);
    Val yb;
    if (yhi - ylo > lower_opts.requant_bits_min_range && val_requant_bits(c, x, res, shift, p, &yb)) return yb;
    /* y >= v  <=>  2^s res + x + r >= v 2^s, for v in (ylo, yhi] */
    Form f;
    form_init(&f, r);
    form_add(&f, &x->form, 1);
    if (res) form_add(&f, &res->form, d);
    ir_form_share_min(c, &f, yhi - ylo > 2 ? 2 : IR_SUM_MIN_TERMS); /* yhi - ylo gates compare it */
    GateId *t = xmalloc(sizeof *t * (size_t)(yhi - ylo ? yhi - ylo : 1));
    for (int64_t v = ylo + 1; v <= yhi; v++) t[v - ylo - 1] = ir_thr(c, &f, v * d);
    form_free(&f);
    return val_from_thermo(c, t, ylo, yhi);
}

Val val_table(Circuit *c, Val *x, const int64_t *table, int p) {
    if (x->lo < pmin(p) || x->hi > pmax(p))
        BUG("table input [%lld, %lld] outside p = %d", (long long)x->lo, (long long)x->hi, p);
    /* a binary value stays binary: one gate over its bits per change point */
    bool binary = val_is_binary(x);
    Val y;
    if (binary && val_table_blocks(c, x, table, p, &y)) return y;
    Form fx = {0}, f;
    if (binary) val_code_form(c, x, &fx);
    else val_thermo(c, x);
    int64_t f0 = table[x->lo - pmin(p)], lo = f0, hi = f0;
    form_init(&f, f0);
    for (int64_t k = 1; k <= x->hi - x->lo; k++) {
        int64_t fk = table[x->lo + k - pmin(p)], d = fk - table[x->lo + k - 1 - pmin(p)];
        if (d) form_add_term(&f, binary ? val_code_ge(c, x, &fx, x->lo + k) : x->thermo[k - 1], d); /* [x >= lo + k] */
        lo = min64(lo, fk);
        hi = max64(hi, fk);
    }
    if (binary) form_free(&fx);
    return val_form_in(c, &f, lo, hi);
}

GateId thr_and(Circuit *c, Form *f, int64_t t, GateId b) {
    int64_t lo, hi;
    ir_form_bounds(c, f, &lo, &hi);
    int64_t B = max64(hi - t, 0) + 1;
    form_add_term(f, b, B);
    return ir_thr(c, f, t + B);
}

/* AND(a, b) of two 0/1 gates.  When a is a threshold gate [L >= t] at a
 * higher level than b, the AND is folded into one gate over a's inputs
 * (thr_and), so it costs no extra level. */
GateId gate_and_fused(Circuit *c, GateId a, GateId b) {
    if (a == GATE_CONST0 || b == GATE_CONST0) return GATE_CONST0;
    if (a == GATE_CONST1) return b;
    if (b == GATE_CONST1) return a;
    if (c->gates[b].level > c->gates[a].level) {
        GateId s = a;
        a = b;
        b = s;
    }
    const Gate *A = &c->gates[a];
    if (lower_opts.and_plain || A->kind != G_THR || A->level <= c->gates[b].level) return ir_and(c, a, b);
    Form f;
    form_init(&f, 0);
    const Term *t = ir_terms(c, a);
    for (uint32_t k = 0; k < A->n_in; k++) form_add_term(&f, t[k].src, t[k].w);
    GateId g = thr_and(c, &f, A->thr, b);
    form_free(&f);
    return g;
}

/* Level of x's thermometer gates (building it when missing). */
static int32_t thermo_level(Circuit *c, Val *x) {
    val_thermo(c, x);
    int32_t l = 0;
    for (int64_t k = 0; k < x->hi - x->lo; k++) l = l > c->gates[x->thermo[k]].level ? l : c->gates[x->thermo[k]].level;
    return l;
}

/* flag * x: ANDs of the flag with x's thermometer (hi - lo gates) or with
 * its binary bits (nbits gates, x - lo = sum 2^k b_k).  The cost model:
 * bits when the thermometer is above product_direct_max, or when the flag
 * is deeper than the bits would be (then every AND folds into the flag's
 * level and the bits cost no depth), and they are fewer gates. */
Val val_gate_mul(Circuit *c, GateId flag, Val *x) {
    if (flag == GATE_CONST0) return val_const(0);
    if (flag == GATE_CONST1) return val_copy(x);
    Form f;
    form_init(&f, 0);
    form_add_term(&f, flag, x->lo);
    int64_t n = x->hi - x->lo;
    if (n > 0) {
        int nb = 0;
        while (((int64_t)1 << nb) <= n) nb++;
        bool bits = n > lower_opts.product_direct_max && !x->thermo;
        if (!bits && nb < n && (x->bits || c->gates[flag].level > thermo_level(c, x) + 1)) bits = true;
        if (!bits) { /* n gates */
            val_thermo(c, x);
            for (int64_t k = 0; k < n; k++) form_add_term(&f, gate_and_fused(c, flag, x->thermo[k]), 1);
        } else { /* nbits gates */
            val_bits(c, x);
            for (int k = 0; k < x->nbits; k++) form_add_term(&f, gate_and_fused(c, flag, x->bits[k]), (int64_t)1 << k);
        }
    }
    return val_form_in(c, &f, min64(0, x->lo), max64(0, x->hi));
}

/* x's code read with its top bit as a sign (two's complement of 2^(n-1)
 * above cx): x = cx + X' - 2^(n-1) s, X' = sum_(i < n-1) 2^i x_i, s = 1 -
 * x_(n-1), cx = lo + 2^(n-1). */
static int64_t signed_base(const Val *x) { return x->lo + ((int64_t)1 << (x->nbits - 1)); }

/* The product's adder reads nbits(x) nbits(y) ANDs either way, plus rows
 * of each operand's bits for every bit of the other's base: lo as is, or
 * cx when the top bits are read as signs (Baugh-Wooley: for lo = -2^(n-1)
 * no row at all). */
static bool signed_cheaper(const Val *x, const Val *y) {
    if (x->nbits < 2 || y->nbits < 2 || x->nbits + y->nbits > 62) return false; /* 2^(n+m-2) fits */
    int64_t plain = (int64_t)popcount_abs(x->lo) * y->nbits + (int64_t)popcount_abs(y->lo) * x->nbits;
    int64_t sgn = (int64_t)popcount_abs(signed_base(x)) * y->nbits + (int64_t)popcount_abs(signed_base(y)) * x->nbits;
    return sgn < plain;
}

/* f = x y with both top bits read as signs (docs/lowering.md "Bit taps"):
 * x = cx + u, u = X' - 2^(n-1) s_x, so x y = cx cy + cx (y - cy) + cy (x -
 * cx) + u v, and u v = sum 2^(i+j) x_i y_j - 2^(m-1) sum 2^i [x_i - y_top
 * >= 1] - 2^(n-1) sum 2^j [y_j - x_top >= 1] + 2^(n+m-2) [-x_top - y_top
 * >= 0]: n m gates, as the plain product. */
static void mul_signed(Circuit *c, const Val *x, const Val *y, Form *f) {
    int n = x->nbits, m = y->nbits;
    int64_t cx = signed_base(x), cy = signed_base(y);
    GateId xt = x->bits[n - 1], yt = y->bits[m - 1];
    form_init(f, -cx * cy);
    form_add(f, &y->form, cx);
    form_add(f, &x->form, cy);
    for (int i = 0; i < n - 1; i++)
        for (int j = 0; j < m - 1; j++) form_add_term(f, ir_and(c, x->bits[i], y->bits[j]), (int64_t)1 << (i + j));
    for (int i = 0; i < n - 1; i++)
        form_add_term(f, ir_thr2(c, x->bits[i], 1, yt, -1, 1), -((int64_t)1 << (i + m - 1)));
    for (int j = 0; j < m - 1; j++)
        form_add_term(f, ir_thr2(c, y->bits[j], 1, xt, -1, 1), -((int64_t)1 << (j + n - 1)));
    form_add_term(f, ir_thr2(c, xt, -1, yt, -1, 0), (int64_t)1 << (n + m - 2));
}

/* x*y = lx ly + lx w + ly u + u w with u = x - lx, w = y - ly; u w is a sum
 * of ANDs: of thermometer pairs (hx*hy gates, one level over the two
 * thermometers) when that is at most product_direct_max gates, else of bit
 * pairs (nbits(x)*nbits(y) gates, one level over the bits; with taps, by
 * mul_signed when its rows are fewer). */
Val val_mul(Circuit *c, Val *x, Val *y) {
    if (x->lo == x->hi) return val_lin(y, x->lo, NULL, 0, 0);
    if (y->lo == y->hi) return val_lin(x, y->lo, NULL, 0, 0);
    int64_t lx = x->lo, ly = y->lo, hx = x->hi - lx, hy = y->hi - ly;
    int64_t c1 = x->lo * y->lo, c2 = x->lo * y->hi, c3 = x->hi * y->lo, c4 = x->hi * y->hi;
    int64_t lo = min64(min64(c1, c2), min64(c3, c4)), hi = max64(max64(c1, c2), max64(c3, c4));
    Form f;
    form_init(&f, -lx * ly);
    form_add(&f, &y->form, lx); /* lx (ly + w) */
    form_add(&f, &x->form, ly); /* ly (lx + u) */
    if (hx * hy <= lower_opts.product_direct_max && !val_is_binary(x) && !val_is_binary(y)) {
        val_thermo(c, x);
        val_thermo(c, y);
        for (int64_t k = 0; k < hx; k++)
            for (int64_t m = 0; m < hy; m++) form_add_term(&f, ir_and(c, x->thermo[k], y->thermo[m]), 1);
    } else {
        val_bits(c, x);
        val_bits(c, y);
        if (lower_opts.bits_adder == BITS_ADDER_TAP && signed_cheaper(x, y)) {
            form_free(&f);
            mul_signed(c, x, y, &f);
        } else {
            for (int i = 0; i < x->nbits; i++)
                for (int j = 0; j < y->nbits; j++)
                    form_add_term(&f, ir_and(c, x->bits[i], y->bits[j]), (int64_t)1 << (i + j));
        }
    }
    return val_form_in(c, &f, lo, hi);
}

/* |a * b| + |c| < 2^60 */
static bool small_product(int64_t a, int64_t b, int64_t c) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r) || __builtin_add_overflow(r < 0 ? -r : r, c < 0 ? -c : c, &r)) return false;
    return r < ((int64_t)1 << 60);
}

/* floor(n/z) >= v <=> n - v z >= 0 when z > 0 (DESIGN.md 3.7).  When z may
 * be 0 (then n = 0 and q = 0) the gate for v >= 1 must be 0 there:
 * [K (n - v z) + z >= 1] with K = max(z) + 1 (0 at z = 0, [n - v z >= 0]
 * for z >= 1; no extra level) while K times the range of n - v z fits in
 * 60 bits; past that, [n - v z + B [z >= 1] >= B] with B = max(n - v z) + 1,
 * whose weights stay small ([z >= 1] reads z's terms: one level over them).
 * For v <= 0 the plain gate is already 1 at z = 0.  n and z are shared
 * sums, so each candidate stores two or three terms. */
Val val_div(Circuit *c, const Val *n, const Val *z, int64_t qlo, int64_t qhi) {
    if (z->lo < 0) BUG("division by a value that may be negative");
    GateId *t = xmalloc(sizeof *t * (size_t)(qhi - qlo ? qhi - qlo : 1));
    Form nf, zf;
    form_copy(&nf, &n->form);
    form_copy(&zf, &z->form);
    ir_form_share(c, &nf);
    ir_form_share(c, &zf);
    int64_t nlo, nhi, K = z->hi + 1;
    ir_form_bounds(c, &nf, &nlo, &nhi);
    int64_t nmag = max64(nhi, -nlo);
    GateId nz = GATE_CONST1; /* [z >= 1], built when first needed */
    for (int64_t v = qlo + 1; v <= qhi; v++) {
        Form f;
        if (z->lo >= 1 || v <= 0) {
            form_combine(&f, &nf, 1, &zf, -v);
            t[v - qlo - 1] = ir_thr(c, &f, 0);
        } else if (small_product(K, nmag, 0) && small_product(K * v, z->hi, K * nmag)) {
            form_combine(&f, &nf, K, &zf, 1 - v * K);
            t[v - qlo - 1] = ir_thr(c, &f, 1);
        } else {
            if (nz == GATE_CONST1) nz = z->thermo ? z->thermo[0] : ir_thr(c, &zf, 1);
            form_combine(&f, &nf, 1, &zf, -v);
            t[v - qlo - 1] = thr_and(c, &f, 0, nz);
        }
        form_free(&f);
    }
    form_free(&nf);
    form_free(&zf);
    return val_from_thermo(c, t, qlo, qhi);
}

static bool any_binary(const Val *xs, int n) {
    for (int j = 0; j < n; j++)
        if (val_is_binary(&xs[j])) return true;
    return false;
}

/* [max >= v] = OR_j [x_j >= v]: one gate per v in (max lo_j, max hi_j]. */
Val val_max(Circuit *c, Val *xs, int n) {
    if (any_binary(xs, n)) return val_max_bits(c, xs, n); /* binary.c: pairwise comparisons */
    int64_t lo = xs[0].lo, hi = xs[0].hi;
    for (int j = 1; j < n; j++) {
        lo = max64(lo, xs[j].lo);
        hi = max64(hi, xs[j].hi);
    }
    for (int j = 0; j < n; j++) val_thermo(c, &xs[j]);
    GateId *t = xmalloc(sizeof *t * (size_t)(hi - lo ? hi - lo : 1));
    for (int64_t v = lo + 1; v <= hi; v++) {
        Form f;
        form_init(&f, 0);
        for (int j = 0; j < n; j++) form_add_term(&f, val_ge(c, &xs[j], v), 1);
        t[v - lo - 1] = ir_thr(c, &f, 1);
        form_free(&f);
    }
    return val_from_thermo(c, t, lo, hi);
}

/* Fenwick-style prefix sums (docs/lowering.md "Prefix sums"): block sums
 * B[k][m] over [m 2^k, (m+1) 2^k) are sum nodes of the two halves (a binary
 * tree, nesting depth k), and P[i] adds the blocks of the binary
 * decomposition of i + 1: at most bitlen(n) terms.  O(n log n) wires in
 * all, where n separate prefix forms store O(n^2). */
void form_prefix_sums(Circuit *c, const Form *x, int n, Form *P) {
    if (n <= 0) return;
    int levels = 1;
    while (((int64_t)1 << levels) <= n) levels++;
    Form **B = xcalloc((size_t)levels, sizeof *B);
    for (int k = 0; k < levels; k++) {
        int nb = n >> k;
        B[k] = xcalloc((size_t)(nb ? nb : 1), sizeof *B[k]);
        for (int m = 0; m < nb; m++) {
            if (k == 0) {
                form_copy(&B[0][m], &x[m]);
                ir_form_prepare(c, &B[0][m]);
            } else {
                form_combine(&B[k][m], &B[k - 1][2 * m], 1, &B[k - 1][2 * m + 1], 1);
                ir_form_share_min(c, &B[k][m], 2);
            }
        }
    }
    for (int i = 0; i < n; i++) {
        form_init(&P[i], 0);
        int start = 0;
        for (int k = levels - 1; k >= 0; k--)
            if (((i + 1) >> k) & 1) {
                form_add(&P[i], &B[k][start >> k], 1);
                start += 1 << k;
            }
        ir_form_prepare(c, &P[i]);
    }
    for (int k = 0; k < levels; k++) {
        for (int m = 0; m < (n >> k); m++) form_free(&B[k][m]);
        free(B[k]);
    }
    free(B);
}

static int gate_index_cmp(const void *a, const void *b) {
    const GateId *x = a, *y = b; /* (gate, index) pairs */
    return x[0] != y[0] ? (x[0] > y[0]) - (x[0] < y[0]) : (x[1] > y[1]) - (x[1] < y[1]);
}

/* ties_j = [x_j - m >= 0]; flags_j = [j ties_j - P_(j-1) >= j] (flags_0 =
 * ties_0), P the shared prefix sums of the ties (form_prefix_sums): the
 * leftmost maximum.  A tie gate equal to an earlier one gives flag 0. */
void val_argmax(Circuit *c, Val *xs, int n, Val *m, GateId *flags, GateId *ties) {
    if (any_binary(xs, n)) { /* binary.c: the same flags from the pairwise comparisons, m unused */
        val_argmax_bits(c, xs, n, NULL, flags, ties);
        return;
    }
    GateId *tie = xmalloc(sizeof *tie * (size_t)n);
    ir_form_prepare(c, &m->form);
    for (int j = 0; j < n; j++) {
        Form f;
        ir_form_prepare(c, &xs[j].form);
        form_combine(&f, &xs[j].form, 1, &m->form, -1);
        tie[j] = ir_thr(c, &f, 0);
        form_free(&f);
    }
    GateId *pair = xmalloc(sizeof *pair * 2 * (size_t)n);
    for (int j = 0; j < n; j++) pair[2 * j] = tie[j], pair[2 * j + 1] = j;
    qsort(pair, (size_t)n, 2 * sizeof *pair, gate_index_cmp);
    bool *dup = xcalloc((size_t)n, sizeof *dup);
    for (int k = 1; k < n; k++)
        if (pair[2 * k] == pair[2 * k - 2]) dup[pair[2 * k + 1]] = true;
    Form *x = xcalloc((size_t)n, sizeof *x), *P = xcalloc((size_t)n, sizeof *P);
    for (int j = 0; j < n; j++) {
        form_init(&x[j], 0);
        form_add_term(&x[j], tie[j], 1);
    }
    form_prefix_sums(c, x, n - 1, P); /* P[j-1]: ties before j */
    for (int j = 0; j < n; j++) {
        Form f;
        form_init(&f, 0);
        form_add_term(&f, tie[j], j > 0 ? j : 1);
        if (j > 0) form_add(&f, &P[j - 1], -1);
        ir_form_share_min(c, &f, 3); /* fused ANDs then read one term (a sum node per AND otherwise) */
        flags[j] = dup[j] ? GATE_CONST0 : ir_thr(c, &f, j > 0 ? j : 1);
        form_free(&f);
        if (ties) ties[j] = tie[j];
    }
    for (int j = 0; j < n; j++) {
        form_free(&x[j]);
        form_free(&P[j]);
    }
    free(x);
    free(P);
    free(pair);
    free(dup);
    free(tie);
}
