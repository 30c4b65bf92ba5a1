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
// directories, not files, so a file replaced by rename is still seen. A
// reload tells the watcher to look at the set of files again; a slow poll
// also catches modules required later and folders that come back after a
// deploy replaced them.
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
	dirs map[string]bool // folders watched
	lost map[string]bool // folders that went away or could not be watched
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
	sw.w, sw.dirs, sw.lost, sw.want = w, map[string]bool{}, map[string]bool{}, map[string]bool{}
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
// or not, so fixing a broken one is seen too. It reports whether it
// watched again a folder that had gone (deleted, or replaced by a deploy):
// its files may have changed unseen.
func (sw *scriptWatcher) sync() (regained bool) {
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
			if !sw.lost[dir] {
				sw.p.log.Warn("cannot watch a script folder; edits there need config reload", "dir", dir, "error", err)
			}
			sw.lost[dir] = true
			continue
		}
		sw.dirs[dir] = true
		if sw.lost[dir] {
			delete(sw.lost, dir)
			regained = true
		}
	}
	return regained
}

// gone forgets a watched folder that was deleted or moved away; sync
// watches it again when it is back.
func (sw *scriptWatcher) gone(dir string) bool {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if !sw.dirs[dir] {
		return false
	}
	delete(sw.dirs, dir)
	sw.lost[dir] = true
	sw.w.Remove(dir)
	return true
}

func (sw *scriptWatcher) wanted(name string) bool {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return sw.want[filepath.Clean(name)]
}

func (sw *scriptWatcher) run() {
	defer close(sw.done)
	var (
		timer   = time.NewTimer(time.Hour)
		changed string
	)
	timer.Stop()
	defer timer.Stop()
	soon := func(why string) {
		changed = why
		timer.Reset(sw.debounce)
	}
	resync := time.NewTicker(sw.resync)
	defer resync.Stop()
	for {
		select {
		case <-sw.stop:
			return
		case ev, ok := <-sw.w.Events:
			if !ok {
				return
			}
			name := filepath.Clean(ev.Name)
			if ev.Op&(fsnotify.Remove|fsnotify.Rename) != 0 && sw.gone(name) {
				continue
			}
			if ev.Op == fsnotify.Chmod || !sw.wanted(name) {
				continue
			}
			soon("file changed: " + name)
		case err, ok := <-sw.w.Errors:
			if !ok {
				return
			}
			sw.p.log.Warn("script watcher", "error", err)
		case <-timer.C:
			sw.p.ReloadScripts(context.Background(), changed)
		case <-sw.p.resync:
			if sw.sync() {
				soon("a script folder is back")
			}
		case <-resync.C:
			if sw.sync() {
				soon("a script folder is back")
			}
		}
	}
}
