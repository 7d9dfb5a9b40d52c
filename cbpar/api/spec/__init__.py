"""The OpenAPI document in parts, one module per group of endpoints; `cbpar.api.openapi`
assembles them. Each module has `SCHEMAS` (its components) and `paths()`."""
