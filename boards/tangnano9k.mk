# Sipeed Tang Nano 9K: Gowin GW1NR-LV9QN88PC6/I5 (family GW1N-9C), 27 MHz
# oscillator, BL702 USB-JTAG/UART bridge, six LEDs, active low.
# `make board BOARD=tangnano9k MODEL=... N=...` reads this file (boards/board.sh).
NAME        = Sipeed Tang Nano 9K
FAMILY      = gowin
# the compiler's lowering choice for this fabric (tc0c --target, docs/cli.md)
COMPILE_FLAGS = --target lut4
DEVICE      = GW1N-9C
PACKAGE     = QN88P
PART        = GW1NR-LV9QN88PC6/I5
CLK_HZ      = 27000000
BAUD        = 115200
# yosys synth_gowin only: place and route needs Gowin EDA (or nextpnr-himbaechel + gowin_pack from Project Apicula)
# (DEVICE is the chip family name that nextpnr-himbaechel and gowin_pack use for the GW1NR-9C)
FLOW        = synth
CONSTRAINTS = constraints/tangnano9k.cst constraints/tangnano9k.sdc
# 4-input LUTs
CAPACITY    = 8640
# LED1 accept, LED2 reject, LED3 error, LED4 heartbeat, LED5-LED6 off
LEDS        = 6
LED_INVERT  = 0x3f
PROGRAM     = openFPGALoader -b tangnano9k
