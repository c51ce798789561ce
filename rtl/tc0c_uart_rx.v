// tc0c_uart_rx: an 8N1 UART receiver (no parity, one stop bit), used by
// the board wrapper (rtl/tc0c_board_core.v, docs/boards.md).
//
// The line is synchronized by two flip-flops.  A falling edge starts a
// frame; the start bit is checked again half a bit later (a shorter low
// pulse is a glitch and ignored), then each data bit (LSB first) and the
// stop bit are sampled in the middle of their bit period, DIV =
// round(CLK_HZ / BAUD) clocks apart.  At the middle of the stop bit
// `valid` pulses for one clock with `data`; `frame_err` is set with it
// when the stop bit was 0 (a wrong baud rate, noise, or a break).  After a
// framing error the receiver waits for the line to return to 1 before it
// looks for the next start bit.  DIV must be at least 4.
`default_nettype none

module tc0c_uart_rx #(
    parameter integer CLK_HZ = 12000000,
    parameter integer BAUD   = 115200
) (
    input  wire       clk,
    input  wire       rst,        // synchronous, active high
    input  wire       rx,         // the serial line, idle 1
    output reg  [7:0] data,
    output reg        valid,      // one clock per received byte
    output reg        frame_err   // with valid: the stop bit was 0
);
    localparam integer DIV  = (CLK_HZ + BAUD / 2) / BAUD;
    localparam integer CW   = $clog2(DIV + 1);
    localparam [31:0] FULL32 = DIV - 1;      // clocks from one sample to the next, minus 1
    localparam [31:0] HALF32 = DIV / 2 - 1;  // from the start edge to the middle of the start bit
    localparam [CW-1:0] FULL = FULL32[CW-1:0];
    localparam [CW-1:0] HALF = HALF32[CW-1:0];

    localparam [2:0] S_IDLE = 3'd0, S_START = 3'd1, S_DATA = 3'd2, S_STOP = 3'd3, S_WAIT_HIGH = 3'd4;

    reg [1:0]    sync = 2'b11;   // metastability filter; idle level at power-up
    reg [2:0]    state = S_IDLE;
    reg [CW-1:0] cnt = {CW{1'b0}};
    reg [2:0]    nbit = 3'd0;
    reg [7:0]    shift = 8'd0;
    wire         line = sync[1];

    initial begin
        data = 8'd0;
        valid = 1'b0;
        frame_err = 1'b0;
    end

    always @(posedge clk) begin
        sync  <= {sync[0], rx};
        valid <= 1'b0;
        if (rst) begin
            state     <= S_IDLE;
            cnt       <= {CW{1'b0}};
            nbit      <= 3'd0;
            frame_err <= 1'b0;
        end else begin
            case (state)
                S_IDLE:
                    if (!line) begin
                        state <= S_START;
                        cnt   <= HALF;
                    end
                S_START:
                    if (cnt != 0) cnt <= cnt - 1'b1;
                    else if (!line) begin
                        state <= S_DATA;
                        cnt   <= FULL;
                        nbit  <= 3'd0;
                    end else state <= S_IDLE;  // a glitch, not a start bit
                S_DATA:
                    if (cnt != 0) cnt <= cnt - 1'b1;
                    else begin
                        shift <= {line, shift[7:1]};
                        cnt   <= FULL;
                        nbit  <= nbit + 1'b1;
                        if (nbit == 3'd7) state <= S_STOP;
                    end
                S_STOP:
                    if (cnt != 0) cnt <= cnt - 1'b1;
                    else begin
                        data      <= shift;
                        valid     <= 1'b1;
                        frame_err <= !line;
                        state     <= line ? S_IDLE : S_WAIT_HIGH;
                    end
                default:  // S_WAIT_HIGH
                    if (line) state <= S_IDLE;
            endcase
        end
    end
endmodule

`default_nettype wire
