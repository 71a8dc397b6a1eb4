# compare.gp -- gbsim compare: measured and simulated time per decode step,
# side by side for each op class (a pair of horizontal bars per class:
# measured above, hatched, simulated below in the op's colour from
# plots/palette.c),
# log x, the error of simulated against measured beside each pair.
# Schema of `datafile` (tab-separated, no header; one line per class, the top
# row first):
#   y <TAB> measured us/step (NaN: none) <TAB> simulated us/step (NaN: none)
#   <TAB> colour (0xRRGGBB as an integer) <TAB> x of the note <TAB> note
# Variables set by gbsim before this script: datafile, plot_title, lo, hi
# (the x range in us), nrows, and the ytics (class labels at y = 0..nrows-1).
set datafile separator "\t"
set datafile missing "NaN"
set logscale x
set xrange [lo:hi]
set yrange [-0.6:nrows - 0.4]
set grid xtics mxtics lc rgb "#e4e4e4"
set xtics out nomirror
set ytics nomirror scale 0 noenhanced font ",9"
set border 1
set key inside bottom right vertical Left reverse noenhanced box lc rgb "#bbbbbb" width 1
set title plot_title noenhanced font ",11"
set xlabel "time per decode step (us, log scale)"
set style fill solid 0.9 border rgb "#404040"
plot datafile using (lo):($1 + 0.21):(lo):2:($1 + 0.02):($1 + 0.40) with boxxyerror \
         fs pattern 4 border rgb "#303030" fc rgb "#303030" title "measured", \
     '' using (lo):($1 - 0.21):(lo):3:($1 - 0.40):($1 - 0.02):4 with boxxyerror \
         fc rgb variable notitle, \
     keyentry with boxes fc rgb "#0072B2" title "simulated (in the op's colour)", \
     '' using 5:1:6 with labels left offset 0.5, 0 font ",9" noenhanced notitle
