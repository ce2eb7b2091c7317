package drift

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fluxcd/pkg/ssa"
	ssajsondiff "github.com/fluxcd/pkg/ssa/jsondiff"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Differ is what Detect needs of an ssa.ResourceManager: a server-side
// apply dry run of the desired object, returning the live object and the
// merged result when they differ (Secret values masked).
type Differ interface {
	Diff(ctx context.Context, obj *unstructured.Unstructured, opts ssa.DiffOptions) (*ssa.ChangeSetEntry, *unstructured.Unstructured, *unstructured.Unstructured, error)
}

var _ Differ = (*ssa.ResourceManager)(nil)

// Object is the drift of one object: missing from the cluster, or fields
// whose live value differs from what applying the desired object would set.
type Object struct {
	Kind      string  `json:"kind"`
	Namespace string  `json:"namespace,omitempty"`
	Name      string  `json:"name"`
	Missing   bool    `json:"missing,omitempty"`
	Fields    []Field `json:"fields,omitempty"`
}

// ID names the object as Kind/namespace/name (Kind/name when cluster-scoped).
func (o Object) ID() string {
	if o.Namespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Kind + "/" + o.Namespace + "/" + o.Name
}

// Field is one drifted field, by JSON pointer. Values are left out for
// Secrets.
type Field struct {
	Path string `json:"path"` // "/spec/replicas"
	// Op is what applying would do: replace a changed value, add one that
	// was removed, remove one that was added.
	Op      string `json:"op"`
	Live    any    `json:"live,omitempty"`
	Desired any    `json:"desired,omitempty"`
	// ChangedBy are the field managers other than the applier that own the
	// field on the live object (from managedFields): who changed it.
	ChangedBy []Manager `json:"changed_by,omitempty"`
}

// Manager is a field manager of a live object.
type Manager struct {
	Name      string     `json:"name"`
	Operation string     `json:"operation"` // Apply | Update
	Time      *time.Time `json:"time,omitempty"`
}

// maxValue bounds a value shown in a report (longer ones are cut).
const maxValue = 200

// Detect compares each desired object with the cluster through a
// server-side apply dry run (applier is the field manager that applies
// them) and returns the objects that drifted, in the order given. It only
// reads: dry runs change nothing.
func Detect(ctx context.Context, d Differ, r client.Reader, applier string, desired []*unstructured.Unstructured) ([]Object, error) {
	var out []Object
	for _, obj := range desired {
		o := Object{Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName()}
		entry, live, merged, err := d.Diff(ctx, obj.DeepCopy(), ssa.DefaultDiffOptions())
		if err != nil {
			return nil, fmt.Errorf("%s drift check failed: %w", o.ID(), err)
		}
		switch entry.Action {
		case ssa.CreatedAction:
			o.Missing = true
			out = append(out, o)
			continue
		case ssa.ConfiguredAction:
		default:
			continue
		}
		// The live object with its managedFields (Diff strips them), to
		// name who owns each drifted field.
		owned := &unstructured.Unstructured{}
		owned.SetGroupVersionKind(obj.GroupVersionKind())
		if err := r.Get(ctx, client.ObjectKeyFromObject(obj), owned); err != nil && !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("%s drift check failed: %w", o.ID(), err)
		}
		fields, err := fieldDrift(live, merged, owned, applier, obj.GetKind() == "Secret")
		if err != nil {
			return nil, fmt.Errorf("%s drift check failed: %w", o.ID(), err)
		}
		if len(fields) == 0 {
			continue
		}
		o.Fields = fields
		out = append(out, o)
	}
	return out, nil
}

