package notice

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"
	"time"
)

// A policy's template override is written by a creditor and executed by the
// operator for every creditor: it is hostile input. Go's text/template
// cannot be interrupted, and an empty loop ({{range 1000000000000}}{{end}})
// never writes, so neither a writer cap nor a timeout alone stops it.
// Overrides are therefore checked before they run (Validate): constructs
// whose cost is not bounded by the template's size and the notice's data are
// refused. What remains runs under an output cap and a time budget, and a
// text that hit either is quarantined so that it costs nothing the next time.
const (
	// MaxOverrideBytes is the longest override text (subject and body).
	MaxOverrideBytes = 32 << 10
	// MaxOutputBytes is the most one rendered subject or body may be.
	MaxOutputBytes = 256 << 10
	// RenderBudget is how long rendering one notice may take.
	RenderBudget = 2 * time.Second
	// maxRangeDepth bounds nested {{range}}: the claims of a case times
	// the claims of a case is the most a text may loop.
	maxRangeDepth = 2
	// maxFormatWidth bounds printf widths and precisions (%0999999999d
	// would allocate a gigabyte).
	maxFormatWidth = 100
)

// allowedFuncs are the functions an override may call: the notice's
// formatters and text/template's builtins whose cost follows their input.
// call (runs a function value) is not among them.
var allowedFuncs = map[string]bool{
	"money": true, "date": true, "rate": true,
	"and": true, "or": true, "not": true, "len": true, "index": true, "slice": true,
	"print": true, "printf": true, "println": true, "html": true, "js": true, "urlquery": true,
	"eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true,
}

// TemplateError is an override that cannot be used: which key, where, why.
type TemplateError struct {
	Key  string // "<template>.<language>"
	Line int    // line in the ConfigMap value, 0 when not known
	Msg  string
}

func (e *TemplateError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("template %q line %d: %s", e.Key, e.Line, e.Msg)
	}
	return fmt.Sprintf("template %q: %s", e.Key, e.Msg)
}

// Validate checks every override of a policy: that it parses and uses only
// constructs of bounded cost. The error names the first bad key (in sorted
// order) and its line.
func Validate(o Overrides) error {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, _, err := parseOverride(k, o[k], language(languageOf(k), sets)); err != nil {
			return err
		}
	}
	return nil
}

func languageOf(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[i+1:]
	}
	return ""
}

var lineInParseError = regexp.MustCompile(`^template: [^:]*:(\d+):\s*(.*)$`)

// parseError turns a text/template parse error into a TemplateError with
// the line counted in the whole override (offset: lines before the part).
func parseError(key string, offset int, err error) error {
	if m := lineInParseError.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &TemplateError{Key: key, Line: n + offset, Msg: m[2]}
	}
	return &TemplateError{Key: key, Msg: err.Error()}
}

