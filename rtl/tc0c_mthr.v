// tc0c_mthr: a multi-threshold (FINN's MultiThreshold): one weighted sum
// s = sum_i WEIGHTS[i] * in[i], compared with K thresholds:
// y[k] = [s >= THRESH[k]].  One adder tree, K comparators.  Weights are
// signed W-bit, thresholds and the sum signed SW-bit (SW holds any partial
// sum).  `tc0c compile --gates cells` emits one instance per sum group.
`default_nettype none

module tc0c_mthr #(
    parameter integer N = 1,
    parameter integer K = 1,
    parameter integer W = 2,
    parameter integer SW = 8,
    parameter [N*W-1:0] WEIGHTS = {N{2'sd1}},
    parameter [K*SW-1:0] THRESH = {K{8'sd1}}
) (
    input  wire [N-1:0] in,
    output wire [K-1:0] y
);
    function signed [SW-1:0] weighted_sum(input [N-1:0] x);
        integer i;
        begin
            weighted_sum = {SW{1'b0}};
            for (i = 0; i < N; i = i + 1)
                if (x[i]) weighted_sum = weighted_sum + {{(SW - W){WEIGHTS[i*W+W-1]}}, WEIGHTS[i*W +: W]};
        end
    endfunction

    wire signed [SW-1:0] s = weighted_sum(in);
    genvar k;
    generate
        for (k = 0; k < K; k = k + 1) begin : cmp
            assign y[k] = s >= $signed(THRESH[k*SW +: SW]);
        end
    endgenerate
endmodule

`default_nettype wire
