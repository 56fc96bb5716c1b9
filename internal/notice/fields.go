package notice

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"text/template"
	"text/template/parse"
)

// Empty is what EmptyFields found: the paths of data fields ("FeeCharged",
// "Claims[1].DueDate") that a template uses while they are empty (the zero
// value: "", an empty slice, nil). A field can be in both lists.
type Empty struct {
	// Required are printed, or passed to a function, while empty: the notice
	// shows a blank (or a function's output for "") where the template meant
	// a value.
	Required []string
	// Guarded are empty where they decide whether text is printed, so that
	// text was dropped: the condition of an if or with, an argument of and,
	// or and not that is not their result, the collection of a range with an
	// else. Fields used only inside dropped text are listed here too. The
	// template treats them as optional; whether the data means them to be
	// empty (no fee on this step, no deadline) is for the caller to decide.
	Guarded []string
}

// EmptyFields reports the fields of d that the templates Render would use
// for d (the title, legal text, subject and body, from the policy's override
// or the built-in set, and any template they call) use while empty. It reads
// the templates' parse trees, following range, with, if, variables and
// template calls with the values in d; it does not check what Render checks
// (the law's required facts). Title and Legal are not data: Render makes them
// from title/ and legal/ templates, whose own fields are reported.
func EmptyFields(d Data, overrides Overrides) (Empty, error) {
	if d.Template == "" {
		d.Template = d.Step
	}
	t, err := textsFor(d, overrides)
	if err != nil {
		return Empty{}, err
	}
	v, err := t.view(d)
	if err != nil {
		return Empty{}, err
	}
	w := newWalker(funcs(t.lang), "Title", "Legal")
	for _, tt := range []*template.Template{t.title, t.legal, t.subject, t.body} {
		if err := w.walk(tt, v); err != nil {
			return Empty{}, fmt.Errorf("%s: %w", t.key, err)
		}
	}
	return w.out, nil
}

// EmptyCreditorFields is EmptyFields for a notice to the creditor.
func EmptyCreditorFields(d CreditorData) (Empty, error) {
	t := creditorLanguages[language(d.Language, creditorLanguages)]
	subj, ok := t.subjects[d.Event]
	if !ok {
		return Empty{}, fmt.Errorf("no creditor notice for event %q", d.Event)
	}
	w := newWalker(nil)
	for name, text := range map[string]string{"subject": subj, "body": t.bodies[d.Event]} {
		tmpl, err := template.New(name).Option("missingkey=error").Parse(text)
		if err != nil {
			return Empty{}, fmt.Errorf("creditor %s %s: %w", d.Event, name, err)
		}
		if err := w.walk(tmpl, d); err != nil {
			return Empty{}, fmt.Errorf("creditor %s: %w", d.Event, err)
		}
	}
	sort.Strings(w.out.Required) // the map's order is random
	sort.Strings(w.out.Guarded)
	return w.out, nil
}

// value is what a template expression evaluates to, as far as the walker
// knows it.
type value struct {
	v     reflect.Value
	known bool   // false: computed by a function the walker does not run
	path  string // where v is in the data ("" for the root or a computed value)
	refs  []ref  // the data fields the value was computed from
}

// ref is a data field an expression used.
type ref struct {
	path  string
	empty bool
	guard bool // it only decides between arguments of and/or/not
}

type variable struct {
	name string
	val  value
}

// scope is where the walker is in a template.
type scope struct {
	tree    *parse.Tree
	tmpl    *template.Template // for {{template}}
	dot     value
	vars    []*variable // shared with enclosing scopes: an assignment reaches them
	dropped bool        // in text the data's values leave out
}

func (s *scope) child(dropped bool) *scope {
	c := *s
	c.vars = slices.Clone(s.vars) // declarations stay inside
	c.dropped = s.dropped || dropped
	return &c
}

type walker struct {
	funcs  template.FuncMap
	ignore map[string]bool // top-level names that are not data
	seen   map[string]bool
	depth  int
	out    Empty
}

