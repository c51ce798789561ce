/*
 * binary.c - binary codes built without a thermometer (docs/lowering.md,
 * "Binary codes from adders"; DESIGN.md section 7).
 *
 * A value x = c + sum w_i g_i over 0/1 gates (sum nodes expanded; a
 * nested one of lower_opts.bits_split_terms or more terms is first put
 * into binary on its own and read through its bits) with
 * every reachable value in [lo, hi] has the offset-binary code of
 * u = x - lo in nb = bitlen(hi - lo) bits.  Since 0 <= u < 2^nb, only u
 * modulo 2^nb matters: each weight is taken as its residue in
 * (-2^(nb-1), 2^(nb-1)], a negative residue -a on g becomes a on the
 * complement 1 - g (the constant absorbs -a), so u = K + sum a_i l_i
 * (mod 2^nb) with a_i > 0, literals l_i = g_i or 1 - g_i, 0 <= K < 2^nb.
 * Three constructions of the bits:
 *   - one step (sum_bits): bit j of u is bit j of
 *     S_j = (K mod 2^(j+1)) + sum (a_i mod 2^(j+1)) l_i,
 *     bit_j = [S_j - 2^(j+1) Q_j >= 2^j] with Q_j = floor(S_j / 2^(j+1)) =
 *     sum_(m=1..M_j) [S_j >= m 2^(j+1)], M_j = floor(max S_j / 2^(j+1));
 *     M_j + 1 gates per bit, depth 2 over the literals (DESIGN.md 7's
 *     iterated addition with the carries folded into one gate);
 *   - a compressor tree (tree_bits): every literal goes to the columns of
 *     its weight's set bits; full adders (carry = [a + b + c >= 2], sum =
 *     [a + b + c - 2 carry >= 1], two gates, the three shallowest bits of
 *     a column first) reduce every column to two bits, then one step adds
 *     the two rows and K (at most 3 gates per bit);
 *   - blocks of G operands (block_bits): each block of G operands is summed
 *     to binary in one step, the block results are the next round's
 *     operands, until one block remains: depth 2 per round.
 *   - bit taps (tap_bits, BITS_ADDER_TAP, LUT targets): bit j of the
 *     value itself, one G_BIT node over its shared sum (ir_bit), no
 *     flattening: on a LUT fabric the adder's output bits are wires.
 * Requantization into binary (val_requant_bits) takes bits s.. of the
 * accumulator and folds the saturation into the last step's bit gates
 * (with taps, a 3-input gate over each tap).
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

/* A literal with a positive weight: gate g, or 1 - g when neg. */
typedef struct {
    GateId g;
    bool neg;
    int64_t w;
} WLit;

typedef struct {
    WLit *t;
    int n, cap;
} LitList;

static void lits_push(LitList *l, GateId g, bool neg, int64_t w) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->t = xrealloc(l->t, sizeof *l->t * (size_t)l->cap);
    }
    l->t[l->n++] = (WLit){g, neg, w};
}

static uint64_t mask_of(int nb) { return nb >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << nb) - 1; }

/* w modulo 2^nb as a residue in (-2^(nb-1), 2^(nb-1)] (nb in 1..62) */
static int64_t balanced(uint64_t w, int nb) {
    uint64_t r = w & mask_of(nb);
    return r > ((uint64_t)1 << (nb - 1)) ? (int64_t)r - ((int64_t)1 << nb) : (int64_t)r;
}

/* f = lo + sum_k 2^k bits[k]: the form of a binary code (f initialized here) */
static void bits_form(Form *f, int64_t lo, const GateId *bits, int nb) {
    form_init(f, lo);
    for (int k = 0; k < nb; k++) form_add_term(f, bits[k], (int64_t)1 << k);
}

/* ---- flattening: the form over 0/1 gates, weights modulo 2^nb ---- */

typedef struct {
    Term *t;
    int64_t n, cap, visited, max_visits;
    uint64_t k; /* constant */
} Flat;

static bool sum_node_bits(Circuit *c, GateId g, GateId **bits, int *nbits);

/* Adds w * node (w a residue mod 2^nb); false past max_visits.  A sum
 * node below the top (depth >= 1) of bits_split_terms or more terms is
 * summed to binary on its own (its bits shared by every reader) and read
 * through its bits; other sum nodes are expanded. */
