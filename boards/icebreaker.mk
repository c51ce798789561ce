# 1BitSquared iCEBreaker v1.0: Lattice iCE40UP5K-SG48, 12 MHz oscillator,
# FTDI FT2232H (channel A: flash programming, channel B: the USB-UART).
# `make board BOARD=icebreaker MODEL=... N=...` reads this file
# (boards/board.sh; KEY = value lines; docs/boards.md).
NAME        = iCEBreaker v1.0
FAMILY      = ice40
# the compiler's lowering choice for this fabric (tc0c --target, docs/cli.md)
COMPILE_FLAGS = --target lut4
DEVICE      = up5k
PACKAGE     = sg48
PART        = iCE40UP5K-SG48
CLK_HZ      = 12000000
BAUD        = 115200
# yosys synth_ice40 -> nextpnr-ice40 -> icepack
FLOW        = ice40
# LUT-friendly settings (docs/boards.md "Settings per family"): adders as
# plain logic that ABC restructures (no SB_CARRY chains), and a register
# stage every 4 threshold levels so that ABC sees across levels
SYNTH_FLAGS = -nocarry
PIPELINE    = 4
CONSTRAINTS = constraints/icebreaker.pcf
# logic cells (one LUT4 + one flip-flop each)
CAPACITY    = 5280
# led[0] green (accept), led[1] red (reject): on-board, active low;
# led[2] (error), led[3] (heartbeat): LED1, LED2 of the PMOD2 break-off board, active high
LEDS        = 4
LED_INVERT  = 0x3
PROGRAM     = iceprog
