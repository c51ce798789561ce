// tc0c_board_core: the board wrapper around a compiled tc0c circuit: a
// UART line protocol in front of the pipelined module that
// `tc0c compile --pipeline K` writes.  The per-design top
// (boards/board_wrapper.py top) instantiates this core and the circuit,
// and supplies two small tables as combinational logic: the byte ->
// token-code decoder (the model's vocabulary) and the label index ->
// character map.  docs/boards.md is the user's description.
//
// Protocol (8N1, BAUD):
//   * A request is a line: symbols of the vocabulary, one byte each,
//     ended by '\n' or '\r'.  A line without bytes (the '\n' of "\r\n",
//     or a blank line) is ignored and gets no reply.
//   * Every other line gets exactly one reply line, in order:
//       "1\n" / "0\n"    accept / reject (LB = 0), or
//       N characters + "\n", the label of each position (LB > 0);
//       "E\n"            the line held a byte outside the vocabulary, or
//                        a byte with a framing error;
//       "L\n"            only vocabulary symbols, but not exactly N.
//   * A host waits for the reply before it sends the next line; one line
//     ahead is absorbed (a reply waits in a one-deep slot while another
//     is sent).  A result that finds the slot full is dropped and the
//     error LED lights (see docs/boards.md).
// LEDs (active high here; the top applies the board's polarity):
//   led[0] last reply accept (label models: last position's label != 0)
//   led[1] last reply reject (label models: last position's label == 0)
//   led[2] last reply an error, or a reply was dropped
//   led[3] heartbeat, about 1 Hz
`default_nettype none

module tc0c_board_core #(
    parameter integer CLK_HZ  = 12000000,
    parameter integer BAUD    = 115200,
    parameter integer N       = 8,         // tokens per string
    parameter integer B       = 1,         // bits per token code
    parameter integer LB      = 0,         // bits per label; 0: one accept bit
    parameter integer LATENCY = 1,         // the circuit's latency in cycles
    parameter integer OW      = (LB == 0) ? 1 : N * LB,  // circuit output width
    parameter integer LBW     = (LB == 0) ? 1 : LB
) (
    input  wire            clk,
    input  wire            rst,          // synchronous, active high
    input  wire            uart_rx,
    output wire            uart_tx,
    output wire [3:0]      led,
    // the vocabulary decoder in the top: dec_byte -> (dec_ok, dec_code)
    output wire [7:0]      dec_byte,
    input  wire [B-1:0]    dec_code,
    input  wire            dec_ok,
    // the compiled circuit
    output wire [N*B-1:0]  c_tokens,     // token i at [i*B +: B]
    output wire            c_in_valid,
    input  wire            c_out_valid,
    input  wire [OW-1:0]   c_out,
    // the label map in the top: lab_idx -> lab_char (unused when LB = 0)
    output wire [LBW-1:0]  lab_idx,
    /* verilator lint_off UNUSEDSIGNAL */  // accept/reject models print no labels
    input  wire [7:0]      lab_char
    /* verilator lint_on UNUSEDSIGNAL */
);
    localparam integer DIV = (CLK_HZ + BAUD / 2) / BAUD;
    localparam integer CW  = $clog2(N + 1);
    localparam [31:0] N32 = N;
    localparam [CW-1:0] NC = N32[CW-1:0];
    localparam [1:0] K_RES = 2'd0, K_BAD = 2'd1, K_LEN = 2'd2;
    localparam [7:0] CH_NL = 8'h0a, CH_CR = 8'h0d;

    // A line ends at least two byte times after the previous one, so an
    // error reply can never overtake a result still in the pipeline.
    generate
        if (DIV < 4) begin : g_div_check
            tc0c_board_core_error_clock_too_slow_for_baud u_error ();
        end
        if (LATENCY + 2 >= 10 * DIV) begin : g_latency_check
            tc0c_board_core_error_latency_exceeds_a_byte_time u_error ();
        end
    endgenerate

    // ---- receiver -------------------------------------------------------
    wire [7:0] rx_data;
    wire       rx_valid, rx_ferr;
    tc0c_uart_rx #(.CLK_HZ(CLK_HZ), .BAUD(BAUD)) u_rx (
        .clk(clk), .rst(rst), .rx(uart_rx),
        .data(rx_data), .valid(rx_valid), .frame_err(rx_ferr)
    );
    assign dec_byte = rx_data;

    // ---- line assembler -------------------------------------------------
    reg [N*B-1:0] line_buf = {N * B{1'b0}};
    reg [CW-1:0]  count = {CW{1'b0}};
    reg           bad = 1'b0;      // a byte outside the vocabulary
    reg           long = 1'b0;     // more than N symbols
    reg           go = 1'b0;       // in_valid of the circuit
    reg           err_go = 1'b0;   // an error reply is due
    reg [1:0]     err_kind = K_BAD;
    wire          term = rx_data == CH_NL || rx_data == CH_CR;

    assign c_tokens   = line_buf;
    assign c_in_valid = go;

    always @(posedge clk) begin
        go     <= 1'b0;
        err_go <= 1'b0;
        if (rst) begin
            count <= {CW{1'b0}};
            bad   <= 1'b0;
            long  <= 1'b0;
        end else if (rx_valid) begin
            if (rx_ferr) begin
                bad <= 1'b1;
            end else if (term) begin
                if (bad || long || count != NC) begin
                    // count = 0 without a bad byte: an empty line, no reply
                    err_go   <= bad || long || count != {CW{1'b0}};
                    err_kind <= bad ? K_BAD : K_LEN;
                end else begin
                    go <= 1'b1;   // line_buf holds the string until the next byte
                end
                count <= {CW{1'b0}};
                bad   <= 1'b0;
                long  <= 1'b0;
            end else if (!dec_ok) begin
                bad <= 1'b1;
            end else if (count == NC) begin
                long <= 1'b1;
            end else begin
                line_buf[count * B +: B] <= dec_code;
                count <= count + 1'b1;
            end
        end
    end

    // ---- reply slot -----------------------------------------------------
    reg          slot_full = 1'b0;
    reg [1:0]    slot_kind = K_RES;
    reg [OW-1:0] slot_res = {OW{1'b0}};
    reg          dropped = 1'b0;   // a reply found the slot full
    reg          sending = 1'b0;   // the transmitter works through a reply
    wire         take = !sending && slot_full;

    always @(posedge clk) begin
        if (rst) begin
            slot_full <= 1'b0;
            dropped   <= 1'b0;
        end else begin
            if (take) slot_full <= 1'b0;
            if (c_out_valid || err_go) begin
                if (slot_full && !take) begin
                    dropped <= 1'b1;
                end else begin
                    slot_full <= 1'b1;
                    slot_kind <= c_out_valid ? K_RES : err_kind;
                    slot_res  <= c_out;
                end
            end
        end
    end

    // ---- transmitter ----------------------------------------------------
    localparam integer PW = $clog2(N + 2);
    localparam [PW-1:0] LAST_LABEL = N32[PW-1:0];   // position of '\n' after N labels
    reg [1:0]    tx_kind = K_RES;
    reg [OW-1:0] tx_res = {OW{1'b0}};
    reg [PW-1:0] pos = {PW{1'b0}};
    reg [7:0]    tx_byte;
    reg          tx_last;
    wire         tx_ready;
    wire         tx_start = sending && tx_ready;

    generate
        if (LB == 0) begin : g_accept
            assign lab_idx = 1'b0;
            always @* begin
                tx_last = pos != {PW{1'b0}};
                if (tx_last) tx_byte = CH_NL;
                else if (tx_kind == K_BAD) tx_byte = "E";
                else if (tx_kind == K_LEN) tx_byte = "L";
                else tx_byte = tx_res[0] ? "1" : "0";
            end
        end else begin : g_labels
            wire [PW-1:0] at = (pos == LAST_LABEL) ? {PW{1'b0}} : pos;
            assign lab_idx = tx_res[at * LB +: LB];
            always @* begin
                tx_last = tx_kind == K_RES ? pos == LAST_LABEL : pos != {PW{1'b0}};
                if (tx_last) tx_byte = CH_NL;
                else if (tx_kind == K_BAD) tx_byte = "E";
                else if (tx_kind == K_LEN) tx_byte = "L";
                else tx_byte = lab_char;
            end
        end
    endgenerate

    tc0c_uart_tx #(.CLK_HZ(CLK_HZ), .BAUD(BAUD)) u_tx (
        .clk(clk), .rst(rst), .data(tx_byte), .start(tx_start),
        .ready(tx_ready), .tx(uart_tx)
    );

    // ---- LEDs -----------------------------------------------------------
    localparam integer HB    = CLK_HZ / 2;   // heartbeat half period
    localparam integer HW    = $clog2(HB + 1);
    localparam [31:0] HB32   = HB - 1;
    localparam [HW-1:0] HBC  = HB32[HW-1:0];
    reg [HW-1:0] hb_cnt = {HW{1'b0}};
    reg          hb = 1'b0;
    reg          r_acc = 1'b0, r_rej = 1'b0, r_err = 1'b0;
    wire         yes = (LB == 0) ? slot_res[0] : |slot_res[OW-1 -: LBW];
    assign led = {hb, r_err | dropped, r_rej, r_acc};

    always @(posedge clk) begin
        if (rst) begin
            sending <= 1'b0;
            pos     <= {PW{1'b0}};
            hb_cnt  <= {HW{1'b0}};
            hb      <= 1'b0;
            r_acc   <= 1'b0;
            r_rej   <= 1'b0;
            r_err   <= 1'b0;
        end else begin
            if (hb_cnt == HBC) begin
                hb_cnt <= {HW{1'b0}};
                hb     <= !hb;
            end else hb_cnt <= hb_cnt + 1'b1;
            if (take) begin
                sending <= 1'b1;
                tx_kind <= slot_kind;
                tx_res  <= slot_res;
                pos     <= {PW{1'b0}};
                r_acc   <= slot_kind == K_RES && yes;
                r_rej   <= slot_kind == K_RES && !yes;
                r_err   <= slot_kind != K_RES;
            end else if (tx_start) begin
                pos <= pos + 1'b1;
                if (tx_last) sending <= 1'b0;
            end
        end
    end
endmodule

`default_nettype wire
