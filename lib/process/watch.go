package process

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// The script watcher: file events only trigger; a burst of them (an editor
// saving by rename, create-then-move or truncate-and-write) is debounced
// into one reload, which compiles the whole set into a new generation and
// swaps it in, or keeps the old one and says why. fsnotify watches
// directories, not files, so a file replaced by rename is still seen.
func init() {
	Register("script watcher", StageListener, func(p *Process) ([]Component, error) {
		if p.Mode() != Daemon {
			return nil, nil
		}
		return []Component{&scriptWatcher{p: p, debounce: 10 * time.Millisecond, resync: 2 * time.Second}}, nil
	})
}

type scriptWatcher struct {
	p        *Process
	debounce time.Duration
	resync   time.Duration

	w    *fsnotify.Watcher
	mu   sync.Mutex
	dirs map[string]bool
	want map[string]bool // files whose change reloads

	stop chan struct{}
	done chan struct{}
}

func (sw *scriptWatcher) Name() string { return "script watcher" }

func (sw *scriptWatcher) Start(context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching scripts: %w", err)
	}
	sw.w, sw.dirs, sw.want = w, map[string]bool{}, map[string]bool{}
	sw.stop, sw.done = make(chan struct{}), make(chan struct{})
	sw.sync()
	go sw.run()
	return nil
}

func (sw *scriptWatcher) Stop(context.Context) error {
	close(sw.stop)
	<-sw.done
	return sw.w.Close()
}

// sync watches the folder of every file the serving generation compiled
// (scripts and required modules) and of every configured script, loaded
// or not, so fixing a broken one is seen too.
func (sw *scriptWatcher) sync() {
	files := sw.p.Host.Files()
	for _, s := range sw.p.ScriptStatus() {
		files = append(files, s.File)
	}
	want := map[string]bool{}
	for _, f := range files {
		if abs, err := filepath.Abs(f); err == nil {
			want[abs] = true
		}
	}
	sw.mu.Lock()
	defer sw.mu.Unlock()
	sw.want = want
	for f := range want {
		dir := filepath.Dir(f)
		if sw.dirs[dir] {
			continue
		}
		if err := sw.w.Add(dir); err != nil {
			sw.p.log.Warn("cannot watch a script folder; edits there need config reload", "dir", dir, "error", err)
			continue
		}
		sw.dirs[dir] = true
	}
}

func (sw *scriptWatcher) wanted(name string) bool {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return sw.want[filepath.Clean(name)]
}

func (sw *scriptWatcher) run() {
	defer close(sw.done)
	var (
		timer   *time.Timer
		fire    <-chan time.Time
		changed string
	)
	resync := time.NewTicker(sw.resync)
	defer resync.Stop()
	for {
		select {
		case <-sw.stop:
			if timer != nil {
				timer.Stop()
			}
			return
		case ev, ok := <-sw.w.Events:
			if !ok {
				return
			}
			if ev.Op == fsnotify.Chmod || !sw.wanted(ev.Name) {
				continue
			}
			changed = ev.Name
			if timer == nil {
				timer = time.NewTimer(sw.debounce)
			} else {
				timer.Reset(sw.debounce)
			}
			fire = timer.C
		case err, ok := <-sw.w.Errors:
			if !ok {
				return
			}
			sw.p.log.Warn("script watcher", "error", err)
		case <-fire:
			fire = nil
			sw.p.ReloadScripts(context.Background(), "file changed: "+changed)
			sw.sync()
		case <-resync.C:
			sw.sync()
		}
	}
}
