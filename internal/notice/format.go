package notice

import (
	"strings"
	"text/template"
	"time"
)

// funcs are the template functions of a language: money and dates as the
// reader writes them.
func funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"money": func(s string) string { return formatMoney(lang, s) },
		"date":  func(s string) string { return formatDate(lang, s) },
		"rate":  func(s string) string { return formatRate(lang, s) },
	}
}

// formatMoney groups a decimal string's thousands: "1 803,12" in the
// Nordic languages, "1,803.12" in English. Anything else is returned as is.
func formatMoney(lang, s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" {
		return s
	}
	group, point := " ", ","
	if lang == "en" {
		group, point = ",", "."
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteString(point + frac)
	}
	return b.String()
}

var monthsEN = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

// formatDate writes an ISO date as the language does: 12.02.2026 (nb),
// 2026-02-12 (sv), 12.2.2026 (fi), 12 February 2026 (en).
func formatDate(lang, s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	switch lang {
	case "nb", "nn":
		return t.Format("02.01.2006")
	case "fi":
		return t.Format("2.1.2006")
	case "sv":
		return s
	}
	return t.Format("2 ") + monthsEN[t.Month()-1] + t.Format(" 2006")
}

// formatRate writes a percentage with the language's decimal sign.
func formatRate(lang, s string) string {
	if lang == "en" {
		return s
	}
	return strings.Replace(s, ".", ",", 1)
}

// FormatMoney writes a decimal amount as lang does (see formatMoney).
func FormatMoney(lang, s string) string { return formatMoney(language(lang, sets), s) }

// FormatDate writes an ISO date as lang does (see formatDate).
func FormatDate(lang, s string) string { return formatDate(language(lang, sets), s) }