func newWalker(funcs template.FuncMap, ignore ...string) *walker {
	w := &walker{funcs: funcs, ignore: map[string]bool{}, seen: map[string]bool{}}
	for _, name := range ignore {
		w.ignore[name] = true
	}
	return w
}

func (w *walker) walk(t *template.Template, data any) error {
	if t == nil || t.Tree == nil {
		return nil
	}
	root := value{v: reflect.ValueOf(data), known: true}
	return w.list(&scope{tree: t.Tree, tmpl: t, dot: root, vars: []*variable{{"$", root}}}, t.Tree.Root)
}

func (w *walker) list(s *scope, l *parse.ListNode) error {
	if l == nil {
		return nil
	}
	for _, n := range l.Nodes {
		if err := w.node(s, n); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) node(s *scope, n parse.Node) (err error) {
	defer func() {
		if err != nil {
			if _, ok := err.(located); !ok {
				loc, _ := s.tree.ErrorContext(n)
				err = located{fmt.Errorf("%s: %w", loc, err)}
			}
		}
	}()
	switch n := n.(type) {
	case *parse.ActionNode:
		val, err := w.pipe(s, n.Pipe)
		if err != nil {
			return err
		}
		if len(n.Pipe.Decl) > 0 {
			// An assignment prints nothing: its fields count where the
			// variable is used.
			s.assign(n.Pipe, val)
			return nil
		}
		w.use(s, val.refs, false)
	case *parse.IfNode:
		return w.branch(s, &n.BranchNode, false)
	case *parse.WithNode:
		return w.branch(s, &n.BranchNode, true)
	case *parse.RangeNode:
		return w.rangeNode(s, n)
	case *parse.TemplateNode:
		return w.call(s, n)
	case *parse.ListNode:
		return w.list(s, n)
	case *parse.TextNode, *parse.CommentNode, *parse.BreakNode, *parse.ContinueNode:
	default:
		return fmt.Errorf("unexpected %T", n)
	}
	return nil
}

// located is an error that already says where it happened.
type located struct{ error }

func (l located) Unwrap() error { return l.error }

// use reports the empty fields among refs: guarded when guard (a condition),
// when the text is dropped, or when the ref only chose an and/or argument.
func (w *walker) use(s *scope, refs []ref, guard bool) {
	for _, r := range refs {
		if !r.empty || r.path == "" || w.ignore[topName(r.path)] {
			continue
		}
		list, kind := &w.out.Required, "r"
		if guard || r.guard || s.dropped {
			list, kind = &w.out.Guarded, "g"
		}
		if !w.seen[kind+r.path] {
			w.seen[kind+r.path] = true
			*list = append(*list, r.path)
		}
	}
}

func topName(path string) string {
	for i, c := range path {
		if c == '.' || c == '[' {
			return path[:i]
		}
	}
	return path
}

// assign binds the variables a pipeline declares, or sets those it assigns.
// In dropped text nothing is assigned: the value is seen only there.
func (s *scope) assign(p *parse.PipeNode, val value) {
	for _, d := range p.Decl {
		name := d.Ident[0]
		if p.IsAssign && !s.dropped {
			for i := len(s.vars) - 1; i >= 0; i-- {
				if s.vars[i].name == name {
					s.vars[i].val = val
					break
				}
			}
			continue
		}
		s.vars = append(s.vars, &variable{name, val})
	}
}

func (s *scope) lookup(name string) (value, error) {
	for i := len(s.vars) - 1; i >= 0; i-- {
		if s.vars[i].name == name {
			return s.vars[i].val, nil
		}
	}
	return value{}, fmt.Errorf("undefined variable %s", name)
}

// branch walks an if or a with: the condition's empty fields are guards; the
// branch the data selects is walked as it is, the other as dropped text (both
// as they are when the condition is not known).
func (w *walker) branch(s *scope, b *parse.BranchNode, with bool) error {
	val, err := w.pipe(s, b.Pipe)
	if err != nil {
		return err
	}
	w.use(s, val.refs, true)
	truth := isTrue(val.v)
	thenScope, elseScope := s.child(val.known && !truth), s.child(val.known && truth)
	if len(b.Pipe.Decl) > 0 {
		thenScope.assign(b.Pipe, val)
		elseScope.assign(b.Pipe, val)
	}
	if with {
		thenScope.dot = value{v: val.v, known: val.known, path: val.path, refs: val.refs}
	}
	if err := w.list(thenScope, b.List); err != nil {
		return err
	}
	return w.list(elseScope, b.ElseList)
}

// rangeNode walks a range's body once per element. An empty collection is a
// guard when the range has an else, else a required field: a range without
// one drops its text silently.
func (w *walker) rangeNode(s *scope, n *parse.RangeNode) error {
	val, err := w.pipe(s, n.Pipe)
	if err != nil {
		return err
	}
	w.use(s, val.refs, n.ElseList != nil)
	if !val.known {
		if err := w.list(s.child(false), n.List); err != nil {
			return err
		}
		return w.list(s.child(false), n.ElseList)
	}
	bind := func(key, elem value) error {
		c := s.child(false)
		c.dot = elem
		switch len(n.Pipe.Decl) {
		case 1:
			c.vars = append(c.vars, &variable{n.Pipe.Decl[0].Ident[0], elem})
		case 2:
			c.vars = append(c.vars, &variable{n.Pipe.Decl[0].Ident[0], key}, &variable{n.Pipe.Decl[1].Ident[0], elem})
		}
		return w.list(c, n.List)
	}
	rv := indirect(val.v)
	count := 0
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		for i := range rv.Len() {
			if err := bind(literal(reflect.ValueOf(i)), element(val, rv.Index(i), fmt.Sprintf("[%d]", i))); err != nil {
				return err
			}
		}
		count = rv.Len()
	case reflect.Map:
		keys := rv.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		for _, k := range keys {
			if err := bind(literal(k), element(val, rv.MapIndex(k), fmt.Sprintf("[%v]", k))); err != nil {
				return err
			}
		}
		count = len(keys)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		for i := range rv.Int() {
			if err := bind(literal(reflect.ValueOf(int(i))), literal(reflect.ValueOf(int(i)))); err != nil {
				return err
			}
		}
		count = int(max(rv.Int(), 0))
	case reflect.Invalid:
	default:
		return fmt.Errorf("range can't iterate over %s", rv.Type())
	}
	if count == 0 {
		return w.list(s.child(false), n.ElseList)
	}
	return w.list(s.child(true), n.ElseList)
}

