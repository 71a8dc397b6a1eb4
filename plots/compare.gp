# compare.gp -- gbsim compare: simulated vs measured time per decode step, one
# point per op class, log-log, with the y = x line and a factor-2 band.
# Schema of `datafile` (tab-separated, no header; one row per class that has
# both a measurement and a simulation):
#   class <TAB> measured us/step <TAB> simulated us/step
# Variables set by gbsim before this script: datafile, plot_title, lo, hi
# (the axis range in us, the same on both axes).
set datafile separator "\t"
set logscale xy
set xrange [lo:hi]
set yrange [lo:hi]
set size square
set grid xtics ytics mxtics mytics
set key top left noenhanced
set title plot_title noenhanced
set xlabel "measured (us per decode step)"
set ylabel "simulated (us per decode step)"
set samples 200
plot x title "simulated = measured" lw 1.5 dt 2 lc rgb "#555555", \
     x * 2 title "x2 / x0.5" lw 1 dt 3 lc rgb "#bbbbbb", \
     x / 2 notitle lw 1 dt 3 lc rgb "#bbbbbb", \
     datafile using 2:3 with points pt 7 ps 1.3 lc rgb "#0072B2" title "op class", \
     datafile using 2:3:1 with labels left offset 0.8, 0.4 font ",9" noenhanced notitle
