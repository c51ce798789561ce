/*
 * test_parity_ln.c - models/parity_ln.json (layer norm, i/N positions, one
 * file for every length) against the ground truth "odd number of 1s": on
 * every string of every length n = 0..16 (131071 strings), and on 10,000
 * random strings with n drawn from 17..max_len (every such n at least
 * once: the first max_len - 16 draws walk through them in order).
 */
#include "check.h"
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

static long checked, wrong;

static void check(const Model *m, const int *tokens, int n) {
    int out[1], ones = 0;
    for (int i = 0; i < n; i++) ones += tokens[i];
    ref_run(m, tokens, n, out, NULL);
    checked++;
    if (out[0] != (ones & 1) && wrong++ < 10) {
        char s[MAX_LEN + 1];
        tokens_to_string(m, tokens, n, s);
        CHECK(0, "parity_ln on \"%s\" (n = %d): reference %d, truth %d", s, n, out[0], ones & 1);
    }
}

int main(void) {
    Model *m = model_load("models/parity_ln.json");
    CHECK(m != NULL, "models/parity_ln.json does not load");
    if (!m) return check_done("test_parity_ln");
    CHECK(m->max_len >= 64 && m->n_vocab == 2 && m->vocab[0] == '0' && m->vocab[1] == '1', "unexpected model");
    int tokens[MAX_LEN];
    for (int n = 0; n <= 16; n++)
        for (long k = 0; k < 1L << n; k++) {
            for (int i = 0; i < n; i++) tokens[i] = (int)((k >> i) & 1);
            check(m, tokens, n);
        }
    long exhaustive = checked;
    uint64_t rng = 0x9a71e7;
    int span = m->max_len - 16;
    for (int k = 0; k < 10000; k++) {
        int n = 17 + (k < span ? k : (int)(rng_next(&rng) % (uint64_t)span));
        int bias = (int)(rng_next(&rng) % 5); /* vary the density of 1s */
        for (int i = 0; i < n; i++) tokens[i] = (int)(rng_next(&rng) % 4) < bias ? 1 : 0;
        check(m, tokens, n);
    }
    CHECK(wrong == 0, "%ld wrong answers", wrong);
    printf("test_parity_ln: %ld strings of length 0..16 (all), %ld random of length 17..%d\n", exhaustive,
           checked - exhaustive, m->max_len);
    model_free(m);
    return check_done("test_parity_ln");
}
