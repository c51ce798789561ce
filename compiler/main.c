/*
 * main.c - the tc0c command line: one function per subcommand, each a few
 * calls into the library (load, evaluate, compile, verify, emit).
 */
#include "tc0c.h"

#include <stdlib.h>
#include <string.h>

#define TC0C_VERSION "0.1.0"

static void usage(FILE *f) {
    fprintf(f,
            "usage: tc0c COMMAND [ARGS]\n"
            "\n"
            "Compiles small quantized transformers into constant-depth threshold circuits.\n"
            "\n"
            "commands:\n"
            "  check MODEL               validate a model and print a summary\n"
            "  run MODEL STRING [--trace]\n"
            "                            evaluate the reference model on STRING (one\n"
            "                            character per token); prints accept/reject or\n"
            "                            one label per position\n"
            "  help                      this text\n"
            "\n"
            "exit codes: 0 success, 1 usage error, 2 invalid model or input,\n"
            "            3 circuit/reference mismatch, 4 circuit too large\n"
            "Model format: docs/model-format.md; exact semantics: docs/numerics.md.\n");
}

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "tc0c: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'tc0c help'.\n");
    return EXIT_USAGE;
}

static int cmd_check(int argc, char **argv) {
    if (argc != 1) return usage_error("check takes one MODEL argument%s", "");
    Model *m = model_load(argv[0]);
    if (!m) return EXIT_INVALID;
    model_summary(m, stdout);
    model_free(m);
    return EXIT_OK;
}

/* Prints the outputs the way `tc0c run` shows them. */
static void print_outputs(const Model *m, const int *out, int n, FILE *f) {
    if (m->out.kind == OUT_ACCEPT) {
        fprintf(f, "%s\n", out[0] ? "accept" : "reject");
        return;
    }
    for (int i = 0; i < n; i++) fprintf(f, "%s%s", i ? " " : "", m->out.labels[out[i]]);
    fputc('\n', f);
}

static int cmd_run(int argc, char **argv) {
    const char *model = NULL, *str = NULL;
    bool trace = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--trace") == 0) trace = true;
        else if (argv[i][0] == '-' && argv[i][1] == '-') return usage_error("run: unknown option '%s'", argv[i]);
        else if (!model) model = argv[i];
        else if (!str) str = argv[i];
        else return usage_error("run: unexpected argument '%s'", argv[i]);
    }
    if (!model || !str) return usage_error("run needs MODEL and STRING%s", "");
    Model *m = model_load(model);
    if (!m) return EXIT_INVALID;
    int *tokens = xcalloc(strlen(str) + 1, sizeof *tokens);
    int n = model_tokenize(m, str, tokens);
    int rc = EXIT_INVALID;
    if (n >= 0) {
        int *out = xcalloc((size_t)model_n_outputs(m, n) + 1, sizeof *out);
        ref_run(m, tokens, n, out, trace ? stdout : NULL);
        print_outputs(m, out, n, stdout);
        free(out);
        rc = EXIT_OK;
    }
    free(tokens);
    model_free(m);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("tc0c %s\n", TC0C_VERSION);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "check")) return cmd_check(argc - 2, argv + 2);
    if (!strcmp(cmd, "run")) return cmd_run(argc - 2, argv + 2);
    return usage_error("unknown command '%s'", cmd);
}
