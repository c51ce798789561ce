/*
 * represent.c - the representation of a requantized value (docs/lowering.md,
 * "Representation per value").  A requantization y = sat(res + round(x /
 * 2^s)) that needs gates holds y as its thermometer (lower.c val_requant:
 * one gate per level, one level over x) or as its binary code (binary.c
 * val_requant_bits: the adder's bits, two levels over x's literals).  With
 * `--bits auto` (LowerOpts.repr_auto) each such value chooses:
 *
 * - readers that need the thermometer (USE_THERMO) keep it: over a binary
 *   code they would build it anyway, one level deeper;
 * - otherwise both codes are built into the circuit; each one's cost is
 *   what it adds (its new nodes: wires, or estimated LUTs for a LUT
 *   target) plus what its readers add (the bits from the thermometer for
 *   USE_BITS; D or nbits ANDs per flag x value product for USE_AND), and
 *   the cheaper wins if its level is within repr_slack of the level at
 *   which the readers get their code on the thermometer route; the loser's
 *   gates are left dead for ir_sweep.
 *
 * The reader costs state today's primitives (lower.c); a primitive that
 * reads a binary code differently changes ReprUse or reader_cost only.
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

const char *const repr_name[REPR__COUNT] = {"form", "thermo", "binary"};

bool requant_range(const Val *x, const Val *res, int shift, int p, int64_t *lo, int64_t *hi) {
    int64_t r = round_off(shift), d = (int64_t)1 << shift;
    int64_t rlo = res ? res->lo : 0, rhi = res ? res->hi : 0;
    *lo = sat_p(p, rlo + floor_div(x->lo + r, d));
    *hi = sat_p(p, rhi + floor_div(x->hi + r, d));
    return !(shift == 0 && rlo + x->lo >= pmin(p) && rhi + x->hi <= pmax(p));
}

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

/* What the nodes from `mark` on that y reads (its form, thermometer and
 * bits, through their terms) cost: stored terms, or estimated LUTs. */
static int64_t cone_cost(const Circuit *c, GateId mark, const Val *y, int target) {
    int32_t n = c->n_gates - mark;
    if (n <= 0) return 0;
    uint8_t *seen = xcalloc((size_t)n, 1);
    GateId *stack = xmalloc(sizeof *stack * (size_t)n);
    int32_t sp = 0;
    int64_t cost = 0;
    int64_t nroots = (int64_t)y->form.n + (y->thermo ? y->hi - y->lo : 0) + (y->bits ? y->nbits : 0);
    for (int64_t r = 0; r < nroots; r++) {
        GateId g = r < y->form.n                    ? y->form.t[r].src
                   : y->thermo && r < y->form.n + (y->hi - y->lo) ? y->thermo[r - y->form.n]
                                                                    : y->bits[r - y->form.n - (y->thermo ? y->hi - y->lo : 0)];
        if (g < mark || seen[g - mark]) continue;
        seen[g - mark] = 1;
        stack[sp++] = g;
        while (sp) {
            GateId a = stack[--sp];
            cost += target ? lut_node_luts(c, a, target) : (int64_t)c->gates[a].n_in;
            const Term *t = ir_terms(c, a);
            for (uint32_t i = 0; i < c->gates[a].n_in; i++) {
                GateId s = t[i].src;
                if (s < mark || seen[s - mark]) continue;
                seen[s - mark] = 1;
                stack[sp++] = s;
            }
        }
    }
    free(seen);
    free(stack);
    return cost;
}

/* The distinct non-constant gates among g[0..n-1] (a thermometer's equal
 * gates are adjacent). */
static int64_t live_codes(const GateId *g, int64_t n) {
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) k += g[i] > GATE_CONST1 && (i == 0 || g[i] != g[i - 1]);
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
    Val b;
    if (!val_requant_bits(c, x, res, shift, p, &b)) {
        rc->n[REPR_THERMO]++;
        return t;
    }
    int32_t lt = code_level(c, &t, rd.use), lb = code_level(c, &b, rd.use);
    int64_t ct = cone_cost(c, mark, &t, rc->target) + reader_cost(&t, rd, rc->target);
    int64_t cb = cone_cost(c, mark, &b, rc->target) + reader_cost(&b, rd, rc->target);
    if (getenv("TC0C_REPR_TRACE"))
        fprintf(stderr, "repr: use %d range %lld ands %lld: thermo level %d cost %lld, binary level %d cost %lld\n", rd.use, (long long)rd.ands,
                (long long)(yhi - ylo), lt, (long long)ct, lb, (long long)cb);
    if (lb <= lt + lower_opts.repr_slack && cb < ct) {
        val_free(&t);
        rc->n[REPR_BINARY]++;
        return b;
    }
    val_free(&b);
    rc->n[REPR_THERMO]++;
    return t;
}
