# decode_breakdown.gp -- decode steps as stacked bars of their ops (us per
# step), one bar per step: `gbsim decode --plot` (one bar) and
# `gbsim sweep --plot` of kind bars (one bar per point). Each op has its
# colour from plots/palette.c in every plot; a dashed red mark across each bar
# is that step's DRAM floor (bytes that must move / peak DRAM bandwidth).
# Schema of `datafile` (tab-separated), two blocks:
#   block 0: a header "bar" then one op name per column; then one line per
#            bar: its label, then us per step of each op (0 when absent)
#   block 1: one line per bar: x (0, 1, ...), floor us, step us, the text
#            printed above the bar
# Variables set by gbsim before this script: datafile, ncols (columns of
# block 0), nbars, array OPC[ncols - 1] (colours of the op columns),
# plot_title, ymax (top of the y axis in us), xrot (1: slant the bar labels).
set datafile separator "\t"
set style data histogram
set style histogram rowstacked
set style fill solid 0.9 border rgb "#303030"
set boxwidth 0.6
set key outside right top vertical Left reverse invert noenhanced font ",10" spacing 1.1
set title plot_title noenhanced font ",11"
set ylabel "time per decode step (us)"
set yrange [0:ymax]
set xrange [-0.6:nbars - 0.4]
set grid ytics lc rgb "#dddddd"
set xtics nomirror noenhanced
if (xrot) { set xtics rotate by 30 right font ",9" }
set tics out
set border 3
set ytics nomirror
plot for [i=2:ncols] datafile index 0 using i:xtic(1) title columnheader(i) lc rgb OPC[i - 1], \
     datafile index 1 using ($1 - 0.38):2:(0.76):(0) with vectors nohead lw 2.5 dt (6, 4) \
         lc rgb "#C00000" title "DRAM floor", \
     datafile index 1 using 1:3:4 with labels offset 0, 0.9 font ",9" noenhanced notitle