// call follows {{template "name" pipeline}} into the named template.
func (w *walker) call(s *scope, n *parse.TemplateNode) error {
	t := s.tmpl.Lookup(n.Name)
	if t == nil || t.Tree == nil {
		return fmt.Errorf("no such template %q", n.Name)
	}
	if w.depth > 100 {
		return fmt.Errorf("template %q calls itself too deep", n.Name)
	}
	dot := value{known: true}
	if n.Pipe != nil {
		var err error
		if dot, err = w.pipe(s, n.Pipe); err != nil {
			return err
		}
	}
	w.depth++
	defer func() { w.depth-- }()
	return w.list(&scope{tree: t.Tree, tmpl: t, dot: dot, vars: []*variable{{"$", dot}}, dropped: s.dropped}, t.Tree.Root)
}

func (w *walker) pipe(s *scope, p *parse.PipeNode) (value, error) {
	var final value
	for i, c := range p.Cmds {
		var err error
		if final, err = w.command(s, c, final, i > 0); err != nil {
			return value{}, err
		}
	}
	return final, nil
}

func (w *walker) command(s *scope, c *parse.CommandNode, prev value, piped bool) (value, error) {
	var args []value
	for _, a := range c.Args[1:] {
		v, err := w.arg(s, a)
		if err != nil {
			return value{}, err
		}
		args = append(args, v)
	}
	if piped {
		args = append(args, prev)
	}
	if id, ok := c.Args[0].(*parse.IdentifierNode); ok {
		return w.function(id.Ident, args)
	}
	v, err := w.arg(s, c.Args[0])
	if err != nil || len(args) == 0 {
		return v, err
	}
	// A method called with arguments: not run, but its arguments are used.
	return unknown(append([]value{v}, args...)...), nil
}

