/*
 * select.c - the tournament argmax (docs/lowering.md "Tournament argmax",
 * docs/numerics.md 4.3): the leftmost maximum of n values by a balanced
 * tree of pairwise comparisons, the log-depth alternative to val_max +
 * val_argmax (lower.c).  n - 1 comparisons; ceil(log2 n) rounds, each one
 * threshold level; the flags one level above the last round.
 *
 * Vocabulary: an entry is a contiguous run of positions with its winner
 * (leftmost maximum); a match joins two adjacent entries a (earlier) and b:
 * ge = [x_a - x_b >= 0] keeps a.  The winner's value max(x_a, x_b) is
 * carried as its thermometer, [x_a >= v] OR [x_b >= v]: one gate per v at
 * the comparison's level, so a round costs one level.  Position j's flag is the AND of its matches'
 * outcomes: [sum over its matches of (ge if j was in a, 1 - ge if in b)
 * >= its number of matches].
 *
 * select_tournament_values carries the winner position's values (the
 * payload) through the same matches instead of flags: at each match every
 * payload level is ge ? a : b, two gates at one level (payload_mux), so
 * hard attention needs no flags and no wide sum over positions after the
 * last round (the form a LUT fabric maps best; docs/lowering.md).
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

/* A payload (select_tournament_values): one value of an entry's winner
 * position, as its thermometer levels L[v - lo - 1] = [value >= v], each a
 * 0/1 form of at most two terms. */
typedef struct {
    int64_t lo, hi;
    Form *L;
} Payload;

typedef struct {
    int first, last; /* positions [first, last) */
    int64_t lo, hi;  /* the winner's value range */
    Form val;        /* the winner's value */
    GateId *T;       /* T[k] = [winner >= lo + 1 + k] */
    Payload *pay;    /* NULL, or the winner position's dv payload values */
} Entry;

static void payload_free(Payload *p) {
    for (int64_t v = 0; v < p->hi - p->lo; v++) form_free(&p->L[v]);
    free(p->L);
}

static void entry_free(Entry *e, int dv) {
    form_free(&e->val);
    free(e->T);
    for (int k = 0; e->pay && k < dv; k++) payload_free(&e->pay[k]);
    free(e->pay);
    memset(e, 0, sizeof *e);
}

/* [x >= v] of an entry (constants outside its range). */
static GateId entry_ge(const Entry *e, int64_t v) {
    if (v <= e->lo) return GATE_CONST1;
    if (v > e->hi) return GATE_CONST0;
    return e->T[v - e->lo - 1];
}

/* The winner of a (earlier) against b; ge = [x_a >= x_b].  With keep, the
 * winner's value is built (not for the final): max(x_a, x_b), whose
 * thermometer is [x_a >= v] OR [x_b >= v], one gate per v. */
static Entry match(Circuit *c, Entry *a, Entry *b, GateId *ge, bool keep) {
    Form D;
    form_combine(&D, &a->val, 1, &b->val, -1);
    *ge = ir_thr(c, &D, 0);
    form_free(&D);
    Entry w = {.first = a->first, .last = b->last, .lo = max64(a->lo, b->lo), .hi = max64(a->hi, b->hi)};
    form_init(&w.val, w.lo);
    if (keep && w.hi > w.lo) {
        w.T = xmalloc(sizeof *w.T * (size_t)(w.hi - w.lo));
        for (int64_t v = w.lo + 1; v <= w.hi; v++) {
            w.T[v - w.lo - 1] = ir_or(c, entry_ge(a, v), entry_ge(b, v));
            form_add_term(&w.val, w.T[v - w.lo - 1], 1);
        }
        ir_form_share_min(c, &w.val, 2);
    }
    return w;
}

/* [payload >= v] of p as a new form (constants outside its range). */
static void payload_level(const Payload *p, int64_t v, Form *f) {
    if (v <= p->lo || v > p->hi) form_init(f, v <= p->lo);
    else form_copy(f, &p->L[v - p->lo - 1]);
}

/* The winner's payload: ge ? a : b, level by level: [ge + A_v >= 2] +
 * [B_v - ge >= 1], two gates at one level over ge and the levels (the two
 * are never both 1, so their sum is the level, a form). */
