# sweep_heatmap.gp -- `gbsim sweep tile --plot`: one cell per point, columns
# the values of one grid key (m), rows the combinations of the others (tile,
# schedule, ...); colour from green (zmin, the best) to red (zmax); a grey
# cell is a point without a value (a configuration a rule forbids).
# Schema of `datafile` (tab-separated, no header): one line per cell
#   x (0..nx-1) <TAB> y (0..ny-1) <TAB> value (NaN: grey) <TAB> text <TAB> subtext
# Variables set by gbsim before this script: datafile, nx, ny, zmin, zmax,
# ylabel_chars (longest row label), plot_title, x_label, y_label, cb_label,
# and the xtics and ytics (labels at 0..nx-1, 0..ny-1).
set datafile separator "\t"
set datafile missing "NaN"
set title plot_title noenhanced font ",11"
set xlabel x_label noenhanced
# rows are labelled by their values; the title names the keys (y_label)
set cblabel cb_label noenhanced
set xrange [-0.5:nx - 0.5]
set yrange [-0.5:ny - 0.5]
set xtics noenhanced scale 0
set ytics noenhanced scale 0 font ",9"
set lmargin ylabel_chars * 0.85 + 6
set border 0
set palette defined (0 "#1A9850", 0.35 "#D9EF8B", 0.6 "#FEE08B", 1 "#D73027")
set cbrange [zmin:zmax]
set cbtics out
set object 1 rectangle from graph 0, graph 0 to graph 1, graph 1 behind fillcolor rgb "#D9D9D9" fillstyle solid noborder
unset key
fs = ny > 24 ? 7 : 9
plot datafile using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 1.0 noborder fc palette, \
     '' using 1:2:4 with labels offset 0, (ny > 24 ? 0 : 0.45) font sprintf(",%d", fs) noenhanced, \
     '' using 1:2:5 with labels offset 0, -0.55 font sprintf(",%d", fs - 2) tc rgb "#333333" noenhanced