// fieldDrift lists the fields in which live and merged (the dry-run
// result) differ, ignoring server-managed metadata and status.
func fieldDrift(live, merged, owned *unstructured.Unstructured, applier string, secret bool) ([]Field, error) {
	a, b := applied(live), applied(merged)
	patch, err := ssajsondiff.DiffUnstructured(a, b)
	if err != nil {
		return nil, err
	}
	var out []Field
	for _, op := range patch {
		f := Field{Path: op.Path, Op: op.Type}
		if !secret {
			if v, ok := pointer(a.Object, op.Path); ok {
				f.Live = short(v)
			}
			if v, ok := pointer(b.Object, op.Path); ok {
				f.Desired = short(v)
			}
		}
		f.ChangedBy = owners(owned, op.Path, applier)
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// applied keeps what an apply sets: metadata labels and annotations and
// everything outside metadata and status.
func applied(u *unstructured.Unstructured) *unstructured.Unstructured {
	c := u.DeepCopy()
	meta := map[string]any{}
	if l := c.GetLabels(); len(l) > 0 {
		meta["labels"] = toAny(l)
	}
	if an := c.GetAnnotations(); len(an) > 0 {
		meta["annotations"] = toAny(an)
	}
	c.Object["metadata"] = meta
	delete(c.Object, "status")
	return c
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// pointer resolves a JSON pointer (RFC 6901) in an unstructured object.
func pointer(obj any, ptr string) (any, bool) {
	if ptr == "" {
		return obj, true
	}
	cur := obj
	for _, seg := range segments(ptr) {
		switch n := cur.(type) {
		case map[string]any:
			v, ok := n[seg]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n) {
				return nil, false
			}
			cur = n[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// unescape decodes a JSON pointer segment (RFC 6901).
var unescape = strings.NewReplacer("~1", "/", "~0", "~")

// segments splits a JSON pointer into its decoded segments.
func segments(ptr string) []string {
	segs := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	for i, seg := range segs {
		segs[i] = unescape.Replace(seg)
	}
	return segs
}

// short returns scalars as they are and cuts long values to a string.
func short(v any) any {
	switch v.(type) {
	case string, bool, int64, float64, nil:
		if s, ok := v.(string); ok && len(s) > maxValue {
			return s[:maxValue] + "…"
		}
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > maxValue {
		return string(b[:maxValue]) + "…"
	}
	return string(b)
}

// owners returns the field managers (other than applier) whose managed
// field set on obj holds the field at ptr, or an enclosing field owned
// as a whole (an atomic list or map).
func owners(obj *unstructured.Unstructured, ptr, applier string) []Manager {
	var out []Manager
	for _, mf := range obj.GetManagedFields() {
		if mf.Manager == applier || mf.FieldsV1 == nil {
			continue
		}
		var set map[string]any
		if err := json.Unmarshal(mf.FieldsV1.GetRawBytes(), &set); err != nil {
			continue
		}
		if !ownsPath(obj.Object, set, ptr) {
			continue
		}
		m := Manager{Name: mf.Manager, Operation: string(mf.Operation)}
		if mf.Time != nil {
			t := mf.Time.UTC()
			m.Time = &t
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ownsPath walks a FieldsV1 set ("f:spec" → "f:replicas", list items as
// "k:{…}", "i:N" or "v:…") alongside the live object along a JSON pointer.
func ownsPath(obj any, set map[string]any, ptr string) bool {
	cur := obj
	node := set
	for _, seg := range segments(ptr) {
		if len(node) == 0 {
			return true // owned as a whole (an atomic value)
		}
		var next any
		switch n := cur.(type) {
		case map[string]any:
			next = n[seg]
			child, ok := node["f:"+seg].(map[string]any)
			if !ok {
				return false
			}
			node = child
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n) {
				return false
			}
			next = n[i]
			child := listItem(node, i, next)
			if child == nil {
				return false
			}
			node = child
		default:
			return false
		}
		cur = next
	}
	return true
}

// listItem finds a list element's entry in a FieldsV1 node.
func listItem(node map[string]any, index int, item any) map[string]any {
	if c, ok := node["i:"+strconv.Itoa(index)].(map[string]any); ok {
		return c
	}
	if b, err := json.Marshal(item); err == nil {
		if c, ok := node["v:"+string(b)].(map[string]any); ok {
			return c
		}
	}
	fields, _ := item.(map[string]any)
	for key, c := range node {
		if !strings.HasPrefix(key, "k:") {
			continue
		}
		var keys map[string]any
		if err := json.Unmarshal([]byte(key[2:]), &keys); err != nil {
			continue
		}
		match := len(keys) > 0
		for k, v := range keys {
			if fmt.Sprint(fields[k]) != fmt.Sprint(v) {
				match = false
				break
			}
		}
		if m, ok := c.(map[string]any); ok && match {
			return m
		}
	}
	return nil
}

// Report is what a drift check of one environment found, as stored on the
// environment and served by the API.
type Report struct {
	// DeploymentID is the deployment whose objects were compared.
	DeploymentID int64     `json:"deployment_id"`
	CheckedAt    time.Time `json:"checked_at,omitzero"`
	Objects      []Object  `json:"objects"`
	// Error is why the check could not run (cluster unreachable, …).
	Error string `json:"error,omitempty"`
	// Corrected lists the objects that self-heal re-applied in this check,
	// and CorrectedAt when.
	Corrected   []string   `json:"corrected,omitempty"`
	CorrectedAt *time.Time `json:"corrected_at,omitempty"`
}

// Fingerprint identifies what drifted (objects and field paths, not
// values or times), to tell a new drift from one already reported.
func (r *Report) Fingerprint() string {
	var parts []string
	for _, o := range r.Objects {
		p := o.ID()
		if o.Missing {
			p += " missing"
		}
		for _, f := range o.Fields {
			p += " " + f.Path
		}
		parts = append(parts, p)
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// Summary is one line for an event: which objects drifted, where, and who
// changed them.
func (r *Report) Summary() string {
	var parts []string
	for _, o := range r.Objects {
		if o.Missing {
			parts = append(parts, o.ID()+" is missing")
			continue
		}
		var fs []string
		for _, f := range o.Fields {
			who := ""
			for i, m := range f.ChangedBy {
				if i == 0 {
					who = " by "
				} else {
					who += ", "
				}
				who += m.Name
			}
			fs = append(fs, f.Path+who)
		}
		parts = append(parts, o.ID()+": "+strings.Join(fs, ", "))
	}
	return strings.Join(parts, "; ")
}
