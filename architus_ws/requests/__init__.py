"""What a socket asks: request payloads, handlers, pool reads, rate limits, coded errors."""
