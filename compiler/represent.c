/*
 * represent.c - the representation of a requantized value (docs/lowering.md,
 * "Representation per value").  A requantization y = sat(res + round(x /
 * 2^s)) that needs gates holds y as its thermometer (lower.c val_requant:
 * one gate per level, one level over x) or as its binary code (binary.c
 * val_requant_bits: the adder's bits, two levels over x's literals).  With
 * `--bits auto` (LowerOpts.repr_auto) each such value chooses:
 *
 * - readers that need the thermometer (USE_THERMO: max/argmax and the
 *   softmax exp table over the scores, tournaments, layer norm) keep it;
 * - a table reader (USE_TABLE, the FFN activation) is built on both
 *   routes (val_table over the thermometer, val_table over the bits:
 *   one gate per change point, one level over the bits) and the two
 *   tables' outputs are compared as below (the reader rebuilds the
 *   winner's table through structural hashing);
 * - otherwise both codes are built into the circuit; each one's cost is
 *   what it adds (its new nodes: wires, or estimated LUTs for a LUT
 *   target; the thermometer's include the bits its USE_BITS and USE_AND
 *   readers build from it) plus what its readers add (their ANDs over its
 *   bits), and the cheaper wins if its level is within repr_slack of the
 *   level at which the readers get their code on the thermometer route;
 *   the loser's gates are left dead for ir_sweep.  The binary code is not
 *   built when a bound on its level already fails that rule.
 *
 * The reader costs state today's primitives (lower.c); a primitive that
 * reads a binary code differently changes ReprUse or reader_cost only.
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

const char *const repr_name[REPR__COUNT] = {"form", "thermo", "binary"};

static int32_t max_level(const Circuit *c, const GateId *g, int64_t n) {
    int32_t l = 0;
    for (int64_t k = 0; k < n; k++)
        if (c->gates[g[k]].level > l) l = c->gates[g[k]].level;
    return l;
}

/* The level at which y's readers get their code: its bits for USE_BITS,
 * else its gates (thermometer or bits). */
static int32_t code_level(const Circuit *c, const Val *y, ReprUse use) {
    if (y->bits && (use == USE_BITS || use == USE_AND || !y->thermo)) return max_level(c, y->bits, y->nbits);
    return y->thermo ? max_level(c, y->thermo, y->hi - y->lo) : 0;
}

static void repr_grow(ReprCtx *rc, int32_t n) {
    if (n <= rc->cap) return;
    int32_t cap = rc->cap ? rc->cap : 1024;
    while (cap < n) cap *= 2;
    rc->unpaid = xrealloc(rc->unpaid, (size_t)cap);
    rc->stamp = xrealloc(rc->stamp, sizeof *rc->stamp * (size_t)cap);
    memset(rc->unpaid + rc->cap, 0, (size_t)(cap - rc->cap));
    memset(rc->stamp + rc->cap, 0, sizeof *rc->stamp * (size_t)(cap - rc->cap));
    rc->cap = cap;
}

void repr_free(ReprCtx *rc) {
    free(rc->unpaid);
    free(rc->stamp);
    rc->unpaid = NULL;
    rc->stamp = NULL;
    rc->cap = 0;
}

/* What y adds to the circuit: the nodes it reads (its form, thermometer
 * and bits, through their terms) that are new since `mark` or were built
 * by an earlier losing code (unpaid), in stored terms or estimated LUTs.
 * With pay, those nodes are marked paid (y is kept). */
