package main

import (
	"errors"
	"flag"
	"io"
	"log/slog"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/ehelse/portfolio/internal/daemon"
)

func TestParseConfig(t *testing.T) {
	defaults := daemon.Config{
		DataDir: "data", HTTPAddr: "127.0.0.1:8080", OpsAddr: DefaultOpsListen, NATSListen: "127.0.0.1:4222",
		SyncAlways: true, Demo: true,
	}
	with := func(change func(*daemon.Config)) daemon.Config {
		c := defaults
		change(&c)
		return c
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    daemon.Config
		level   slog.Level
		wantErr string // substring; empty: no error
		// mem, when set, is the memory limit wanted; procs the GOMAXPROCS.
		mem   *daemon.MemoryLimit
		procs *daemon.Procs
	}{
		{name: "defaults", want: defaults},
		{name: "flags", args: []string{"--data", "/d", "--replicas", "3", "--demo=false", "--sync", "interval", "--log-level", "debug"},
			want: with(func(c *daemon.Config) { c.DataDir, c.Replicas, c.Demo, c.SyncAlways = "/d", 3, false, false }), level: slog.LevelDebug},
		{name: "environment", env: map[string]string{"PORTFOLIO_NATS_URL": "nats://a:4222", "PORTFOLIO_REPLICAS": "5", "PORTFOLIO_SIGNING_KEY": "/k", "PORTFOLIO_LOG_LEVEL": "warn"},
			want: with(func(c *daemon.Config) { c.NATSURLs, c.Replicas, c.SigningKeyFile = "nats://a:4222", 5, "/k" }), level: slog.LevelWarn},
		{name: "a bad variable stops the start beside good flags", args: []string{"--http", ":9"}, env: map[string]string{"PORTFOLIO_HTTP": ":8", "PORTFOLIO_DEMO": "yes"},
			wantErr: `invalid value "yes" for PORTFOLIO_DEMO`},
		{name: "flag wins over a valid environment value", args: []string{"--http", ":9", "--replicas", "1"}, env: map[string]string{"PORTFOLIO_HTTP": ":8", "PORTFOLIO_REPLICAS": "three"},
			want: with(func(c *daemon.Config) { c.HTTPAddr, c.Replicas = ":9", 1 })},
		// The flag package's own parser decides: strconv.ParseBool accepts these.
		{name: "demo 1", env: map[string]string{"PORTFOLIO_DEMO": "1"}, want: defaults},
		{name: "demo 0", env: map[string]string{"PORTFOLIO_DEMO": "0"}, want: with(func(c *daemon.Config) { c.Demo = false })},
		{name: "demo FALSE", env: map[string]string{"PORTFOLIO_DEMO": "FALSE"}, want: with(func(c *daemon.Config) { c.Demo = false })},
		{name: "demo yes", env: map[string]string{"PORTFOLIO_DEMO": "yes"}, wantErr: `invalid value "yes" for PORTFOLIO_DEMO`},
		{name: "replicas three", env: map[string]string{"PORTFOLIO_REPLICAS": "three"}, wantErr: `invalid value "three" for PORTFOLIO_REPLICAS`},
		{name: "replicas negative", env: map[string]string{"PORTFOLIO_REPLICAS": "-1"}, wantErr: "PORTFOLIO_REPLICAS must not be negative"},
		{name: "sync from environment", env: map[string]string{"PORTFOLIO_SYNC": "sometimes"}, wantErr: `PORTFOLIO_SYNC must be always or interval, not "sometimes"`},
		{name: "sync flag", args: []string{"--sync=never"}, wantErr: `--sync must be always or interval, not "never"`},
		{name: "log level from environment", env: map[string]string{"PORTFOLIO_LOG_LEVEL": "loud"}, wantErr: "PORTFOLIO_LOG_LEVEL"},
		{name: "memory limit flag", args: []string{"--memory-limit", "300MiB"}, env: map[string]string{"GOMEMLIMIT": "1GiB"}, want: defaults,
			mem: &daemon.MemoryLimit{Bytes: 300 << 20, Source: "--memory-limit"}},
		{name: "memory limit from environment", env: map[string]string{"PORTFOLIO_MEMORY_LIMIT": "2GiB"}, want: defaults,
			mem: &daemon.MemoryLimit{Bytes: 2 << 30, Source: "--memory-limit"}},
		{name: "memory limit off", args: []string{"--memory-limit=off"}, want: defaults,
			mem: &daemon.MemoryLimit{Bytes: math.MaxInt64, Source: "--memory-limit"}},
		{name: "GOMEMLIMIT is kept", env: map[string]string{"GOMEMLIMIT": "500MiB"}, want: defaults,
			mem: &daemon.MemoryLimit{Source: "GOMEMLIMIT"}},
		{name: "memory limit bad", env: map[string]string{"PORTFOLIO_MEMORY_LIMIT": "lots"}, wantErr: `PORTFOLIO_MEMORY_LIMIT: memory limit "lots"`},
		{name: "procs flag", args: []string{"--procs", "6"}, env: map[string]string{"GOMAXPROCS": "3"}, want: defaults,
			procs: &daemon.Procs{N: 6, Source: "--procs"}},
		{name: "procs from environment", env: map[string]string{"PORTFOLIO_PROCS": "5"}, want: defaults,
			procs: &daemon.Procs{N: 5, Source: "--procs"}},
		{name: "GOMAXPROCS is kept", env: map[string]string{"GOMAXPROCS": "3"}, want: defaults,
			procs: &daemon.Procs{Source: "GOMAXPROCS"}},
		{name: "procs auto", want: defaults,
			procs: &daemon.Procs{N: daemon.DefaultProcs() + daemon.ExtraProcs, Source: "auto", Extra: daemon.ExtraProcs}},
		{name: "procs auto under sync interval", args: []string{"--sync", "interval"}, want: with(func(c *daemon.Config) { c.SyncAlways = false }),
			procs: &daemon.Procs{N: daemon.DefaultProcs(), Source: "auto"}},
		{name: "procs auto with an external server", env: map[string]string{"PORTFOLIO_NATS_URL": "nats://a:4222"}, want: with(func(c *daemon.Config) { c.NATSURLs = "nats://a:4222" }),
			procs: &daemon.Procs{N: daemon.DefaultProcs(), Source: "auto"}},
		{name: "procs bad", env: map[string]string{"PORTFOLIO_PROCS": "0"}, wantErr: `PORTFOLIO_PROCS: procs "0"`},
		{name: "bad flag value", args: []string{"--replicas", "x"}, wantErr: `invalid value "x" for flag -replicas`},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "flag provided but not defined: -nope"},
		{name: "arguments", args: []string{"serve"}, wantErr: "unexpected arguments: serve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			cfg, err := parseConfig(tt.args, getenv, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.daemon, tt.want) {
				t.Errorf("daemon config\n got %+v\nwant %+v", cfg.daemon, tt.want)
			}
			if tt.mem != nil && cfg.memoryLimit != *tt.mem {
				t.Errorf("memory limit %+v, want %+v", cfg.memoryLimit, *tt.mem)
			}
			if tt.procs != nil && cfg.procs != *tt.procs {
				t.Errorf("procs %+v, want %+v", cfg.procs, *tt.procs)
			}
			if cfg.logLevel != tt.level {
				t.Errorf("log level %v, want %v", cfg.logLevel, tt.level)
			}
		})
	}
}

func TestParseConfigHelp(t *testing.T) {
	var out strings.Builder
	_, err := parseConfig([]string{"-h"}, func(string) string { return "" }, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"PORTFOLIO_<FLAG>", "-nats-url", "-demo"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, out.String())
		}
	}
}
