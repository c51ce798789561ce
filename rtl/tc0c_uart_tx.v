// tc0c_uart_tx: an 8N1 UART transmitter (no parity, one stop bit), used
// by the board wrapper (rtl/tc0c_board_core.v, docs/boards.md).
//
// When `ready` is 1, a clock with `start` = 1 takes `data` and sends the
// frame: a start bit 0, the eight data bits LSB first, a stop bit 1, each
// DIV = round(CLK_HZ / BAUD) clocks long.  `ready` is 0 from the clock
// after `start` until the end of the stop bit.  DIV must be at least 2.
`default_nettype none

module tc0c_uart_tx #(
    parameter integer CLK_HZ = 12000000,
    parameter integer BAUD   = 115200
) (
    input  wire       clk,
    input  wire       rst,      // synchronous, active high
    input  wire [7:0] data,
    input  wire       start,    // taken when ready
    output wire       ready,
    output wire       tx        // the serial line, idle 1
);
    localparam integer DIV  = (CLK_HZ + BAUD / 2) / BAUD;
    localparam integer CW   = $clog2(DIV + 1);
    localparam [31:0] FULL32 = DIV - 1;
    localparam [CW-1:0] FULL = FULL32[CW-1:0];

    reg [9:0]    frame = 10'h3ff;  // bit 0 is on the line
    reg [3:0]    left = 4'd0;      // bits still to send, the current one included
    reg [CW-1:0] cnt = {CW{1'b0}};

    assign ready = left == 4'd0;
    assign tx    = frame[0];

    always @(posedge clk) begin
        if (rst) begin
            frame <= 10'h3ff;
            left  <= 4'd0;
            cnt   <= {CW{1'b0}};
        end else if (left == 4'd0) begin
            if (start) begin
                frame <= {1'b1, data, 1'b0};
                left  <= 4'd10;
                cnt   <= FULL;
            end
        end else if (cnt != 0) begin
            cnt <= cnt - 1'b1;
        end else begin
            frame <= {1'b1, frame[9:1]};
            left  <= left - 1'b1;
            cnt   <= FULL;
        end
    end
endmodule

`default_nettype wire
