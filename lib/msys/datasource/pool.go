package datasource

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"

	"msyshost/lib/config"
)

// Pool is the datasource layer (Momentum's ds_core): the datasources the
// config in force declares, each a cache in front of its database. It is
// shared by every Lua state of a host and safe for concurrent use. The
// config is read at each lookup, so a reload that adds, changes or removes
// a datasource takes effect at the next query.
type Pool struct {
	config  func() *config.Config
	dataDir string
	log     *slog.Logger
	now     func() time.Time

	mu      sync.Mutex
	seen    *config.Config
	sources map[string]*source
}

// NewPool returns a pool reading its datasources from cfg(); relative
// sqlite paths are under dataDir.
func NewPool(cfg func() *config.Config, dataDir string, log *slog.Logger, now func() time.Time) *Pool {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Pool{config: cfg, dataDir: dataDir, log: log, now: now, sources: map[string]*source{}}
}

// Close closes every database.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for name, s := range p.sources {
		errs = append(errs, s.close())
		delete(p.sources, name)
	}
	return errors.Join(errs...)
}

// Params are a query's parameters: Positional[i] binds the (i+1)th '?',
// Named binds :name, @name and $name. A nil value is SQL NULL.
type Params struct {
	Positional []any
	Named      map[string]any
}

func (ps Params) args() []any {
	out := make([]any, 0, len(ps.Positional)+len(ps.Named))
	out = append(out, ps.Positional...)
	for k, v := range ps.Named {
		out = append(out, sql.Named(k, v))
	}
	return out
}

// key is the cache key of a query and its parameters.
func (ps Params) key(query string) string {
	var b strings.Builder
	b.WriteString(query)
	for _, v := range ps.Positional {
		fmt.Fprintf(&b, "\x00%T:%v", v, v)
	}
	names := make([]string, 0, len(ps.Named))
	for k := range ps.Named {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(&b, "\x00%s=%T:%v", k, ps.Named[k], ps.Named[k])
	}
	return b.String()
}

// Result is what a query returned: column names and rows of values
// (int64, float64, string or nil).
type Result struct {
	Columns []string
	Rows    [][]any
}

// Error is a failed query, worded as Momentum's sqlite driver words it:
// "prepare: 1: no such column: x" then "failed to prepare: <query>".
type Error struct {
	Stage string // "prepare" or "execute"
	Code  int    // the SQLite result code, 0 when not from SQLite
	Msg   string
	Query string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %d: %s\nfailed to %s: %s", e.Stage, e.Code, e.Msg, e.Stage, e.Query)
}

func queryError(stage, query string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		// modernc words it "<sqlite3_errstr>: <sqlite3_errmsg> (<code>)";
		// the errmsg is SQLite's own explanation.
		msg := strings.TrimSuffix(se.Error(), " (SQLITE_BUSY)")
		msg = strings.TrimSuffix(msg, " ("+strconv.Itoa(se.Code())+")")
		if _, after, ok := strings.Cut(msg, ": "); ok {
			msg = after
		}
		return &Error{Stage: stage, Code: se.Code(), Msg: msg, Query: query}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s stopped: %w", stage, err)
	}
	return &Error{Stage: stage, Msg: err.Error(), Query: query}
}

// Query runs a statement that returns rows, from the cache when it holds
// the same query with the same parameters and nocache is false.
func (p *Pool) Query(ctx context.Context, name, query string, ps Params, nocache bool) (*Result, error) {
	s, db, set, err := p.use(name)
	if err != nil {
		return nil, err
	}
	defer s.release()
	useCache := !nocache && !set.noCache
	key := ps.key(query)
	if useCache {
		if r, ok := s.cached(key, p.now()); ok {
			return r, nil
		}
	}
	stmt, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, queryError("prepare", query, err)
	}
	defer stmt.Close()
	rows, err := stmt.QueryContext(ctx, ps.args()...)
	if err != nil {
		return nil, queryError("execute", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, queryError("execute", query, err)
	}
	r := &Result{Columns: cols}
	for (set.maxRows < 0 || len(r.Rows) < set.maxRows) && rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, queryError("execute", query, err)
		}
		for i, v := range vals {
			vals[i] = plain(v)
		}
		r.Rows = append(r.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, queryError("execute", query, err)
	}
	if useCache {
		s.store(key, r, p.now())
	}
	return r, nil
}

// use looks the datasource up and acquires a database of it for one
// query (release it after); a source a reload closes meanwhile is looked
// up again.
func (p *Pool) use(name string) (*source, *sql.DB, settings, error) {
	for {
		s, err := p.source(name)
		if err != nil {
			return nil, nil, settings{}, err
		}
		db, set, err := s.acquire(p.dataDir)
		if err == errSourceClosed {
			continue // the reload put another in its place
		}
		if err != nil {
			return nil, nil, settings{}, err
		}
		return s, db, set, nil
	}
}

// Exec runs a statement that returns no rows. Cached results of the
// datasource are kept (as ds_core keeps them) until cache_life ends them.
func (p *Pool) Exec(ctx context.Context, name, query string, ps Params) error {
	s, db, _, err := p.use(name)
	if err != nil {
		return err
	}
	defer s.release()
	stmt, err := db.PrepareContext(ctx, query)
	if err != nil {
		return queryError("prepare", query, err)
	}
	defer stmt.Close()
	if _, err := stmt.ExecContext(ctx, ps.args()...); err != nil {
		return queryError("execute", query, err)
	}
	return nil
}

// plain turns a driver value into what Lua receives. modernc.org/sqlite
// reads TEXT of columns declared DATE, DATETIME or TIMESTAMP as time.Time;
// they come back in SQLite's own text form (what datetime() writes).
func plain(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 && x.Location() == time.UTC {
			return x.Format("2006-01-02")
		}
		s := x.Format("2006-01-02 15:04:05.999999999")
		if x.Location() != time.UTC {
			s += x.Format("-07:00")
		}
		return s
	}
	return v
}