static bool flat_add(Circuit *c, Flat *f, GateId g, int64_t w, int nb, int depth) {
    if (++f->visited > f->max_visits) return false;
    if (g == GATE_CONST0 || w == 0) return true;
    const Gate *G = &c->gates[g];
    if (G->kind == G_SUM && depth >= 1 && lower_opts.bits_split_terms > 0 &&
        G->n_in >= (uint32_t)lower_opts.bits_split_terms) {
        GateId *b;
        int n;
        int64_t lo = G->lo;
        if (!sum_node_bits(c, g, &b, &n)) return false;
        f->k += (uint64_t)w * (uint64_t)lo;
        bool ok = true;
        for (int i = 0; i < n && ok; i++) ok = flat_add(c, f, b[i], balanced((uint64_t)w << i, nb), nb, depth + 1);
        free(b);
        return ok;
    }
    if (G->kind == G_SUM) {
        for (uint32_t k = 0; k < c->gates[g].n_in; k++) {
            const Term *t = ir_terms(c, g) + k; /* the terms may move while building */
            if (!flat_add(c, f, t->src, balanced((uint64_t)w * (uint64_t)t->w, nb), nb, depth + 1)) return false;
        }
        return true;
    }
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 64;
        f->t = xrealloc(f->t, sizeof *f->t * (size_t)f->cap);
    }
    f->t[f->n++] = (Term){g, w};
    return true;
}

static int src_cmp(const void *a, const void *b) {
    GateId x = ((const Term *)a)->src, y = ((const Term *)b)->src;
    return (x > y) - (x < y);
}

/* (form + c0) mod 2^nb as K + sum a_i l_i with a_i in (0, 2^(nb-1)]:
 * fills lits and returns K, or returns false when the flattened form
 * would visit more than BITS_FLAT_MAX terms. */
static bool flatten_mod(Circuit *c, const Form *form, int64_t c0, int nb, LitList *lits, uint64_t *K) {
    Flat f = {.max_visits = BITS_FLAT_MAX};
    uint64_t k = (uint64_t)form->c + (uint64_t)c0;
    for (int i = 0; i < form->n; i++) {
        if (form->t[i].src == GATE_CONST1) {
            k += (uint64_t)form->t[i].w;
            continue;
        }
        if (!flat_add(c, &f, form->t[i].src, balanced((uint64_t)form->t[i].w, nb), nb, 0)) {
            free(f.t);
            return false;
        }
    }
    k += f.k;
    if (f.n > 1) qsort(f.t, (size_t)f.n, sizeof *f.t, src_cmp);
    for (int64_t i = 0; i < f.n;) {
        GateId g = f.t[i].src;
        uint64_t w = 0;
        for (; i < f.n && f.t[i].src == g; i++) w += (uint64_t)f.t[i].w;
        int64_t r = balanced(w, nb);
        if (g == GATE_CONST1) k += (uint64_t)r;
        else if (r > 0) lits_push(lits, g, false, r);
        else if (r < 0) {
            lits_push(lits, g, true, -r); /* r g = r + (-r)(1 - g) */
            k += (uint64_t)r;
        }
    }
    free(f.t);
    *K = k & mask_of(nb);
    return true;
}

/* ---- one step ---- */

/* f += w * l */
static void form_add_lit(Form *f, const WLit *l, int64_t w) {
    if (l->neg) {
        form_add_term(f, GATE_CONST1, w);
        form_add_term(f, l->g, -w);
    } else {
        form_add_term(f, l->g, w);
    }
}

static int64_t add_or_refuse(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_add_overflow(a, b, &r) || r > ((int64_t)1 << 62))
        ir_refuse(NULL, "binary code: a column sum would pass 2^62; lower p or the value ranges");
    return r;
}

/* Saturation folded into the last step: where hi is 1 the output is the
 * constant hi_bits, where ok is 0 it is 0 (never both). */
typedef struct {
    GateId hi, ok;
    uint64_t hi_bits;
} Clamp;

static const Clamp NO_CLAMP = {GATE_CONST0, GATE_CONST1, 0};

/* out[j - j0] = bit j of (K + sum a_i l_i) mod 2^nb for j in [j0, nb),
 * clamped: bit_j = [S_j - 2^(j+1) Q_j + B (+-hi) + B ok - B >= 2^j], B = 2^(j+1)
 * (S_j - 2^(j+1) Q_j lies in [0, B)).  M_j + 1 gates per bit, depth 1 +
 * the deepest literal for Q_j, 2 for the bit. */
static void sum_bits(Circuit *c, const WLit *t, int n, uint64_t K, int j0, int nb, const Clamp *cl, GateId *out) {
    for (int j = j0; j < nb; j++) {
        int64_t m = (int64_t)1 << j, B = 2 * m, smax = (int64_t)(K & (uint64_t)(B - 1));
        Form s;
        form_init(&s, smax);
        for (int i = 0; i < n; i++) {
            int64_t a = t[i].w & (B - 1);
            if (!a) continue;
            form_add_lit(&s, &t[i], a);
            smax = add_or_refuse(smax, a);
        }
        int64_t M = smax / B;
        if (M > 0) ir_form_share_min(c, &s, 2); /* M + 1 gates compare it */
        Form b;
        form_copy(&b, &s);
        for (int64_t q = 1; q <= M; q++) form_add_term(&b, ir_thr(c, &s, q * B), -B);
        bool one = (cl->hi_bits >> (j - j0)) & 1;
        form_add_term(&b, cl->hi, one ? B : -B);
        form_add_term(&b, cl->ok, B);
        form_add_term(&b, GATE_CONST1, -B);
        out[j - j0] = ir_thr(c, &b, m);
        form_free(&b);
        form_free(&s);
    }
}

