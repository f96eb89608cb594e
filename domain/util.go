package domain

import (
	"reflect"
	"sort"
)

func sortStrings(s []string) { sort.Strings(s) }

// deref turns *T into T for the event values the factories return.
func deref(p Event) Event {
	v := reflect.ValueOf(p)
	if v.Kind() == reflect.Pointer {
		return v.Elem().Interface().(Event)
	}
	return p
}
