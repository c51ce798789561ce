# Digilent Arty A7-35T: AMD/Xilinx Artix-7 xc7a35ticsg324-1L, 100 MHz
# oscillator, FTDI FT2232HQ (channel A: JTAG, channel B: the USB-UART),
# four green LEDs LD4-LD7, active high.
# `make board BOARD=arty_a7_35t MODEL=... N=...` reads this file (boards/board.sh).
NAME        = Digilent Arty A7-35T
FAMILY      = xilinx
# the compiler's lowering choice for this fabric (tc0c --target, docs/cli.md)
COMPILE_FLAGS = --target lut6
DEVICE      = xc7a35t
PACKAGE     = csg324
PART        = xc7a35ticsg324-1L
CLK_HZ      = 100000000
BAUD        = 115200
# yosys synth_xilinx only: place and route needs Vivado (or openXC7's nextpnr-xilinx)
FLOW        = synth
CONSTRAINTS = constraints/arty_a7_35t.xdc
# 6-input LUTs (and 41,600 flip-flops)
CAPACITY    = 20800
# LD4 accept, LD5 reject, LD6 error, LD7 heartbeat
LEDS        = 4
LED_INVERT  = 0x0
PROGRAM     = openFPGALoader -b arty
