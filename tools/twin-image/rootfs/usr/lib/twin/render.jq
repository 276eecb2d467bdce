# Helpers for the twin's templates (/usr/lib/mustache-templates/**/*.jq*), prefixed to each.
# need(f; "name"): the value of f, or an error "missing key name" when it is null or absent.
def need(f; $name): (f // error("missing key " + $name));
# A JSON scalar or array of scalars as a TOML value (JSON strings are TOML basic strings).
def toml_value: if type == "array" then "[" + (map(tojson) | join(", ")) + "]" else tojson end;