/* ---- compressor tree ---- */

/* A column: a min-heap of literals by level (then id, for determinism). */
typedef struct {
    WLit *t;
    int n, cap;
} Heap;

static bool lit_before(const Circuit *c, const WLit *a, const WLit *b) {
    int32_t la = c->gates[a->g].level, lb = c->gates[b->g].level;
    if (la != lb) return la < lb;
    if (a->g != b->g) return a->g < b->g;
    return a->neg < b->neg;
}

static void heap_push(const Circuit *c, Heap *h, WLit l) {
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 16;
        h->t = xrealloc(h->t, sizeof *h->t * (size_t)h->cap);
    }
    int i = h->n++;
    while (i > 0 && lit_before(c, &l, &h->t[(i - 1) / 2])) {
        h->t[i] = h->t[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->t[i] = l;
}

static WLit heap_pop(const Circuit *c, Heap *h) {
    WLit top = h->t[0], last = h->t[--h->n];
    int i = 0;
    for (;;) {
        int k = 2 * i + 1;
        if (k >= h->n) break;
        if (k + 1 < h->n && lit_before(c, &h->t[k + 1], &h->t[k])) k++;
        if (!lit_before(c, &h->t[k], &last)) break;
        h->t[i] = h->t[k];
        i = k;
    }
    if (h->n) h->t[i] = last;
    return top;
}

static void tree_bits(Circuit *c, const WLit *t, int n, uint64_t K, int j0, int nb, const Clamp *cl, GateId *out) {
    Heap *col = xcalloc((size_t)nb, sizeof *col);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < nb; j++)
            if ((t[i].w >> j) & 1) heap_push(c, &col[j], (WLit){t[i].g, t[i].neg, 1});
    LitList rows = {0};
    for (int j = 0; j < nb; j++) {
        while (col[j].n > 2) { /* a full adder on the three shallowest bits */
            WLit a = heap_pop(c, &col[j]), b = heap_pop(c, &col[j]), d = heap_pop(c, &col[j]);
            Form s;
            form_init(&s, 0);
            form_add_lit(&s, &a, 1);
            form_add_lit(&s, &b, 1);
            form_add_lit(&s, &d, 1);
            GateId carry = ir_thr(c, &s, 2);
            form_add_term(&s, carry, -2);
            GateId sum = ir_thr(c, &s, 1);
            form_free(&s);
            heap_push(c, &col[j], (WLit){sum, false, 1});
            if (j + 1 < nb) heap_push(c, &col[j + 1], (WLit){carry, false, 1});
        }
        for (int i = 0; i < col[j].n; i++) lits_push(&rows, col[j].t[i].g, col[j].t[i].neg, (int64_t)1 << j);
        free(col[j].t);
    }
    free(col);
    sum_bits(c, rows.t, rows.n, K, j0, nb, cl, out); /* the two rows and K */
    free(rows.t);
}

/* ---- blocks of G operands ---- */

static void block_bits(Circuit *c, const WLit *t, int n, uint64_t K, int j0, int nb, int G, const Clamp *cl,
                       GateId *out) {
    /* operand k is lits[start[k] .. start[k+1]) */
    LitList lits = {0};
    int *start = xmalloc(sizeof *start * (size_t)(n + 1)), count = n;
    for (int i = 0; i < n; i++) {
        start[i] = i;
        lits_push(&lits, t[i].g, t[i].neg, t[i].w);
    }
    start[n] = n;
    GateId *bits = xmalloc(sizeof *bits * (size_t)nb);
    while (G >= 2 && count > G) {
        LitList next = {0};
        int nc = 0;
        for (int k = 0; k < count; k += G) {
            int e = k + G < count ? k + G : count;
            const WLit *bt = lits.t + start[k];
            int bn = start[e] - start[k];
            uint64_t smax = 0;
            for (int i = 0; i < bn; i++) smax += (uint64_t)bt[i].w;
            int bb = bit_length(smax) < nb ? bit_length(smax) : nb; /* the block's sum modulo 2^nb */
            sum_bits(c, bt, bn, 0, 0, bb, &NO_CLAMP, bits);
            start[nc++] = next.n;
            for (int i = 0; i < bb; i++) lits_push(&next, bits[i], false, (int64_t)1 << i);
        }
        start[nc] = next.n;
        free(lits.t);
        lits = next;
        count = nc;
    }
    sum_bits(c, lits.t, lits.n, K, j0, nb, cl, out);
    free(bits);
    free(start);
    free(lits.t);
}

/* ---- bit taps (LUT targets) ---- */

