/*
 * test_models.c - every example model against a ground-truth function
 * written here, independently of the model: all strings up to length 12
 * (plus the empty string), and 2000 random strings of every length up to
 * max_len.  Run from the project root.
 */
#include "check.h"
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

typedef int (*Truth)(const char *s, int n, int *labels);

static int t_majority(const char *s, int n, int *labels) {
    (void)labels;
    int ones = 0;
    for (int i = 0; i < n; i++) ones += s[i] == '1';
    return ones > n - ones;
}

static int t_dyck1(const char *s, int n, int *labels) {
    (void)labels;
    int bal = 0;
    for (int i = 0; i < n; i++) {
        bal += s[i] == '(' ? 1 : -1;
        if (bal < 0) return 0;
    }
    return bal == 0;
}

static int t_parity(const char *s, int n, int *labels) {
    (void)labels;
    int ones = 0;
    for (int i = 0; i < n; i++) ones += s[i] == '1';
    return ones % 2;
}

static int t_anbn(const char *s, int n, int *labels) {
    (void)labels;
    if (n == 0 || n % 2) return 0;
    for (int i = 0; i < n; i++)
        if (s[i] != (i < n / 2 ? 'a' : 'b')) return 0;
    return 1;
}

static int t_first_eq_last(const char *s, int n, int *labels) {
    (void)labels;
    return n > 0 && s[0] == s[n - 1];
}

static int t_prefix_majority(const char *s, int n, int *labels) {
    int ones = 0;
    for (int i = 0; i < n; i++) {
        ones += s[i] == '1';
        labels[i] = ones > i + 1 - ones;
    }
    return 0;
}

static const struct {
    const char *path;
    Truth truth;
} cases[] = {
    {"models/majority.json", t_majority},
    {"models/dyck1.json", t_dyck1},
    {"models/parity.json", t_parity},
    {"models/anbn.json", t_anbn},
    {"models/first_eq_last.json", t_first_eq_last},
    {"models/prefix_majority.json", t_prefix_majority},
};

static long checked;

/* Runs the reference on s and compares with the ground truth. */
static void check_string(const Model *m, Truth truth, const char *s, int n) {
    int tokens[MAX_LEN] = {0}, out[MAX_LEN] = {0}, want[MAX_LEN] = {0};
    for (int i = 0; i < n; i++) tokens[i] = (int)(strchr(m->vocab, s[i]) - m->vocab);
    ref_run(m, tokens, n, out, NULL);
    int accept = truth(s, n, want);
    checked++;
    if (m->out.kind == OUT_ACCEPT) {
        CHECK(out[0] == accept, "%s on \"%.*s\": reference %d, truth %d", m->name, n, s, out[0], accept);
    } else {
        int same = 1;
        for (int i = 0; i < n; i++) same &= out[i] == want[i];
        CHECK(same, "%s on \"%.*s\": labels differ", m->name, n, s);
    }
}

int main(void) {
    srand(12345);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        Model *m = model_load(cases[c].path);
        CHECK(m != NULL, "%s does not load", cases[c].path);
        if (!m) continue;
        CHECK(m->max_len >= 64, "%s: max_len %d < 64", m->name, m->max_len);
        char s[MAX_LEN + 1];
        int V = m->n_vocab;
        /* Exhaustive: all strings of length 0..12. */
        for (int n = 0; n <= 12; n++) {
            long total = 1;
            for (int i = 0; i < n; i++) total *= V;
            for (long k = 0; k < total; k++) {
                long r = k;
                for (int i = 0; i < n; i++, r /= V) s[i] = m->vocab[r % V];
                check_string(m, cases[c].truth, s, n);
            }
        }
        /* Random strings at every length up to max_len; half of them are
         * drawn near the accepting set (balanced counts) to hit edges. */
        for (int k = 0; k < 2000; k++) {
            int n = 1 + rand() % 64;
            for (int i = 0; i < n; i++) s[i] = m->vocab[rand() % V];
            if (k % 2 && n % 2 == 0) { /* a^k b^k-like and balanced shapes */
                for (int i = 0; i < n; i++) s[i] = m->vocab[(i >= n / 2) % V];
                if (k % 4 == 1) {
                    int a = rand() % n, b = rand() % n;
                    char t = s[a];
                    s[a] = s[b];
                    s[b] = t;
                }
            }
            check_string(m, cases[c].truth, s, n);
        }
        model_free(m);
    }
    printf("test_models: %ld strings checked\n", checked);
    return check_done("test_models");
}
