package httpapi

import "reflect"

// withEmptySlices returns a copy of v in which every nil slice reachable
// through structs, pointers and slices is an empty one, so arrays in
// answers are [] and never null. It copies what it changes (pointees and
// slice backing arrays), never writing to v's own memory, which may be
// shared with the read models. Maps and interfaces are left as they are.
func withEmptySlices(v any) any {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	if !needsFill(rv.Type(), map[reflect.Type]bool{}) {
		return v
	}
	cp := reflect.New(rv.Type()).Elem()
	cp.Set(rv)
	fill(cp, 0)
	return cp.Interface()
}

const maxFillDepth = 32

// fill replaces nil slices in the settable value v.
func fill(v reflect.Value, depth int) {
	if depth > maxFillDepth {
		return
	}
	switch v.Kind() {
	case reflect.Slice:
		if v.IsNil() {
			if v.Type().Elem().Kind() != reflect.Uint8 { // []byte is base64, null stays null
				v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			}
			return
		}
		if !needsFill(v.Type().Elem(), map[reflect.Type]bool{}) {
			return
		}
		cp := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(cp, v)
		for i := 0; i < cp.Len(); i++ {
			fill(cp.Index(i), depth+1)
		}
		v.Set(cp)
	case reflect.Pointer:
		if v.IsNil() || !needsFill(v.Type().Elem(), map[reflect.Type]bool{}) {
			return
		}
		cp := reflect.New(v.Type().Elem())
		cp.Elem().Set(v.Elem())
		fill(cp.Elem(), depth+1)
		v.Set(cp)
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if t.Field(i).IsExported() && v.Field(i).CanSet() {
				fill(v.Field(i), depth+1)
			}
		}
	}
}

// needsFill reports whether a value of type t can hold a slice that fill
// would replace or copy.
func needsFill(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Slice:
		return t.Elem().Kind() != reflect.Uint8
	case reflect.Pointer:
		return needsFill(t.Elem(), seen)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() && needsFill(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}