/* out[j - j0] = bit j of f's value for j in [j0, nb), as bit taps of one
 * adder (ir_bit), clamped as sum_bits: [tap + (+-2) hi + 2 ok - 2 >= 1],
 * a 3-input gate (the tap itself without a clamp). */
static void tap_bits(Circuit *c, const Form *f, int j0, int nb, const Clamp *cl, GateId *out) {
    for (int j = j0; j < nb; j++) {
        Form b;
        form_init(&b, -2);
        form_add_term(&b, ir_bit(c, f, j), 1);
        form_add_term(&b, cl->hi, (cl->hi_bits >> (j - j0)) & 1 ? 2 : -2);
        form_add_term(&b, cl->ok, 2);
        out[j - j0] = ir_thr(c, &b, 1);
        form_free(&b);
    }
}

static void bits_by(Circuit *c, BitsAdder how, const LitList *l, uint64_t K, int j0, int nb, const Clamp *cl,
                    GateId *out) {
    if (how == BITS_ADDER_TREE) tree_bits(c, l->t, l->n, K, j0, nb, cl, out);
    else block_bits(c, l->t, l->n, K, j0, nb, lower_opts.bits_block ? lower_opts.bits_block : l->n + 1, cl, out);
}

/* The offset-binary bits of sum node g (over [lo, hi] of the node). */
static bool sum_node_bits(Circuit *c, GateId g, GateId **bits, int *nbits) {
    Val v = {.lo = c->gates[g].lo, .hi = c->gates[g].hi};
    form_init(&v.form, 0);
    form_add_term(&v.form, g, 1);
    *nbits = bit_length(v.hi - v.lo);
    *bits = xmalloc(sizeof **bits * (size_t)(*nbits ? *nbits : 1));
    bool ok = val_bits_adder(c, &v, *bits);
    form_free(&v.form);
    if (!ok) free(*bits);
    return ok;
}

/* val_bits_adder by the construction `how` */
static bool form_bits(Circuit *c, const Val *x, BitsAdder how, GateId *bits) {
    int nb = bit_length(x->hi - x->lo);
    if (nb == 0) return true;
    if (how == BITS_ADDER_TAP) { /* the taps of x - lo's adder, no flattening */
        Form f;
        form_copy(&f, &x->form);
        f.c = add_or_refuse(f.c, -x->lo);
        tap_bits(c, &f, 0, nb, &NO_CLAMP, bits);
        form_free(&f);
        return true;
    }
    LitList l = {0};
    uint64_t K;
    if (!flatten_mod(c, &x->form, -x->lo, nb, &l, &K)) return false;
    bits_by(c, how, &l, K, 0, nb, &NO_CLAMP, bits);
    free(l.t);
    return true;
}

bool val_bits_adder(Circuit *c, const Val *x, GateId *bits) { return form_bits(c, x, lower_opts.bits_adder, bits); }

/* y = sat_p(res + floor((x + r)/2^s)) in [ylo, yhi]: with L = 2^s res + x +
 * r - ylo 2^s, y - ylo = clamp(floor(L / 2^s), 0, D), D = yhi - ylo: bits
 * s .. s + nbits(D) - 1 of L modulo 2^(s + nbits(D)), forced to D's bits
 * by [L >= (D + 1) 2^s] and to 0 by [L < 0] (a gate over L for each side
 * that x's and res's ranges let L reach, folded into the last step, or
 * into the gate over each bit tap). */
bool val_requant_bits(Circuit *c, const Val *x, const Val *res, int shift, int p, Val *y) {
    int64_t r = round_off(shift), d = (int64_t)1 << shift, ylo, yhi;
    requant_range(x, res, shift, p, &ylo, &yhi);
    int64_t D = yhi - ylo;
    int nbD = bit_length(D), nb = shift + nbD;
    if (nbD == 0 || nb > 62) return false;
    Form f;
    form_init(&f, r);
    form_add(&f, &x->form, 1);
    if (res) form_add(&f, &res->form, d);
    bool tap = lower_opts.bits_adder == BITS_ADDER_TAP;
    LitList l = {0};
    uint64_t K = 0;
    if (!tap && !flatten_mod(c, &f, -ylo * d, nb, &l, &K)) {
        form_free(&f);
        return false;
    }
    ir_form_share_min(c, &f, 2); /* the saturation gates and the taps read it */
    /* f's range from x's and res's, as requant_range takes it, not f's
     * bounds: a form over a code's bits reaches past the code's hi - lo */
    int64_t fmin = r + x->lo + (res ? res->lo * d : 0), fmax = r + x->hi + (res ? res->hi * d : 0);
    Clamp cl = {fmax < (yhi + 1) * d ? GATE_CONST0 : ir_thr(c, &f, (yhi + 1) * d),
                fmin >= ylo * d ? GATE_CONST1 : ir_thr(c, &f, ylo * d), (uint64_t)D};
    GateId *bits = xmalloc(sizeof *bits * (size_t)nbD);
    if (tap) { /* bits s .. of L = f - ylo 2^s, tapped from f's adder */
        f.c = add_or_refuse(f.c, -ylo * d);
        tap_bits(c, &f, shift, nb, &cl, bits);
    } else {
        bits_by(c, lower_opts.bits_adder, &l, K, shift, nb, &cl, bits);
    }
    form_free(&f);
    free(l.t);
    Form v;
    bits_form(&v, ylo, bits, nbD);
    *y = (Val){.lo = ylo, .hi = yhi, .form = v, .bits = bits, .nbits = nbD};
    ir_form_share(c, &y->form);
    return true;
}

