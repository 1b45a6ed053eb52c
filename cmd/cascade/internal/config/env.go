package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// EnvPrefix starts every override variable: CASCADE_HTTP_LISTEN overrides http.listen.
const EnvPrefix = "CASCADE_"

// Key is one settable key: its path in the file and the environment variable overriding it.
// Lists of records and maps (api_keys, dunning.steps, dunning.accounts) have no variable: they
// live in files.
type Key struct {
	Path string
	Env  string
}

// Keys lists every key that has an environment override, in file order.
func Keys() []Key {
	var out []Key
	walkLeaves(typeOfConfig, "", func(path string, _ reflect.Type) {
		out = append(out, Key{Path: path, Env: envName(path)})
	})
	return out
}

// envName turns a key path into its variable: ledger.clickhouse.addr → CASCADE_LEDGER_CLICKHOUSE_ADDR.
func envName(path string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// walkLeaves calls fn for every scalar (or list of strings) key under t.
func walkLeaves(t reflect.Type, path string, fn func(path string, t reflect.Type)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		p := join(path, name)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct:
			walkLeaves(ft, p, fn)
		case ft.Kind() == reflect.Map || (ft.Kind() == reflect.Slice && ft.Elem().Kind() != reflect.String):
			// lists of records and maps are configured in the file only
		default:
			fn(p, ft)
		}
	}
}

// applyEnv sets every key whose variable is non-empty; an override of a key inside an
// optional section (ledger.clickhouse.addr) creates the section. Problems name the variable.
func applyEnv(cfg *Config, getenv func(string) string) []string {
	var problems []string
	for _, k := range Keys() {
		val := getenv(k.Env)
		if val == "" {
			continue
		}
		if err := setPath(reflect.ValueOf(cfg).Elem(), strings.Split(k.Path, "."), val); err != nil {
			problems = append(problems, fmt.Sprintf("%s (%s): %v", k.Path, k.Env, err))
		}
	}
	return problems
}

// setPath walks (allocating optional sections) to the field at path and parses val into it.
func setPath(v reflect.Value, path []string, val string) error {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	if len(path) == 0 {
		return setScalar(v, val)
	}
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == path[0] {
			return setPath(v.Field(i), path[1:], val)
		}
	}
	return fmt.Errorf("no such key")
}

var typeOfDuration = reflect.TypeFor[Duration]()

// setScalar parses an environment value into a field: strings as is, numbers, durations
// ("35d", "90s") and comma lists.
func setScalar(v reflect.Value, val string) error {
	switch {
	case v.Type() == typeOfDuration:
		d, err := ParseDuration(val)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(d))
	case v.Kind() == reflect.String:
		v.SetString(val)
	case v.Kind() == reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", val)
		}
		v.SetInt(int64(n))
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		var items []string
		for _, s := range strings.Split(val, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
		v.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}
