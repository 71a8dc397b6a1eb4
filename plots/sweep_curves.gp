# sweep_curves.gp -- `gbsim sweep --plot` of kind curves: a figure (tok/s,
# predicted us) against one numeric grid key, one line per combination of the
# other grid keys, each with an optional dashed line in its colour (the DRAM
# limit of tok/s).
# Schema of `datafile` (tab-separated, no header): one block per series, in
# the order of ST, blocks separated by two blank lines; each line
#   x <TAB> y <TAB> y2 (NaN: no point)
# Variables set by gbsim before this script: datafile, nseries, has_y2, logx,
# logy, plot_title, x_label, y_label, y2_title, and the arrays ST[nseries]
# (legend text) and SC[nseries] (colours, plots/palette.c).
set datafile separator "\t"
set datafile missing "NaN"
set title plot_title noenhanced font ",11"
set xlabel x_label noenhanced
set ylabel y_label noenhanced
set key outside right top vertical Left reverse noenhanced spacing 1.2
set grid xtics ytics lc rgb "#dddddd"
set border 3
set tics out nomirror
if (logx) { set logscale x 2 }
if (logy) { set logscale y; set grid mytics lc rgb "#eeeeee" }
set offsets graph 0.02, graph 0.02, graph 0.05, graph 0.02
if (!logy) { set yrange [0:*] }
plot for [s=1:nseries] datafile index (s - 1) using 1:2 with linespoints lw 2 pt 7 ps 1.1 \
         lc rgb SC[s] title ST[s], \
     for [s=1:(has_y2 ? nseries : 0)] datafile index (s - 1) using 1:3 with lines lw 1.5 \
         dt (8, 5) lc rgb SC[s] title (s == 1 ? y2_title : ""),
