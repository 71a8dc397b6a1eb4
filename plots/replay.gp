# replay.gp -- gbsim replay: predicted vs measured time of every trace row
# that has measured_us, log-log, one point style per kind, with the y = x line
# and dashed ±10 % lines (y = 1.1 x and y = 0.9 x).
# Schema of `datafile` (tab-separated, no header): one block per kind present,
# blocks separated by two blank lines, in the order of block_title; each line
#   measured us <TAB> predicted us
# Variables set by gbsim before this script: datafile, plot_title, lo, hi (the
# axis range in us, the same on both axes), nblocks, and the arrays
# block_title[nblocks] (legend text) and block_kind[nblocks] (1 gemm,
# 2 grouped_gemm, 3 attention, 4 elementwise: picks the point style, so a kind
# looks the same in every plot).
set datafile separator "\t"
set logscale xy
set xrange [lo:hi]
set yrange [lo:hi]
set size square
set grid xtics ytics mxtics mytics lc rgb "#cccccc" dt 3
set key outside right top vertical Left reverse noenhanced spacing 1.3
set title plot_title noenhanced
set xlabel "measured time per kernel call (us)"
set ylabel "predicted time per kernel call (us)"
set samples 200
# Okabe-Ito colours; filled circle, square, triangle, diamond
array KIND_PT[4] = [7, 5, 9, 13]
array KIND_LC[4] = ["#0072B2", "#E69F00", "#009E73", "#CC79A7"]
plot x title "predicted = measured" lw 1.5 lc rgb "#555555", \
     x * 1.1 title "±10 %" lw 1 dt 2 lc rgb "#999999", \
     x * 0.9 notitle lw 1 dt 2 lc rgb "#999999", \
     for [b=1:nblocks] datafile index (b - 1) using 1:2 with points \
         pt KIND_PT[block_kind[b]] ps 1.4 lc rgb KIND_LC[block_kind[b]] title block_title[b]
