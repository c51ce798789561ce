// tc0c_thr: one threshold gate, y = [sum_i WEIGHTS[i] * in[i] >= THRESH].
// Weights and threshold are signed W-bit and SW-bit constants; SW must
// hold every partial sum.  Used by `tc0c compile --gates cells` (one
// instance per lone gate), and as a black box by the Yosys depth check.
`default_nettype none

module tc0c_thr #(
    parameter integer N = 1,
    parameter integer W = 2,
    parameter integer SW = 8,
    parameter [N*W-1:0] WEIGHTS = {N{2'sd1}},
    parameter [SW-1:0] THRESH = 1
) (
    input  wire [N-1:0] in,
    output wire         y
);
    tc0c_mthr #(.N(N), .K(1), .W(W), .SW(SW), .WEIGHTS(WEIGHTS), .THRESH(THRESH)) u (.in(in), .y(y));
endmodule

`default_nettype wire
