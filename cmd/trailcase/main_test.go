package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/trailcase/trailcase/store"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"trailcase": main,
		// lockcase FILE SECONDS: hold the case open for writing, create
		// FILE.ready once the lock is held.
		"lockcase": func() {
			st, err := store.Open(os.Args[1], store.Options{})
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			os.WriteFile(os.Args[1]+".ready", nil, 0o600)
			n, _ := strconv.Atoi(os.Args[2])
			time.Sleep(time.Duration(n) * time.Second)
			st.Close()
			os.Exit(0)
		},
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("SAMPLES", samplesDir())
			env.Setenv("TESTDATA", repoTestdata())
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"flip":         cmdFlip,
			"mktar":        cmdMkTar,
			"mkzip":        cmdMkZip,
			"gzipfile":     cmdGzip,
			"waitfile":     cmdWaitFile,
			"filesize":     cmdFileSize,
			"status":       cmdStatus,
			"truncatefile": cmdTruncate,
			"mkfiles":      cmdMkFiles,
			"interrupt":    cmdInterrupt,
			"setq":         cmdSetq,
			"nocontrols":   cmdNoControls,
		},
		RequireExplicitExec: true,
	})
}

func samplesDir() string {
	p, _ := filepath.Abs("../../../shared/samples")
	return p
}

func repoTestdata() string {
	p, _ := filepath.Abs("../../testdata")
	return p
}

// flip FILE STRING: flip one bit of the first byte of every copy of
// STRING inside FILE (bbolt keeps stale copies in free pages).
func cmdFlip(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: flip FILE STRING")
	}
	p := ts.MkAbs(args[0])
	b, err := os.ReadFile(p)
	ts.Check(err)
	n := 0
	for off := 0; ; {
		i := bytes.Index(b[off:], []byte(args[1]))
		if i < 0 {
			break
		}
		b[off+i] ^= 0x01
		off += i + 1
		n++
	}
	if n == 0 {
		ts.Fatalf("%q not found in %s", args[1], args[0])
	}
	ts.Check(os.WriteFile(p, b, 0o600))
}

// mktar OUT.tar[.gz] NAME=CONTENT... ; NAME->TARGET makes a symlink entry.
func cmdMkTar(ts *testscript.TestScript, neg bool, args []string) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, a := range args[1:] {
		if name, target, ok := strings.Cut(a, "->"); ok {
			ts.Check(tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777}))
			continue
		}
		name, content, _ := strings.Cut(a, "=")
		ts.Check(tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: int64(len(content)), Mode: 0o644}))
		tw.Write([]byte(content))
	}
	ts.Check(tw.Close())
	out := buf.Bytes()
	if strings.HasSuffix(args[0], ".gz") || strings.HasSuffix(args[0], ".tgz") {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(out)
		zw.Close()
		out = z.Bytes()
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), out, 0o644))
}

// mkzip OUT.zip NAME=CONTENT...
func cmdMkZip(ts *testscript.TestScript, neg bool, args []string) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, a := range args[1:] {
		name, content, _ := strings.Cut(a, "=")
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		ts.Check(err)
		w.Write([]byte(content))
	}
	ts.Check(zw.Close())
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), buf.Bytes(), 0o644))
}

// gzipfile SRC DST: gzip SRC into DST.
func cmdGzip(ts *testscript.TestScript, neg bool, args []string) {
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(b)
	zw.Close()
	ts.Check(os.MkdirAll(filepath.Dir(ts.MkAbs(args[1])), 0o755))
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), z.Bytes(), 0o644))
}

// waitfile FILE: wait up to 10 s for FILE to exist.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Fatalf("%s did not appear", args[0])
}

// filesize FILE N: FILE has N bytes.
func cmdFileSize(ts *testscript.TestScript, neg bool, args []string) {
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	if strconv.FormatInt(fi.Size(), 10) != args[1] {
		ts.Fatalf("%s has %d bytes, want %s", args[0], fi.Size(), args[1])
	}
}

// status N PROG ARGS...: run PROG and require exit code N (stdout and
// stderr are kept for the next stdout/stderr checks).
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: status N PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	code := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("run %s: %v", args[1], err)
		}
		code = ee.ExitCode()
	}
	if code != want {
		ts.Fatalf("%s exited %d, want %d", args[1], code, want)
	}
}

// truncatefile FILE N: cut FILE to N bytes; a negative N cuts -N bytes
// off the end.
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	n, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	if n < 0 {
		fi, err := os.Stat(ts.MkAbs(args[0]))
		ts.Check(err)
		n += fi.Size()
	}
	ts.Check(os.Truncate(ts.MkAbs(args[0]), n))
}

// mkfiles DIR N SIZE: write N files of SIZE pseudo-random bytes into DIR.
func cmdMkFiles(ts *testscript.TestScript, neg bool, args []string) {
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	size, err := strconv.Atoi(args[2])
	ts.Check(err)
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	r := rand.New(rand.NewSource(int64(n*7919 + size)))
	buf := make([]byte, size)
	for i := 0; i < n; i++ {
		r.Read(buf)
		ts.Check(os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%05d.bin", i)), buf, 0o644))
	}
}

// interrupt SIGNAL SIZE FILE PROG ARGS...: run PROG, send SIGNAL (INT or
// KILL) once FILE has grown past SIZE bytes, and wait for it. It fails if
// PROG finished before the signal could be sent; it prints PROG's exit
// code on stdout ("exit N").
func cmdInterrupt(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 4 {
		ts.Fatalf("usage: interrupt INT|KILL SIZE FILE PROG ARGS...")
	}
	sig := map[string]os.Signal{"INT": os.Interrupt, "KILL": syscall.SIGKILL}[args[0]]
	if sig == nil {
		ts.Fatalf("unknown signal %s", args[0])
	}
	size, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	file := ts.MkAbs(args[2])
	prog, err := exec.LookPath(args[3])
	if err != nil {
		// testscript puts its commands on the script's PATH.
		for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
			if p := filepath.Join(dir, args[3]); fileExists(p) {
				prog, err = p, nil
				break
			}
		}
	}
	ts.Check(err)
	cmd := exec.Command(prog, args[4:]...)
	cmd.Dir = ts.MkAbs(".")
	env := []string{}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "TRAILCASE_CASE"} {
		env = append(env, k+"="+ts.Getenv(k))
	}
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	ts.Check(cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case <-done:
			ts.Fatalf("%s finished before %s could be sent; make the input larger\n%s", args[3], args[0], errb.String())
		case <-deadline:
			cmd.Process.Kill()
			ts.Fatalf("%s: %s never grew past %d bytes", args[3], args[2], size)
		case <-time.After(5 * time.Millisecond):
		}
		if fi, err := os.Stat(file); err == nil && fi.Size() > size {
			break
		}
	}
	ts.Check(cmd.Process.Signal(sig))
	err = <-done
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	fmt.Fprintf(ts.Stdout(), "exit %d\n", code)
	ts.Logf("stderr: %s", errb.String())
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