/* ---- primitives over binary codes (docs/lowering.md, "Primitives over
 * binary codes"): a binary value stays binary, no thermometer of it ---- */

/* x's code form: lo + sum 2^k bits[k] (shared) when x has bits, else its
 * form; f is initialized here. */
void val_code_form(Circuit *c, const Val *x, Form *f) {
    if (x->bits && x->lo < x->hi) bits_form(f, x->lo, x->bits, x->nbits);
    else form_copy(f, &x->form);
    ir_form_share_min(c, f, 2);
}

/* The halves of x's code at bit s: H = sum 2^(k-s) bits[k] (k >= s), L =
 * sum 2^k bits[k] (k < s); x = lo + 2^s H + L.  Initialized here. */
static void code_halves(const Val *x, int s, Form *h, Form *l) {
    form_init(h, 0);
    form_init(l, 0);
    for (int k = 0; k < x->nbits; k++) {
        if (k < s) form_add_term(l, x->bits[k], (int64_t)1 << k);
        else form_add_term(h, x->bits[k], (int64_t)1 << (k - s));
    }
}

/* [x >= t] for a binary x whose code form is fx (val_code_form).  With
 * bit taps on (LUT targets) and 6 or more bits, split at s = nbits / 2: u
 * = t - lo, H and L the code's high and low bits, A = [H >= (u >> s) + 1],
 * E = [H >= u >> s], G = [L >= u mod 2^s]: [x >= t] = [2A + E + G >= 2]
 * (A implies E).  The A, E and G gates are comparators of half the bits,
 * shared by every threshold of x (structural hashing), so a table's
 * comparators cost one 3-input gate each instead of one of all the bits. */
GateId val_code_ge(Circuit *c, const Val *x, const Form *fx, int64_t t) {
    int nb = x->nbits;
    int64_t u = t - x->lo;
    if (lower_opts.bits_adder != BITS_ADDER_TAP || !val_is_binary(x) || nb < 6 || u <= 0 || u > x->hi - x->lo)
        return ir_thr(c, fx, t);
    int s = nb / 2;
    Form h, l;
    code_halves(x, s, &h, &l);
    int64_t uh = u >> s, ul = u & (((int64_t)1 << s) - 1);
    GateId e = ir_thr(c, &h, uh), g;
    if (ul == 0) {
        g = e; /* [H >= uh] alone */
    } else {
        Form m;
        form_init(&m, 0);
        form_add_term(&m, ir_thr(c, &h, uh + 1), 2);
        form_add_term(&m, e, 1);
        form_add_term(&m, ir_thr(c, &l, ul), 1);
        g = ir_thr(c, &m, 2);
        form_free(&m);
    }
    form_free(&h);
    form_free(&l);
    return g;
}

/* A 0/1 table over x's values: bit b of t[v - pmin(p)] - base (a 0/1
 * table itself: base 0, b 0; bit b of a table's entries less their least). */
typedef struct {
    const int64_t *t;
    int64_t base;
    int b, p;
} BitRow;

/* The row's entry at code u of x (u = x - lo; past hi - lo, where no value
 * lies, the last reachable entry). */
static bool bit_at(const Val *x, const BitRow *r, int64_t u) {
    return (r->t[x->lo + min64(u, x->hi - x->lo) - pmin(r->p)] - r->base) >> r->b & 1;
}

/* The kind of block hb, codes hb 2^s .. hb 2^s + 2^s - 1: 0 all zero, 1
 * all one, 2 mixed. */
static int block_kind(const Val *x, const BitRow *r, int s, int64_t hb) {
    int64_t u0 = hb << s;
    for (int64_t u = u0 + 1; u < u0 + ((int64_t)1 << s); u++)
        if (bit_at(x, r, u) != bit_at(x, r, u0)) return 2;
    return bit_at(x, r, u0);
}

/* [H = hb] AND g(L): g the block's entries as a function of L (one gate
 * over L's comparators, alternating at its change points). */