static int64_t cone_cost(const Circuit *c, ReprCtx *rc, GateId mark, const Val *y, bool pay) {
    repr_grow(rc, c->n_gates);
    if (++rc->epoch == 0) {
        memset(rc->stamp, 0, sizeof *rc->stamp * (size_t)rc->cap);
        rc->epoch = 1;
    }
    int64_t nt = y->thermo ? y->hi - y->lo : 0, nb = y->bits ? y->nbits : 0;
    int64_t cap = (int64_t)y->form.n + nt + nb + 64, sp = 0, cost = 0;
    GateId *stack = xmalloc(sizeof *stack * (size_t)cap);
    for (int k = 0; k < y->form.n; k++) stack[sp++] = y->form.t[k].src;
    for (int64_t k = 0; k < nt; k++) stack[sp++] = y->thermo[k];
    for (int64_t k = 0; k < nb; k++) stack[sp++] = y->bits[k];
    while (sp) {
        GateId a = stack[--sp];
        if ((a < mark && !rc->unpaid[a]) || rc->stamp[a] == rc->epoch) continue;
        rc->stamp[a] = rc->epoch;
        if (pay) rc->unpaid[a] = 0;
        cost += rc->target ? lut_node_luts(c, a, rc->target) : (int64_t)c->gates[a].n_in;
        const Term *t = ir_terms(c, a);
        for (uint32_t i = 0; i < c->gates[a].n_in; i++) {
            if (sp == cap) stack = xrealloc(stack, sizeof *stack * (size_t)(cap = cap ? 2 * cap : 64));
            stack[sp++] = t[i].src;
        }
    }
    free(stack);
    return cost;
}

static int gate_cmp(const void *a, const void *b) {
    GateId x = *(const GateId *)a, y = *(const GateId *)b;
    return (x > y) - (x < y);
}

/* The distinct non-constant gates among g[0..n-1]: what ANDs with them
 * build (equal gates give equal ANDs, which are one gate). */
static int64_t live_codes(const GateId *g, int64_t n) {
    GateId *s = xmalloc(sizeof *s * (size_t)(n ? n : 1));
    memcpy(s, g, sizeof *s * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, gate_cmp);
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) k += s[i] > GATE_CONST1 && (i == 0 || s[i] != s[i - 1]);
    free(s);
    return k;
}

/* What y's readers add on top (today's primitives, lower.c): per flag x
 * value product (USE_AND) one AND per bit (val_gate_mul takes the bits when
 * the flag is deeper than the thermometer, as an attention head's flags
 * always are; the ANDs fold into the flag's level); per product (USE_BITS)
 * one AND per pair of bits, the other operand taken as wide as y
 * (val_mul); about 3 stored terms or one LUT each. */
static int64_t reader_cost(const Val *y, ReprReaders rd, int target) {
    int64_t per = 0;
    int64_t nb = y->bits ? live_codes(y->bits, y->nbits) : 0;
    if (rd.use == USE_AND) per = nb;
    else if (rd.use == USE_BITS) per = nb * y->nbits;
    return rd.ands * per * (target ? 1 : 3);
}

/* A bound on the level of the binary code of a form (binary.c): 2 over
 * its deepest gate, 4 over a nested sum node of bits_split_terms or more
 * terms (first summed to binary on its own).  It is a lower bound except
 * where a term's weight vanishes modulo 2^nb (binary.c drops that term),
 * where it errs towards the thermometer.  The walk is cut after `budget`
 * nodes (what it saw is still a bound). */
static int32_t binary_level_bound(const Circuit *c, GateId g, int depth, int64_t *budget) {
    if (--*budget < 0) return 0;
    const Gate *G = &c->gates[g];
    if (G->kind != G_SUM) return G->level + 2;
    if (depth >= 1 && lower_opts.bits_split_terms > 0 && G->n_in >= (uint32_t)lower_opts.bits_split_terms)
        return G->level + 4;
    int32_t l = 0;
    const Term *t = ir_terms(c, g);
    for (uint32_t i = 0; i < G->n_in && *budget >= 0; i++) {
        int32_t m = binary_level_bound(c, t[i].src, depth + 1, budget);
        if (m > l) l = m;
    }
    return l;
}

static int32_t form_binary_bound(const Circuit *c, const Form *f, int32_t l, int64_t *budget) {
    for (int i = 0; i < f->n; i++)
        if (f->t[i].src != GATE_CONST1) {
            int32_t m = binary_level_bound(c, f->t[i].src, 0, budget);
            if (m > l) l = m;
        }
    return l;
}

