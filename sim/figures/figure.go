// Package figures draws lrpsim's figures with gonum/plot, as PNG or SVG: speedup and energy
// reduction over dense per task, the termination-step histogram of a trace, the energy breakdown
// of the design and its baselines, and a metric against a swept parameter.
//
// Text uses gonum/plot's embedded Liberation fonts, so no system fonts are needed; SVG files name
// the font family ("Liberation Sans") rather than embedding it.
package figures

import (
	"bytes"
	"cmp"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/lrpsim/lrpsim/sim"
)

// DPI is the resolution of PNG figures.
const DPI = 150

// Figure is a plot ready to render, with an optional legend drawn in a column right of the plot
// so that it never covers data.
type Figure struct {
	Plot *plot.Plot
	// Legend is drawn right of the plot when it has entries; nil: no side legend.
	Legend *plot.Legend
	// Width and Height are the size of the whole figure.
	Width, Height vg.Length

	// thinX blanks x tick labels that would overlap the one before (the tick stays).
	thinX bool
}

// Formats lists the output formats, by file extension.
func Formats() []string { return []string{"png", "svg"} }

// FormatOf returns the format of an output path from its extension: "png" or "svg".
func FormatOf(path string) (string, error) {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	switch ext {
	case "png", "svg":
		return ext, nil
	case "":
		return "", fmt.Errorf("%s: no file extension; expected .png or .svg", path)
	}
	return "", fmt.Errorf("%s: unsupported extension .%s; expected .png or .svg", path, ext)
}

// Render draws the figure as format ("png" or "svg").
func (f Figure) Render(format string) ([]byte, error) {
	var buf bytes.Buffer
	switch format {
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(DPI), vgimg.UseBackgroundColor(color.White))
		f.draw(draw.New(c))
		if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
			return nil, err
		}
	case "svg":
		c := vgsvg.New(f.Width, f.Height)
		f.draw(draw.New(c))
		if _, err := c.WriteTo(&buf); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unsupported figure format %q; expected png or svg", format)
	}
	return buf.Bytes(), nil
}

// Save renders the figure in the format of path's extension and writes it atomically: on error
// no file is left.
func (f Figure) Save(path string) error {
	format, err := FormatOf(path)
	if err != nil {
		return err
	}
	b, err := f.Render(format)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return sim.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// draw paints the background, the title over the whole width, the plot and the side legend.
func (f Figure) draw(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	const margin = 6 // points around the figure
	c = draw.Crop(c, vg.Points(margin), -vg.Points(margin), vg.Points(margin), -vg.Points(margin))
	p := *f.Plot // the title is drawn here, centred on the figure rather than on the plot
	if t := p.Title; t.Text != "" {
		descent := t.TextStyle.FontExtents().Descent
		c.FillText(t.TextStyle, vg.Point{X: c.Center().X, Y: c.Max.Y + descent}, t.Text)
		c = draw.Crop(c, 0, 0, 0, -(t.TextStyle.Rectangle(t.Text).Size().Y + t.Padding))
		p.Title.Text = ""
	}
	area := c
	if r := f.legendRect(c); r.Size().Y > 0 {
		const gap = 12 // points between the plot and the legend
		lw := r.Size().X + vg.Points(gap)
		area = draw.Crop(c, 0, -lw, 0, 0)
		f.Legend.Draw(draw.Crop(c, c.Size().X-lw+vg.Points(gap), 0, 0, 0))
	}
	if f.thinX {
		p.X.Tick.Marker = thinTicks(&p, area)
	}
	p.Draw(area)
}

// thinTicks returns the x ticks of p with the labels that would overlap the previous label
// blanked, left to right, for a plot drawn in area.
func thinTicks(p *plot.Plot, area draw.Canvas) plot.ConstantTicks {
	dc := p.DataCanvas(area)
	tx, _ := p.Transforms(&dc)
	ticks := p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max)
	out := make(plot.ConstantTicks, len(ticks))
	right := vg.Length(math.Inf(-1))
	gap := p.X.Tick.Label.Width("  ")
	for i, t := range ticks {
		out[i] = t
		if t.Label == "" {
			continue
		}
		x, w := tx(t.Value), p.X.Tick.Label.Width(t.Label)
		if x-vg.Length(w/2) < right+gap {
			out[i].Label = ""
			continue
		}
		right = x + vg.Length(w/2)
	}
	return out
}

// legendRect is the extent of the side legend; an empty or absent legend has a zero size.
func (f Figure) legendRect(c draw.Canvas) vg.Rectangle {
	if f.Legend == nil {
		return vg.Rectangle{}
	}
	return f.Legend.Rectangle(c)
}

// sans is the figures' font, Liberation Sans, at size points.
func sans(size float64) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: vg.Points(size)}
}

