package controllers

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inkassov1 "github.com/inkasso-operator/inkasso-operator/api/v1alpha1"
	"github.com/inkasso-operator/inkasso-operator/internal/calendar"
	"github.com/inkasso-operator/inkasso-operator/internal/collection"
	"github.com/inkasso-operator/inkasso-operator/internal/contact"
	"github.com/inkasso-operator/inkasso-operator/internal/schedule"
)

// jurisdictionDefaults are the time zone and notice language of each jurisdiction.
var jurisdictionDefaults = map[inkassov1.Jurisdiction]struct {
	zone string
	lang inkassov1.Language
}{
	inkassov1.JurisdictionNorway:  {"Europe/Oslo", inkassov1.LanguageBokmal},
	inkassov1.JurisdictionSweden:  {"Europe/Stockholm", inkassov1.LanguageSwedish},
	inkassov1.JurisdictionFinland: {"Europe/Helsinki", inkassov1.LanguageFinnish},
}

// stallError is a problem no retry fixes until an object changes.
type stallError struct{ reason, msg string }

func (s *stallError) Error() string { return s.reason + ": " + s.msg }

func stall(reason, format string, args ...any) error {
	return &stallError{reason: reason, msg: fmt.Sprintf(format, args...)}
}

// resolvePolicy finds the claim's policy: its policyRef, else the namespace's
// policy annotated as default, else the only policy in the namespace.
func resolvePolicy(ctx context.Context, c client.Reader, claim *inkassov1.Claim) (*inkassov1.CollectionPolicy, error) {
	if ref := claim.Spec.PolicyRef; ref != nil {
		var p inkassov1.CollectionPolicy
		err := c.Get(ctx, types.NamespacedName{Namespace: claim.Namespace, Name: ref.Name}, &p)
		if apierrors.IsNotFound(err) {
			return nil, stall(reasonPolicyNotFound, "CollectionPolicy %q named by spec.policyRef does not exist in namespace %q", ref.Name, claim.Namespace)
		}
		if err != nil {
			return nil, fmt.Errorf("getting policy %s: %w", ref.Name, err)
		}
		return &p, nil
	}
	var list inkassov1.CollectionPolicyList
	if err := c.List(ctx, &list, client.InNamespace(claim.Namespace)); err != nil {
		return nil, fmt.Errorf("listing policies: %w", err)
	}
	var defaults []*inkassov1.CollectionPolicy
	for i := range list.Items {
		if list.Items[i].Annotations[inkassov1.DefaultPolicyAnnotation] == "true" {
			defaults = append(defaults, &list.Items[i])
		}
	}
	switch {
	case len(defaults) == 1:
		return defaults[0], nil
	case len(defaults) > 1:
		return nil, stall(reasonAmbiguousDefaultPolicy, "%d CollectionPolicies in namespace %q are annotated %s=true; keep one or set spec.policyRef", len(defaults), claim.Namespace, inkassov1.DefaultPolicyAnnotation)
	case len(list.Items) == 1:
		return &list.Items[0], nil
	case len(list.Items) == 0:
		return nil, stall(reasonPolicyNotFound, "no CollectionPolicy in namespace %q; create one or set spec.policyRef", claim.Namespace)
	}
	return nil, stall(reasonAmbiguousDefaultPolicy, "namespace %q has %d CollectionPolicies and none is annotated %s=true; set spec.policyRef", claim.Namespace, len(list.Items), inkassov1.DefaultPolicyAnnotation)
}

// locations caches time zones: time.LoadLocation reads and parses the zone
// file on every call, which was 5 % of the manager's CPU at scale.
var locations sync.Map // zone name -> *time.Location

func loadLocation(zone string) (*time.Location, error) {
	if l, ok := locations.Load(zone); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(zone)
	if err != nil {
		return nil, err // not cached: a zone database installed later is picked up
	}
	locations.Store(zone, l)
	return l, nil
}

// skewAllowance is Options.ClockSkewAllowance, set once by Setup: timing
// is a plain conversion called from every controller.
var skewAllowance atomic.Int64

