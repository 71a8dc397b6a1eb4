# decode_breakdown.gp -- one decode step as a stacked bar of kernel classes
# (us per step) beside the DRAM floor. Schema of `datafile` (tab-separated):
#   line 1: "bar" then one class name per column
#   line 2: "simulated" then us/step per class
# Variables set by gbsim before this script: datafile, ncols, floor_us,
# step_us, plot_title.
set datafile separator "\t"
set style data histogram
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.45
set key outside right top vertical Left reverse invert noenhanced font ",10"
# 12 distinguishable colours (Okabe-Ito plus greys), repeated past 12 classes
array C[12] = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", \
               "#F0E442", "#000000", "#999999", "#7F3C8D", "#11A579", "#3969AC"]
do for [i=1:12] { set linetype i lc rgb C[i] }
set title plot_title noenhanced
set ylabel "time per decode step (us)"
set yrange [0:step_us * 1.12]
set grid ytics
set xtics noenhanced
set arrow 1 from graph 0, first floor_us to graph 1, first floor_us nohead lw 2 dt 2 lc rgb "#c00000" front
set label 1 sprintf("DRAM floor at peak bandwidth: %.0f us", floor_us) at graph 0.02, first floor_us offset 0, 0.7 textcolor rgb "#c00000" front
plot for [i=2:ncols] datafile using i:xtic(1) title columnheader(i) lt ((i - 2) % 12 + 1)