static GateId block_term(Circuit *c, const Val *x, const BitRow *r, int s, int64_t hb, const Form *l) {
    int nb = x->nbits;
    Form d, g;
    form_init(&d, 0);
    for (int b = s; b < nb; b++) form_add_term(&d, x->bits[b], (hb >> (b - s) & 1) ? 1 : -1);
    GateId eq = ir_thr(c, &d, popcount_abs(hb));
    int64_t u0 = hb << s;
    form_init(&g, bit_at(x, r, u0));
    for (int64_t v = 1; v < ((int64_t)1 << s); v++) {
        int step = bit_at(x, r, u0 + v) - bit_at(x, r, u0 + v - 1);
        if (step) form_add_term(&g, ir_thr(c, l, v), step);
    }
    GateId res = ir_and(c, eq, ir_thr(c, &g, 1));
    form_free(&d);
    form_free(&g);
    return res;
}

/* The LUTs, roughly, of the row over x (binary, nb >= 6): by its change
 * points (a 3-input gate each, val_code_ge, and their adder: 3 per change
 * point; 1 for a single one) or by blocks (2 per mixed block, 1 per run of
 * all-one blocks, and the OR's adder over the terms); *blocks: the blocks
 * are cheaper.  kind (hlast + 1 entries) receives the blocks' kinds. */
static int64_t bit_cost(const Val *x, const BitRow *r, int s, int *kind, bool *blocks) {
    int64_t span = x->hi - x->lo, hlast = span >> s, changes = 0, mixed = 0, runs = 0;
    for (int64_t u = 1; u <= span; u++) changes += bit_at(x, r, u) != bit_at(x, r, u - 1);
    for (int64_t hb = 0; hb <= hlast; hb++) {
        kind[hb] = block_kind(x, r, s, hb);
        mixed += kind[hb] == 2;
        runs += kind[hb] == 1 && (hb == 0 || kind[hb - 1] != 1);
    }
    int64_t terms = mixed + 2 * runs, by_blocks = 2 * mixed + runs + (terms > 1 ? terms : 0);
    int64_t by_changes = changes <= 1 ? changes : 3 * changes;
    *blocks = by_blocks < by_changes;
    return *blocks ? by_blocks : by_changes;
}

/* The row by blocks (kind from bit_cost). */
static GateId bit_by_blocks(Circuit *c, const Val *x, const BitRow *r, int s, const int *kind) {
    int64_t hlast = (x->hi - x->lo) >> s;
    Form h, l, any;
    code_halves(x, s, &h, &l);
    form_init(&any, 0);
    for (int64_t hb = 0; hb <= hlast; hb++) {
        if (kind[hb] == 2) {
            form_add_term(&any, block_term(c, x, r, s, hb, &l), 1);
        } else if (kind[hb] == 1 && (hb == 0 || kind[hb - 1] != 1)) {
            /* a run of all-one blocks hb .. he: [H >= hb] - [H >= he + 1] */
            int64_t he = hb;
            while (he < hlast && kind[he + 1] == 1) he++;
            form_add_term(&any, ir_thr(c, &h, hb), 1);
            if (he < hlast) form_add_term(&any, ir_thr(c, &h, he + 1), -1);
        }
    }
    /* the terms are disjoint (one value of H each), so their sum is the entry */
    GateId g = ir_thr(c, &any, 1);
    form_free(&any);
    form_free(&h);
    form_free(&l);
    return g;
}

/* The row by its change points: [t(lo) + sum +-[x >= t_k] >= 1]. */
static GateId bit_by_changes(Circuit *c, const Val *x, const BitRow *r) {
    Form fx, f;
    val_code_form(c, x, &fx);
    form_init(&f, bit_at(x, r, 0));
    for (int64_t u = 1; u <= x->hi - x->lo; u++) {
        int step = bit_at(x, r, u) - bit_at(x, r, u - 1);
        if (step) form_add_term(&f, val_code_ge(c, x, &fx, x->lo + u), step);
    }
    GateId g = ir_thr(c, &f, 1);
    form_free(&f);
    form_free(&fx);
    return g;
}

static bool blocks_apply(const Val *x) {
    return lower_opts.bits_adder == BITS_ADDER_TAP && val_is_binary(x) && x->nbits >= 6;
}

