# Sipeed Tang Nano 9K: the timing constraint for tc0c_board_top's clock
# (27 MHz oscillator on pin 52; constraints/tangnano9k.cst), for Gowin EDA
# (and nextpnr-himbaechel, which also reads the period from --freq).
create_clock -name clk -period 37.037 -waveform {0 18.518} [get_ports {clk}]
