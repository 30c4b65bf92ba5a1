package retry

import "time"

// memory is a bounded map that forgets by age: entries live in the current
// generation until it is older than period or holds max entries, then in
// the previous one, then are gone. Lookups cost two map reads; forgetting
// costs nothing per entry.
type memory[K comparable, V any] struct {
	cur, old map[K]V
	since    time.Time
	period   time.Duration
	max      int
}

func newMemory[K comparable, V any](period time.Duration, max int) *memory[K, V] {
	return &memory[K, V]{cur: map[K]V{}, old: map[K]V{}, period: period, max: max}
}

func (m *memory[K, V]) rotate(now time.Time) {
	if m.since.IsZero() {
		m.since = now
	}
	if now.Sub(m.since) >= m.period || len(m.cur) >= m.max {
		m.old, m.cur, m.since = m.cur, map[K]V{}, now
	}
}

func (m *memory[K, V]) get(k K) (V, bool) {
	if v, ok := m.cur[k]; ok {
		return v, true
	}
	v, ok := m.old[k]
	return v, ok
}

func (m *memory[K, V]) put(k K, v V, now time.Time) {
	m.rotate(now)
	m.cur[k] = v
}
