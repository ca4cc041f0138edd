"""The API's documentation: an OpenAPI description that lists every problem a route can answer
with, and a Swagger UI served from a package's own files under the app's security policy."""
