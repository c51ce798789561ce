# Radiona ULX3S (v3.x), 85F variant: Lattice ECP5 LFE5U-85F-6BG381C,
# 25 MHz oscillator, FTDI FT231X USB-UART (also used for JTAG by
# fujprog/openFPGALoader), eight LEDs, active high.  The ESP32's GPIO0
# (wifi_gpio0) is held high so the ESP32 does not reset the FPGA.
# `make board BOARD=ulx3s MODEL=... N=...` reads this file (boards/board.sh).
NAME        = ULX3S 85F
FAMILY      = ecp5
# the compiler's lowering choice for this fabric (tc0c --target, docs/cli.md)
COMPILE_FLAGS = --target lut4
DEVICE      = 85k
PACKAGE     = CABGA381
PART        = LFE5U-85F-6BG381C
CLK_HZ      = 25000000
BAUD        = 115200
# yosys synth_ecp5 only: place and route needs nextpnr-ecp5 + ecppack (Project Trellis) or Lattice Diamond
FLOW        = synth
CONSTRAINTS = constraints/ulx3s.lpf
# 4-input LUTs
CAPACITY    = 83640
# D0 accept, D1 reject, D2 error, D3 heartbeat, D4-D7 off
LEDS        = 8
LED_INVERT  = 0x0
TIE_HIGH    = wifi_gpio0
PROGRAM     = openFPGALoader -b ulx3s