func (w *walker) arg(s *scope, n parse.Node) (value, error) {
	switch n := n.(type) {
	case *parse.DotNode:
		return s.dot, nil
	case *parse.FieldNode:
		return fields(s.dot, n.Ident)
	case *parse.VariableNode:
		v, err := s.lookup(n.Ident[0])
		if err != nil {
			return value{}, err
		}
		if len(n.Ident) == 1 {
			return v, nil
		}
		return fields(v, n.Ident[1:])
	case *parse.ChainNode:
		v, err := w.arg(s, n.Node)
		if err != nil {
			return value{}, err
		}
		return fields(v, n.Field)
	case *parse.PipeNode:
		return w.pipe(s, n)
	case *parse.IdentifierNode:
		return w.function(n.Ident, nil)
	case *parse.StringNode:
		return literal(reflect.ValueOf(n.Text)), nil
	case *parse.NumberNode:
		switch {
		case n.IsInt:
			return literal(reflect.ValueOf(int(n.Int64))), nil
		case n.IsFloat:
			return literal(reflect.ValueOf(n.Float64)), nil
		}
		return literal(reflect.ValueOf(n.Complex128)), nil
	case *parse.BoolNode:
		return literal(reflect.ValueOf(n.True)), nil
	case *parse.NilNode:
		return value{known: true}, nil
	}
	return value{}, fmt.Errorf("can't evaluate %s", n)
}

func literal(v reflect.Value) value { return value{v: v, known: true} }

// unknown is the result of a function the walker does not run: it uses every
// field of its arguments.
func unknown(args ...value) value {
	var refs []ref
	for _, a := range args {
		refs = append(refs, a.refs...)
	}
	return value{refs: refs}
}

// element is the value at key in the collection c.
func element(c value, v reflect.Value, key string) value {
	e := value{v: v, known: true}
	if c.path != "" {
		e.path = c.path + key
		e.refs = []ref{{path: e.path, empty: !isTrue(v)}}
	}
	return e
}

// fields evaluates .A.B on v, as text/template does for struct fields and
// map keys; a method is not called.
func fields(v value, names []string) (value, error) {
	for _, name := range names {
		if !v.known {
			return value{}, nil
		}
		rv := indirect(v.v)
		path := name
		if v.path != "" {
			path = v.path + "." + name
		}
		if !rv.IsValid() {
			if v.path == "" {
				return value{known: true}, nil
			}
			// Fields of a nil pointer: the pointer is what is empty.
			return value{refs: []ref{{path: v.path, empty: true}}}, nil
		}
		if hasMethod(v.v, name) {
			return value{}, nil
		}
		var f reflect.Value
		switch rv.Kind() {
		case reflect.Struct:
			sf, ok := rv.Type().FieldByName(name)
			if !ok || !sf.IsExported() {
				return value{}, fmt.Errorf("can't evaluate field %s in type %s", name, rv.Type())
			}
			var err error
			if f, err = rv.FieldByIndexErr(sf.Index); err != nil {
				return value{}, err
			}
		case reflect.Map:
			if rv.Type().Key().Kind() != reflect.String {
				return value{}, fmt.Errorf("can't evaluate field %s in type %s", name, rv.Type())
			}
			if f = rv.MapIndex(reflect.ValueOf(name).Convert(rv.Type().Key())); !f.IsValid() {
				// Render uses missingkey=error: a missing key fails it.
				return value{}, fmt.Errorf("map has no entry for key %q", name)
			}
		default:
			return value{}, fmt.Errorf("can't evaluate field %s in type %s", name, rv.Type())
		}
		v = value{v: f, known: true, path: path}
	}
	if v.path != "" {
		v.refs = []ref{{path: v.path, empty: v.known && !isTrue(v.v)}}
	}
	return v, nil
}

