/*
 * select.c - the tournament argmax (docs/lowering.md "Tournament argmax",
 * docs/numerics.md 4.3): the leftmost maximum of n values by a balanced
 * tree of pairwise comparisons, the log-depth alternative to val_max +
 * val_argmax (lower.c).  n - 1 comparisons; ceil(log2 n) rounds, each one
 * threshold level; the flags one level above the last round.
 *
 * Vocabulary: an entry is a contiguous run of positions with its winner
 * (leftmost maximum); a match joins two adjacent entries a (earlier) and b:
 * ge = [x_a - x_b >= 0] keeps a.  The winner's thermometer is carried as
 * forms T(v) = AND(ge, [x_a >= v]) + AND(lt, [x_b >= v]), each AND fused
 * into the comparison (one gate over x_a, x_b and the operand's T), so a
 * round costs one level.  Position j's flag is the AND of its matches'
 * outcomes: [sum over its matches of (ge if j was in a, 1 - ge if in b)
 * >= its number of matches].
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int first, last;  /* positions [first, last) */
    int64_t lo, hi;   /* the winner's value range */
    Form val;         /* the winner's value */
    Form *T;          /* T[k] = [winner >= lo + 1 + k] as a 0/1 form */
} Entry;

static void entry_free(Entry *e) {
    form_free(&e->val);
    for (int64_t k = 0; e->T && k < e->hi - e->lo; k++) form_free(&e->T[k]);
    free(e->T);
    memset(e, 0, sizeof *e);
}

/* [x >= v] of an entry as a form (constants outside its range). */
static void entry_ge(const Entry *e, int64_t v, Form *f) {
    if (v <= e->lo) form_init(f, 1);
    else if (v > e->hi) form_init(f, 0);
    else form_copy(f, &e->T[v - e->lo - 1]);
}

/* [s D + B T >= t + B] with B = max(s D) - t + 1: [s D >= t] AND T for a
 * 0/1 form T, one gate over D's and T's terms (lower.c's fused AND). */
static GateId fused(Circuit *c, const Form *D, int64_t s, int64_t t, const Form *T) {
    if (T->n == 0) {
        if (T->c == 0) return GATE_CONST0;
        Form f;
        form_init(&f, 0);
        form_add(&f, D, s);
        GateId g = ir_thr(c, &f, t);
        form_free(&f);
        return g;
    }
    Form f;
    form_init(&f, 0);
    form_add(&f, D, s);
    int64_t lo, hi;
    ir_form_prepare(c, &f);
    ir_form_bounds(c, &f, &lo, &hi);
    int64_t B = hi - t + 1;
    if (B < 1) B = 1;
    form_add(&f, T, B);
    GateId g = ir_thr(c, &f, t + B);
    form_free(&f);
    return g;
}

/* The winner of a (earlier) against b; ge = [x_a >= x_b].  With keep, the
 * winner's thermometer forms are built (not for the final). */
static Entry match(Circuit *c, Entry *a, Entry *b, GateId *ge, bool keep) {
    Form D;
    form_combine(&D, &a->val, 1, &b->val, -1);
    Form one;
    form_init(&one, 1);
    *ge = fused(c, &D, 1, 0, &one);
    form_free(&one);
    Entry w = {.first = a->first, .last = b->last, .lo = max64(a->lo, b->lo), .hi = max64(a->hi, b->hi)};
    form_init(&w.val, w.lo);
    if (keep && w.hi > w.lo) {
        w.T = xcalloc((size_t)(w.hi - w.lo), sizeof *w.T);
        for (int64_t v = w.lo + 1; v <= w.hi; v++) {
            Form ta, tb, *T = &w.T[v - w.lo - 1];
            entry_ge(a, v, &ta);
            entry_ge(b, v, &tb);
            form_init(T, 0);
            form_add_term(T, fused(c, &D, 1, 0, &ta), 1);  /* x_a >= x_b and x_a >= v */
            form_add_term(T, fused(c, &D, -1, 1, &tb), 1); /* x_b > x_a and x_b >= v */
            ir_form_share_min(c, T, 2);
            form_add(&w.val, T, 1);
            form_free(&ta);
            form_free(&tb);
        }
        ir_form_share_min(c, &w.val, 2);
    }
    form_free(&D);
    return w;
}

void select_tournament(Circuit *c, Val *xs, int n, GateId *flags) {
    Entry *e = xcalloc((size_t)n, sizeof *e);
    Form *win = xcalloc((size_t)n, sizeof *win);
    int *rounds = xcalloc((size_t)n, sizeof *rounds);
    for (int j = 0; j < n; j++) {
        Val *x = &xs[j];
        val_thermo(c, x);
        ir_form_prepare(c, &x->form);
        e[j] = (Entry){.first = j, .last = j + 1, .lo = x->lo, .hi = x->hi};
        form_copy(&e[j].val, &x->form);
        if (x->hi > x->lo) e[j].T = xcalloc((size_t)(x->hi - x->lo), sizeof *e[j].T);
        for (int64_t k = 0; k < x->hi - x->lo; k++) {
            form_init(&e[j].T[k], 0);
            form_add_term(&e[j].T[k], x->thermo[k], 1);
        }
        form_init(&win[j], 0);
    }
    for (int m = n; m > 1;) {
        int next = 0;
        for (int t = 0; t + 1 < m; t += 2) {
            GateId ge;
            Entry w = match(c, &e[t], &e[t + 1], &ge, m > 2);
            for (int j = e[t].first; j < e[t].last; j++) form_add_term(&win[j], ge, 1), rounds[j]++;
            for (int j = e[t + 1].first; j < e[t + 1].last; j++) {
                win[j].c += 1;
                form_add_term(&win[j], ge, -1);
                rounds[j]++;
            }
            entry_free(&e[t]);
            entry_free(&e[t + 1]);
            e[next++] = w;
        }
        if (m % 2) e[next++] = e[m - 1]; /* a bye */
        m = next;
    }
    for (int j = 0; j < n; j++) {
        flags[j] = rounds[j] ? ir_thr(c, &win[j], rounds[j]) : GATE_CONST1;
        form_free(&win[j]);
    }
    entry_free(&e[0]);
    free(e);
    free(win);
    free(rounds);
}
