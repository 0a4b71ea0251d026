package report

import (
	"reflect"

	"github.com/trailcase/trailcase/evidence/safe"
)

// shown replaces every string reachable from v (struct fields, slices,
// pointers; not maps, not bytes) with safe.Text of it, copying slices and
// pointees first so the report itself keeps its exact values. The HTML
// and Markdown forms render a shown view, so no case field, path or log
// text reaches a reader with controls or bidi overrides in it, whichever
// template field prints it. The JSON form keeps the exact values.
func shown(v reflect.Value) {
	if !v.CanSet() {
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(safe.Text(v.String()))
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			shown(v.Field(i))
		}
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		c := reflect.New(v.Elem().Type())
		c.Elem().Set(v.Elem())
		v.Set(c)
		shown(c.Elem())
	case reflect.Slice:
		if v.IsNil() || v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		v.Set(c)
		for i := 0; i < c.Len(); i++ {
			shown(c.Index(i))
		}
	}
}
