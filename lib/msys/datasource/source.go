package datasource

import (
	"container/list"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"msyshost/lib/config"
)

// settings are one datasource scope's options.
type settings struct {
	uris      []string
	cacheSize int
	cacheLife time.Duration
	maxRows   int
	noCache   bool
}

func (a settings) sameDatabases(b settings) bool { return slices.Equal(a.uris, b.uris) }

// source is one datasource: its databases (one per uri, used in turn) and
// its cache of query results.
type source struct {
	name string
	set  settings

	mu    sync.Mutex
	dbs   map[string]*sql.DB
	next  int
	cache map[string]*list.Element
	order *list.List // of *entry, oldest first
	// inflight counts the queries using a database (acquire, release);
	// closed is set when a reload drops the source, whose databases close
	// when the last of those ends.
	inflight int
	closed   bool
}

// errSourceClosed: a reload dropped the source between its lookup and its
// use; the caller looks it up again.
var errSourceClosed = errors.New("datasource closed by a reload")

type entry struct {
	key    string
	result *Result
	at     time.Time
}

// source returns the datasource name as the config in force declares it.
func (p *Pool) source(name string) (*source, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cfg := p.config()
	if cfg != p.seen {
		p.reconcile(cfg)
		p.seen = cfg
	}
	if s, ok := p.sources[name]; ok {
		return s, nil
	}
	node := find(cfg, name)
	if node == nil {
		return nil, fmt.Errorf("no datasource %q is configured (declare it: datasource %q { uri = ( \"sqlite:file.db\" ) })", name, name)
	}
	set, err := read(node)
	if err != nil {
		return nil, fmt.Errorf("datasource %q: %w", name, err)
	}
	s := &source{name: name, set: set, dbs: map[string]*sql.DB{}, cache: map[string]*list.Element{}, order: list.New()}
	p.sources[name] = s
	return s, nil
}

// reconcile brings the open datasources in line with a new config: gone or
// re-pointed ones are closed, others take the new settings and start with
// an empty cache.
func (p *Pool) reconcile(cfg *config.Config) {
	for name, s := range p.sources {
		node := find(cfg, name)
		var set settings
		var err error
		if node != nil {
			set, err = read(node)
		}
		if node == nil || err != nil || !set.sameDatabases(s.set) {
			if cerr := s.close(); cerr != nil {
				p.log.Warn("closing datasource", "datasource", name, "error", cerr)
			}
			delete(p.sources, name)
			continue
		}
		s.mu.Lock()
		s.set = set
		s.cache = map[string]*list.Element{}
		s.order.Init()
		s.mu.Unlock()
	}
}

func find(cfg *config.Config, name string) *config.Node {
	if cfg == nil {
		return nil
	}
	var fold *config.Node
	for _, n := range cfg.Root().Scopes("datasource") {
		if n.Name == name {
			return n
		}
		if fold == nil && strings.EqualFold(n.Name, name) {
			fold = n
		}
	}
	return fold
}

func read(n *config.Node) (settings, error) {
	var s settings
	v, _ := config.DatasourceURI.In(n)
	s.uris = v.List()
	if len(s.uris) == 0 {
		return s, errors.New("no uri")
	}
	var err error
	if v, ok := config.DatasourceCacheSize.In(n); ok {
		if s.cacheSize, err = v.Int(); err != nil {
			return s, err
		}
	}
	if v, ok := config.DatasourceCacheLife.In(n); ok {
		if s.cacheLife, err = v.Duration(); err != nil {
			return s, err
		}
	}
	if v, ok := config.DatasourceMaxRows.In(n); ok {
		if s.maxRows, err = v.Int(); err != nil {
			return s, err
		}
	}
	if v, ok := config.DatasourceNoCache.In(n); ok {
		if s.noCache, err = v.Bool(); err != nil {
			return s, err
		}
	}
	return s, nil
}

// acquire returns the database of the next uri in turn, opened on first
// use, and the settings in force, for one query; release ends its use.
func (s *source) acquire(dataDir string) (*sql.DB, settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, settings{}, errSourceClosed
	}
	db, err := s.db(dataDir)
	if err != nil {
		return nil, settings{}, err
	}
	s.inflight++
	return db, s.set, nil
}

// release ends a use acquire began; the last use of a closed source closes
// its databases.
func (s *source) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight--
	if s.closed && s.inflight == 0 {
		s.closeDBs()
	}
}

// db returns the database of the next uri in turn, opened on first use;
// s.mu is held.
func (s *source) db(dataDir string) (*sql.DB, error) {
	uri := s.set.uris[s.next%len(s.set.uris)]
	s.next++
	if db, ok := s.dbs[uri]; ok {
		return db, nil
	}
	driver, rest, _ := strings.Cut(uri, ":")
	switch strings.ToLower(driver) {
	case "sqlite", "sqlite3":
	default:
		return nil, fmt.Errorf("datasource %q: the %q driver of %q is not available in msyshost; it has the sqlite driver (uri = ( \"sqlite:path\" ))", s.name, driver, uri)
	}
	if rest == "" {
		return nil, fmt.Errorf("datasource %q: %q names no database file", s.name, uri)
	}
	path := rest
	if !filepath.IsAbs(path) {
		path = filepath.Join(dataDir, path)
	}
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, fmt.Errorf("datasource %q: opening %s: %w", s.name, path, err)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("datasource %q: opening %s: %w", s.name, path, err)
	}
	// SQLite serialises writers; a few connections serve concurrent readers.
	db.SetMaxOpenConns(4)
	db.SetConnMaxIdleTime(time.Minute)
	s.dbs[uri] = db
	return db, nil
}

// close closes the source: its databases now when no query uses them,
// else when the last one ends (release).
func (s *source) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.inflight > 0 {
		return nil
	}
	return s.closeDBs()
}

func (s *source) closeDBs() error {
	var errs []error
	for uri, db := range s.dbs {
		errs = append(errs, db.Close())
		delete(s.dbs, uri)
	}
	return errors.Join(errs...)
}

func (s *source) cached(key string, now time.Time) (*Result, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.cache[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*entry)
	if now.Sub(e.at) >= s.set.cacheLife {
		s.order.Remove(el)
		delete(s.cache, key)
		return nil, false
	}
	return e.result, true
}

// store keeps a result, dropping the oldest entries beyond cache_size.
func (s *source) store(key string, r *Result, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set.cacheSize <= 0 || s.set.cacheLife <= 0 {
		return
	}
	if el, ok := s.cache[key]; ok {
		s.order.Remove(el)
	}
	s.cache[key] = s.order.PushBack(&entry{key: key, result: r, at: now})
	for s.order.Len() > s.set.cacheSize {
		old := s.order.Front()
		s.order.Remove(old)
		delete(s.cache, old.Value.(*entry).key)
	}
}
