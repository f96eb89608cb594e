package daemon

import "testing"

func TestResolveProcs(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	tests := []struct {
		name    string
		value   string
		getenv  func(string) string
		cpus    int
		noFsync bool // the embedded server without SyncAlways, or an external one
		want    Procs
		text    string
		wantErr bool
	}{
		{name: "auto on 2 CPUs", value: "auto", getenv: env(), cpus: 2, want: Procs{N: 4, Source: "auto", Extra: 2}, text: "4 (auto: 2 CPUs + 2)"},
		{name: "auto without fsyncs here", value: "auto", getenv: env(), cpus: 2, noFsync: true, want: Procs{N: 2, Source: "auto"}, text: "2 (auto: 2 CPUs)"},
		{name: "empty is auto", value: "", getenv: env(), cpus: 8, want: Procs{N: 10, Source: "auto", Extra: 2}, text: "10 (auto: 8 CPUs + 2)"},
		{name: "auto keeps GOMAXPROCS", value: "auto", getenv: env("GOMAXPROCS", "3"), cpus: 2, want: Procs{Source: "GOMAXPROCS"}, text: "GOMAXPROCS"},
		{name: "a number wins over GOMAXPROCS", value: "6", getenv: env("GOMAXPROCS", "3"), cpus: 2, want: Procs{N: 6, Source: "--procs"}, text: "6 (--procs)"},
		{name: "spaces and case", value: " AUTO ", getenv: env(), cpus: 1, want: Procs{N: 3, Source: "auto", Extra: 2}, text: "3 (auto: 1 CPU + 2)"},
		{name: "zero", value: "0", getenv: env(), cpus: 2, wantErr: true},
		{name: "negative", value: "-2", getenv: env(), cpus: 2, wantErr: true},
		{name: "not a number", value: "many", getenv: env(), cpus: 2, wantErr: true},
		{name: "too many", value: "5000", getenv: env(), cpus: 2, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveProcs(tt.value, tt.getenv, tt.cpus, !tt.noFsync)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if s := got.String(); s != tt.text {
				t.Errorf("String() = %q, want %q", s, tt.text)
			}
		})
	}
}
