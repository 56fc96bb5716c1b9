// Package letter lays out a notice as a printable PDF letter: the sender's
// letterhead, the recipient in the address window of a C5/DL window
// envelope, the date, the notice text (indented lines, the claims and
// amounts tables, set in a monospaced face so their columns align), and a
// payment box with account, reference, amount and pay-by date.
//
// It uses github.com/signintech/gopdf with the Go fonts (golang.org/x/image/
// font/gofont): they embed as TrueType subsets, cover the Nordic letters,
// and need no font files on the host.
package letter

import (
	"fmt"
	"strings"
	"time"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/inkasso-operator/inkasso-operator/internal/notice"
)

// Party is a sender, creditor or recipient block.
type Party struct {
	Name  string
	Lines []string // address lines, postal code and city, country
	Extra []string // organization number, contact
}

// Letter is everything printed.
type Letter struct {
	Language  string
	Paper     string // A4 (default) or Letter
	Date      time.Time
	Sender    Party
	Recipient Party
	Title     string
	Body      string
	// Payment box; omitted when Reference and Amount are empty.
	Account   string
	Reference string
	Amount    string // formatted, with currency
	PayBy     string // formatted
	// Footer identifies the notice (its name) on every page.
	Footer string
}

// Info describes a rendered PDF.
type Info struct {
	Pages int
	Bytes int
}

const pt = 72 / 25.4 // points per millimetre

func mm(v float64) float64 { return v * pt }

// labels per language for the fixed parts of the letter.
var labels = map[string]map[string]string{
	"nb": {"date": "Dato", "account": "Kontonummer", "reference": "KID", "amount": "Beløp", "payBy": "Betalingsfrist", "page": "Side", "pay": "Innbetaling"},
	"sv": {"date": "Datum", "account": "Bankgiro/konto", "reference": "OCR", "amount": "Belopp", "payBy": "Förfallodag", "page": "Sida", "pay": "Inbetalning"},
	"fi": {"date": "Päiväys", "account": "Tilinumero", "reference": "Viitenumero", "amount": "Summa", "payBy": "Eräpäivä", "page": "Sivu", "pay": "Maksu"},
	"en": {"date": "Date", "account": "Account", "reference": "Reference", "amount": "Amount", "payBy": "Pay by", "page": "Page", "pay": "Payment"},
}

// Render returns the letter as PDF.
func Render(l Letter) ([]byte, Info, error) {
	lab, ok := labels[l.Language]
	if !ok {
		lab = labels["en"]
		if l.Language == "nn" {
			lab = labels["nb"]
		}
	}
	size := *gopdf.PageSizeA4
	if l.Paper == "Letter" {
		size = *gopdf.PageSizeLetter
	}
	w := &writer{pdf: &gopdf.GoPdf{}, size: size, lab: lab, footer: l.Footer}
	w.pdf.Start(gopdf.Config{Unit: gopdf.UnitPT, PageSize: size})
	w.pdf.SetInfo(gopdf.PdfInfo{Title: l.Title, Author: l.Sender.Name, Creator: "inkasso-operator", Producer: "inkasso-operator", CreationDate: l.Date})
	for name, ttf := range map[string][]byte{"regular": goregular.TTF, "bold": gobold.TTF, "mono": gomono.TTF} {
		if err := w.pdf.AddTTFFontData(name, ttf); err != nil {
			return nil, Info{}, fmt.Errorf("loading font %s: %w", name, err)
		}
	}
	if err := w.letter(l); err != nil {
		return nil, Info{}, err
	}
	w.footers()
	out := w.pdf.GetBytesPdf()
	return out, Info{Pages: w.pdf.GetNumberOfPages(), Bytes: len(out)}, nil
}

type writer struct {
	pdf    *gopdf.GoPdf
	size   gopdf.Rect
	lab    map[string]string
	footer string
	err    error
}

func (w *writer) font(name string, size float64) {
	if err := w.pdf.SetFont(name, "", size); err != nil && w.err == nil {
		w.err = err
	}
}

func (w *writer) text(x, y float64, s string) {
	w.pdf.SetXY(x, y)
	if err := w.pdf.Cell(nil, s); err != nil && w.err == nil {
		w.err = fmt.Errorf("writing %q: %w", s, err)
	}
}