func hasMethod(v reflect.Value, name string) bool {
	if !v.IsValid() {
		return false
	}
	if v.MethodByName(name).IsValid() {
		return true
	}
	return v.Kind() != reflect.Pointer && v.CanAddr() && v.Addr().MethodByName(name).IsValid()
}

func indirect(v reflect.Value) reflect.Value {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

// isTrue is text/template's truth: not the zero value, non-empty.
func isTrue(v reflect.Value) bool {
	if !v.IsValid() {
		return false
	}
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() > 0
	case reflect.Bool:
		return v.Bool()
	case reflect.Complex64, reflect.Complex128:
		return v.Complex() != 0
	case reflect.Chan, reflect.Func, reflect.Pointer, reflect.Interface:
		return !v.IsNil()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() != 0
	case reflect.Float32, reflect.Float64:
		return v.Float() != 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() != 0
	}
	return true
}

// function evaluates a call of a built-in or a template function where the
// walker can; either way its arguments' fields are used.
func (w *walker) function(name string, args []value) (value, error) {
	switch name {
	case "and", "or":
		// Like text/template: the first argument that decides, else the last.
		// The others only chose: they are guards.
		want := name == "or"
		refs, result, decided := []ref(nil), value{}, false
		for i, a := range args {
			last := i == len(args)-1
			for _, r := range a.refs {
				r.guard = r.guard || decided || !last
				refs = append(refs, r)
			}
			if decided {
				continue
			}
			if !a.known {
				result, decided = value{}, true
				continue
			}
			if isTrue(a.v) == want || last {
				result, decided = a, true
			}
		}
		result.refs = refs
		return result, nil
	case "not":
		if len(args) != 1 {
			return value{}, fmt.Errorf("not takes one argument")
		}
		out := value{known: args[0].known, v: reflect.ValueOf(!isTrue(args[0].v))}
		for _, r := range args[0].refs {
			r.guard = true
			out.refs = append(out.refs, r)
		}
		return out, nil
	}
	out := unknown(args...)
	for _, a := range args {
		if !a.known {
			return out, w.defined(name)
		}
	}
	switch name {
	case "len":
		if len(args) == 1 {
			switch rv := indirect(args[0].v); rv.Kind() {
			case reflect.Array, reflect.Chan, reflect.Map, reflect.Slice, reflect.String:
				out.v, out.known = reflect.ValueOf(rv.Len()), true
			}
		}
		return out, nil
	case "index":
		if len(args) == 2 {
			c, k := indirect(args[0].v), indirect(args[1].v)
			switch {
			case (c.Kind() == reflect.Slice || c.Kind() == reflect.Array || c.Kind() == reflect.String) && k.CanInt():
				if i := int(k.Int()); i >= 0 && i < c.Len() {
					e := element(args[0], c.Index(i), fmt.Sprintf("[%d]", i))
					e.refs = append(out.refs, e.refs...)
					return e, nil
				}
			case c.Kind() == reflect.Map && k.IsValid() && k.Type().AssignableTo(c.Type().Key()):
				if v := c.MapIndex(k); v.IsValid() {
					e := element(args[0], v, fmt.Sprintf("[%v]", k))
					e.refs = append(out.refs, e.refs...)
					return e, nil
				}
			}
		}
		return out, nil
	case "eq", "ne", "lt", "le", "gt", "ge":
		if len(args) < 2 {
			return out, nil
		}
		b, ok := compare(name, args[0].v, args[1:])
		if ok {
			out.v, out.known = reflect.ValueOf(b), true
		}
		return out, nil
	case "print", "printf", "println":
		vals := make([]any, len(args))
		for i, a := range args {
			if a.v.IsValid() && a.v.CanInterface() {
				vals[i] = a.v.Interface()
			}
		}
		switch name {
		case "print":
			out.v = reflect.ValueOf(fmt.Sprint(vals...))
		case "println":
			out.v = reflect.ValueOf(fmt.Sprintln(vals...))
		default:
			format, _ := vals[0].(string)
			out.v = reflect.ValueOf(fmt.Sprintf(format, vals[1:]...))
		}
		out.known = true
		return out, nil
	}
	fn, ok := w.funcs[name]
	if !ok {
		return out, w.defined(name)
	}
	if v, ok := callFunc(fn, args); ok {
		out.v, out.known = v, true
	}
	return out, nil
}