// checkTree refuses what may cost more than the template's size and the
// data allow: {{template}}, {{block}} and {{define}} (recursion), {{range}}
// over anything but a field of the data (an integer, a variable, a function's
// result), ranges nested deeper than maxRangeDepth, functions outside
// allowedFuncs, and printf widths above maxFormatWidth.
func checkTree(key string, offset int, t *template.Template) error {
	if len(t.Templates()) > 1 {
		return &TemplateError{Key: key, Msg: "{{define}} and {{block}} are not allowed in an override"}
	}
	var walk func(n parse.Node, depth int) error
	fail := func(n parse.Node, format string, args ...any) error {
		line := 0
		if t.Tree != nil {
			loc, _ := t.ErrorContext(n)
			if _, l, ok := strings.Cut(loc, ":"); ok {
				l, _, _ = strings.Cut(l, ":")
				line, _ = strconv.Atoi(l)
			}
		}
		if line > 0 {
			line += offset
		}
		return &TemplateError{Key: key, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	var pipe func(p *parse.PipeNode) error
	pipe = func(p *parse.PipeNode) error {
		if p == nil {
			return nil
		}
		for _, cmd := range p.Cmds {
			for i, arg := range cmd.Args {
				switch a := arg.(type) {
				case *parse.IdentifierNode:
					if !allowedFuncs[a.Ident] {
						return fail(a, "function %q is not allowed in an override", a.Ident)
					}
					if a.Ident == "printf" && i == 0 {
						if err := checkFormat(cmd.Args[1:]); err != nil {
							return fail(a, "%v", err)
						}
					}
				case *parse.PipeNode:
					if err := pipe(a); err != nil {
						return err
					}
				case *parse.ChainNode:
					if sub, ok := a.Node.(*parse.PipeNode); ok {
						if err := pipe(sub); err != nil {
							return err
						}
					}
				}
			}
		}
		return nil
	}
	walk = func(n parse.Node, depth int) error {
		switch n := n.(type) {
		case nil:
			return nil
		case *parse.ListNode:
			if n == nil {
				return nil
			}
			for _, c := range n.Nodes {
				if err := walk(c, depth); err != nil {
					return err
				}
			}
		case *parse.ActionNode:
			return pipe(n.Pipe)
		case *parse.IfNode:
			return branch(walk, pipe, &n.BranchNode, depth)
		case *parse.WithNode:
			return branch(walk, pipe, &n.BranchNode, depth)
		case *parse.RangeNode:
			if depth+1 > maxRangeDepth {
				return fail(n, "{{range}} nested more than %d deep", maxRangeDepth)
			}
			if !rangesOverData(n.Pipe) {
				return fail(n, "{{range}} may only loop over a field of the notice data, such as .Claims (not %s)", n.Pipe)
			}
			return branch(walk, pipe, &n.BranchNode, depth+1)
		case *parse.TemplateNode:
			return fail(n, "{{template}} is not allowed in an override")
		}
		return nil
	}
	if t.Tree == nil {
		return nil
	}
	return walk(t.Tree.Root, 0)
}

func branch(walk func(parse.Node, int) error, pipe func(*parse.PipeNode) error, b *parse.BranchNode, depth int) error {
	if err := pipe(b.Pipe); err != nil {
		return err
	}
	if err := walk(b.List, depth); err != nil {
		return err
	}
	if b.ElseList != nil {
		return walk(b.ElseList, depth)
	}
	return nil
}

// rangesOverData: the pipeline is one field (.Claims, $.Claims), whose
// length is the notice's data, never a number, a variable a number could be
// assigned to, dot (which {{with 1000000000}} may set) or a function's
// result.
func rangesOverData(p *parse.PipeNode) bool {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return false
	}
	switch a := p.Cmds[0].Args[0].(type) {
	case *parse.FieldNode:
		return true
	case *parse.VariableNode:
		return len(a.Ident) > 1 && a.Ident[0] == "$"
	}
	return false
}

var formatVerb = regexp.MustCompile(`%[-+# 0]*(\*|\d+)?(?:\.(\*|\d+))?`)

// checkFormat refuses printf formats that are not a constant string, or
// that ask for a width or precision above maxFormatWidth or from an argument.
func checkFormat(args []parse.Node) error {
	if len(args) == 0 {
		return nil
	}
	s, ok := args[0].(*parse.StringNode)
	if !ok {
		return errors.New("printf needs a constant format string")
	}
	for _, m := range formatVerb.FindAllStringSubmatch(s.Text, -1) {
		for _, w := range m[1:] {
			if w == "*" {
				return errors.New("printf widths from arguments (*) are not allowed")
			}
			if w != "" {
				if n, err := strconv.Atoi(w); err != nil || n > maxFormatWidth {
					return fmt.Errorf("printf width or precision %s is above %d", w, maxFormatWidth)
				}
			}
		}
	}
	return nil
}

// errOutputCap and errBudget end a render.
var (
	errOutputCap = fmt.Errorf("the rendered text is longer than %d KiB", MaxOutputBytes>>10)
	errBudget    = fmt.Errorf("rendering took longer than %s", RenderBudget)
)

// cappedWriter stops a template that writes too much, or after its context
// ends (the budget, or the reconcile's own context on shutdown).
type cappedWriter struct {
	ctx context.Context
	buf []byte
}

func (w *cappedWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	if len(w.buf)+len(p) > MaxOutputBytes {
		return 0, errOutputCap
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// runBudgeted executes t within ctx: the caller gets the result, or an error
// as soon as ctx ends, even if the template is still running (it then stops
// at its next write; Validate refuses templates that never write in a loop).
func runBudgeted(ctx context.Context, t *template.Template, data any) (string, error) {
	w := &cappedWriter{ctx: ctx}
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("template panicked: %v", r)
			}
		}()
		done <- t.Execute(w, data)
	}()
	select {
	case err := <-done:
		if err != nil {
			if errors.Is(err, errOutputCap) {
				return "", err
			}
			if ctx.Err() != nil {
				return "", budgetOr(ctx)
			}
			return "", fmt.Errorf("rendering %s: %w", t.Name(), err)
		}
		return string(w.buf), nil
	case <-ctx.Done():
		return "", budgetOr(ctx)
	}
}

// budgetOr names the budget when it ran out, else the caller's cancellation
// (a shutdown), which says nothing about the text.
func budgetOr(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return errBudget
	}
	return ctx.Err()
}

// quarantine remembers override texts that ran over the budget or the
// output cap: they are refused at once the next time, so that one creditor's
// costly text spends a reconcile worker once, not on every claim. Keyed by
// the text's hash: editing the text lifts it.
var quarantine = struct {
	sync.Mutex
	m map[[32]byte]error
}{m: map[[32]byte]error{}}

const maxQuarantined = 1024

func quarantined(text string) error {
	quarantine.Lock()
	defer quarantine.Unlock()
	return quarantine.m[sha256.Sum256([]byte(text))]
}

func quarantineText(text string, err error) {
	quarantine.Lock()
	defer quarantine.Unlock()
	if len(quarantine.m) >= maxQuarantined {
		clear(quarantine.m)
	}
	quarantine.m[sha256.Sum256([]byte(text))] = err
}
