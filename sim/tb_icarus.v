// tb_icarus.v - Icarus Verilog bench for the netlists `tc0c compile` writes;
// the same checks as the Verilator harness sim/tb.cpp, from the same vector
// file.  The design is chosen at compile time with defines:
//   -DTOP=dyck1_n8   the module under test (and -DTOPNAME='"dyck1_n8"'
//                    for the messages)
//   -DNI=8 -DNO=1    widths of tokens and out (the vector file header)
//   -DNVEC=256       vectors in the file (sizes the vector memories)
//   -DNCHR=8         characters of a string (n)
//   -DPIPELINED -DLATENCY=3   a pipelined design (clk, rst, in_valid,
//                    out_valid); without PIPELINED: combinational
// Plusargs: +vectors=FILE (required), +vcd=FILE, +bubbles=PCT (25),
// +resets=R (1), +seed=S (1); see sim/tb.cpp for what they do.
// Ends with the line
//   result: PASS|FAIL  N vectors checked, M mismatches [icarus TOP ...]
// and calls $fatal on failure (vvp 11 then exits non-zero; scripts look
// at the result line as well).
`timescale 1ns / 1ps
`default_nettype none

module tb;
`ifndef LATENCY
`define LATENCY 0
`endif
`ifndef TOPNAME
`define TOPNAME "design"
`endif
    localparam integer L = `LATENCY;
    localparam integer NV = `NVEC;
    localparam integer SW = `NCHR + 8;  // the string as read, with slack

    reg             clk = 1'b0, rst = 1'b1, in_valid = 1'b0;
    reg  [`NI-1:0]  tokens = {`NI{1'b0}};
    wire [`NO-1:0]  out;
`ifdef PIPELINED
    wire            out_valid;
    `TOP dut (.clk(clk), .rst(rst), .in_valid(in_valid), .tokens(tokens), .out_valid(out_valid), .out(out));
`else
    `TOP dut (.tokens(tokens), .out(out));
