# Lattice iCE40-HX8K Breakout Board (ICE40HX8K-B-EVN): iCE40HX8K-CT256,
# 12 MHz oscillator, FTDI FT2232H (channel A: flash programming, channel
# B: the USB-UART), eight red LEDs D2-D9, active high.
# `make board BOARD=hx8k MODEL=... N=...` reads this file (boards/board.sh).
NAME        = iCE40-HX8K Breakout Board
FAMILY      = ice40
# the compiler's lowering choice for this fabric (tc0c --target, docs/cli.md)
COMPILE_FLAGS = --target lut4
DEVICE      = hx8k
PACKAGE     = ct256
PART        = iCE40HX8K-CT256
CLK_HZ      = 12000000
BAUD        = 115200
# yosys synth_ice40 -> nextpnr-ice40 -> icepack
FLOW        = ice40
# LUT-friendly settings (docs/boards.md "Settings per family"): adders as
# plain logic that ABC restructures (no SB_CARRY chains), and a register
# stage every 4 threshold levels so that ABC sees across levels
SYNTH_FLAGS = -nocarry
PIPELINE    = 4
CONSTRAINTS = constraints/hx8k.pcf
# logic cells (one LUT4 + one flip-flop each)
CAPACITY    = 7680
# D2 accept, D3 reject, D4 error, D5 heartbeat, D6-D9 off
LEDS        = 8
LED_INVERT  = 0x0
PROGRAM     = iceprog