var (
	left   = mm(25)
	right  = mm(20)
	top    = mm(15)
	bottom = mm(25)
)

func (w *writer) width() float64 { return w.size.W - left - right }

// newPage starts a continuation page and returns the y to write at.
func (w *writer) newPage() float64 {
	w.pdf.AddPage()
	return top + mm(10)
}

func (w *writer) letter(l Letter) error {
	w.pdf.AddPage()
	// Letterhead: the sender, top left; the date, top right.
	w.font("bold", 12)
	w.text(left, top, l.Sender.Name)
	w.font("regular", 8.5)
	y := top + mm(5.5)
	for _, s := range append(append([]string{}, l.Sender.Lines...), l.Sender.Extra...) {
		w.text(left, y, s)
		y += mm(3.8)
	}
	w.font("regular", 10)
	date := w.lab["date"] + ": " + notice.FormatDate(l.Language, l.Date.Format(time.DateOnly))
	dw, _ := w.pdf.MeasureTextWidth(date)
	w.text(w.size.W-right-dw, top, date)

	// Recipient in the envelope window: 20 mm from the left edge, 45 mm
	// from the top (C5/DL window, SS-EN ISO 269 / Posten's guidelines).
	w.font("regular", 11)
	y = mm(47)
	for _, s := range append([]string{l.Recipient.Name}, l.Recipient.Lines...) {
		w.text(mm(22), y, s)
		y += mm(5)
	}

	y = mm(95)
	w.font("bold", 15)
	w.text(left, y, l.Title)
	y += mm(11)

	// The notice text: paragraphs wrapped to the width; indented lines
	// (tables) in the monospaced face, unwrapped.
	for _, line := range strings.Split(strings.TrimRight(l.Body, "\n"), "\n") {
		mono := strings.HasPrefix(line, "  ")
		lh := mm(5)
		if mono {
			w.font("mono", 9.5)
		} else {
			w.font("regular", 10.5)
		}
		parts := []string{""}
		if strings.TrimSpace(line) != "" {
			var err error
			if mono {
				parts = []string{line}
			} else if parts, err = w.pdf.SplitTextWithWordWrap(line, w.width()); err != nil {
				return fmt.Errorf("wrapping text: %w", err)
			}
		} else {
			lh = mm(3)
		}
		for _, p := range parts {
			if y+lh > w.size.H-bottom {
				y = w.newPage()
				if mono {
					w.font("mono", 9.5)
				} else {
					w.font("regular", 10.5)
				}
			}
			if p != "" {
				w.text(left, y, p)
			}
			y += lh
		}
	}

	if l.Reference != "" || l.Amount != "" {
		box := mm(34)
		if y+mm(8)+box > w.size.H-bottom {
			y = w.newPage()
		}
		y += mm(8)
		w.pdf.SetLineWidth(0.8)
		w.pdf.RectFromUpperLeftWithStyle(left, y, w.width(), box, "D")
		w.font("bold", 11)
		w.text(left+mm(4), y+mm(4), w.lab["pay"])
		rows := [][2]string{{w.lab["account"], l.Account}, {w.lab["reference"], l.Reference}, {w.lab["amount"], l.Amount}, {w.lab["payBy"], l.PayBy}}
		ry := y + mm(11)
		for _, r := range rows {
			if r[1] == "" {
				continue
			}
			w.font("regular", 10)
			w.text(left+mm(4), ry, r[0])
			w.font("mono", 11)
			w.text(left+mm(45), ry, r[1])
			ry += mm(5.5)
		}
	}
	return w.err
}

// footers numbers the pages and names the notice on each.
func (w *writer) footers() {
	n := w.pdf.GetNumberOfPages()
	for i := 1; i <= n; i++ {
		if err := w.pdf.SetPage(i); err != nil {
			continue
		}
		w.font("regular", 7.5)
		w.text(left, w.size.H-mm(12), w.footer)
		s := fmt.Sprintf("%s %d/%d", w.lab["page"], i, n)
		sw, _ := w.pdf.MeasureTextWidth(s)
		w.text(w.size.W-right-sw, w.size.H-mm(12), s)
	}
}