static Payload payload_mux(Circuit *c, GateId ge, const Payload *a, const Payload *b) {
    Payload w = {.lo = min64(a->lo, b->lo), .hi = max64(a->hi, b->hi)};
    w.L = xcalloc((size_t)(w.hi > w.lo ? w.hi - w.lo : 1), sizeof *w.L);
    for (int64_t v = w.lo + 1; v <= w.hi; v++) {
        Form fa, fb;
        payload_level(a, v, &fa);
        payload_level(b, v, &fb);
        form_add_term(&fa, ge, 1);
        form_add_term(&fb, ge, -1);
        Form *L = &w.L[v - w.lo - 1];
        form_init(L, 0);
        form_add_term(L, ir_thr(c, &fa, 2), 1);
        form_add_term(L, ir_thr(c, &fb, 1), 1);
        form_canon(L);
        form_free(&fa);
        form_free(&fb);
    }
    return w;
}

static void tournament(Circuit *c, Val *xs, int n, GateId *flags, Val *vals, int dv, Val *out);

void select_tournament(Circuit *c, Val *xs, int n, GateId *flags) { tournament(c, xs, n, flags, NULL, 0, NULL); }

void select_tournament_values(Circuit *c, Val *xs, int n, Val *vals, int dv, Val *out) {
    tournament(c, xs, n, NULL, vals, dv, out);
}

/* Both: flags (when flags != NULL), and the winner's dv values carried
 * along (when vals != NULL; vals[j * dv + k] is value k of position j). */
static void tournament(Circuit *c, Val *xs, int n, GateId *flags, Val *vals, int dv, Val *out) {
    Entry *e = xcalloc((size_t)n, sizeof *e);
    Form *win = xcalloc((size_t)n, sizeof *win);
    int *rounds = xcalloc((size_t)n, sizeof *rounds);
    for (int j = 0; j < n; j++) {
        Val *x = &xs[j];
        val_thermo(c, x);
        ir_form_prepare(c, &x->form);
        e[j] = (Entry){.first = j, .last = j + 1, .lo = x->lo, .hi = x->hi};
        form_copy(&e[j].val, &x->form);
        e[j].T = xmalloc(sizeof *e[j].T * (size_t)(x->hi > x->lo ? x->hi - x->lo : 1));
        for (int64_t k = 0; k < x->hi - x->lo; k++) e[j].T[k] = x->thermo[k];
        form_init(&win[j], 0);
        if (vals) {
            e[j].pay = xcalloc((size_t)dv, sizeof *e[j].pay);
            for (int k = 0; k < dv; k++) {
                Val *y = &vals[j * dv + k];
                val_thermo(c, y);
                Payload *P = &e[j].pay[k];
                *P = (Payload){.lo = y->lo, .hi = y->hi};
                P->L = xcalloc((size_t)(y->hi > y->lo ? y->hi - y->lo : 1), sizeof *P->L);
                for (int64_t v = 0; v < y->hi - y->lo; v++) {
                    form_init(&P->L[v], 0);
                    form_add_term(&P->L[v], y->thermo[v], 1);
                }
            }
        }
    }
    for (int m = n; m > 1;) {
        int next = 0;
        for (int t = 0; t + 1 < m; t += 2) {
            GateId ge;
            Entry w = match(c, &e[t], &e[t + 1], &ge, m > 2);
            if (vals) {
                w.pay = xcalloc((size_t)dv, sizeof *w.pay);
                for (int k = 0; k < dv; k++) w.pay[k] = payload_mux(c, ge, &e[t].pay[k], &e[t + 1].pay[k]);
            }
            for (int j = e[t].first; j < e[t].last; j++) form_add_term(&win[j], ge, 1), rounds[j]++;
            for (int j = e[t + 1].first; j < e[t + 1].last; j++) {
                win[j].c += 1;
                form_add_term(&win[j], ge, -1);
                rounds[j]++;
            }
            entry_free(&e[t], dv);
            entry_free(&e[t + 1], dv);
            e[next++] = w;
        }
        if (m % 2) e[next++] = e[m - 1]; /* a bye */
        m = next;
    }
    for (int j = 0; j < n; j++) {
        if (flags) flags[j] = rounds[j] ? ir_thr(c, &win[j], rounds[j]) : GATE_CONST1;
        form_free(&win[j]);
    }
    for (int k = 0; vals && k < dv; k++) { /* the final winner's values */
        const Payload *P = &e[0].pay[k];
        Form f;
        form_init(&f, P->lo);
        for (int64_t v = 0; v < P->hi - P->lo; v++) form_add(&f, &P->L[v], 1);
        out[k] = val_form_in(c, &f, P->lo, P->hi);
    }
    entry_free(&e[0], dv);
    free(e);
    free(win);
    free(rounds);
}