/* The level of a form's deepest gate (a table's output on one route). */
static int32_t form_level(const Circuit *c, const Form *f) {
    int32_t l = 0;
    for (int i = 0; i < f->n; i++)
        if (c->gates[f->t[i].src].level > l) l = c->gates[f->t[i].src].level;
    return l;
}

Val repr_requant(Circuit *c, ReprCtx *rc, const Val *x, const Val *res, int shift, int p, ReprReaders rd) {
    int64_t ylo, yhi;
    if (!requant_range(x, res, shift, p, &ylo, &yhi) || ylo == yhi) {
        rc->n[REPR_FORM]++;
        return val_requant(c, x, res, shift, p);
    }
    if (!lower_opts.repr_auto || rd.use == USE_THERMO) {
        Val y = val_requant(c, x, res, shift, p); /* binary only where --bits forces it */
        rc->n[y.thermo ? REPR_THERMO : REPR_BINARY]++;
        return y;
    }
    GateId mark = c->n_gates;
    Val t = val_requant(c, x, res, shift, p);
    if (rd.use == USE_BITS || rd.use == USE_AND) val_bits(c, &t); /* the readers build them */
    /* a table reader: what is compared is the table's output on each route */
    Val tt = rd.use == USE_TABLE ? val_table(c, &t, rd.table, p) : val_const(0), tb = val_const(0);
    int32_t lt = rd.use == USE_TABLE ? form_level(c, &tt.form) : code_level(c, &t, rd.use);
    int64_t budget = 4096;
    int32_t bound = form_binary_bound(c, &x->form, 0, &budget);
    if (res) bound = form_binary_bound(c, &res->form, bound, &budget);
    if (rd.use == USE_TABLE) bound++; /* the change-point gates over the bits */
    Val b;
    if (bound > lt + lower_opts.repr_slack || !val_requant_bits(c, x, res, shift, p, &b)) { /* too deep: not built */
        if (rc->trace)
            fprintf(stderr, "repr: use %d range %lld: thermo level %d, binary bound %d: not built\n", rd.use,
                    (long long)(yhi - ylo), lt, bound);
        cone_cost(c, rc, mark, &t, true);
        val_free(&tt);
        rc->n[REPR_THERMO]++;
        return t;
    }
    if (rd.use == USE_TABLE) tb = val_table(c, &b, rd.table, p); /* over the bits */
    int32_t lb = rd.use == USE_TABLE ? form_level(c, &tb.form) : code_level(c, &b, rd.use);
    const Val *ot = rd.use == USE_TABLE ? &tt : &t, *ob = rd.use == USE_TABLE ? &tb : &b;
    int64_t ct = cone_cost(c, rc, mark, ot, false) + reader_cost(&t, rd, rc->target);
    int64_t cb = cone_cost(c, rc, mark, ob, false) + reader_cost(&b, rd, rc->target);
    if (!rc->target) { /* the table's form: its terms, stored once for its readers */
        ct += tt.form.n;
        cb += tb.form.n;
    }
    if (rc->trace)
        fprintf(stderr, "repr: use %d range %lld ands %lld: thermo level %d cost %lld, binary level %d cost %lld\n",
                rd.use, (long long)(yhi - ylo), (long long)rd.ands, lt, (long long)ct, lb, (long long)cb);
    bool binary = lb <= lt + lower_opts.repr_slack && cb < ct;
    /* the loser's new nodes stay unpaid until a later winner reads them */
    repr_grow(rc, c->n_gates);
    for (GateId g = mark; g < c->n_gates; g++) rc->unpaid[g] = 1;
    cone_cost(c, rc, mark, binary ? ob : ot, true);
    val_free(&tt);
    val_free(&tb);
    val_free(binary ? &t : &b);
    rc->n[binary ? REPR_BINARY : REPR_THERMO]++;
    return binary ? b : t;
}