// textStyle is black text in the figures' font.
func textStyle(size float64) text.Style {
	return text.Style{Color: color.Black, Font: sans(size), Handler: plot.DefaultTextHandler}
}

// newPlot returns a plot with the figures' fonts: 13 pt title, 12 pt axis labels, 11 pt ticks.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(13)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(12)
		a.Tick.Label.Font = sans(11)
		a.Label.Padding = vg.Points(4)
	}
	p.Legend.TextStyle.Font = sans(11)
	return p
}

// newLegend returns a side legend with the figures' font.
func newLegend() *plot.Legend {
	l := plot.NewLegend()
	l.TextStyle.Font = sans(11)
	l.Top, l.Left = true, true
	l.ThumbnailWidth = vg.Points(16)
	l.Padding = vg.Points(3)
	return &l
}

// palette is the seven colours of the Okabe-Ito colour-blind-safe palette, then grey, black and
// light grey (which the energy figure keeps for "other").
func palette() []color.Color {
	hex := []uint32{0x0072B2, 0xE69F00, 0x009E73, 0xD55E00, 0x56B4E9, 0xCC79A7, 0xF0E442,
		0x7F7F7F, 0x000000, 0xBBBBBB}
	out := make([]color.Color, len(hex))
	for i, h := range hex {
		out[i] = color.RGBA{R: uint8(h >> 16), G: uint8(h >> 8), B: uint8(h), A: 255}
	}
	return out
}

// barLayout sizes bars and their value labels in data units when the plot is drawn, so that a
// bar is a fixed fraction of its slot whatever room the axes and the legend leave. Add it to the
// plot before the bars it sizes.
type barLayout struct {
	// width is the bars' width in x data units (a group's slot is 1).
	width float64
	bars  []*plotter.BarChart
	offs  []float64 // each bar's offset from its x, in x data units
	lbls  []*plotter.Labels
	loffs []float64
}

func (l *barLayout) addBars(b *plotter.BarChart, off float64) {
	l.bars, l.offs = append(l.bars, b), append(l.offs, off)
}

func (l *barLayout) addLabels(lb *plotter.Labels, off float64) {
	l.lbls, l.loffs = append(l.lbls, lb), append(l.loffs, off)
}

// Plot implements plot.Plotter: it sets the widths and offsets in canvas lengths.
func (l *barLayout) Plot(c draw.Canvas, p *plot.Plot) {
	tx, _ := p.Transforms(&c)
	unit := tx(1) - tx(0)
	for i, b := range l.bars {
		b.Width = vg.Length(l.width) * unit
		b.Offset = vg.Length(l.offs[i]) * unit
	}
	for i, lb := range l.lbls {
		lb.Offset.X = vg.Length(l.loffs[i]) * unit
	}
	l.separateLabels(unit)
}

// separateLabels keeps value labels from overlapping ("1.001.01"): when two neighbouring
// labels would touch written across, every label is turned upright (read bottom to top), and
// when even upright labels are taller than the room between neighbours, their font shrinks to
// fit. unit is the canvas length of one x data unit.
func (l *barLayout) separateLabels(unit vg.Length) {
	type lbl struct {
		x vg.Length
		w vg.Length
	}
	var all []lbl
	var size vg.Length
	for i, lb := range l.lbls {
		for j, xy := range lb.XYs {
			all = append(all, lbl{x: vg.Length(vg.Length(xy.X)*unit) + vg.Length(vg.Length(l.loffs[i])*unit), w: lb.TextStyle[j].Width(lb.Labels[j])})
			size = lb.TextStyle[j].Font.Size
		}
	}
	if len(all) < 2 {
		return
	}
	slices.SortFunc(all, func(a, b lbl) int { return cmp.Compare(a.x, b.x) })
	gap := vg.Points(2)
	across := true
	room := vg.Length(math.Inf(1))
	for k := 1; k < len(all); k++ {
		d := all[k].x - all[k-1].x
		room = min(room, d)
		if vg.Length((all[k].w+all[k-1].w)/2)+gap > d {
			across = false
		}
	}
	if across {
		return
	}
	// Upright, a label takes its line height across: about 1.2 times the font size.
	fit := min(size, (room-gap)/1.2)
	for _, lb := range l.lbls {
		for j := range lb.TextStyle {
			st := &lb.TextStyle[j]
			st.Rotation = math.Pi / 2
			st.XAlign, st.YAlign = draw.XLeft, draw.YCenter
			if fit < st.Font.Size {
				st.Font.Size = fit
			}
		}
	}
}

// colorAt returns the palette's i-th colour, cycling.
func colorAt(i int) color.Color {
	p := palette()
	return p[i%len(p)]
}
