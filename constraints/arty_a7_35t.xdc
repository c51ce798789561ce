## Digilent Arty A7-35T, xc7a35ticsg324-1L: pins of tc0c_board_top
## (boards/board_wrapper.py top; boards/arty_a7_35t.mk).
## Source: Digilent's Arty-A7-35-Master.xdc (github.com/Digilent/digilent-xdc)
## and the Arty A7 Reference Manual.  Digilent names the UART pins from the
## host's side: uart_txd_in (A9) is the FPGA's input, uart_rxd_out (D10)
## its output.

## 100 MHz oscillator
set_property -dict { PACKAGE_PIN E3  IOSTANDARD LVCMOS33 } [get_ports { clk }]
create_clock -add -name sys_clk_pin -period 10.00 -waveform {0 5} [get_ports { clk }]

## USB-UART (FT2232HQ channel B)
set_property -dict { PACKAGE_PIN A9  IOSTANDARD LVCMOS33 } [get_ports { uart_rx }]
set_property -dict { PACKAGE_PIN D10 IOSTANDARD LVCMOS33 } [get_ports { uart_tx }]
## the UART is asynchronous to the clock
set_false_path -from [get_ports { uart_rx }]
set_false_path -to [get_ports { uart_tx }]

## LEDs LD4..LD7, active high
set_property -dict { PACKAGE_PIN H5  IOSTANDARD LVCMOS33 } [get_ports { led[0] }]
set_property -dict { PACKAGE_PIN J5  IOSTANDARD LVCMOS33 } [get_ports { led[1] }]
set_property -dict { PACKAGE_PIN T9  IOSTANDARD LVCMOS33 } [get_ports { led[2] }]
set_property -dict { PACKAGE_PIN T10 IOSTANDARD LVCMOS33 } [get_ports { led[3] }]
set_false_path -to [get_ports { led[*] }]

## configuration bank voltage
set_property CFGBVS VCCO [current_design]
set_property CONFIG_VOLTAGE 3.3 [current_design]
