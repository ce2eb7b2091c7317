package reconciler_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/scm/git"
	"github.com/astrolift/astrolift/store"
)

// BenchmarkPollRound1000Apps500Repos measures one poll round over 1,000 apps
// in 500 unchanged repositories served over smart HTTP by a separate
// process (hack/gitserve, git-http-backend), so the CPU reported is the
// poller's own (store writes included). Anchor: Flux's source-controller
// v1.9.6 spends 1.75 CPU-s per round on 500 unchanged repositories at
// 147 MiB; the target is under 0.5 CPU-s and 100 MiB.
func BenchmarkPollRound1000Apps500Repos(b *testing.B) {
	const repos, appsPerRepo = 500, 2
	ctx := context.Background()
	root := b.TempDir()
	gitCmd := func(dir string, args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(cmd.Environ(), "GIT_AUTHOR_NAME=b", "GIT_AUTHOR_EMAIL=b@example.com", "GIT_COMMITTER_NAME=b", "GIT_COMMITTER_EMAIL=b@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	work := filepath.Join(b.TempDir(), "work")
	gitCmd(root, "init", "-q", "-b", "main", work)
	must2(b, os.WriteFile(filepath.Join(work, "astrolift.toml"), []byte(manifest), 0o644))
	gitCmd(work, "add", ".")
	gitCmd(work, "commit", "-q", "-m", "manifest")
	gitCmd(root, "clone", "-q", "--bare", work, filepath.Join(root, "r0000.git"))
	for i := 1; i < repos; i++ {
		if out, err := exec.Command("cp", "-r", filepath.Join(root, "r0000.git"), filepath.Join(root, fmt.Sprintf("r%04d.git", i))).CombinedOutput(); err != nil {
			b.Fatalf("cp: %v %s", err, out)
		}
	}
	// The server in its own process.
	bin := filepath.Join(b.TempDir(), "gitserve")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/astrolift/astrolift/hack/gitserve").CombinedOutput(); err != nil {
		b.Fatalf("build gitserve: %v %s", err, out)
	}
	srv := exec.Command(bin, "-root", root)
	stdout, _ := srv.StdoutPipe()
	must2(b, srv.Start())
	b.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	base := "http://" + strings.TrimSpace(strings.TrimPrefix(line, "listening on "))

	s, err := store.Open(ctx, filepath.Join(b.TempDir(), "a.db"), store.Options{})
	must2(b, err)
	b.Cleanup(func() { _ = s.Close() })
	org := &store.Organization{Slug: "acme", Name: "Acme"}
	must2(b, s.CreateOrganization(ctx, org))
	proj := &store.Project{OrgID: org.ID, Slug: "p", Name: "P"}
	must2(b, s.CreateProject(ctx, proj))
	for i := range repos * appsPerRepo {
		a := &store.App{OrgID: org.ID, ProjectID: proj.ID, Slug: fmt.Sprintf("app-%04d", i), Name: "a",
			SourceURL: fmt.Sprintf("%s/r%04d.git", base, i%repos), TriggerMode: "manual"}
		must2(b, s.CreateApp(ctx, a))
	}
	p := &reconciler.Poller{Store: s, Cache: &git.Cache{Dir: b.TempDir()}, Holder: "bench", Interval: 30 * time.Second}
	must2(b, p.PollOnce(ctx)) // first round: fetch and read every repository
	if a, _ := s.GetApp(ctx, "app-0999"); a.Repo.Commit == "" || a.Repo.Error != "" {
		b.Fatalf("warm-up round did not record the head: %+v", a.Repo)
	}

	var cpu time.Duration
	rounds := 0
	b.ResetTimer()
	for b.Loop() {
		before := cpuTime()
		must2(b, p.PollOnce(ctx))
		cpu += cpuTime() - before
		rounds++
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(cpu.Seconds()/float64(rounds), "cpu-s/round")
	b.ReportMetric(float64(cpu.Microseconds())/float64(rounds)/repos/1000, "cpu-ms/repo")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
	b.ReportMetric(rssMiB(), "rss-MiB")
}

func must2(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// cpuTime is this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssMiB is this process's resident set size (VmRSS), in MiB.
func rssMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			var kb float64
			_, _ = fmt.Sscan(f[1], &kb)
			return kb / 1024
		}
	}
	return 0
}
