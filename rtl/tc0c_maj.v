// tc0c_maj: a majority gate, y = 1 iff more than half of the N inputs are
// 1 (N odd).  `tc0c compile --gates maj` writes every threshold gate as
// one of these over duplicated, complemented and constant inputs
// (DESIGN.md section 3, "Majority-only circuits").
`default_nettype none

module tc0c_maj #(
    parameter integer N = 3
) (
    input  wire [N-1:0] in,
    output wire         y
);
    function integer ones(input [N-1:0] x);
        integer i;
        begin
            ones = 0;
            for (i = 0; i < N; i = i + 1) ones = ones + {31'd0, x[i]};
        end
    endfunction

    assign y = ones(in) > N / 2;
endmodule

`default_nettype wire
