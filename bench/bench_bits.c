/*
 * bench_bits.c - the offset-binary bits of a wide sum, by each construction
 * of docs/lowering.md ("Binary codes from adders") side by side:
 *
 *   thermo   the thermometer of the sum, then its bits (val_thermo,
 *            val_bits: hi - lo + nbits - 1 gates, depth 2)
 *   blocks   binary.c, all operands in one step (depth 2)
 *   blocks4  binary.c, blocks of 4 operands (depth 2 per round)
 *   tree     binary.c, a compressor tree of two-gate full adders
 *
 * The sum is x = sum_i w_i g_i over F independent input gates with random
 * signed p-bit weights, for p = 8, 12, 16 and F = 4, 16, 64.  For each it
 * prints "bits_pP_fF_WAY_{gates,wires,edges,depth}: value unit" lines
 * (bench/run.sh collects them) after checking the bits on 256 random
 * input vectors against the integer.  The thermometer is built only while
 * hi - lo <= 2^20 (its gate count is hi - lo + nbits - 1 in any case).
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

enum { WAY_THERMO, WAY_BLOCKS, WAY_BLOCKS4, WAY_TREE, N_WAYS };
static const char *const way_name[N_WAYS] = {"thermo", "blocks", "blocks4", "tree"};

/* Builds the bits of the sum one way; false when skipped (too large). */
static bool measure(int p, int F, const int64_t *w, int way, CircuitStats *st) {
    Circuit *c = ir_new(F);
    Form f;
    form_init(&f, 0);
    for (int i = 0; i < F; i++) form_add_term(&f, ir_input(i), w[i]);
    int64_t lo, hi;
    ir_form_bounds(c, &f, &lo, &hi);
    if (way == WAY_THERMO && hi - lo > ((int64_t)1 << 20)) {
        form_free(&f);
        ir_free(c);
        return false;
    }
    Val x = val_form_in(c, &f, lo, hi);
    LowerOpts saved = lower_opts;
    if (way != WAY_THERMO) {
        lower_opts.bits_adder_min_range = 0;
        lower_opts.bits_adder = way == WAY_TREE ? BITS_ADDER_TREE : BITS_ADDER_BLOCKS;
        lower_opts.bits_block = way == WAY_BLOCKS4 ? 4 : 0;
    }
    val_bits(c, &x);
    lower_opts = saved;
    for (int b = 0; b < x.nbits; b++) ir_add_output(c, x.bits[b]);
    ir_sweep(c);
    ir_stats(c, st);
    /* the bits against the integer on 256 random vectors */
    Evaluator *e = eval_new(c);
    uint64_t *in = xcalloc((size_t)F, sizeof *in), *out = xcalloc((size_t)c->n_outputs, sizeof *out);
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < F; i++) in[i] = rng_next(&rng_state);
        eval_run(e, in, out);
        for (int l = 0; l < 64; l++) {
            int64_t want = 0, got = x.lo;
            for (int i = 0; i < F; i++) want += w[i] * (int64_t)((in[i] >> l) & 1);
            for (int b = 0; b < c->n_outputs; b++) got += (int64_t)((out[b] >> l) & 1) << b;
            if (got != want) {
                fprintf(stderr, "bench_bits: p=%d F=%d %s: %lld, want %lld\n", p, F, way_name[way], (long long)got,
                        (long long)want);
                exit(1);
            }
        }
    }
    free(in);
    free(out);
    eval_free(e);
    val_free(&x);
    ir_free(c);
    return true;
}

int main(void) {
    static const int ps[] = {8, 12, 16}, fs[] = {4, 16, 64};
    printf("%-4s %-4s %-8s %10s %10s %10s %6s\n", "p", "F", "way", "gates", "wires", "edges", "depth");
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            int p = ps[a], F = fs[b];
            int64_t w[64];
            for (int i = 0; i < F; i++) w[i] = (int64_t)(rng_next(&rng_state) % ((uint64_t)1 << p)) + pmin(p);
            for (int way = 0; way < N_WAYS; way++) {
                CircuitStats st;
                if (!measure(p, F, w, way, &st)) continue;
                printf("%-4d %-4d %-8s %10lld %10lld %10lld %6d\n", p, F, way_name[way], (long long)st.gates,
                       (long long)st.wires, (long long)st.edges, st.depth);
                const char *key[4] = {"gates", "wires", "edges", "depth"};
                int64_t val[4] = {st.gates, st.wires, st.edges, st.depth};
                for (int k = 0; k < 4; k++)
                    printf("bits_p%d_f%d_%s_%s: %lld %s\n", p, F, way_name[way], key[k], (long long)val[k],
                           k == 3 ? "levels" : key[k]);
            }
        }
    return 0;
}