bool val_table_blocks(Circuit *c, const Val *x, const int64_t *t, int p, Val *y) {
    if (!blocks_apply(x)) return false;
    int s = x->nbits / 2;
    int64_t span = x->hi - x->lo, olo = INT64_MAX, ohi = INT64_MIN, changes = 0;
    for (int64_t u = 0; u <= span; u++) {
        int64_t v = t[x->lo + u - pmin(p)];
        olo = min64(olo, v);
        ohi = max64(ohi, v);
        changes += u > 0 && v != t[x->lo + u - 1 - pmin(p)];
    }
    if (ohi == olo) return false;
    int nbo = bit_length(ohi - olo);
    size_t nblk = (size_t)(span >> s) + 1;
    int *kind = xmalloc(sizeof *kind * (size_t)nbo * nblk);
    bool *blocks = xmalloc(sizeof *blocks * (size_t)nbo);
    int64_t cost = 0;
    for (int b = 0; b < nbo; b++) cost += bit_cost(x, &(BitRow){t, olo, b, p}, s, kind + (size_t)b * nblk, &blocks[b]);
    /* the table as a form reads 1 gate per change point, and so does each
     * reader's adder: taken in bits when those cost less; a 0/1 table (one
     * bit, read by one gate [y >= 1]) when its blocks are cheaper */
    bool take = nbo == 1 ? blocks[0] : cost < 2 * changes;
    if (take) {
        GateId *bits = xmalloc(sizeof *bits * (size_t)nbo);
        for (int b = 0; b < nbo; b++) {
            BitRow r = {t, olo, b, p};
            bits[b] = blocks[b] ? bit_by_blocks(c, x, &r, s, kind + (size_t)b * nblk) : bit_by_changes(c, x, &r);
        }
        Form v;
        bits_form(&v, olo, bits, nbo);
        *y = (Val){.lo = olo, .hi = ohi, .form = v, .bits = bits, .nbits = nbo};
        ir_form_share(c, &y->form);
    }
    free(kind);
    free(blocks);
    return take;
}

GateId val_ge_val(Circuit *c, const Val *x, const Val *y) {
    if (x->lo >= y->hi) return GATE_CONST1;
    if (x->hi < y->lo) return GATE_CONST0;
    Form fx, fy, f;
    val_code_form(c, x, &fx);
    val_code_form(c, y, &fy);
    form_combine(&f, &fx, 1, &fy, -1);
    GateId g = ir_thr(c, &f, 0);
    form_free(&f);
    form_free(&fx);
    form_free(&fy);
    return g;
}

/* A 0/1 value given as a form (at most one of its terms is 1) as one node:
 * the term itself, or the shared sum node of the terms (no gate, no
 * level); [f >= 1] (an OR gate) only where the terms do not have weight 1. */
static GateId form_as_node(Circuit *c, Form *f) {
    ir_form_share_min(c, f, 2);
    if (f->n == 0) return f->c ? GATE_CONST1 : GATE_CONST0;
    if (f->n == 1 && f->c == 0 && f->t[0].w == 1) return f->t[0].src;
    return ir_thr(c, f, 1);
}

void val_argmax_bits(Circuit *c, Val *xs, int n, Val *m, GateId *flags, GateId *ties) {
    /* cmp[j n + k] = [x_j >= x_k] for j < k (ties: also for j > k) */
    GateId *cmp = xmalloc(sizeof *cmp * (size_t)n * (size_t)n);
    for (int j = 0; j < n; j++)
        for (int k = j + 1; k < n; k++) {
            cmp[j * n + k] = val_ge_val(c, &xs[j], &xs[k]);
            if (ties) cmp[k * n + j] = val_ge_val(c, &xs[k], &xs[j]);
        }
    GateId *flag = flags ? flags : xmalloc(sizeof *flag * (size_t)n);
    for (int j = 0; j < n; j++) { /* x_j > x_k for k < j, x_j >= x_k for k > j */
        Form f;
        form_init(&f, 0);
        for (int k = 0; k < n; k++) {
            if (k < j) {
                form_add_term(&f, GATE_CONST1, 1);
                form_add_term(&f, cmp[k * n + j], -1);
            } else if (k > j) {
                form_add_term(&f, cmp[j * n + k], 1);
            }
        }
        ir_form_share_min(c, &f, 3); /* the fused ANDs then read one term */
        flag[j] = n == 1 ? GATE_CONST1 : ir_thr(c, &f, n - 1);
        form_free(&f);
        if (ties) {
            form_init(&f, 0);
            for (int k = 0; k < n; k++)
                if (k != j) form_add_term(&f, cmp[j * n + k], 1);
            ties[j] = n == 1 ? GATE_CONST1 : ir_thr(c, &f, n - 1);
            form_free(&f);
        }
    }
    free(cmp);
    if (m) {
        int64_t lo = xs[0].lo, hi = xs[0].hi;
        bool same_lo = true;
        for (int j = 1; j < n; j++) {
            same_lo = same_lo && xs[j].lo == lo;
            lo = max64(lo, xs[j].lo);
            hi = max64(hi, xs[j].hi);
        }
        for (int j = 0; j < n; j++) val_bits(c, &xs[j]); /* from a thermometer where one has none */
        int nb = bit_length(hi - lo);
        Form v;
        form_init(&v, same_lo ? lo : 0);
        for (int j = 0; !same_lo && j < n; j++) form_add_term(&v, flag[j], xs[j].lo); /* lo of the one flagged */
        GateId *bits = same_lo ? xmalloc(sizeof *bits * (size_t)(nb ? nb : 1)) : NULL;
        for (int i = 0; i < nb; i++) { /* bit i of the max: sum_j AND(f_j, bit_ji), one of them 1 at most */
            Form s;
            form_init(&s, 0);
            for (int j = 0; j < n; j++)
                if (i < xs[j].nbits) form_add_term(&s, gate_and_fused(c, flag[j], xs[j].bits[i]), 1);
            if (same_lo) {
                bits[i] = form_as_node(c, &s);
                form_add_term(&v, bits[i], (int64_t)1 << i);
            } else {
                form_add(&v, &s, (int64_t)1 << i);
            }
            form_free(&s);
        }
        *m = val_form_in(c, &v, lo, hi);
        if (same_lo && m->lo < m->hi) {
            m->bits = bits;
            m->nbits = nb;
        } else {
            free(bits);
        }
    }
    if (!flags) free(flag);
}