`endif

    reg [`NI-1:0]   vin  [0:NV-1];
    reg [`NO-1:0]   vout [0:NV-1];
    reg [8*SW-1:0]  vstr [0:NV-1];
    integer         vline[0:NV-1];
    integer         nv, fd, c, r, ln;
    reg [8*SW-1:0]  rest;
    reg [8*1024-1:0] path, vcd, skip;

    // ---- reading the vector file ----
    task read_vectors;
        begin
            nv = 0;
            ln = 0;
            fd = $fopen(path, "r");
            if (fd == 0) begin
                $fatal(1, "tb_icarus: cannot open %0s", path);
            end
            c = $fgetc(fd);
            while (c != -1) begin
                ln = ln + 1;
                if (c == "#" || c == "\n") begin
                    if (c != "\n") r = $fgets(skip, fd);
                end else begin
                    r = $ungetc(c, fd);
                    if (nv >= NV) begin
                        $fatal(1, "tb_icarus: more than NVEC=%0d vectors in %0s", NV, path);
                    end
                    r = $fscanf(fd, "%b %b", vin[nv], vout[nv]);
                    if (r != 2) begin
                        $fatal(1, "%0s:%0d: malformed vector", path, ln);
                    end
                    rest = 0;
                    r = $fgets(rest, fd);  // " string\n"
                    vstr[nv] = rest;
                    vline[nv] = ln;
                    nv = nv + 1;
                end
                c = $fgetc(fd);
            end
            $fclose(fd);
        end
    endtask

    // ---- checking ----
    integer checked = 0, mismatches = 0, cycle = 0, bubbles = 0, resets_done = 0;
    integer bubble_pct, resets, seed;

    // the string of vector i without the leading blank and the newline
    function [8*SW-1:0] strip(input [8*SW-1:0] s);
        integer k;
        begin
            strip = s;
            if (strip[7:0] == "\n") strip = strip >> 8;
            for (k = SW - 1; k >= 0; k = k - 1)
                if (strip[8*k +: 8] == " " && (k == SW - 1 || strip[8*(k+1) +: 8] == 0)) strip[8*k +: 8] = 0;
        end
    endfunction

    task report(input integer i);
        begin
            if (mismatches == 0) begin
                $write("first mismatch: vector %0d (%0s line %0d)", i, path, vline[i]);
                if (L > 0) $write(", cycle %0d", cycle);
                $display(": string \"%0s\"", strip(vstr[i]));
                $display("  tokens   %b", vin[i]);
                $display("  expected %b", vout[i]);
                $display("  got      %b", out);
            end
            mismatches = mismatches + 1;
        end
    endtask

`ifdef PIPELINED
    // pipe[k]: the vector index in valid_r[k] (-1: none) after the last edge
    integer pipe[0:L-1];
    integer k, due, next, ri, nreset;
    reg     bubble;

    // one clock: drive the inputs, rising edge, check out_valid and out
    task clock(input reg r_in, input reg v_in, input [`NI-1:0] t_in, input integer idx);
        begin
            rst = r_in;
            in_valid = v_in;
            tokens = t_in;
            #5 clk = 1'b1;
            #1;
            cycle = cycle + 1;
            for (k = L - 1; k > 0; k = k - 1) pipe[k] = r_in ? -1 : pipe[k-1];
            pipe[0] = (r_in || !v_in) ? -1 : idx;
            due = pipe[L-1];
            if (out_valid !== (due >= 0)) begin
                if (mismatches == 0)
                    $display("first mismatch: cycle %0d: out_valid is %b, expected %0d (latency %0d; in_valid %0d clocks ago was %0d%0s)",
                             cycle, out_valid, due >= 0, L, L, due >= 0, r_in ? "; rst this clock" : "");
                mismatches = mismatches + 1;
            end
            if (due >= 0) begin
                if (due != checked) $display("internal: vectors out of order");
                checked = checked + 1;
                if (out !== vout[due]) report(due);
            end
            #4 clk = 1'b0;
        end
    endtask

    // xorshift64*, seeded and called as in sim/tb.cpp, so that both
    // simulators run the same schedule of bubbles, junk and resets
    reg [63:0] rng;
    reg [31:0] r32;
    reg [`NI-1:0] junk;
    integer b;
    task rnd;
        begin
            rng = rng ^ (rng >> 12);
            rng = rng ^ (rng << 25);
            rng = rng ^ (rng >> 27);
            r32 = (rng * 64'h2545F4914F6CDD1D) >> 32;
        end
    endtask
    task make_junk;  // bit NI-1 first, as tb.cpp fills its MSB-first string
        for (b = `NI - 1; b >= 0; b = b - 1) begin
            rnd;
            junk[b] = r32[0];
        end
    endtask
`endif

    initial begin
        if (!$value$plusargs("vectors=%s", path)) begin
            $fatal(1, "usage: vvp tb.vvp +vectors=FILE [+vcd=FILE] [+bubbles=PCT] [+resets=R] [+seed=S]");
        end
        if (!$value$plusargs("bubbles=%d", bubble_pct)) bubble_pct = 25;
        if (!$value$plusargs("resets=%d", resets)) resets = 1;
        if (!$value$plusargs("seed=%d", seed)) seed = 1;
        if ($value$plusargs("vcd=%s", vcd)) begin
            $dumpfile(vcd);
            $dumpvars(0, tb);
        end
        read_vectors;
`ifdef PIPELINED
        for (k = 0; k < L; k = k + 1) pipe[k] = -1;
        rng = seed * 64'd2654435761 + 64'd1;
        // two reset clocks, junk on the inputs; registers start as x
        for (ri = 0; ri < 2; ri = ri + 1) begin
            make_junk;
            rnd;
            clock(1'b1, r32[0], junk, -1);
        end
        next = 0;
        ri = 1;
        nreset = (nv >= 4) ? resets : 0;
        while (checked < nv) begin
            if (ri <= nreset && next >= (nv * ri) / (nreset + 1) && next < nv) begin
                // reset with a valid vector on the inputs: it is dropped too
                clock(1'b1, 1'b1, vin[next], next);
                resets_done = resets_done + 1;
                ri = ri + 1;
                next = checked;  // resend what was in flight
            end else begin
                // at least one bubble (after the first vector), then at random
                if (next >= nv) bubble = 1'b1;
                else if (next == 0) bubble = 1'b0;
                else if (bubbles == 0) bubble = 1'b1;
                else begin
                    rnd;
                    bubble = (r32 % 100) < bubble_pct;
                end
                if (bubble) begin
                    make_junk;
                    clock(1'b0, 1'b0, junk, -1);
                    if (next < nv) bubbles = bubbles + 1;
                end else begin
                    clock(1'b0, 1'b1, vin[next], next);
                    next = next + 1;
                end
            end
        end
        for (ri = 0; ri < L + 2; ri = ri + 1) begin  // drain: out_valid falls
            make_junk;
            clock(1'b0, 1'b0, junk, -1);
        end
`else
        for (c = 0; c < nv; c = c + 1) begin
            tokens = vin[c];
            #1;
            checked = checked + 1;
            if (out !== vout[c]) report(c);
        end
`endif
        $write("result: %0s  %0d vectors checked, %0d mismatches [icarus %0s, ",
               (mismatches == 0 && checked > 0) ? "PASS" : "FAIL", checked, mismatches, `TOPNAME);
        if (L > 0)
            $display("latency %0d, %0d cycles, %0d bubbles, %0d reset%0s]", L, cycle, bubbles, resets_done,
                     resets_done == 1 ? "" : "s");
        else $display("combinational]");
        if (checked == 0) $display("no vectors were checked");
        if (mismatches != 0 || checked == 0) $fatal(1, "simulation does not match the reference");
        $finish;
    end
endmodule

`default_nettype wire