var builtins = map[string]bool{"and": true, "or": true, "not": true, "len": true, "index": true, "slice": true,
	"print": true, "printf": true, "println": true, "html": true, "js": true, "urlquery": true, "call": true,
	"eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true}

func (w *walker) defined(name string) error {
	if _, ok := w.funcs[name]; ok || builtins[name] {
		return nil
	}
	return fmt.Errorf("function %q not defined", name)
}

// callFunc runs a template function whose arguments it can pass as they are.
func callFunc(fn any, args []value) (out reflect.Value, ok bool) {
	f := reflect.ValueOf(fn)
	t := f.Type()
	if t.IsVariadic() || t.NumIn() != len(args) || t.NumOut() == 0 {
		return reflect.Value{}, false
	}
	in := make([]reflect.Value, len(args))
	for i, a := range args {
		if !a.v.IsValid() || !a.v.Type().AssignableTo(t.In(i)) {
			return reflect.Value{}, false
		}
		in[i] = a.v
	}
	defer func() {
		if recover() != nil {
			out, ok = reflect.Value{}, false
		}
	}()
	res := f.Call(in)
	if t.NumOut() == 2 && !res[1].IsNil() {
		return reflect.Value{}, false
	}
	return res[0], true
}

// compare is text/template's eq, ne, lt, le, gt and ge on basic values.
func compare(op string, a reflect.Value, bs []value) (bool, bool) {
	a = indirect(a)
	if op != "eq" && len(bs) != 1 {
		return false, false
	}
	for _, bv := range bs {
		b := indirect(bv.v)
		c, ok := cmpBasic(a, b)
		if !ok {
			return false, false
		}
		switch op {
		case "eq":
			if c == 0 {
				return true, true
			}
		case "ne":
			return c != 0, true
		case "lt":
			return c < 0, true
		case "le":
			return c <= 0, true
		case "gt":
			return c > 0, true
		case "ge":
			return c >= 0, true
		}
	}
	return false, true
}

func cmpBasic(a, b reflect.Value) (int, bool) {
	switch {
	case !a.IsValid() || !b.IsValid():
		return 0, false
	case a.CanInt() && b.CanInt():
		return cmp3(a.Int(), b.Int()), true
	case a.CanUint() && b.CanUint():
		return cmp3(a.Uint(), b.Uint()), true
	case a.CanInt() && b.CanUint():
		if a.Int() < 0 {
			return -1, true
		}
		return cmp3(uint64(a.Int()), b.Uint()), true
	case a.CanUint() && b.CanInt():
		if b.Int() < 0 {
			return 1, true
		}
		return cmp3(a.Uint(), uint64(b.Int())), true
	case a.CanFloat() && b.CanFloat():
		return cmp3(a.Float(), b.Float()), true
	case a.Kind() == reflect.String && b.Kind() == reflect.String:
		return cmp3(a.String(), b.String()), true
	case a.Kind() == reflect.Bool && b.Kind() == reflect.Bool:
		if a.Bool() == b.Bool() {
			return 0, true
		}
		return 1, true
	}
	return 0, false
}

func cmp3[T int64 | uint64 | float64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
