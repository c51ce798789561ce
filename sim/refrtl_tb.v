// refrtl_tb.v - testbench for a combinational tc0c module (the arithmetic
// RTL of compiler/refrtl.c, or any netlist with the same ports):
//   input wire [NI-1:0] tokens, output wire [NO-1:0] out.
// Reads +vectors=FILE: lines "tokens out [comment]" in binary, MSB first;
// lines starting with '#' are skipped.  Prints the first mismatches and
// "N vectors, M mismatches".
//   iverilog -g2005 -DDUT=module_name -Prefrtl_tb.NI=8 -Prefrtl_tb.NO=1 \
//     -o sim.vvp sim/refrtl_tb.v module.v && vvp -n sim.vvp +vectors=FILE
`default_nettype none

`ifndef DUT
`define DUT dut_module
`endif

module refrtl_tb;
    parameter NI = 1;
    parameter NO = 1;

    reg  [NI-1:0] tokens;
    wire [NO-1:0] out;
    reg  [NO-1:0] want;

    `DUT dut (.tokens(tokens), .out(out));

    reg [8*1024-1:0] path;
    reg [8*4096-1:0] rest;
    integer fd, c, rc, count, bad;

    initial begin
        count = 0;
        bad = 0;
        if (!$value$plusargs("vectors=%s", path)) begin
            $display("refrtl_tb: needs +vectors=FILE");
            $finish;
        end
        fd = $fopen(path, "r");
        if (fd == 0) begin
            $display("refrtl_tb: cannot open the vector file");
            $finish;
        end
        c = $fgetc(fd);
        while (c != -1) begin
            if (c == "#" || c == "\n") begin
                if (c == "#") rc = $fgets(rest, fd);
            end else begin
                rc = $ungetc(c, fd);
                rc = $fscanf(fd, "%b %b", tokens, want);
                rc = $fgets(rest, fd); // the rest of the line
                #1;
                count = count + 1;
                if (out !== want) begin
                    bad = bad + 1;
                    if (bad <= 10)
                        $display("MISMATCH %0d: tokens %b: out %b, expected %b", count, tokens, out, want);
                end
            end
            c = $fgetc(fd);
        end
        $fclose(fd);
        $display("%0d vectors, %0d mismatches", count, bad);
        $finish;
    end
endmodule

`default_nettype wire
