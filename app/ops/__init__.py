"""Operations: Prometheus metrics, structured JSON logs with request ids, and the pure ASGI
middleware that feeds both and adds the security headers."""