// timing converts a policy into the schedule engine's input.
func timing(p *inkassov1.CollectionPolicy) (schedule.Policy, error) {
	zone := p.Spec.TimeZone
	if zone == "" {
		zone = jurisdictionDefaults[p.Spec.Jurisdiction].zone
	}
	loc, err := loadLocation(zone)
	if err != nil {
		return schedule.Policy{}, stall(collection.ReasonInvalidPolicy, "CollectionPolicy %q: spec.timeZone %q is not a known IANA time zone", p.Name, zone)
	}
	stepTime := 9 * time.Hour
	if p.Spec.StepTime != "" {
		t, err := time.Parse("15:04", p.Spec.StepTime)
		if err != nil {
			return schedule.Policy{}, stall(collection.ReasonInvalidPolicy, "CollectionPolicy %q: spec.stepTime %q is not HH:MM", p.Name, p.Spec.StepTime)
		}
		stepTime = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
	}
	var window time.Duration
	if w := p.Spec.StepWindow; w != nil {
		if w.Duration < 0 || w.Duration > 12*time.Hour {
			return schedule.Policy{}, stall(collection.ReasonInvalidPolicy, "CollectionPolicy %q: spec.stepWindow %s is not from 0 to 12h", p.Name, w.Duration)
		}
		window = w.Duration
	}
	out := schedule.Policy{
		Location:            loc,
		StepTime:            stepTime,
		StepWindow:          window,
		MinDaysAfterDue:     int(p.Spec.Eligibility.MinDaysAfterDue),
		MinDaysAfterInvoice: int(p.Spec.Eligibility.MinDaysAfterInvoice),
		SkewAllowance:       time.Duration(skewAllowance.Load()),
	}
	if cn := p.Spec.CreditorNotices; cn.Notifies(inkassov1.CreditorOverdueWarning) {
		out.CreditorWarning = true
		out.WarnAfterDueDays, out.TransferWarningDays = int(cn.WarnAfterDueDays), int(cn.TransferWarningDays)
	}
	for _, s := range p.Spec.Steps {
		st := schedule.Step{
			Name:         s.Name,
			Reminder:     s.Phase == inkassov1.StepPhaseReminder,
			AfterDueDays: int(s.AfterDueDays),
			MinGapDays:   int(s.MinGapDays),
		}
		if ca := p.Spec.CreditAssessment; ca != nil && s.Action == inkassov1.ActionEscalate {
			st.DecisionWaitDays = int(ca.DecisionTimeoutDays)
		}
		out.Steps = append(out.Steps, st)
	}
	return out, nil
}

// countryZones are the time zones of countries with one zone, for debtors
// without spec.timeZone.
var countryZones = map[string]string{
	"NO": "Europe/Oslo", "SE": "Europe/Stockholm", "FI": "Europe/Helsinki", "DK": "Europe/Copenhagen",
	"IS": "Atlantic/Reykjavik", "DE": "Europe/Berlin", "PL": "Europe/Warsaw", "GB": "Europe/London",
	"NL": "Europe/Amsterdam", "EE": "Europe/Tallinn", "LV": "Europe/Riga", "LT": "Europe/Vilnius",
	"FR": "Europe/Paris", "IE": "Europe/Dublin", "ES": "Europe/Madrid", "IT": "Europe/Rome",
}

// debtorZone is where the debtor is contacted: its time zone and the public
// holidays of its country when the calendar knows them (else the policy's).
func debtorZone(d *inkassov1.Debtor, policyLoc *time.Location, policyCal *calendar.Calendar) (*time.Location, *calendar.Calendar) {
	loc, cal := policyLoc, policyCal
	zone := d.Spec.TimeZone
	if zone == "" {
		zone = countryZones[string(d.Spec.Country)]
	}
	if zone != "" {
		if l, err := loadLocation(zone); err == nil {
			loc = l
		}
	}
	if c, err := calendar.For(string(d.Spec.Country)); err == nil {
		cal = c
	}
	return loc, cal
}

var weekdays = map[inkassov1.Weekday]time.Weekday{
	inkassov1.WeekdaySunday: time.Sunday, inkassov1.WeekdayMonday: time.Monday, inkassov1.WeekdayTuesday: time.Tuesday,
	inkassov1.WeekdayWednesday: time.Wednesday, inkassov1.WeekdayThursday: time.Thursday, inkassov1.WeekdayFriday: time.Friday,
	inkassov1.WeekdaySaturday: time.Saturday,
}

// contactAllowedFrom is the first moment from now that the policy's contact
// windows allow reaching the debtor (now itself when allowed or when the
// windows are switched off).
func contactAllowedFrom(p *inkassov1.CollectionPolicy, loc *time.Location, cal *calendar.Calendar, now time.Time) (time.Time, error) {
	cw := p.Spec.ContactWindows
	if cw != nil && cw.Enabled != nil && !*cw.Enabled {
		return now, nil
	}
	windows := contact.Default()
	if cw != nil && len(cw.Windows) > 0 {
		windows = nil
		for i, w := range cw.Windows {
			start, err := contact.ParseClock(w.Start)
			if err != nil {
				return now, stall(collection.ReasonInvalidPolicy, "CollectionPolicy %q: spec.contactWindows.windows[%d].start: %v", p.Name, i, err)
			}
			end, err := contact.ParseClock(w.End)
			if err != nil {
				return now, stall(collection.ReasonInvalidPolicy, "CollectionPolicy %q: spec.contactWindows.windows[%d].end: %v", p.Name, i, err)
			}
			cw := contact.Window{Start: start, End: end}
			for _, d := range w.Days {
				cw.Days = append(cw.Days, weekdays[d])
			}
			windows = append(windows, cw)
		}
	}
	at := contact.NextAllowed(now, loc, windows, cal)
	if at.IsZero() {
		return now, stall(collection.ReasonInvalidPolicy, "CollectionPolicy %q: spec.contactWindows allow no contact in the next two weeks", p.Name)
	}
	return at, nil
}
