package config

// Datasources (Momentum's ds_core): named caches that msys.db queries.

func init() {
	DeclareScope(ScopeSpec{Kind: "Datasource", Parents: []string{GlobalScope}, Name: NameRequired,
		Help: "a datasource cache msys.db queries by name: datasource \"name\" { uri = ( \"sqlite:path\" ) }"})
}

// Options of a datasource scope, read with In(node).
var (
	DatasourceURI = Declare(OptionSpec{Name: "uri", Scopes: []string{"datasource"}, Type: ListType,
		Help: "driver:details, used in turn; msyshost has the sqlite driver (sqlite:path, relative to Data_Directory)"})
	DatasourceCacheSize = Declare(OptionSpec{Name: "cache_size", Scopes: []string{"datasource"}, Type: IntType, Default: "1000",
		Help: "distinct queries whose results the cache keeps; the oldest go first"})
	DatasourceCacheLife = Declare(OptionSpec{Name: "cache_life", Scopes: []string{"datasource"}, Type: DurationType, Default: "3600",
		Help: "how long a cached result is used"})
	DatasourceMaxRows = Declare(OptionSpec{Name: "max_rows", Scopes: []string{"datasource"}, Type: IntType, Default: "100",
		Help: "rows a query returns at most; -1 for all"})
	DatasourceNoCache = Declare(OptionSpec{Name: "no_cache", Scopes: []string{"datasource"}, Type: BoolType, Default: "false",
		Help: "query the database every time"})
	DatasourcePool = Declare(OptionSpec{Name: "pool", Scopes: []string{"datasource"}, Type: StringType, Default: "IO",
		Help: "accepted for compatibility: queries run synchronously under the hook's deadline"})
	DatasourceSerialized = Declare(OptionSpec{Name: "serialized", Scopes: []string{"datasource"}, Type: BoolType, Default: "true",
		Help: "accepted for compatibility: a cache is local to this node"})
	DatasourceAssumeCharset = Declare(OptionSpec{Name: "assume_charset", Scopes: []string{"datasource"}, Type: StringType,
		Help: "accepted for compatibility: SQLite text is UTF-8"})
)