Val val_max_bits(Circuit *c, Val *xs, int n) {
    Val m;
    val_argmax_bits(c, xs, n, &m, NULL, NULL);
    return m;
}

/* The candidates of val_div, then the quotient's bits by the alternating
 * sums over them (val_bits); the result keeps the bits only. */
Val val_div_bits(Circuit *c, const Val *n, const Val *z, int64_t qlo, int64_t qhi) {
    Val q = val_div(c, n, z, qlo, qhi);
    if (q.lo == q.hi) return q;
    val_bits(c, &q);
    free(q.thermo);
    q.thermo = NULL;
    form_free(&q.form);
    bits_form(&q.form, q.lo, q.bits, q.nbits);
    ir_form_share(c, &q.form);
    return q;
}

/* floor(n/z) by restoring division (docs/lowering.md "Restoring division"):
 * with Q = qhi - qlo, nb = bitlen(Q) and Z's offset-binary bits z_b from a
 * compressor tree (Z = zlo + sum 2^b z_b), the remainder R starts at
 * n - qlo Z (in [0, 2^nb Z) when z > 0) and for k = nb-1 .. 0
 *   q_k = [R - 2^k Z >= 0],   R <- R - 2^k (zlo q_k + sum_b 2^b AND(q_k, z_b)),
 * each R a sum node over the previous one: a subtract-and-compare per
 * quotient bit instead of a comparator per candidate.  When z may be 0 (then
 * n = 0), q_k = [R - 2^k Z + B [Z >= 1] >= B] is 0 there and the result is
 * qlo [Z >= 1] + sum 2^k q_k, which is 0.  Falls back to val_div for a
 * constant divisor, a quotient of fewer than 3 values or a Z too wide to
 * flatten. */
Val val_div_restoring(Circuit *c, const Val *n, const Val *z, int64_t qlo, int64_t qhi) {
    if (z->lo < 0) BUG("division by a value that may be negative");
    int64_t Q = qhi - qlo;
    int zb = bit_length(z->hi - z->lo), nb = bit_length(Q);
    if (Q < 2 || zb == 0 || nb + bit_length(z->hi) > 60) return val_div(c, n, z, qlo, qhi);
    GateId *zbits = xmalloc(sizeof *zbits * (size_t)zb);
    /* Z's bits: taps of its adder where taps are on (LUT targets), else a tree */
    if (!form_bits(c, z, lower_opts.bits_adder == BITS_ADDER_TAP ? BITS_ADDER_TAP : BITS_ADDER_TREE, zbits)) {
        free(zbits);
        return val_div(c, n, z, qlo, qhi);
    }
    Form r, zf;
    form_combine(&r, &n->form, 1, &z->form, -qlo);
    ir_form_share(c, &r);
    form_copy(&zf, &z->form);
    ir_form_share(c, &zf);
    GateId nz = z->lo >= 1 ? GATE_CONST1 : ir_thr(c, &zf, 1); /* [Z >= 1] */
    GateId *q = xmalloc(sizeof *q * (size_t)nb);
    for (int k = nb - 1; k >= 0; k--) {
        Form d;
        form_combine(&d, &r, 1, &zf, -((int64_t)1 << k));
        q[k] = nz == GATE_CONST1 ? ir_thr(c, &d, 0) : thr_and(c, &d, 0, nz);
        form_free(&d);
        if (k == 0 || q[k] == GATE_CONST0) continue;
        form_add_term(&r, q[k], -(z->lo << k));
        for (int b = 0; b < zb; b++) form_add_term(&r, ir_and(c, q[k], zbits[b]), -((int64_t)1 << (k + b)));
        ir_form_share(c, &r);
    }
    form_free(&r);
    form_free(&zf);
    free(zbits);
    Val out;
    if (nz == GATE_CONST1) {
        Form f;
        bits_form(&f, qlo, q, nb);
        out = val_form_in(c, &f, qlo, qhi);
        if (out.lo == qlo && out.lo < out.hi) {
            out.bits = q;
            out.nbits = nb;
            return out;
        }
    } else {
        Form f;
        bits_form(&f, 0, q, nb);
        form_add_term(&f, nz, qlo);
        out = val_form_in(c, &f, min64(qlo, 0), max64(qhi, 0));
    }
    free(q);
    return out;
}
