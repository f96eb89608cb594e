package projections

import (
	"os"
	"runtime"
	"sort"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestLocalRoadmapLatency(t *testing.T) {
	path := os.Getenv("RM_FILE")
	if path == "" {
		t.Skip("RM_FILE not set")
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t1 := time.Now()
	m := modelsOn(t, db)
	t.Logf("load %s", time.Since(t1))
	ballast := make([][]byte, 0)
	for i := 0; i < 1500; i++ {
		ballast = append(ballast, make([]byte, 64<<10))
	}
	var lat []time.Duration
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	for i := 0; i < 1000; i++ {
		t := time.Now()
		v, err := m.Roadmap(RoadmapFilter{})
		lat = append(lat, time.Since(t))
		_ = v
		_ = err
	}
	runtime.ReadMemStats(&ms1)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("p50 %s p99 %s max %s, alloc/query %d KB, gcs %d", lat[500], lat[990], lat[999], (ms1.TotalAlloc-ms0.TotalAlloc)/1000/1024, ms1.NumGC-ms0.NumGC)
	runtime.KeepAlive(ballast)
}
