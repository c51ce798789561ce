/*
 * refrtl.h - the baseline: a model as ordinary arithmetic RTL.
 *
 * DESIGN.md section 5 compares the threshold circuit against "the same
 * quantized model written as ordinary arithmetic RTL (*, +, /,
 * comparisons), synthesized by the same scripts".  refrtl.c writes that
 * RTL: flat Verilog-2005, one wire per value, bit-exact with ref_run.
 */
#ifndef TC0C_REFRTL_H
#define TC0C_REFRTL_H

#include "tc0c.h"

/* Writes the model, for inputs of exactly n tokens, as ordinary arithmetic
 * RTL (Verilog-2005): what a hardware engineer would write by hand, with
 * +, *, /, comparisons and case tables.  Same ports as the combinational
 * threshold netlist: input wire [n*b-1:0] tokens (token i's code at bits
 * [i*b +: b], b = model_token_bits(m), LSB first), output wire [NO-1:0] out
 * (OUT_ACCEPT: 1 bit, 1 = accept; OUT_LABEL: n label indices of
 * label_bits = ceil(log2 n_labels) bits each, position i at [i*lb +: lb]).
 * A BOS token is a constant.  When n*b = 0 (a one-symbol vocabulary) the
 * port is tokens[0:0] and unused.  Bit-exact with ref_run on every string
 * of n tokens; codes >= n_vocab are outside the domain.  The output is
 * deterministic.  Returns false on a write error, or after printing why
 * when n is not in [1, max_len] or module_name is not a plain identifier. */
bool refrtl_write(const Model *m, int n, const char *module_name, FILE *f);

#endif
