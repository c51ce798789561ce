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
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int first, last; /* positions [first, last) */
    int64_t lo, hi;  /* the winner's value range */
    Form val;        /* the winner's value */
    GateId *T;       /* T[k] = [winner >= lo + 1 + k] */
} Entry;

static void entry_free(Entry *e) {
    form_free(&e->val);
    free(e->T);
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
        e[j].T = xmalloc(sizeof *e[j].T * (size_t)(x->hi > x->lo ? x->hi - x->lo : 1));
        for (int64_t k = 0; k < x->hi - x->lo; k++) e[j].T[k] = x->thermo[k];
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
