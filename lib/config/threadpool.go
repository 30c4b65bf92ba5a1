package config

import "strings"

// ThreadPool options, as Momentum's `ThreadPool "NAME" { Concurrency = N }`
// (conf.ref.threadpool): msys.runInPool runs jobs in named pools whose
// concurrency bounds how many run at once.
var (
	threadPoolConcurrency = Declare(OptionSpec{Name: "Concurrency", Scopes: []string{"threadpool"}, Type: IntType,
		Help: "how many jobs of the pool run at once (msys.runInPool); the standard pools default to SwapOut 5, SwapIn 5, Unlink 6, Batch_Unlink 4, Close 0, CPU 4, IO 50, SpoolIn 1"})
	_ = Declare(OptionSpec{Name: "Stack_Size", Scopes: []string{"threadpool"}, Type: IntType,
		Help: "accepted for compatibility; msyshost's pool jobs run on goroutines"})
	_ = Declare(OptionSpec{Name: "Backlog", Scopes: []string{"threadpool"}, Type: IntType,
		Help: "accepted for compatibility; jobs wait for a free slot without a queue limit"})
)

func init() {
	DeclareScope(ScopeSpec{Kind: "ThreadPool", Parents: []string{GlobalScope}, Name: NameRequired,
		Help: "a thread pool for msys.runInPool: ThreadPool \"IO\" { Concurrency = 50 }"})
}

// ThreadPools returns the concurrency of each pool the config declares, by
// name as written. A pool declared twice takes the last value.
func (c *Config) ThreadPools() (map[string]int, error) {
	out := map[string]int{}
	for _, n := range c.root.Scopes("threadpool") {
		if !n.Named || strings.TrimSpace(n.Name) == "" {
			return nil, errorf(n.Pos, "ThreadPool needs a name: ThreadPool \"IO\" { Concurrency = 50 }")
		}
		v, ok := threadPoolConcurrency.In(n)
		if !ok {
			continue
		}
		conc, err := v.Int()
		if err != nil {
			return nil, err
		}
		out[n.Name] = conc
	}
	return out, nil
}
