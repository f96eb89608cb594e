package projections

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// dropMapped takes the pages of a bbolt file out of the process while a
// transaction reads it; what the transaction reads stays the same.
func TestDropMappedKeepsWhatIsRead(t *testing.T) {
	dir := t.TempDir()
	// A relative path through a symlink: /proc/self/maps names the file
	// by its resolved absolute path.
	if err := os.Symlink(dir, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	path := filepath.Join("link", "f.db")
	db, err := bolt.Open(path, 0o644, &bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	value := bytes.Repeat([]byte("x"), 3000)
	const n = 8000 // ≈ 24 MiB
	if err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("b"))
		if err != nil {
			return err
		}
		for i := range n {
			if err := b.Put(u64(uint64(i)), value); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	read := func(tx *bolt.Tx) {
		t.Helper()
		c, count := tx.Bucket([]byte("b")).Cursor(), 0
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if !bytes.Equal(v, value) {
				t.Fatalf("value of %x changed", k)
			}
			count++
		}
		if count != n {
			t.Fatalf("%d entries, want %d", count, n)
		}
	}
	if err := db.View(func(tx *bolt.Tx) error {
		read(tx)
		before := mappedFileBytes()
		if !dropMapped(path) {
			t.Fatal("the mapping of the file was not found")
		}
		after := mappedFileBytes()
		if before-after < 16<<20 {
			t.Errorf("file-backed memory %d -> %d bytes, want at least 16 MiB less", before, after)
		}
		read(tx)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if dropMapped(filepath.Join(dir, "nothing.db")) {
		t.Fatal("found the mapping of a file that is not mapped")
	}
}
