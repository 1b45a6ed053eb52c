package mediation

// ParseRFC3339 exposes the allocation-free timestamp parser to the external tests.
var ParseRFC3339 = parseRFC3339

// DecodeGeneral decodes through the general (fastjson) path only, to compare decodeFast with it.
func DecodeGeneral(d *Decoder, raw []byte, rec *Record) error { return d.decodeGeneral(raw, rec) }
